// A guest program that makes a list of HVC calls at EL1 (x0..x3 given) and
// prints each call's x0 on UART0 as 16 hex digits, then powers off. Runs
// unchanged on QEMU and on the emulator (the PSCI differential test).
import { assemble, POWEROFF } from './asm.ts';

export interface HvcCall {
  args: bigint[];
  label: string;
  /** Instructions run before the call (e.g. arming a timer). */
  before?: string;
  /** Instructions run after it, before x0 is printed. */
  after?: string;
}

export function hvcProgram(calls: HvcCall[]): Uint8Array {
  const body = calls
    .map((c) => {
      const set = c.args.map((a, i) => `  ldr x${i}, =0x${a.toString(16)}\n`).join('');
      return `${c.before ?? ''}\n${set}  hvc #0\n${c.after ?? ''}\n  bl emit\n  b 9f\n  .ltorg\n9:\n`;
    })
    .join('');
  return assemble(`
${body}
  ${POWEROFF}
emit:
  mov x6, #60
  mov x1, #0x09000000
2: lsr x7, x0, x6
  and x7, x7, #15
  cmp x7, #10
  add x8, x7, #48
  add x7, x7, #87
  csel x7, x8, x7, lo
  str w7, [x1]
  subs x6, x6, #4
  b.ge 2b
  mov w7, #10
  str w7, [x1]
  ret
`);
}
