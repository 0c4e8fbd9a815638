// Memory system: guest RAM, the physical bus (RAM, GIC, host MMIO), the
// stage-1 MMU (4 KiB granule, TTBR0/TTBR1, levels 0-3) and a direct-mapped
// software TLB. Every virtual access from an instruction goes through
// readMem/writeMem (or the ld*/st* wrappers the SIMD module uses): they
// translate, check permissions and alignment for the current EL, and on a
// fault take the guest exception and set memFault. Handlers must then return
// without writing registers.
//
// TLB invariant: an entry caches the result of one successful walk for one
// 4 KiB VA page (permission bits for both ELs); it is flushed by TLBI and by
// any write to SCTLR/TCR/TTBR0/TTBR1/MAIR, so it never outlives its tables.

import * as S from "./state";
import { takeDataAbort, takeInsnAbort } from "./cpu";
import { gicRead, gicWrite } from "./gic";
import * as D from "./debug";
import { codeBit, noteWrite } from "./jit";

@external("env", "mmioRead")
declare function mmioRead(addr: u32, size: u32): u32;
@external("env", "mmioWrite")
declare function mmioWrite(addr: u32, size: u32, value: u32): void;

export const RAM_BASE: u64 = 0x4000_0000;
export let ramBase: usize = 0;   // host pointer of guest RAM
export let ramBytes: u64 = 0;

export let memFault: bool = false;

// Guest RAM is taken straight from memory.grow, past everything the module
// already has (its static data: registers, TLB, tables), not from the
// allocator: AssemblyScript's allocators refuse blocks of 1 GiB and more. The
// core allocates nothing else, ever (the stub runtime's bump pointer stays
// inside the initial memory), so nothing can land in RAM. A wasm32 memory has
// at most 65536 pages (4 GiB): RAM can be up to 4 GiB minus the initial
// memory. Freshly grown memory is zero and, in the engines we run on, only
// reserved, not committed: untouched guest RAM costs no host memory.
// Returns false (nothing changed) if the engine refuses to grow.
export function allocRam(bytes: u32): bool {
  if (ramBase == 0) {
    const pages = <i32>(bytes >>> 16);
    const before = memory.grow(pages);
    if (before < 0) return false;
    ramBase = <usize>before << 16;
    ramBytes = bytes;
    return true;
  } else if (<u64>bytes != ramBytes) {
    // RAM is allocated once per instance; a different size needs a new instance.
    abort("init: RAM size cannot change after the first init");
  }
  memory.fill(ramBase, 0, <usize>bytes);
  return true;
}

// ---- physical bus ---------------------------------------------------------

const GIC_BASE: u64 = 0x0800_0000;
const GIC_END: u64 = 0x0802_0000;

@inline export function isRam(pa: u64): bool {
  return pa - RAM_BASE < ramBytes;
}

export function physRead(pa: u64, size: u32): u64 {
  if (pa - RAM_BASE < ramBytes) {
    const p = ramBase + <usize>(pa - RAM_BASE);
    if (size == 8) return load<u64>(p);
    if (size == 4) return <u64>load<u32>(p);
    if (size == 2) return <u64>load<u16>(p);
    return <u64>load<u8>(p);
  }
  if (size == 8) return physRead(pa, 4) | (physRead(pa + 4, 4) << 32);
  if (pa >= GIC_BASE && pa < GIC_END) return <u64>gicRead(<u32>(pa - GIC_BASE), size);
  if (pa >> 32 != 0) return 0;
  return <u64>mmioRead(<u32>pa, size);
}

export function physWrite(pa: u64, size: u32, v: u64): void {
  if (pa - RAM_BASE < ramBytes) {
    const p = ramBase + <usize>(pa - RAM_BASE);
    noteWrite(pa); // translated code on this page is dropped (jit.ts)
    if (size == 8) store<u64>(p, v);
    else if (size == 4) store<u32>(p, <u32>v);
    else if (size == 2) store<u16>(p, <u16>v);
    else store<u8>(p, <u8>v);
    return;
  }
  if (size == 8) { physWrite(pa, 4, v & 0xffffffff); physWrite(pa + 4, 4, v >> 32); return; }
  if (pa >= GIC_BASE && pa < GIC_END) { gicWrite(<u32>(pa - GIC_BASE), size, <u32>v); return; }
  if (pa >> 32 != 0) return;
  mmioWrite(<u32>pa, size, <u32>v);
}

