// Host debugger support (the GDB stub in emulator/src/gdb/): instruction
// breakpoints and data watchpoints set by the host, checked off the hot path.
//
// - Breakpoints: while any is set (S.debugBp), mem.ts does not cache the code
//   page, so every fetch goes through fetchSlow, which calls checkBreak(). A
//   hit stops run() with StopReason.Debug before the instruction executes
//   (PC on it, not counted as retired). debugSkipOnce() lets the next fetch at
//   the current PC through, to continue from a breakpoint.
// - Watchpoints: while any is set (S.debugWatch), TLB entries for pages that
//   overlap one get no host pointer, so their accesses take the slow paths,
//   which call checkWatch(). A hit lets the instruction complete and stops
//   run() after it (as QEMU's gdbstub reports watchpoints), with the address.
// Both compare virtual addresses, as GDB gives them.

import * as S from "./state";
import * as DA from "./debugarch";
import { takeSync, EC_BKPT_LOW, EC_BKPT_CUR, EC_WATCH_LOW, EC_WATCH_CUR, STOP_DEBUG } from "./cpu";
import * as M from "./mem";

// S.debugBp / S.debugWatch: host or guest (debugarch.ts) breakpoints / watchpoints exist
export function refreshDebugFlags(): void {
  S.debugBp = bpCount > 0 || DA.guestBp;
  S.debugWatch = wpCount > 0 || DA.guestWp;
}

const MAX_BP: i32 = 64;
const MAX_WP: i32 = 32;
const BP = new StaticArray<u64>(MAX_BP);
let bpCount: i32 = 0;
const WP_ADDR = new StaticArray<u64>(MAX_WP);
const WP_LEN = new StaticArray<u64>(MAX_WP);
const WP_KIND = new StaticArray<u32>(MAX_WP); // bit0 write, bit1 read
let wpCount: i32 = 0;

export const STOP_BREAK: u32 = 1, STOP_WATCH: u32 = 2;
export let stopKind: u32 = 0;
export let watchHitAddr: u64 = 0;
export let watchHitKind: u32 = 0;
let skipArmed: bool = false;
let skipPC: u64 = 0;

export function addBreak(va: u64): bool {
  for (let i = 0; i < bpCount; i++) if (BP[i] == va) return true;
  if (bpCount >= MAX_BP) return false;
  BP[bpCount++] = va;
  refreshDebugFlags();
  return true;
}

export function removeBreak(va: u64): bool {
  for (let i = 0; i < bpCount; i++) {
    if (BP[i] == va) {
      BP[i] = BP[--bpCount];
      refreshDebugFlags();
      return true;
    }
  }
  return false;
}

// kind: 1 write, 2 read, 3 access
export function addWatch(va: u64, len: u64, kind: u32): bool {
  if (len == 0 || kind == 0 || kind > 3) return false;
  for (let i = 0; i < wpCount; i++) if (WP_ADDR[i] == va && WP_LEN[i] == len && WP_KIND[i] == kind) return true;
  if (wpCount >= MAX_WP) return false;
  WP_ADDR[wpCount] = va; WP_LEN[wpCount] = len; WP_KIND[wpCount] = kind;
  wpCount++;
  refreshDebugFlags();
  return true;
}

export function removeWatch(va: u64, len: u64, kind: u32): bool {
  for (let i = 0; i < wpCount; i++) {
    if (WP_ADDR[i] == va && WP_LEN[i] == len && WP_KIND[i] == kind) {
      wpCount--;
      WP_ADDR[i] = WP_ADDR[wpCount]; WP_LEN[i] = WP_LEN[wpCount]; WP_KIND[i] = WP_KIND[wpCount];
      refreshDebugFlags();
      return true;
    }
  }
  return false;
}

export function clearAll(): void {
  bpCount = 0; wpCount = 0;
  refreshDebugFlags();
  skipArmed = false;
}

export function skipOnce(pc: u64): void { skipArmed = true; skipPC = pc; }

// Called by fetchSlow for every fetch while a breakpoint is set. On a hit
// the run loop must not execute the instruction: the caller sets memFault.
export function checkBreak(va: u64): bool {
  if (skipArmed) {
    skipArmed = false;
    if (va == skipPC) return false;
  }
  for (let i = 0; i < bpCount; i++) {
    if (BP[i] == va) {
      stopKind = STOP_BREAK;
      S.npc = S.pc;          // stay on the instruction
      S.instretCount--;      // the run loop counts this slot; it did not retire
      S.stopReason = STOP_DEBUG; // StopReason.Debug
      S.irqCheck = true;
      return true;
    }
  }
  // the guest's own breakpoints: a Breakpoint exception before the instruction
  if (DA.guestBp && DA.breakpointHit(va)) {
    takeSync(S.curEL == 0 ? EC_BKPT_LOW : EC_BKPT_CUR, 0x22, S.pc);
    return true;
  }
  return false;
}

// True if the 4 KiB page of `va` overlaps a watchpoint (its TLB entry must not be fast).
export function pageWatched(va: u64): bool {
  if (DA.pageWatchedByGuest(va)) return true;
  const lo = va & ~<u64>0xfff, hi = lo + 0x1000;
  for (let i = 0; i < wpCount; i++) {
    if (WP_ADDR[i] < hi && WP_ADDR[i] + WP_LEN[i] > lo) return true;
  }
  return false;
}

// Called by the slow read/write paths while a watchpoint is set. Returns true
// if a guest watchpoint took its exception: the access must not be made.
export function checkWatch(va: u64, size: u32, write: bool): bool {
  if (DA.guestWp && DA.watchpointHit(va, size, write)) {
    S.far = DA.wpHitAddr;
    takeSync(S.curEL == 0 ? EC_WATCH_LOW : EC_WATCH_CUR, (write ? 1 << 6 : 0) | 0x22, S.pc);
    M.memFault = true;
    return true;
  }
  const need: u32 = write ? 1 : 2;
  for (let i = 0; i < wpCount; i++) {
    if ((WP_KIND[i] & need) != 0 && WP_ADDR[i] < va + <u64>size && WP_ADDR[i] + WP_LEN[i] > va) {
      if (S.stopReason < 0) {
        stopKind = STOP_WATCH;
        watchHitAddr = va > WP_ADDR[i] ? va : WP_ADDR[i];
        watchHitKind = WP_KIND[i];
        S.stopReason = STOP_DEBUG; // after this instruction
        S.irqCheck = true;
      }
      return false;
    }
  }
  return false;
}
