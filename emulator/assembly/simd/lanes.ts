// Lane-level helpers shared by the Advanced SIMD handlers (advsimd.ts,
// crypto.ts): field extraction, element reads (zero- or sign-extended) and
// the scratch result register RES that every handler fills and then commits,
// so a destination that is also a source still reads its old value.

import { vaddr, velem } from "./regs";

export const RES: usize = memory.data(16, 16);

@inline export function rd(insn: u32): u32 { return insn & 31; }
@inline export function rn(insn: u32): u32 { return (insn >> 5) & 31; }
@inline export function rm(insn: u32): u32 { return (insn >> 16) & 31; }

@inline export function getE(n: u32, e: u32, es: u32): u64 { return velem(n, e, es); }
@inline export function getSE(n: u32, e: u32, es: u32): i64 {
  const v = velem(n, e, es);
  const sh = <u64>(64 - es * 8);
  return (<i64>(v << sh)) >> <i64>sh;
}
@inline export function setR(e: u32, es: u32, v: u64): void {
  const p = RES + <usize>(e * es);
  if (es == 8) store<u64>(p, v);
  else if (es == 4) store<u32>(p, <u32>v);
  else if (es == 2) store<u16>(p, <u16>v);
  else store<u8>(p, <u8>v);
}
@inline export function emask(es: u32): u64 { return es == 8 ? 0xffff_ffff_ffff_ffff : (<u64>1 << (es * 8)) - 1; }

export function clearRes(): void { store<u64>(RES, 0); store<u64>(RES + 8, 0); }
export function copyToRes(n: u32): void { memory.copy(RES, vaddr(n), 16); }
// Write RES to Vd; bytes = 16 keeps all, 8 zeroes the upper half, and a
// scalar of es bytes zeroes everything above it.
export function commit(d: u32, bytes: u32): void {
  const p = vaddr(d);
  if (bytes >= 16) { memory.copy(p, RES, 16); return; }
  store<u64>(p, bytes == 8 ? load<u64>(RES) : (load<u64>(RES) & ((<u64>1 << (bytes * 8)) - 1)));
  store<u64>(p + 8, 0);
}
