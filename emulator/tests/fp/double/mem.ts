// Test double for ../mem: a flat little-endian window of guest memory at
// [BASE, BASE + SIZE); any access outside it (even partly) faults, as a
// translation fault would: memFault is set and nothing is transferred.

export const BASE: u64 = 0x1000_0000;
export const SIZE: u32 = 1 << 20;
export const MEM: usize = memory.data(1 << 20, 16);
export let memFault: bool = false;
export let faultCount: u32 = 0;

function ok(va: u64, n: u32): bool {
  if (va < BASE || va - BASE > <u64>(SIZE - n)) { memFault = true; faultCount++; return false; }
  memFault = false;
  return true;
}
@inline function p(va: u64): usize { return MEM + <usize>(va - BASE); }
export function clearFault(): void { memFault = false; }

export function ld8(va: u64): u32 { return ok(va, 1) ? <u32>load<u8>(p(va)) : 0; }
export function ld16(va: u64): u32 { return ok(va, 2) ? <u32>load<u16>(p(va)) : 0; }
export function ld32(va: u64): u32 { return ok(va, 4) ? load<u32>(p(va)) : 0; }
export function ld64(va: u64): u64 { return ok(va, 8) ? load<u64>(p(va)) : 0; }
export function st8(va: u64, v: u32): void { if (ok(va, 1)) store<u8>(p(va), <u8>v); }
export function st16(va: u64, v: u32): void { if (ok(va, 2)) store<u16>(p(va), <u16>v); }
export function st32(va: u64, v: u32): void { if (ok(va, 4)) store<u32>(p(va), v); }
export function st64(va: u64, v: u64): void { if (ok(va, 8)) store<u64>(p(va), v); }
