// The test image: one static AArch64 ELF that runs unchanged under qemu-aarch64 (Linux user mode)
// and in our emulator core (EL0 under an identity map built by the host, see emu.ts).
//
// A batch holds many cases. Each case = an input block (registers, flags, FPCR, optional V
// registers, optional data window) and a code snippet. The fixed harness code below loops:
//   next_case: copy the block's data window into WINDOW, load V, FPCR, FPSR, NZCV, SP, x0-x29
//              from the block, then `br` to the snippet (the snippet loads x30 from a PC-relative
//              literal, because by then no other register is free),
//   snippet:   the instruction(s) under test, then `msr tpidr_el0, x30; b save_all`,
//   save_all:  store x0-x30, SP, NZCV, FPSR (+ V0-V31, + the window) into OUT and write(1, OUT, n).
// So every case yields one record on stdout (qemu) or one SVC trap (emulator). A case that
// faults kills qemu: the runner restarts the image at the next case (argv[1] = start index).
//
// Memory map (all inside the emulator's RAM window 0x4000_0000 + 128 MiB):
//   VECTORS 0x4000_0000  EL1 vector table, only used by the emulator (every entry is BRK #0x1nn)
//   TEXT    0x4020_0000  harness + snippets
//   CTL     0x4040_0000  counter, ncases, &next_case; WINDOW (+0x1000), OUT (+0x2000),
//                        case table (+0x3000, 16 bytes per case: snippet, block), then blocks.

export const VECTORS = 0x4000_0000;
export const TEXT = 0x4020_0000;
export const CTL = 0x4040_0000;
export const WINDOW = CTL + 0x1000;
export const WINDOW_SIZE = 1024;
export const OUT = CTL + 0x2000;
export const TABLE = CTL + 0x3000;

// Input block layout (little-endian u64 slots).
export const B_X = 0; // x0..x30, 31 slots (x30 is also emitted as the snippet literal)
export const B_SP = 248;
export const B_NZCV = 256;
export const B_FPCR = 264;
export const B_FPSR = 272;
export const B_OFFV = 280; // offset of the 512-byte V block from the block start, 0 = none
export const B_OFFD = 288; // offset of the WINDOW_SIZE-byte data block, 0 = none
export const B_CODE = 296; // filled in at run time with the snippet address
export const B_HEADER = 304;

// Output record layout: x0..x30, SP, NZCV, FPSR, then V0-V31 (if the case has V), then the
// window (if the case has data).
export const R_X = 0;
export const R_SP = 248;
export const R_NZCV = 256;
export const R_FPSR = 264;
export const R_HEADER = 272;

export interface CaseState {
  x: bigint[]; // 31 values
  sp: bigint;
  nzcv: number; // bits 31..28
  fpcr: number;
  fpsr: number;
  v: Uint8Array | null; // 512 bytes: V0..V31, 16 bytes each, little-endian
  data: Uint8Array | null; // WINDOW_SIZE bytes
}

export interface TestCase {
  cls: string; // instruction class, the unit of per-class reporting
  asm: string[]; // snippet lines (`.inst 0x...` for random cases, assembly for directed ones)
  words: number[]; // encodings for random cases (empty for directed ones)
  state: CaseState;
}

export function recordSize(c: TestCase): number {
  return R_HEADER + (c.state.v ? 512 : 0) + (c.state.data ? WINDOW_SIZE : 0);
}

function xLoads(): string {
  const l: string[] = [];
  for (let i = 0; i < 30; i += 2) l.push(`\tldp x${i}, x${i + 1}, [x30, #${i * 8}]`);
  return l.join('\n');
}
function xStores(): string {
  const l: string[] = [];
  for (let i = 0; i < 30; i += 2) l.push(`\tstp x${i}, x${i + 1}, [x30, #${i * 8}]`);
  return l.join('\n');
}
function qLoads(reg: string): string {
  const l: string[] = [];
  for (let i = 0; i < 32; i += 2) l.push(`\tldp q${i}, q${i + 1}, [${reg}], #32`);
  return l.join('\n');
}
function qStores(reg: string): string {
  const l: string[] = [];
  for (let i = 0; i < 32; i += 2) l.push(`\tstp q${i}, q${i + 1}, [${reg}], #32`);
  return l.join('\n');
}

