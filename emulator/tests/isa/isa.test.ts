// Differential instruction tests: the emulator core against qemu-aarch64 (see README.md).
//   ISA_SEED (default 20261126) and ISA_COUNT (random cases, default 110000: about 2 random
//   instructions per case, so at least 200000 random instructions per run) choose the campaign;
//   `npx tsx emulator/tests/isa/campaign.ts` runs bigger ones from the command line.
import { describe, expect, it } from 'vitest';
import { campaign, formatTotals, qemuRunner, randomCases, runCampaign, type Case, type Runner } from './campaign.ts';
import { emuRunner } from './emu.ts';
import { assemble, disassemble, toolsAvailable } from './tools.ts';

const SEED = Number(process.env.ISA_SEED ?? 20261126);
const COUNT = Number(process.env.ISA_COUNT ?? 110000);
const SHOW = 20;
const missingTools = toolsAvailable();

function core(): Runner {
  const r = emuRunner();
  if (typeof r === 'string') throw new Error(`emulator core unavailable: ${r}`);
  return r;
}

describe.skipIf(missingTools !== null)(`ISA differential vs qemu-aarch64${missingTools ? ` (SKIPPED: ${missingTools})` : ''}`, () => {
  it('random templates: every word llvm-mc accepts re-assembles to an equivalent encoding', () => {
    const cases = randomCases(SEED ^ 0x5a5a, 3000);
    const words = cases.flatMap((c) => c.words);
    const dis = cases.flatMap((c) => c.dis);
    expect(words.length).toBeGreaterThan(3000);
    const again = assemble(dis);
    // Non-canonical fields (e.g. logical-immediate immr bits above the element size) are fine
    // when they mean the same instruction: then llvm-mc prints the same text for both words.
    const differing = again.map((w, i) => (w === words[i] ? -1 : i)).filter((i) => i >= 0);
    const redis = disassemble(differing.map((i) => again[i] ?? 0));
    const bad = differing.filter((i, k) => again[i] === null || redis[k] !== dis[i]).map((i) => `${words[i].toString(16)} "${dis[i]}" -> ${again[i]?.toString(16) ?? 'rejected'}`);
    expect(bad, bad.slice(0, SHOW).join('\n')).toEqual([]);
  });

  it('the comparison catches an instruction the emulator gets wrong (self-test)', async () => {
    const emu = core();
    const cases = randomCases(SEED + 1, 600).filter((c) => c.cls.startsWith('dp-') || c.cls.startsWith('simd-'));
    // The emulator is given an image in which the first word of every 10th case has bit 10
    // flipped: each of those cases must be reported, with its encoding and disassembly.
    const target = new Map<number, Case>();
    cases.forEach((c, i) => i % 10 === 0 && target.set(c.words[0], c));
    const mutated: Runner = (elf, path, cs) => {
      const e = Buffer.from(elf);
      for (let o = 0; o + 4 <= e.length; o += 4) if (target.has(e.readUInt32LE(o))) e.writeUInt32LE((e.readUInt32LE(o) ^ 0x400) >>> 0, o);
      return emu(e, path, cs);
    };
    const r = await runCampaign(cases, { qemu: qemuRunner, emu: mutated });
    const caught = new Set(r.mismatches.map((m) => m.id));
    const hitCases = cases.filter((c) => c.words.some((w) => target.has(w)));
    // a flipped bit can leave a result unchanged on these inputs; nearly all must be caught
    expect(caught.size).toBeGreaterThan(hitCases.length * 0.8);
    for (const id of caught) expect(hitCases.some((c) => c.id === id), `unexpected mismatch ${id}`).toBe(true);
    const one = r.mismatches[0].line;
    expect(one).toMatch(/^\[(dp|simd)-[a-z0-9-]+\] \S+ \| [0-9a-f]{8} "[^"]+"/);
    expect(one).toMatch(/ \| (diff: .* qemu=.* emu=|outcome: qemu=)/);
  });

  it(`directed + ${COUNT} random cases (seed ${SEED}): the core matches qemu-aarch64`, async () => {
    const t = await campaign(SEED, COUNT, [], { qemu: qemuRunner, emu: core() });
    console.log(formatTotals(t));
    expect(t.unexpectedQemu, `test generator bugs:\n${t.unexpectedQemu.slice(0, SHOW).join('\n')}`).toEqual([]);
    const perClass = [...t.perClass].filter(([, s]) => s.mismatches).map(([k, s]) => `${k}: ${s.mismatches}/${s.cases}`);
    const total = [...t.perClass.values()].reduce((a, s) => a + s.mismatches, 0);
    expect(total, `${total} mismatches (${perClass.join(', ')}); first ${SHOW}:\n${t.mismatches.slice(0, SHOW).map((m) => m.line).join('\n')}`).toBe(0);
  }, 900_000);
});
