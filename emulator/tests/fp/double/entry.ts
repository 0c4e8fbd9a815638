// Test entry: runs one instruction over a batch of register states, in the
// same record layout as the qemu-aarch64 guest harness (harness.ts).
//   in  record (88 bytes): V0 V1 V2 V3 (16 each), X0, X1, NZCV
//   out record (40 bytes): V0 (16), X0, FPSR (+ 11 << 32 after a memory
//   fault, as the guest reports SIGSEGV), NZCV (8 each)
// Returns how many records raised UNDEF (their output is left as the input).

import { setV, getV, setFPCR, setFPSR, getFPSR } from "./simd/index";
import { decodeSimd } from "./simd/decode.gen";
import { setXreg, xreg, setNZCVFlags, getNZCVFlags, undefCount } from "./cpu";
import { MEM, SIZE, BASE, faultCount } from "./mem";
export { faultCount } from "./mem";
export { setXregSP } from "./cpu";

let buf: usize = 0;
export function bufPtr(bytes: u32): usize {
  if (buf == 0) buf = heap.alloc(<usize>bytes);
  return buf;
}

// Same pattern as the guest harness writes into its data window.
export function fillMem(): void {
  for (let i: u32 = 0; i < SIZE / 4; i++) store<u32>(MEM + <usize>(i * 4), i * 0x9e37_79b1);
}

// the decoding table's dispatch restricted to the SIMD&FP unit's patterns (anything else: UNDEF)
function exec(insn: u32): void {
  decodeSimd(insn);
}

export function runCases(insn: u32, insn2: u32, fpcr: u32, n: u32, inp: usize, out: usize): u32 {
  const before = undefCount;
  for (let i: u32 = 0; i < n; i++) {
    const r = inp + <usize>(i * 88);
    for (let v: u32 = 0; v < 4; v++) {
      setV(v, 0, load<u64>(r + v * 16));
      setV(v, 1, load<u64>(r + v * 16 + 8));
    }
    setXreg(0, load<u64>(r + 64));
    setXreg(1, load<u64>(r + 72));
    setNZCVFlags(<u32>load<u64>(r + 80));
    setFPCR(fpcr);
    setFPSR(0);
    const f0 = faultCount;
    exec(insn);
    if (insn2 != 0xd503201f) exec(insn2);
    const o = out + <usize>(i * 40);
    store<u64>(o, getV(0, 0));
    store<u64>(o + 8, getV(0, 1));
    store<u64>(o + 16, xreg(0));
    // a memory fault is reported like the guest's SIGSEGV (signal 11)
    store<u64>(o + 24, <u64>getFPSR() | (faultCount != f0 ? (<u64>11 << 32) : 0));
    store<u64>(o + 32, <u64>getNZCVFlags());
  }
  return undefCount - before;
}

// Direct access for the failure-path tests (unit.test.ts).
export { getV, setV, getFPCR, setFPCR, getFPSR, setFPSR } from "./simd/index";
export function execSimd(insn: u32): void { exec(insn); }
export { xreg, setXreg, setPC } from "./cpu";
export function undefs(): u32 { return undefCount; }
export function memBase(): u64 { return BASE; }

// For scripts/bench-style measurements only (not used by the tests).
export function repeat(insn: u32, iters: u32): void {
  for (let i: u32 = 0; i < iters; i++) exec(insn);
}