// ---- access kinds and flags -------------------------------------------------

export const ACC_READ: u32 = 0;
export const ACC_WRITE: u32 = 1;
export const ACC_EXEC: u32 = 2;

export const F_UNPRIV: u32 = 1;   // LDTR/STTR: check as EL0
export const F_ALIGN: u32 = 2;    // exclusive / acquire-release: must be aligned to size
export const F_CM: u32 = 4;       // cache maintenance (DC ZVA reports as write, CM=0)
export const F_NOFAULT: u32 = 8;  // AT: translate only, report in walkFault

// ---- TLB -------------------------------------------------------------------

const TLB_BITS: u32 = 9;
const TLB_SIZE: u32 = 1 << TLB_BITS;
// entry (128 bytes): tag u64 (vpage+1, 0 = empty), pa page u64, perms u32, host u32 (RAM page in
// linear memory, 0 = not RAM or watched), then the translator's comparators (jitTags), u64
// pairs (aligned access, any alignment) at 24 EL1 read, 40 EL1 write, 56 EL0 read, 72 EL0
// write, and u32 at 88 the addend (host - VA of the page, mod 2^32)
const TLB_ENTRY: u32 = 128;
const TLB: usize = memory.data(<i32>(TLB_SIZE * TLB_ENTRY), 64);

// permission bits in an entry
const P_R1: u32 = 1, P_W1: u32 = 2, P_X1: u32 = 4, P_R0: u32 = 8, P_W0: u32 = 16, P_X0: u32 = 32;
const P_DEV: u32 = 64;
export const P_CODE: u32 = 128; // the page holds translated code: stores leave the fast path (jit.ts)
// bits 8..9: level of the final descriptor (for permission faults)

export let tlbGen: u32 = 0; // bumped on every flush, so fetch caches can notice

// Permission bit the fast paths need for the current EL; 0 while SCTLR.A forces every access
// through the slow path's alignment check. Recomputed on EL change and SCTLR write.
export let fastRd: u32 = P_R1;
export let fastWr: u32 = P_W1;
export function updateFastPerms(): void {
  if ((S.sctlr & 2) != 0) { fastRd = 0; fastWr = 0; return; }
  fastRd = S.curEL == 0 ? P_R0 : P_R1;
  fastWr = S.curEL == 0 ? P_W0 : P_W1;
}

export function tlbFlush(): void {
  memory.fill(TLB, 0, <usize>(TLB_SIZE * TLB_ENTRY));
  tlbGen++;
  codeTag = CODE_NONE;
  updateFastPerms();
}

// for the translator (jit.ts): the TLB's address; mark/unmark pages holding translated code
export function tlbAddr(): usize { return TLB; }
export function tlbMarkCode(pa: u64): void {
  for (let i: u32 = 0; i < TLB_SIZE; i++) {
    const e = TLB + <usize>(i * TLB_ENTRY);
    if (load<u64>(e) != 0 && load<u64>(e, 8) == pa) { store<u32>(e, load<u32>(e, 16) | P_CODE, 16); jitTags(e); }
  }
}
export function tlbClearCode(): void {
  for (let i: u32 = 0; i < TLB_SIZE; i++) {
    const e = TLB + <usize>(i * TLB_ENTRY);
    store<u32>(e, load<u32>(e, 16) & ~P_CODE, 16);
    jitTags(e);
  }
}

