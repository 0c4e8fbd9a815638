// Test double for ../cpu (the core's module) used only by the FP/SIMD unit
// tests: the SIMD sources are copied next to this file at build time so
// `import ... from "../cpu"` resolves here. Same signatures as the core's.

export const XREGS: usize = memory.data(32 * 8, 16);
export let sp: u64 = 0;
export let nzcv: u32 = 0;
export let undefCount: u32 = 0;
export let pcValue: u64 = 0x40_0000;

export function xreg(n: u32): u64 { return n == 31 ? 0 : load<u64>(XREGS + (<usize>n << 3)); }
export function setXreg(n: u32, v: u64): void { if (n != 31) store<u64>(XREGS + (<usize>n << 3), v); }
export function xregSP(n: u32): u64 { return n == 31 ? sp : load<u64>(XREGS + (<usize>n << 3)); }
export function setXregSP(n: u32, v: u64): void { if (n == 31) sp = v; else store<u64>(XREGS + (<usize>n << 3), v); }
export function curPC(): u64 { return pcValue; }
export function setPC(v: u64): void { pcValue = v; }
export function getNZCVFlags(): u32 { return nzcv; }
export function setNZCVFlags(v: u32): void { nzcv = v & 0xf000_0000; }
export function undefinedInsn(insn: u32): void { undefCount++; }
export function checkFpEnabled(): bool { return true; }
