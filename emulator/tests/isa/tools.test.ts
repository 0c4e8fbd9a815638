// The comparison machinery's own failure paths: tools, loader and the mismatch report.
import { describe, expect, it } from 'vitest';
import { diffRecords } from './compare.ts';
import { loadElf } from './emu.ts';
import { R_HEADER, R_NZCV, WINDOW, WINDOW_SIZE, buildBatchSources } from './harness.ts';
import { Rng, randomState } from './random.ts';
import { buildElf, disassemble, toolsAvailable } from './tools.ts';
import type { Case } from './campaign.ts';

const missing = toolsAvailable();

describe.skipIf(missing !== null)(`ISA tools${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  it('disassemble: valid words get their text, invalid ones null, in input order', () => {
    expect(disassemble([0x8b020020, 0xffffffff, 0x00000000, 0x9bc27c20])).toEqual(['add x0, x1, x2', null, 'udf #0', 'umulh x0, x1, x2']);
  });

  it('buildElf: an assembler error is reported with the offending line', () => {
    const rng = new Rng(1);
    const c: Case = { cls: 't', id: 't', asm: ['add x0, x1, #bogus'], words: [], dis: [], state: randomState(rng, {}) };
    const { asm, blocks } = buildBatchSources([c]);
    expect(() => buildElf(asm, blocks)).toThrow(/buildElf: .*error.*\n.*add x0, x1, #bogus/);
  });
});

describe('ISA emulator loader', () => {
  it('rejects an image that is not an AArch64 ELF and writes nothing', () => {
    const ram = new Uint8Array(4096);
    const bad = Buffer.alloc(64);
    bad.write('\x7fELF', 0, 'latin1');
    bad[4] = 2;
    bad[5] = 1;
    bad.writeUInt16LE(62, 18); // x86-64
    expect(() => loadElf(ram, bad)).toThrow(/not a little-endian ELF64 AArch64 image/);
    expect(() => loadElf(ram, Buffer.from('not an elf at all, not at all'))).toThrow(/not a little-endian ELF64/);
    expect(ram.every((b) => b === 0)).toBe(true);
  });
});

describe('ISA mismatch report', () => {
  const rng = new Rng(2);
  const state = randomState(rng, { data: true });
  const c = { cls: 'dp-addsub-imm', id: 'dp-addsub-imm#7@1', asm: [], words: [0x91000420], dis: ['add x0, x1, #1'], state };
  const rec = () => Buffer.alloc(R_HEADER + WINDOW_SIZE);

  it('equal records are no mismatch; both faulting alike is no mismatch', () => {
    expect(diffRecords(c, { record: rec() }, { record: rec() })).toBeNull();
    expect(diffRecords(c, { fault: 'SIGILL' }, { fault: 'SIGILL (vector 0x8 ESR 0x2000000)' })).toBeNull();
  });

  it('one line with encoding, disassembly, inputs and every differing output', () => {
    const a = rec();
    const b = rec();
    b.writeBigUInt64LE(5n, 0); // x0
    b.writeUInt32LE(0x40000000, R_NZCV); // Z
    b[R_HEADER + 0x20] = 0xaa; // one data byte
    const m = diffRecords(c, { record: a }, { record: b });
    expect(m).not.toBeNull();
    const line = m!.line;
    expect(line).not.toContain('\n');
    expect(line).toContain('[dp-addsub-imm] dp-addsub-imm#7@1 | 91000420 "add x0, x1, #1" | in: x0=0x');
    expect(line).toContain(`x1=0x${BigInt.asUintN(64, state.x[1]).toString(16).padStart(16, '0')}`);
    expect(line).toContain('x0 qemu=0x0000000000000000 emu=0x0000000000000005');
    expect(line).toContain('nzcv qemu=nzcv emu=nZcv');
    expect(line).toContain(`mem[0x${(WINDOW + 0x20).toString(16)}..+1] qemu=00 emu=aa`);
  });

  it('a fault on one side only is reported with both outcomes', () => {
    const m = diffRecords(c, { record: rec() }, { fault: 'SIGILL (vector 0x8 ESR 0x2000000 undefined 0x91000420)' });
    expect(m!.line).toMatch(/outcome: qemu=completed emu=SIGILL \(vector 0x8/);
    const n = diffRecords(c, { fault: 'SIGBUS' }, { fault: 'SIGSEGV (vector 0x8)' });
    expect(n!.line).toMatch(/outcome: qemu=SIGBUS emu=SIGSEGV/);
  });
});
