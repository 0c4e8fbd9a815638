// Loads and stores of SIMD&FP registers (every load/store encoding with the
// V bit, bit 26, set): LDR/STR (literal, unsigned offset, pre/post-index,
// unscaled, register offset), LDP/STP/LDNP/STNP of S/D/Q, and the Advanced
// SIMD structure loads/stores LD1-LD4/ST1-ST4 (multiple and single
// structure), LD1R-LD4R, with post-index.
//
// Fault rule (the core's contract): after any access with memFault set the
// guest exception is already taken - return at once, write no register and
// do no base writeback. Loads therefore collect into a scratch copy of the
// registers and commit only when every access succeeded. A faulting store
// may already have written its earlier bytes, as the architecture allows
// for multi-access stores.
//
// Decoding is the table's (emulator/decode/a64.decode, the V_* patterns): each handler
// below is one pattern and sees only allocated encodings. Each first checks that SIMD&FP
// is enabled (CPACR_EL1.FPEN), which traps an allocated instruction.

import { xreg, xregSP, setXregSP, curPC, checkFpEnabled } from "../cpu";
import { ld8, ld16, ld32, ld64, st8, st16, st32, st64, memFault } from "../mem";
import { vaddr } from "./regs";

// 4 registers of scratch, for structure loads.
const SCRATCH: usize = memory.data(64, 16);

function loadElem(va: u64, size: u32, dst: usize): bool {
  if (size == 16) {
    const lo = ld64(va);
    if (memFault) return false;
    const hi = ld64(va + 8);
    if (memFault) return false;
    store<u64>(dst, lo);
    store<u64>(dst + 8, hi);
    return true;
  }
  let v: u64;
  if (size == 8) v = ld64(va);
  else if (size == 4) v = <u64>ld32(va);
  else if (size == 2) v = <u64>ld16(va);
  else v = <u64>ld8(va);
  if (memFault) return false;
  if (size == 8) store<u64>(dst, v);
  else if (size == 4) store<u32>(dst, <u32>v);
  else if (size == 2) store<u16>(dst, <u16>v);
  else store<u8>(dst, <u8>v);
  return true;
}

function storeElem(va: u64, size: u32, src: usize): bool {
  if (size == 16) {
    st64(va, load<u64>(src));
    if (memFault) return false;
    st64(va + 8, load<u64>(src + 8));
    return !memFault;
  }
  if (size == 8) st64(va, load<u64>(src));
  else if (size == 4) st32(va, load<u32>(src));
  else if (size == 2) st16(va, <u32>load<u16>(src));
  else st8(va, <u32>load<u8>(src));
  return !memFault;
}

// Load one scalar of `size` bytes into Vt, zeroing the rest of the register.
function loadScalar(t: u32, va: u64, size: u32): bool {
  store<u64>(SCRATCH, 0);
  store<u64>(SCRATCH + 8, 0);
  if (!loadElem(va, size, SCRATCH)) return false;
  memory.copy(vaddr(t), SCRATCH, 16);
  return true;
}

@inline function sext(v: u64, bits: u32): i64 {
  return (<i64>(v << (64 - bits))) >> (64 - bits);
}

// LDR (literal) S/D/Q
export function V_LDR_lit(insn: u32): void {
  if (!checkFpEnabled()) return;
  const opc = insn >> 30;
  const size: u32 = 4 << opc;
  const off = sext(<u64>((insn >> 5) & 0x7ffff), 19) << 2;
  loadScalar(insn & 31, curPC() + <u64>off, size);
}

