// SIMD&FP architectural state: the 32 x 128-bit V registers, FPCR and FPSR.
//
// The V file is one static 512-byte block (register n at VREGS + 16*n, lane 0
// at the lowest address, as the architecture's little-endian element order),
// so lane accessors are plain loads/stores. Writes of a scalar (B/H/S/D)
// result zero the rest of the register, as every A64 scalar write does;
// vector writes with Q=0 zero the upper 64 bits.

export const VREGS: usize = memory.data(32 * 16, 16);

// FPCR bits we keep: AHP(26) DN(25) FZ(24) RMode(23:22) Stride(21:20)
// FZ16(19) Len(18:16) - what qemu-aarch64 -cpu max reads back after writing
// all ones (0x07ff0000). The trap enables are RAZ/WI (no trapped FP
// exceptions). Only DN, FZ and RMode change arithmetic here.
export const FPCR_MASK: u32 = 0x07ff_0000;
// FPSR: N Z C V QC (31:27, AArch32 leftovers QEMU keeps) IDC(7) IXC UFC OFC DZC IOC (4:0)
export const FPSR_MASK: u32 = 0xf800_009f;

export const FPSR_IOC: u32 = 1;
export const FPSR_DZC: u32 = 2;
export const FPSR_OFC: u32 = 4;
export const FPSR_UFC: u32 = 8;
export const FPSR_IXC: u32 = 16;
export const FPSR_IDC: u32 = 128;
export const FPSR_QC: u32 = 1 << 27;

export let fpcr: u32 = 0;
export let fpsr: u32 = 0;

export function getFPCR(): u32 { return fpcr; }
export function setFPCR(v: u32): void { fpcr = v & FPCR_MASK; }
export function getFPSR(): u32 { return fpsr; }
export function setFPSR(v: u32): void { fpsr = v & FPSR_MASK; }

@inline export function raiseFP(bits: u32): void { fpsr |= bits; }

export function getV(n: u32, half: u32): u64 {
  return load<u64>(VREGS + ((<usize>(n & 31)) << 4) + ((<usize>(half & 1)) << 3));
}
export function setV(n: u32, half: u32, v: u64): void {
  store<u64>(VREGS + ((<usize>(n & 31)) << 4) + ((<usize>(half & 1)) << 3), v);
}

@inline export function vaddr(n: u32): usize { return VREGS + ((<usize>n) << 4); }

// Element access: esize in bytes (1, 2, 4, 8), index in elements.
@inline export function velem(n: u32, idx: u32, esize: u32): u64 {
  const p = vaddr(n) + <usize>(idx * esize);
  if (esize == 8) return load<u64>(p);
  if (esize == 4) return <u64>load<u32>(p);
  if (esize == 2) return <u64>load<u16>(p);
  return <u64>load<u8>(p);
}
@inline export function setVelem(n: u32, idx: u32, esize: u32, v: u64): void {
  const p = vaddr(n) + <usize>(idx * esize);
  if (esize == 8) store<u64>(p, v);
  else if (esize == 4) store<u32>(p, <u32>v);
  else if (esize == 2) store<u16>(p, <u16>v);
  else store<u8>(p, <u8>v);
}

// Scalar write: the low esize bytes get v, everything above is zeroed.
export function setVscalar(n: u32, esize: u32, v: u64): void {
  const p = vaddr(n);
  store<u64>(p, esize == 8 ? v : (v & ((<u64>1 << (esize * 8)) - 1)));
  store<u64>(p + 8, 0);
}

export function resetSimd(): void {
  memory.fill(VREGS, 0, 512);
  fpcr = 0;
  fpsr = 0;
}
