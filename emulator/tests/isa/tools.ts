// Thin wrappers around the oracles' toolchain: llvm-mc (assembler and disassembler), ld.lld and
// qemu-aarch64. Everything is batched: one llvm-mc call per batch, never per case.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINKER_SCRIPT } from './harness.ts';

export const LLVM_MC = process.env.ISA_LLVM_MC ?? 'llvm-mc-19';
export const LD_LLD = process.env.ISA_LD ?? 'ld.lld-19';
export const QEMU = process.env.ISA_QEMU ?? 'qemu-aarch64';
// A v8.0 CPU, so qemu rejects later-architecture encodings just as a v8.0 core must.
export const QEMU_CPU = process.env.ISA_QEMU_CPU ?? 'cortex-a57';
// +crc: CRC32/CRC32C are optional in v8.0 but implemented by both the core and qemu's Cortex-A57.
export const MATTR = '+v8a,+crc';

export function toolsAvailable(): string | null {
  for (const [t, arg] of [[LLVM_MC, '--version'], [LD_LLD, '--version'], [QEMU, '--version']]) {
    try {
      execFileSync(t, [arg], { stdio: 'ignore' });
    } catch {
      return `${t} not found`;
    }
  }
  return null;
}

// Disassembles words in one llvm-mc call. Returns the disassembly per word, or null where
// llvm-mc calls the encoding invalid.
export function disassemble(words: number[]): (string | null)[] {
  if (words.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'isa-dis-'));
  try {
    const lines = words.map((w) => `0x${(w & 255).toString(16)} 0x${((w >>> 8) & 255).toString(16)} 0x${((w >>> 16) & 255).toString(16)} 0x${(w >>> 24).toString(16)}`);
    const f = join(dir, 'w.txt');
    writeFileSync(f, lines.join('\n') + '\n');
    const r = spawnSync(LLVM_MC, ['--disassemble', '-triple=aarch64', `-mattr=${MATTR}`, '--show-encoding', f], { maxBuffer: 1 << 30 });
    if (r.error) throw r.error;
    // Warnings name the input line: "invalid" lines produce no output, "potentially undefined"
    // (SoftFail: should-be-zero/one fields set) ones do. Valid words come out in input order.
    const invalid = new Set<number>();
    const softfail = new Set<number>();
    for (const m of r.stderr.toString().matchAll(/:(\d+):\d+: warning: (invalid|potentially undefined)/g)) (m[2] === 'invalid' ? invalid : softfail).add(Number(m[1]) - 1);
    const outs = r.stdout.toString().split('\n').filter((l) => l.includes('// encoding:'));
    const res: (string | null)[] = new Array(words.length).fill(null);
    let k = 0;
    for (let i = 0; i < words.length; i++) {
      if (invalid.has(i)) continue;
      const m = /^\s*(.*?)\s*\/\/ encoding: \[0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2})\]/.exec(outs[k++] ?? '');
      if (!m) throw new Error(`disassemble: llvm-mc output out of step at word ${i}`);
      const w = (parseInt(m[2], 16) | (parseInt(m[3], 16) << 8) | (parseInt(m[4], 16) << 16) | (parseInt(m[5], 16) << 24)) >>> 0;
      // Non-canonical encodings (reserved fields not as the Arm ARM says they should be) may
      // legitimately behave differently on different implementations: drop them.
      if (softfail.has(i) || w !== words[i] >>> 0) continue;
      res[i] = m[1].replace(/\s+/g, ' ');
    }
    if (k !== outs.length) throw new Error(`disassemble: ${outs.length - k} unmatched llvm-mc output lines`);
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Assembles `asm` (which .incbin's blocks.bin) and links it at the harness addresses.
export function buildElf(asm: string, blocks: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'isa-build-'));
  try {
    writeFileSync(join(dir, 'batch.s'), asm);
    writeFileSync(join(dir, 'blocks.bin'), blocks);
    writeFileSync(join(dir, 'link.ld'), LINKER_SCRIPT);
    try {
      execFileSync(LLVM_MC, ['-triple=aarch64', `-mattr=${MATTR}`, '-filetype=obj', 'batch.s', '-o', 'batch.o'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      execFileSync(LD_LLD, ['-static', '-T', 'link.ld', 'batch.o', '-o', 'batch.elf'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const err = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
      throw new Error(`buildElf: ${err.split('\n').slice(0, 20).join('\n')}`);
    }
    return readFileSync(join(dir, 'batch.elf'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface QemuRun {
  stdout: Buffer;
  code: number | null;
  signal: string | null;
  stderr: string;
}

export function runQemu(elf: string, start: number): Promise<QemuRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(QEMU, ['-cpu', QEMU_CPU, elf, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => chunks.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ stdout: Buffer.concat(chunks), code, signal, stderr: err }));
  });
}

// Assembles one instruction per line and returns each line's encoding (null where llvm-mc
// rejects the line). Used to check the random templates against llvm-mc's assembler.
export function assemble(lines: string[]): (number | null)[] {
  const dir = mkdtempSync(join(tmpdir(), 'isa-asm-'));
  try {
    const f = join(dir, 'a.s');
    writeFileSync(f, lines.join('\n') + '\n');
    const r = spawnSync(LLVM_MC, ['-triple=aarch64', `-mattr=${MATTR}`, '--show-encoding', f], { maxBuffer: 1 << 30 });
    if (r.error) throw r.error;
    const bad = new Set<number>();
    for (const m of r.stderr.toString().matchAll(/:(\d+):\d+: error:/g)) bad.add(Number(m[1]) - 1);
    const outs = r.stdout.toString().split('\n').filter((l) => l.includes('// encoding:'));
    const res: (number | null)[] = [];
    let k = 0;
    for (let i = 0; i < lines.length; i++) {
      if (bad.has(i)) {
        res.push(null);
        continue;
      }
      const m = /encoding: \[0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2})\]/.exec(outs[k++] ?? '');
      if (!m) throw new Error(`assemble: llvm-mc output out of step at line ${i + 1}`);
      res.push((parseInt(m[1], 16) | (parseInt(m[2], 16) << 8) | (parseInt(m[3], 16) << 16) | (parseInt(m[4], 16) << 24)) >>> 0);
    }
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
