// A scripted shell session over the serial console: wait for the shell's
// prompt, type one command, collect what it prints up to the next prompt.
// The same driver runs against QEMU (its stdio) and the emulator (Machine).

export interface Console {
  write(s: string): void;
  /** Resolves when the output so far contains `text` after position `from` (returns its end). */
  waitFor(text: string, from: number, timeoutMs: number): Promise<number>;
  output(): string;
}

export function makeConsole(write: (s: string) => void): Console & { push(s: string): void } {
  let out = '';
  let waiters: { text: string; from: number; resolve: (n: number) => void }[] = [];
  const check = () => {
    waiters = waiters.filter((w) => {
      const i = out.indexOf(w.text, w.from);
      if (i < 0) return true;
      w.resolve(i + w.text.length);
      return false;
    });
  };
  return {
    write,
    push(s: string) {
      out += s;
      check();
    },
    output: () => out,
    waitFor(text, from, timeoutMs) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${JSON.stringify(text)}; output tail:\n${out.slice(-800)}`)), timeoutMs);
        waiters.push({ text, from, resolve: (n) => { clearTimeout(t); resolve(n); } });
        check();
      });
    },
  };
}

export const PROMPT = '/ # ';

/** Boots to the init script's marker and the first prompt, then runs `commands`; returns each command's output. */
export async function runSession(c: Console, commands: string[], bootTimeoutMs: number, cmdTimeoutMs = 120_000): Promise<{ outputs: string[]; promptAt: number }> {
  let at = await c.waitFor('SIS-INIT-READY', 0, bootTimeoutMs);
  at = await c.waitFor(PROMPT, at, cmdTimeoutMs);
  const promptAt = Date.now();
  const outputs: string[] = [];
  for (const cmd of commands) {
    c.write(cmd + '\n');
    const start = await c.waitFor('\n', at, cmdTimeoutMs); // the echoed command line
    at = await c.waitFor(PROMPT, start, cmdTimeoutMs);
    outputs.push(c.output().slice(start, at - PROMPT.length).replace(/\r/g, ''));
  }
  return { outputs, promptAt };
}
