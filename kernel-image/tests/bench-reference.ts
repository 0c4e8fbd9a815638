// Host reference for the kernel's `bench` loops (kernel-image/src/shell/bench.c):
// the same arithmetic in BigInt (mod 2^64) and IEEE doubles, so the check values
// a machine prints can be verified bit for bit. The kernel is built with
// -ffp-contract=off, so its doubles round exactly like JavaScript's.

const M64 = (1n << 64n) - 1n;
const MEM_WORDS = 32768;

export function benchInt(n: number): bigint {
  let x = 0x5157n;
  let acc = 0n;
  for (let i = 0; i < n; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & M64;
    const rot = ((acc << 7n) | (acc >> 57n)) & M64;
    acc ^= ((x >> 29n) + rot) & M64;
    acc = (acc + (x & 0xffffffffn) / ((x >> 40n) | 1n)) & M64;
  }
  return acc;
}

export function benchMem(n: number): bigint {
  const buf = new BigUint64Array(MEM_WORDS);
  let idx = 0;
  let sum = 0n;
  for (let i = 0; i < n; i++) {
    idx = (idx * 5 + 1) & (MEM_WORDS - 1);
    buf[idx] = (buf[idx] + (BigInt(i) ^ sum)) & M64;
    sum = (sum + buf[(idx + 17) & (MEM_WORDS - 1)]) & M64;
  }
  return sum;
}

export function benchFp(n: number): bigint {
  let x = 0.5;
  let y = 1.0;
  let z = 0.0;
  for (let i = 0; i < n; i++) {
    x = x * 1.0000001 + 0.25 / y;
    y = y + x / (1.0 + (i & 1023));
    if (y > 1e6) y = y * 1e-6;
    z += x * 1e-9 - y * 1e-12;
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x + y + z, true);
  return view.getBigUint64(0, true);
}

/** The three lines' check values for `bench n`, as the kernel prints them. */
export function benchChecks(n: number): Record<'int' | 'mem' | 'fp', string> {
  const hex = (v: bigint) => '0x' + v.toString(16).padStart(16, '0');
  return { int: hex(benchInt(n)), mem: hex(benchMem(n)), fp: hex(benchFp(n)) };
}