// LDP/STP/LDNP/STNP S/D/Q
export function V_PAIR(insn: u32): void {
  if (!checkFpEnabled()) return;
  const opc = insn >> 30;
  const size: u32 = 4 << opc;
  const mode = (insn >> 23) & 3; // 0 non-temporal offset, 1 post, 2 offset, 3 pre
  const load = ((insn >> 22) & 1) != 0;
  const off = sext(<u64>((insn >> 15) & 0x7f), 7) * <i64>size;
  const t = insn & 31, t2 = (insn >> 10) & 31, n = (insn >> 5) & 31;
  const base = xregSP(n);
  const addr = mode == 1 ? base : base + <u64>off;
  if (load) {
    memory.fill(SCRATCH, 0, 32);
    if (!loadElem(addr, size, SCRATCH)) return;
    if (!loadElem(addr + <u64>size, size, SCRATCH + 16)) return;
    memory.copy(vaddr(t), SCRATCH, 16);
    memory.copy(vaddr(t2), SCRATCH + 16, 16);
  } else {
    if (!storeElem(addr, size, vaddr(t))) return;
    if (!storeElem(addr + <u64>size, size, vaddr(t2))) return;
  }
  if (mode == 1 || mode == 3) setXregSP(n, base + <u64>off);
}

// The access size of a single-register form: 1 << size, or 16 for opc 1x (size 00, Q).
@inline function regSize(insn: u32): u32 {
  return ((insn >> 23) & 1) != 0 ? 16 : <u32>1 << (insn >> 30);
}

function single(insn: u32, addr: u64, size: u32): bool {
  const t = insn & 31;
  if (((insn >> 22) & 1) != 0) return loadScalar(t, addr, size);
  return storeElem(addr, size, vaddr(t));
}

// LDR/STR B/H/S/D/Q (unsigned offset)
export function V_LDST_uimm(insn: u32): void {
  if (!checkFpEnabled()) return;
  const size = regSize(insn);
  single(insn, xregSP((insn >> 5) & 31) + <u64>(((insn >> 10) & 0xfff) * size), size);
}

@inline function imm9(insn: u32): u64 { return <u64>sext(<u64>((insn >> 12) & 0x1ff), 9); }

// LDUR/STUR
export function V_LDST_unscaled(insn: u32): void {
  if (!checkFpEnabled()) return;
  single(insn, xregSP((insn >> 5) & 31) + imm9(insn), regSize(insn));
}

export function V_LDST_post(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = (insn >> 5) & 31;
  const base = xregSP(n);
  if (!single(insn, base, regSize(insn))) return;
  setXregSP(n, base + imm9(insn));
}

export function V_LDST_pre(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = (insn >> 5) & 31;
  const addr = xregSP(n) + imm9(insn);
  if (!single(insn, addr, regSize(insn))) return;
  setXregSP(n, addr);
}

// register offset (UXTW, LSL, SXTW, SXTX; S scales by the access size)
export function V_LDST_reg(insn: u32): void {
  if (!checkFpEnabled()) return;
  const size = regSize(insn);
  const option = (insn >> 13) & 7;
  const shift: u32 = ((insn >> 12) & 1) != 0 ? <u32>ctz(size) : 0;
  let m = xreg((insn >> 16) & 31);
  if (option == 2) m &= 0xffff_ffff;
  else if (option == 6) m = <u64>sext(m, 32);
  single(insn, xregSP((insn >> 5) & 31) + (m << shift), size);
}

// Copy registers t..t+count-1 (mod 32) to/from the scratch block.
function gather(t: u32, count: u32): void {
  for (let i: u32 = 0; i < count; i++) memory.copy(SCRATCH + (<usize>i << 4), vaddr((t + i) & 31), 16);
}
function scatter(t: u32, count: u32): void {
  for (let i: u32 = 0; i < count; i++) memory.copy(vaddr((t + i) & 31), SCRATCH + (<usize>i << 4), 16);
}

function postIndex(insn: u32, n: u32, base: u64, bytes: u32): void {
  if (((insn >> 23) & 1) == 0) return;
  const m = (insn >> 16) & 31;
  setXregSP(n, base + (m == 31 ? <u64>bytes : xreg(m)));
}

