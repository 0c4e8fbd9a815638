// Assembles a small raw guest program with llvm-mc-19 + llvm-objcopy-19 (the
// encodings' oracle), for machine tests that need a CPU but not the kernel.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const haveLlvm =
  spawnSync('llvm-mc-19', ['--version']).status === 0 && spawnSync('llvm-objcopy-19', ['--version']).status === 0;

export function assemble(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'sis-asm-'));
  writeFileSync(join(dir, 'p.s'), source);
  execFileSync('llvm-mc-19', ['-triple=aarch64', '-mattr=+v8a', '-filetype=obj', 'p.s', '-o', 'p.o'], { cwd: dir });
  execFileSync('llvm-objcopy-19', ['-O', 'binary', '-j', '.text', 'p.o', 'p.bin'], { cwd: dir });
  return new Uint8Array(readFileSync(join(dir, 'p.bin')));
}

/** Prints the NUL-terminated string at label `msg` on UART0 (clobbers x1-x3). */
export const PUTS = `
puts:
  mov x1, #0x09000000
1: ldrb w3, [x2], #1
  cbz w3, 2f
  str w3, [x1]
  b 1b
2: ret
`;

export const POWEROFF = `
  movz w0, #0x0008
  movk w0, #0x8400, lsl #16
  hvc #0
`;