// The translator's comparators for entry e, from its tag, perms and host: for each EL and
// direction, and for an aligned access and one of any alignment, the tag (vpage + 1) when
// readMem/writeMem's fast path would take such an access to this page, else 0 (never equal to
// a page number + 1). Translated code compares ((va + size - 1) >> 12) + 1 with the one it
// needs: one compare covers the tag, the access staying in the page, the permission, RAM and
// not watched (host), Device memory only aligned, not translated code (stores) and SCTLR.A
// clear (every SCTLR write flushes the TLB, so the fill's view of SCTLR.A stays right).
function jitTags(e: usize): void {
  const perm = load<u32>(e, 16);
  const host = load<u32>(e, 20);
  const tag = load<u64>(e);
  const t: u64 = tag != 0 && host != 0 && (S.sctlr & 2) == 0 ? tag : 0;
  const tu: u64 = (perm & P_DEV) == 0 ? t : 0; // unaligned: Normal memory only
  const wr = (perm & P_CODE) == 0;
  const r1 = (perm & P_R1) != 0, w1 = wr && (perm & P_W1) != 0;
  const r0 = (perm & P_R0) != 0, w0 = wr && (perm & P_W0) != 0;
  store<u64>(e, r1 ? t : 0, 24); store<u64>(e, r1 ? tu : 0, 32);
  store<u64>(e, w1 ? t : 0, 40); store<u64>(e, w1 ? tu : 0, 48);
  store<u64>(e, r0 ? t : 0, 56); store<u64>(e, r0 ? tu : 0, 64);
  store<u64>(e, w0 ? t : 0, 72); store<u64>(e, w0 ? tu : 0, 80);
  store<u32>(e, host - (<u32>(tag - 1) << 12), 88);
}

// walk result
export let walkPA: u64 = 0;
export let walkPerm: u32 = 0;
export let walkFaultFSC: u32 = 0;  // 0 = no fault, else DFSC/IFSC
let walkLevel: u32 = 0;

@inline function permFor(kind: u32, el: u32): u32 {
  if (kind == ACC_EXEC) return el == 0 ? P_X0 : P_X1;
  if (kind == ACC_WRITE) return el == 0 ? P_W0 : P_W1;
  return el == 0 ? P_R0 : P_R1;
}

