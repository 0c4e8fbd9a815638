// A machine with a serial console: the one interface the shell command table
// is run against, so the reference platform (QEMU virt) and our emulator are
// held to the very same expectations. QEMU's implementation lives in
// qemu-machine.ts; the emulator's in emulator/src/serial-machine.ts.

export interface MachineExit {
  /** Process-style status: 0 after PSCI SYSTEM_OFF, non-zero otherwise. */
  code: number;
  /** Human-readable reason, e.g. "psci system_off", "timeout", "guest crash". */
  reason: string;
}

export interface SerialMachine {
  /** Everything the guest has written to UART0 so far. */
  readonly output: string;
  /** Type text into UART0 as a person at a terminal would. */
  write(text: string): void;
  /**
   * Wait until `pattern` occurs in the output at or after offset `from`
   * (default: 0). Rejects with an error that quotes the output tail on
   * timeout or if the machine exits first.
   */
  waitFor(
    pattern: string | RegExp,
    opts?: { from?: number; timeoutMs?: number },
  ): Promise<{ index: number; end: number; match: string }>;
  /** Settles once, when the machine stops. */
  readonly exited: Promise<MachineExit>;
  /** Stop the machine if it is still running. */
  kill(): Promise<void>;
}

export const PROMPT = 'sis> ';

/**
 * Run one shell command and return what the shell printed in answer: the
 * text after the echoed command line and before the next prompt.
 */
export async function runCommand(m: SerialMachine, command: string, timeoutMs = 20_000): Promise<string> {
  const from = m.output.length;
  m.write(command + '\r');
  const echo = await m.waitFor('\n', { from, timeoutMs });
  const next = await m.waitFor(PROMPT, { from: echo.end, timeoutMs });
  return m.output.slice(echo.end, next.index).replace(/\r\n/g, '\n');
}