// The fixed part of the image. Registers are all free at next_case and in save_all.
export function harnessAsm(ncases: number): string {
  const vec: string[] = [];
  for (let i = 0; i < 16; i++) vec.push(`\t.p2align 7\n\tbrk #${0x100 + i}`);
  return `
	.section .vectors, "ax"
	.p2align 11
vectors:
${vec.join('\n')}

	.text
	.globl _start
_start:
	// optional argv[1]: decimal index of the first case (restart after a faulting case)
	ldr x0, [sp]
	adrp x5, ctl
	add x5, x5, :lo12:ctl
	cmp x0, #2
	b.lt next_case
	ldr x1, [sp, #16]
	mov x2, #0
	mov x4, #10
.Lparse:
	ldrb w3, [x1], #1
	cbz w3, .Lparsed
	sub w3, w3, #48
	madd x2, x2, x4, x3
	b .Lparse
.Lparsed:
	str x2, [x5]
next_case:
	adrp x5, ctl
	add x5, x5, :lo12:ctl
	ldp x0, x1, [x5]
	cmp x0, x1
	b.hs .Ldone
	adrp x2, table
	add x2, x2, :lo12:table
	add x2, x2, x0, lsl #4
	ldp x3, x30, [x2]
	str x3, [x30, #${B_CODE}]
	ldr x4, [x30, #${B_OFFD}]
	cbz x4, .Lnodata
	add x4, x30, x4
	adrp x6, window
	add x6, x6, :lo12:window
	mov x7, #${WINDOW_SIZE}
.Lcopyin:
	ldp x8, x9, [x4], #16
	stp x8, x9, [x6], #16
	subs x7, x7, #16
	b.ne .Lcopyin
.Lnodata:
	ldr x4, [x30, #${B_OFFV}]
	cbz x4, .Lnov
	add x4, x30, x4
${qLoads('x4')}
.Lnov:
	clrex
	ldr x0, [x30, #${B_FPCR}]
	msr fpcr, x0
	ldr x0, [x30, #${B_FPSR}]
	msr fpsr, x0
	ldr x0, [x30, #${B_SP}]
	mov sp, x0
	ldr x0, [x30, #${B_NZCV}]
	msr nzcv, x0
${xLoads()}
	ldr x30, [x30, #${B_CODE}]
	br x30

save_all:
	adrp x30, out
	add x30, x30, :lo12:out
${xStores()}
	mrs x0, tpidr_el0
	str x0, [x30, #240]
	mov x0, sp
	str x0, [x30, #${R_SP}]
	mrs x0, nzcv
	str x0, [x30, #${R_NZCV}]
	mrs x0, fpsr
	str x0, [x30, #${R_FPSR}]
	adrp x5, ctl
	add x5, x5, :lo12:ctl
	ldr x0, [x5]
	adrp x2, table
	add x2, x2, :lo12:table
	add x2, x2, x0, lsl #4
	ldr x3, [x2, #8]
	add x4, x30, #${R_HEADER}
	ldr x6, [x3, #${B_OFFV}]
	cbz x6, .Lsnov
${qStores('x4')}
.Lsnov:
	ldr x6, [x3, #${B_OFFD}]
	cbz x6, .Lsnod
	adrp x6, window
	add x6, x6, :lo12:window
	mov x7, #${WINDOW_SIZE}
.Lcopyout:
	ldp x8, x9, [x6], #16
	stp x8, x9, [x4], #16
	subs x7, x7, #16
	b.ne .Lcopyout
.Lsnod:
	mov x0, #1
	mov x1, x30
	sub x2, x4, x30
	mov x19, x2
	mov x8, #64
	svc #0
	cmp x0, x19
	b.ne .Lwritefail
	ldr x0, [x5]
	add x0, x0, #1
	str x0, [x5]
	b next_case
.Lwritefail:
	mov x0, #2
	mov x8, #93
	svc #0
.Ldone:
	mov x0, #0
	mov x8, #93
	svc #0

	.data
ctl:
	.quad 0, ${ncases}, next_case
	.org 0x1000
window:
	.org 0x2000
out:
	.org 0x3000
table:
`;
}

export const LINKER_SCRIPT = `ENTRY(_start)
SECTIONS {
  . = 0x${VECTORS.toString(16)};
  .vectors : { *(.vectors) }
  . = 0x${TEXT.toString(16)};
  .text : { *(.text*) }
  . = 0x${CTL.toString(16)};
  .data : { *(.data*) }
  /DISCARD/ : { *(.comment) }
}
`;

const hex64 = (v: bigint) => '0x' + BigInt.asUintN(64, v).toString(16);

// Serialises the cases into (assembly text, blocks binary).
export function buildBatchSources(cases: TestCase[]): { asm: string; blocks: Buffer } {
  const parts: string[] = [harnessAsm(cases.length)];
  const blockBufs: Buffer[] = [];
  let off = 0;
  const table: string[] = [];
  const code: string[] = ['\t.text'];
  cases.forEach((c, i) => {
    const s = c.state;
    const size = B_HEADER + (s.v ? 512 : 0) + (s.data ? WINDOW_SIZE : 0);
    const b = Buffer.alloc(size);
    for (let r = 0; r < 31; r++) b.writeBigUInt64LE(BigInt.asUintN(64, s.x[r]), B_X + 8 * r);
    b.writeBigUInt64LE(BigInt.asUintN(64, s.sp), B_SP);
    b.writeBigUInt64LE(BigInt(s.nzcv >>> 0), B_NZCV);
    b.writeBigUInt64LE(BigInt(s.fpcr >>> 0), B_FPCR);
    b.writeBigUInt64LE(BigInt(s.fpsr >>> 0), B_FPSR);
    let p = B_HEADER;
    if (s.v) {
      b.writeBigUInt64LE(BigInt(p), B_OFFV);
      b.set(s.v, p);
      p += 512;
    }
    if (s.data) {
      b.writeBigUInt64LE(BigInt(p), B_OFFD);
      b.set(s.data, p);
      p += WINDOW_SIZE;
    }
    blockBufs.push(b);
    table.push(`\t.quad c${i}, blocks+${off}`);
    off += size;
    code.push(`c${i}:\n\tldr x30, .Ll${i}\n${c.asm.map((l) => '\t' + l).join('\n')}\n\tmsr tpidr_el0, x30\n\tb save_all\n\t.p2align 3\n.Ll${i}:\n\t.quad ${hex64(s.x[30])}`);
  });
  parts.push(table.join('\n'));
  parts.push('\t.p2align 4\nblocks:\n\t.incbin "blocks.bin"');
  parts.push(code.join('\n'));
  return { asm: parts.join('\n') + '\n', blocks: Buffer.concat(blockBufs) };
}