// LD1-LD4/ST1-ST4 (multiple structures), no offset or post-index
export function V_LDST_multi(insn: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1;
  const load = ((insn >> 22) & 1) != 0;
  const opcode = (insn >> 12) & 15;
  const sizeF = (insn >> 10) & 3;
  let rpt: u32, selem: u32;
  switch (opcode) {
    case 0b0000: rpt = 1; selem = 4; break;
    case 0b0010: rpt = 4; selem = 1; break;
    case 0b0100: rpt = 1; selem = 3; break;
    case 0b0110: rpt = 3; selem = 1; break;
    case 0b0111: rpt = 1; selem = 1; break;
    case 0b1000: rpt = 1; selem = 2; break;
    default: rpt = 2; selem = 1; // 0b1010 (the table has only these opcodes)
  }
  const t = insn & 31, n = (insn >> 5) & 31;
  const ebytes: u32 = 1 << sizeF;
  const elements: u32 = (q != 0 ? 16 : 8) >> sizeF;
  const nregs = rpt * selem;
  const base = xregSP(n);
  let offs: u64 = 0;
  if (load) {
    gather(t, nregs);
    if (q == 0) for (let i: u32 = 0; i < nregs; i++) store<u64>(SCRATCH + (<usize>i << 4) + 8, 0);
  }
  for (let r: u32 = 0; r < rpt; r++) {
    for (let e: u32 = 0; e < elements; e++) {
      for (let s: u32 = 0; s < selem; s++) {
        const slot = SCRATCH + (<usize>(r + s) << 4) + <usize>(e * ebytes);
        if (load) {
          if (!loadElem(base + offs, ebytes, slot)) return;
        } else {
          if (!storeElem(base + offs, ebytes, vaddr((t + r + s) & 31) + <usize>(e * ebytes))) return;
        }
        offs += <u64>ebytes;
      }
    }
  }
  if (load) scatter(t, nregs);
  postIndex(insn, n, base, <u32>offs);
}

// LD1-LD4/ST1-ST4 (single structure), LD1R-LD4R, no offset or post-index
export function V_LDST_single(insn: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1;
  const load = ((insn >> 22) & 1) != 0;
  const R = (insn >> 21) & 1;
  const opcode = (insn >> 13) & 7;
  const S = (insn >> 12) & 1;
  const sizeF = (insn >> 10) & 3;
  let scale = opcode >> 1;
  const selem: u32 = (((opcode & 1) << 1) | R) + 1;
  let index: u32 = 0;
  let replicate = false;
  // the table has only the allocated scale/size/S combinations (replicate: loads, S = 0)
  switch (scale) {
    case 3:
      scale = sizeF;
      replicate = true;
      break;
    case 0: index = (q << 3) | (S << 2) | sizeF; break;
    case 1: index = (q << 2) | (S << 1) | (sizeF >> 1); break;
    default: // 2
      if ((sizeF & 1) == 0) index = (q << 1) | S;
      else { index = q; scale = 3; }
  }
  const t = insn & 31, n = (insn >> 5) & 31;
  const ebytes: u32 = 1 << scale;
  const base = xregSP(n);
  let offs: u64 = 0;
  if (replicate) {
    memory.fill(SCRATCH, 0, 64);
    const lanes: u32 = (q != 0 ? 16 : 8) >> scale;
    for (let s: u32 = 0; s < selem; s++) {
      const slot = SCRATCH + (<usize>s << 4);
      if (!loadElem(base + offs, ebytes, slot)) return;
      for (let e: u32 = 1; e < lanes; e++) memory.copy(slot + <usize>(e * ebytes), slot, ebytes);
      offs += <u64>ebytes;
    }
    scatter(t, selem);
  } else if (load) {
    gather(t, selem);
    for (let s: u32 = 0; s < selem; s++) {
      if (!loadElem(base + offs, ebytes, SCRATCH + (<usize>s << 4) + <usize>(index * ebytes))) return;
      offs += <u64>ebytes;
    }
    scatter(t, selem);
  } else {
    for (let s: u32 = 0; s < selem; s++) {
      if (!storeElem(base + offs, ebytes, vaddr((t + s) & 31) + <usize>(index * ebytes))) return;
      offs += <u64>ebytes;
    }
  }
  postIndex(insn, n, base, <u32>offs);
}
