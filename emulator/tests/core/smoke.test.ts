import { describe, it, expect } from 'vitest';
import { runAsm, Stop } from './harness';

describe('smoke', () => {
  it('runs a loop to HLT', () => {
    const { m, stop } = runAsm(`
      mov x0, #0
      mov x1, #10
    1: add x0, x0, x1
      subs x1, x1, #1
      b.ne 1b
      hlt #0
    `);
    expect(stop).toBe(Stop.Trap);
    expect(m.x(0)).toBe(55n);
  });
});
