import { describe, expect, it } from 'vitest';
import { formatUptime, speedBetween } from './speed.ts';

describe('status bar speed', () => {
  it('MIPS is instructions per host ms spent running, not per wall ms', () => {
    const s = speedBetween({ at: 0, instret: 0, runMs: 0 }, { at: 1000, instret: 50e6, runMs: 500 });
    expect(s).toEqual({ kind: 'busy', mips: 100, busyFraction: 0.5 });
  });
  it('a guest asleep in WFI is idle, not a low figure', () => {
    expect(speedBetween({ at: 0, instret: 0, runMs: 0 }, { at: 1000, instret: 20_000, runMs: 10 }).kind).toBe('idle');
    expect(speedBetween({ at: 0, instret: 0, runMs: 0 }, { at: 1000, instret: 0, runMs: 0 }).kind).toBe('idle');
  });
  it('a counter going backwards (a new machine) is not a negative speed', () => {
    expect(speedBetween({ at: 0, instret: 9e9, runMs: 9e4 }, { at: 1000, instret: 1e6, runMs: 900 }).kind).toBe('idle');
  });
  it('formats uptime', () => {
    expect(formatUptime(5_400_000)).toBe('5 s');
    expect(formatUptime(65e6)).toBe('1 min 05 s');
    expect(formatUptime(3725e6)).toBe('1 h 02 min 05 s');
  });
});
