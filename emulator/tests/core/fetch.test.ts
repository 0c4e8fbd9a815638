// Instruction fetch checks that the run loop's cached code page must not
// skip: a misaligned PC (EC 0x22) and PSTATE.IL after an illegal exception
// return (EC 0x0e), both inside the page the CPU is already executing from.
import { describe, it, expect } from 'vitest';
import { runAsm, Stop, RAM, hex, VECTORS, SETUP } from './harness';


describe('fetch checks inside the cached code page', () => {
  it('BR to a misaligned address in the same page: PC alignment fault, FAR = ELR = target', () => {
    const { m, stop } = runAsm(`${SETUP}
      adr x1, target
      add x1, x1, #2
      br x1
    target:
      nop
      nop
      hlt #1
      ${VECTORS}`);
    expect(stop).toBe(Stop.Trap);
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex((0x22n << 26n) | (1n << 25n)));
    const target = RAM + 24n + 2n;
    expect(m.x(22)).toBe(target);
    expect(m.x(24)).toBe(target);
  });

  it('illegal exception return (SPSR names EL2): next instruction takes EC 0x0e with SPSR.IL set', () => {
    const { m, stop } = runAsm(`${SETUP}
      adr x1, after
      msr elr_el1, x1
      mov x2, #0x9          // EL2h: not implemented, so the return is illegal
      msr spsr_el1, x2
      eret
    after:
      mov x3, #1            // must not execute
      hlt #1
      ${VECTORS}`);
    expect(stop).toBe(Stop.Trap);
    expect(m.x(3)).toBe(0n);
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex((0x0en << 26n) | (1n << 25n)));
    expect(m.x(22)).toBe(RAM + 32n);
    expect(hex(m.x(23))).toBe(hex(0x00100005n)); // IL, DAIF from SPSR (clear), EL1h kept
  });
});