// Translate va (no permission check); fills walkPA/walkPerm or walkFaultFSC.
function walk(va: u64): bool {
  walkFaultFSC = 0;
  const sctlr = S.sctlr;
  if ((sctlr & 1) == 0) {
    // MMU off: flat map, data accesses Device-nGnRnE, everything executable
    if (va >> 48 != 0) { walkLevel = 0; walkFaultFSC = 0x100; return false; }
    walkPA = va & ~<u64>0xfff;
    walkPerm = P_R1 | P_W1 | P_X1 | P_R0 | P_W0 | P_X0 | P_DEV;
    return true;
  }
  const tcr = S.tcr;
  const top = (va >> 55) & 1;
  let tsz: u32, base: u64, epd: u64, tbi: u64;
  if (top == 0) {
    tsz = <u32>(tcr & 0x3f); base = S.ttbr0; epd = (tcr >> 7) & 1; tbi = (tcr >> 37) & 1;
  } else {
    tsz = <u32>((tcr >> 16) & 0x3f); base = S.ttbr1; epd = (tcr >> 23) & 1; tbi = (tcr >> 38) & 1;
  }
  if (tsz < 16) tsz = 16;
  if (tsz > 39) tsz = 39;
  const inputSize = 64 - tsz;
  // bits above inputSize must all equal `top` (bits 63..56 ignored with TBI)
  const hiBits = tbi != 0 ? 56 - inputSize : 64 - inputSize;
  let hiv: u64 = (va >> <u64>inputSize);
  if (tbi != 0) hiv &= (<u64>1 << <u64>(56 - inputSize)) - 1;
  const want: u64 = top == 0 ? 0 : (<u64>1 << <u64>hiBits) - 1;
  if (hiv != want || epd != 0) { walkLevel = 0; walkFaultFSC = 0x04; return false; }
  const startLevel: u32 = 4 - (inputSize - 12 + 8) / 9;
  let level = startLevel;
  let table: u64 = base & 0x0000_ffff_ffff_fff8;
  let apTable: u64 = 0, pxnTable: u64 = 0, uxnTable: u64 = 0;
  let desc: u64 = 0;
  while (true) {
    const shift = <u64>(12 + 9 * (3 - level));
    let idx = (va >> shift) & 0x1ff;
    if (level == startLevel) {
      const bitsHere = inputSize - <u32>shift;
      if (bitsHere < 9) idx &= (<u64>1 << <u64>bitsHere) - 1;
    }
    const da = table + idx * 8;
    desc = physRead(da, 8);
    if ((desc & 1) == 0) { walkLevel = level; walkFaultFSC = 0x04 + level; return false; }
    if (level < 3 && (desc & 2) != 0) {
      apTable |= (desc >> 61) & 3;
      pxnTable |= (desc >> 59) & 1;
      uxnTable |= (desc >> 60) & 1;
      table = desc & 0x0000_ffff_ffff_f000;
      level++;
      continue;
    }
    if (level == 3 && (desc & 2) == 0) { walkLevel = level; walkFaultFSC = 0x04 + level; return false; }
    if (level == 0) { walkLevel = 0; walkFaultFSC = 0x04; return false; }
    break;
  }
  const blockShift = <u64>(12 + 9 * (3 - level));
  const oaMask: u64 = 0x0000_ffff_ffff_ffff & ~((<u64>1 << blockShift) - 1);
  walkPA = (desc & oaMask) | (va & ((<u64>1 << blockShift) - 1) & ~<u64>0xfff);
  walkLevel = level;
  if ((desc & (1 << 10)) == 0) { walkFaultFSC = 0x08 + level; return false; }
  const ap = (desc >> 6) & 3;
  let perm: u32 = 0;
  // AP[1]: EL0 access; AP[2]: read-only
  let el0 = (ap & 1) != 0 && (apTable & 1) == 0;
  let ro = (ap & 2) != 0 || (apTable & 2) != 0;
  perm |= P_R1;
  if (!ro) perm |= P_W1;
  if (el0) { perm |= P_R0; if (!ro) perm |= P_W0; }
  const uxn = ((desc >> 54) & 1) != 0 || uxnTable != 0;
  let pxn = ((desc >> 53) & 1) != 0 || pxnTable != 0;
  if ((perm & P_W0) != 0) pxn = true; // EL0-writable memory is never EL1-executable
  const wxn = (sctlr & (1 << 19)) != 0;
  if (!pxn && !(wxn && (perm & P_W1) != 0)) perm |= P_X1;
  if (!uxn && el0 && !(wxn && (perm & P_W0) != 0)) perm |= P_X0;
  const attrIdx = <u64>((desc >> 2) & 7);
  const attr = (S.mair >> (attrIdx * 8)) & 0xff;
  if ((attr & 0xf0) == 0) perm |= P_DEV;
  perm |= level << 8;
  perm |= <u32>attr << 16;                  // MAIR attribute byte, for PAR_EL1
  perm |= <u32>((desc >> 8) & 3) << 24;     // shareability, for PAR_EL1
  walkPerm = perm;
  return true;
}

// Look up (or fill) the TLB entry for va; returns the entry pointer or 0 on a
// translation/access-flag fault (walkFaultFSC set, walkLevel valid).
function tlbEntry(va: u64): usize {
  const vpage = va >> 12;
  const e = TLB + <usize>((<u32>vpage & (TLB_SIZE - 1)) * TLB_ENTRY);
  if (load<u64>(e) == vpage + 1) return e;
  if (!walk(va)) return 0;
  store<u64>(e, vpage + 1);
  store<u64>(e, walkPA, 8);
  store<u32>(e, walkPerm | codeBit(walkPA), 16);
  const fast = isRam(walkPA) && !(S.debugWatch && D.pageWatched(va));
  store<u32>(e, fast ? <u32>(ramBase + <usize>(walkPA - RAM_BASE)) : 0, 20);
  jitTags(e);
  return e;
}

// ---- fault delivery -----------------------------------------------------------

