// SIMD&FP loads and stores against qemu-aarch64. Both sides map the same
// 1 MiB data window at 0x1000_0000 with the same fill pattern; X0/X1 point
// into it. Stores are followed by a load that reads the bytes back, so a
// wrong address, size or lane shows up in V0; post-index writeback shows up
// in X0. Memory state carries over between records identically on both
// sides (same order).

import { beforeAll, describe, expect, it } from 'vitest';
import { buildUnit, differential, type SimdUnit, type Spec } from './harness';

let unit: SimdUnit;
beforeAll(async () => { unit = await buildUnit(); });

const M = (asm: string, asm2?: string): Spec => ({ asm, asm2, lanes: 0, mem: true });
// records per instruction and FPCR mode (FP_CASES overrides, e.g. for soak runs)
const N = Number(process.env.FP_CASES ?? 1000);

async function check(specs: Spec[], seed: number) {
  const r = await differential(unit, specs, N, seed, [0]);
  expect(r.undef).toEqual([]);
  expect(r.mismatches).toEqual([]);
  expect(r.compared).toBe(specs.length * N);
}

describe('SIMD&FP loads/stores vs qemu-aarch64', () => {
  it('LDR/STR immediate, pre/post-index, unscaled, register offset', async () => {
    await check([
      M('ldr q0, [x1]'), M('ldr d0, [x1, #8]'), M('ldr s0, [x1, #4092]'), M('ldr h0, [x1, #2]'), M('ldr b0, [x1, #4095]'),
      M('ldr q0, [x0, #16]!'), M('ldr d0, [x0], #-24'), M('ldur q0, [x1, #-3]'), M('ldur s0, [x1, #255]'),
      M('ldr q0, [x1, xzr, lsl #4]'), M('ldr d0, [x1, wzr, sxtw #3]'), M('ldr s0, [x1, wzr, uxtw]'),
      M('str q1, [x1, #32]', 'ldr q0, [x1, #32]'), M('str d1, [x0], #8', 'ldur q0, [x0, #-8]'),
      M('str s1, [x0, #-4]!', 'ldr q0, [x0]'), M('stur h1, [x1, #-1]', 'ldur q0, [x1, #-1]'),
      M('str b1, [x1, #7]', 'ldr q0, [x1]'), M('str q1, [x1, xzr]', 'ldr q0, [x1, xzr, sxtx]'),
    ], 11);
  });
  it('LDP/STP/LDNP/STNP of S, D and Q', async () => {
    await check([
      M('ldp q0, q1, [x1]'), M('ldp q1, q0, [x1, #-64]'), M('ldp d0, d2, [x0, #16]!'), M('ldp s2, s0, [x0], #-8'),
      M('ldnp q0, q3, [x1, #1008]'), M('stp q1, q2, [x1]', 'ldr q0, [x1, #16]'), M('stp d2, d1, [x0, #-16]!', 'ldr q0, [x0]'),
      M('stp s1, s2, [x0], #8', 'ldur q0, [x0, #-8]'), M('stnp q2, q1, [x1, #32]', 'ldr q0, [x1, #32]'),
    ], 12);
  });
  it('LD1-LD4 / ST1-ST4 multiple structures, post-index', async () => {
    await check([
      M('ld1 {v0.16b}, [x1]'), M('ld1 {v0.8b}, [x1]'), M('ld1 {v31.2d, v0.2d}, [x1]'), M('ld1 {v30.4s, v31.4s, v0.4s}, [x0], #48'),
      M('ld1 {v0.8h, v1.8h, v2.8h, v3.8h}, [x0], #64'), M('ld2 {v31.8h, v0.8h}, [x1]'), M('ld2 {v0.2s, v1.2s}, [x0], #16'),
      M('ld3 {v30.16b, v31.16b, v0.16b}, [x1]'), M('ld3 {v0.4h, v1.4h, v2.4h}, [x1]'), M('ld4 {v29.4s, v30.4s, v31.4s, v0.4s}, [x1]'),
      M('ld4 {v0.8b, v1.8b, v2.8b, v3.8b}, [x0], x1'),
      M('st1 {v1.2d, v2.2d}, [x1]', 'ldr q0, [x1, #16]'), M('st2 {v1.4s, v2.4s}, [x1]', 'ldr q0, [x1]'),
      M('st3 {v1.8b, v2.8b, v3.8b}, [x1]', 'ldr q0, [x1, #8]'), M('st4 {v1.8h, v2.8h, v3.8h, v4.8h}, [x0], #64', 'ldur q0, [x0, #-48]'),
    ], 13);
  });
  it('LD1-LD4 / ST1-ST4 single structure and LD1R-LD4R', async () => {
    await check([
      M('ld1 {v0.b}[13], [x1]'), M('ld1 {v0.h}[5], [x1]'), M('ld1 {v0.s}[3], [x0], #4'), M('ld1 {v0.d}[1], [x1]'),
      M('ld2 {v31.s, v0.s}[2], [x1]'), M('ld3 {v0.h, v1.h, v2.h}[7], [x0], #6'), M('ld4 {v30.d, v31.d, v0.d, v1.d}[0], [x1]'),
      M('ld1r {v0.4s}, [x1]'), M('ld1r {v0.8b}, [x0], #1'), M('ld2r {v31.2d, v0.2d}, [x1]'), M('ld3r {v30.4h, v31.4h, v0.4h}, [x1]'),
      M('ld4r {v0.16b, v1.16b, v2.16b, v3.16b}, [x0], x1'),
      M('st1 {v1.s}[2], [x1]', 'ldr q0, [x1]'), M('st2 {v1.b, v2.b}[9], [x0], #2', 'ldur q0, [x0, #-2]'),
      M('st4 {v1.d, v2.d, v3.d, v4.d}[1], [x1]', 'ldr q0, [x1, #16]'),
    ], 14);
  });
});
