// Machine.runUntil(): the power-cut stop. It stops exactly at the asked
// instruction count, can go on from there, and (virtual clock, fixed RTC
// epoch, fixed /chosen seeds) two machines stopped at the same count are in the same state.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXIT, Machine } from '../../src/machine.ts';
import { haveCore, loadCoreModule } from '../../src/node-files.ts';
import { kernel } from './harness.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');

async function make(out: string[]) {
  return Machine.create({
    kernel: kernel(),
    wasm: await loadCoreModule(),
    clock: 'virtual',
    idleSpeedup: Infinity,
    rtcEpoch: 1_767_225_600,
    seed: 7n, // the /chosen rng-seed and kaslr-seed are random unless seeded: the same state needs the same tree
    onUart: (b) => out.push(Buffer.from(b).toString('latin1')),
  });
}

describe('Machine.runUntil', () => {
  it('stops exactly at the count, goes on, and repeats exactly', async () => {
    const outA: string[] = [];
    const a = await make(outA);
    for (const n of [1, 777, 12_345, 300_001]) {
      const e = await a.runUntil(n);
      expect(e.code).toBe(EXIT.limit);
      expect(a.stats().instret).toBe(n);
    }
    // Already there: returns at once without running.
    expect((await a.runUntil(5)).code).toBe(EXIT.limit);
    expect(a.stats().instret).toBe(300_001);
    const outB: string[] = [];
    const b = await make(outB);
    expect((await b.runUntil(300_001)).code).toBe(EXIT.limit);
    const hash = (m: Machine) => createHash('sha256').update(m.ram).digest('hex');
    expect(hash(b)).toBe(hash(a));
    expect(outB.join('')).toBe(outA.join(''));
    // Input, then on to the end: poweroff ends the run as usual.
    a.input('poweroff\n');
    const end = await a.runUntil(500_000_000);
    expect(end.code).toBe(EXIT.poweroff);
    await expect(a.runUntil(-1)).rejects.toThrow(RangeError);
  });
});