function fault(va: u64, kind: u32, fsc: u32, flags: u32): void {
  memFault = true;
  if (kind == ACC_EXEC) takeInsnAbort(va, fsc);
  else takeDataAbort(va, fsc, kind == ACC_WRITE, (flags & F_CM) != 0);
}

// Translate one access that does not cross a page. Returns the PA, or sets
// memFault (after taking the exception) and returns 0.
export let lastDev: bool = false;
let lastPerm: u32 = 0;
export function translate(va: u64, size: u32, kind: u32, flags: u32): u64 {
  let el = S.curEL;
  if ((flags & F_UNPRIV) != 0) el = 0;
  const e = tlbEntry(va);
  if (e == 0) {
    let fsc = walkFaultFSC;
    if (fsc == 0x100) fsc = 0; // address size fault level 0
    if ((flags & F_NOFAULT) != 0) { walkFaultFSC = fsc | 0x200; return 0; }
    fault(va, kind, fsc, flags);
    return 0;
  }
  const perm = load<u32>(e, 16);
  if ((perm & permFor(kind, el)) == 0) {
    const fsc = 0x0c + ((perm >> 8) & 3);
    if ((flags & F_NOFAULT) != 0) { walkFaultFSC = fsc | 0x200; return 0; }
    fault(va, kind, fsc, flags);
    return 0;
  }
  lastDev = (perm & P_DEV) != 0;
  lastPerm = perm;
  if (lastDev && kind != ACC_EXEC && (va & <u64>(size - 1)) != 0) {
    if ((flags & F_NOFAULT) != 0) { walkFaultFSC = 0x21 | 0x200; return 0; }
    fault(va, kind, 0x21, flags);
    return 0;
  }
  walkFaultFSC = 0;
  return load<u64>(e, 8) | (va & 0xfff);
}

export function raiseAlign(va: u64, write: bool): void {
  fault(va, write ? ACC_WRITE : ACC_READ, 0x21, 0);
}

function alignCheck(va: u64, size: u32, flags: u32, kind: u32): bool {
  if ((va & <u64>(size - 1)) == 0) return true;
  if ((flags & F_ALIGN) != 0 || (S.sctlr & 2) != 0) {
    fault(va, kind, 0x21, flags);
    return false;
  }
  return true;
}

// Generic virtual read of 1/2/4/8 bytes (16 for pairs is done as two calls).
@inline export function readMem(va: u64, size: u32, flags: u32): u64 {
  // fast path: TLB hit on a RAM page, within the page, no special flags, permission for the
  // current EL, and either Normal memory or an aligned access (fastRd folds EL and SCTLR.A)
  const vpage = va >> 12;
  const e = TLB + <usize>((<u32>vpage & (TLB_SIZE - 1)) * TLB_ENTRY);
  if (load<u64>(e) == vpage + 1 && flags == 0 && ((va & 0xfff) + <u64>size) <= 0x1000) {
    const perm = load<u32>(e, 16);
    const host = load<u32>(e, 20);
    if ((perm & fastRd) != 0 && host != 0 && ((perm & P_DEV) == 0 || (va & <u64>(size - 1)) == 0)) {
      const p = <usize>host + <usize>(va & 0xfff);
      if (size == 8) return load<u64>(p);
      if (size == 4) return <u64>load<u32>(p);
      if (size == 2) return <u64>load<u16>(p);
      return <u64>load<u8>(p);
    }
  }
  return readSlow(va, size, flags);
}

function readSlow(va: u64, size: u32, flags: u32): u64 {
  if (!alignCheck(va, size, flags, ACC_READ)) return 0;
  if ((va & 0xfff) + <u64>size <= 0x1000) {
    const pa = translate(va, size, ACC_READ, flags);
    if (memFault) return 0;
    if (S.debugWatch && D.checkWatch(va, size, false)) return 0;
    if (pa >> 32 != 0 && !isRam(pa)) { fault(va, ACC_READ, 0x10, flags); return 0; } // nothing decodes there
    return physRead(pa, size);
  }
  // crosses a page: translate both pages first, then read bytewise
  const last = va + <u64>(size - 1);
  const pa0 = translate(va, 1, ACC_READ, flags);
  if (memFault) return 0;
  const pa1 = translate(last & ~<u64>0xfff, 1, ACC_READ, flags);
  if (memFault) return 0; // FAR: the second page's first byte, as QEMU (Linux looks FAR up)
  if (S.debugWatch && D.checkWatch(va, size, false)) return 0;
  let v: u64 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const a = va + <u64>i;
    const pa = (a >> 12) == (va >> 12) ? pa0 + <u64>i : pa1 + (a & 0xfff);
    v |= physRead(pa, 1) << (<u64>i * 8);
  }
  return v;
}

@inline export function writeMem(va: u64, size: u32, v: u64, flags: u32): void {
  const vpage = va >> 12;
  const e = TLB + <usize>((<u32>vpage & (TLB_SIZE - 1)) * TLB_ENTRY);
  if (load<u64>(e) == vpage + 1 && flags == 0 && ((va & 0xfff) + <u64>size) <= 0x1000) {
    const perm = load<u32>(e, 16);
    const host = load<u32>(e, 20);
    if ((perm & fastWr) != 0 && (perm & P_CODE) == 0 && host != 0 && ((perm & P_DEV) == 0 || (va & <u64>(size - 1)) == 0)) {
      const p = <usize>host + <usize>(va & 0xfff);
      if (size == 8) store<u64>(p, v);
      else if (size == 4) store<u32>(p, <u32>v);
      else if (size == 2) store<u16>(p, <u16>v);
      else store<u8>(p, <u8>v);
      return;
    }
  }
  writeSlow(va, size, v, flags);
}

function writeSlow(va: u64, size: u32, v: u64, flags: u32): void {
  if (!alignCheck(va, size, flags, ACC_WRITE)) return;
  if ((va & 0xfff) + <u64>size <= 0x1000) {
    const pa = translate(va, size, ACC_WRITE, flags);
    if (memFault) return;
    if (S.debugWatch && D.checkWatch(va, size, true)) return;
    if (pa >> 32 != 0 && !isRam(pa)) { fault(va, ACC_WRITE, 0x10, flags); return; }
    physWrite(pa, size, v);
    return;
  }
  const last = va + <u64>(size - 1);
  const pa0 = translate(va, 1, ACC_WRITE, flags);
  if (memFault) return;
  const pa1 = translate(last & ~<u64>0xfff, 1, ACC_WRITE, flags);
  if (memFault) return; // FAR: the second page's first byte, as QEMU
  if (S.debugWatch && D.checkWatch(va, size, true)) return;
  for (let i: u32 = 0; i < size; i++) {
    const a = va + <u64>i;
    const pa = (a >> 12) == (va >> 12) ? pa0 + <u64>i : pa1 + (a & 0xfff);
    physWrite(pa, 1, (v >> (<u64>i * 8)) & 0xff);
  }
}

// Check that a whole range (up to one page) is writable before a multi-part
// store (pairs, DC ZVA) so a fault leaves memory unchanged.
export function probeWrite(va: u64, size: u32, flags: u32): bool {
  if (!alignCheck(va, size < 8 ? size : 8, flags, ACC_WRITE)) return false;
  translate(va, 1, ACC_WRITE, flags);
  if (memFault) return false;
  const last = va + <u64>(size - 1);
  if ((last >> 12) != (va >> 12)) {
    translate(last & ~<u64>0xfff, 1, ACC_WRITE, flags);
    if (memFault) return false; // FAR: the second page's first byte, as QEMU
  }
  return true;
}

// ---- instruction fetch: one cached code page -----------------------------------

// codeTag is the VA of the cached page (bits 11:0 zero) or CODE_NONE. The run loop compares it with
// pc & ~0xffc, which keeps bits 1:0: a misaligned pc never matches, and no pc matches CODE_NONE
// (bit 2 set), so a hit means an aligned pc in the cached page. The page is never cached while
// PSTATE.IL is set, so a hit also means IL = 0.
export const CODE_NONE: u64 = 4;
export let codeTag: u64 = CODE_NONE;
export let codeHost: usize = 0;
let codeGen: u32 = 0xffffffff;
let codeEL: u32 = 9;

export function invalidateFetch(): void { codeTag = CODE_NONE; updateFastPerms(); }

// Fetch for an aligned va with PSTATE.IL = 0 (the run loop checks both first). The cached page
// is dropped by tlbFlush() and by every EL change or IL set (invalidateFetch).
@inline export function fetch(va: u64): u32 {
  if ((va & ~<u64>0xffc) == codeTag) {
    return load<u32>(codeHost + <usize>(va & 0xffc));
  }
  return fetchSlow(va);
}

export function fetchSlow(va: u64): u32 {
  if (S.debugBp && D.checkBreak(va)) { memFault = true; return 0; }
  const pa = translate(va, 4, ACC_EXEC, 0);
  if (memFault) return 0;
  if (!isRam(pa)) {
    // executing from outside RAM: external abort on fetch
    memFault = true;
    takeInsnAbort(va, 0x10);
    return 0;
  }
  const host = ramBase + <usize>((pa & ~<u64>0xfff) - RAM_BASE);
  if (S.pstateIL == 0 && !S.debugBp) {
    codeTag = va & ~<u64>0xfff;
    codeHost = host;
    codeGen = tlbGen;
    codeEL = S.curEL;
  }
  return load<u32>(host + <usize>(va & 0xffc));
}

// Fill the fetch page cache for va without side effects (no exception on a fault; the
// translator's dispatcher uses it before looking a block up). True if the page is now cached.
export function fetchProbe(va: u64): bool {
  if (((<u32>va & 3) | S.pstateIL) != 0 || S.debugBp) return false; // breakpoints: every fetch checked
  const pa = translate(va, 4, ACC_EXEC, F_NOFAULT);
  if ((walkFaultFSC & 0x200) != 0 || !isRam(pa)) { walkFaultFSC = 0; return false; }
  codeTag = va & ~<u64>0xfff;
  codeHost = ramBase + <usize>((pa & ~<u64>0xfff) - RAM_BASE);
  codeGen = tlbGen;
  codeEL = S.curEL;
  return true;
}

// ---- SIMD/FP engineer interface --------------------------------------------------

export function ld8(va: u64): u32 { return <u32>readMem(va, 1, 0); }
export function ld16(va: u64): u32 { return <u32>readMem(va, 2, 0); }
export function ld32(va: u64): u32 { return <u32>readMem(va, 4, 0); }
export function ld64(va: u64): u64 { return readMem(va, 8, 0); }
export function st8(va: u64, v: u32): void { writeMem(va, 1, <u64>v, 0); }
export function st16(va: u64, v: u32): void { writeMem(va, 2, <u64>v, 0); }
export function st32(va: u64, v: u32): void { writeMem(va, 4, <u64>v, 0); }
export function st64(va: u64, v: u64): void { writeMem(va, 8, v, 0); }

// AT S1E1R/W, S1E0R/W: fill PAR_EL1 without taking an exception
export function atTranslate(va: u64, write: bool, el0: bool): void {
  const pa = translate(va, 1, write ? ACC_WRITE : ACC_READ, F_NOFAULT | (el0 ? F_UNPRIV : 0));
  if ((walkFaultFSC & 0x200) != 0) {
    S.par = 1 | (<u64>(walkFaultFSC & 0x3f) << 1) | (<u64>1 << 11);
  } else {
    // PAR_EL1 success format: PA, ATTR = the MAIR byte (Device-nGnRnE with the MMU off),
    // SH (Device memory always reads as outer shareable)
    const attr = <u64>((lastPerm >> 16) & 0xff);
    const sh: u64 = lastDev ? 2 : <u64>((lastPerm >> 24) & 3);
    S.par = (pa & 0x0000_ffff_ffff_f000) | (attr << 56) | (sh << 7);
  }
}
