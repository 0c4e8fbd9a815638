// PMU v3 against QEMU 7.2 cortex-a72: the registers' reset values, writable
// bits (all-ones written, read back, with counting off so every value is
// deterministic), SW_INCR counting with EL filtering, a counter overflowing
// into PMOVSSET and raising the overflow interrupt (PPI 7 = INTID 23 at the
// GIC, seen in ISR_EL1 and GICC_IAR), and the cycle counter counting (and
// counting slower with PMCR.D). One EL1 program, run on both. The exact
// cycle/CNTVCT relation under the virtual clock is checked on the emulator.
import { describe, expect, it } from 'vitest';
import { haveCore } from '../../src/node-files.ts';
import { haveLlvm } from './asm.ts';
import { haveQemuSystem, runOnQemu } from './qemu-run.ts';
import { dumpProgram, label, type RegRead } from './sysreg-dump.ts';
import { runOnEmulator, runOnEmulatorStats } from './emu-run.ts';

const ONES = 'mov x3, #-1\n';
const w = (reg: string, v: string) => `ldr x3, =${v}\n msr ${reg}, x3\n isb\n`;

const READS: RegRead[] = [];
const PMU_REGS = [
  'pmcr_el0', 'pmcntenset_el0', 'pmcntenclr_el0', 'pmovsclr_el0', 'pmovsset_el0', 'pmselr_el0', 'pmceid0_el0',
  'pmceid1_el0', 'pmccntr_el0', 'pmxevtyper_el0', 'pmxevcntr_el0', 'pmuserenr_el0', 'pmintenset_el1',
  'pmintenclr_el1', 'pmccfiltr_el0', 's3_3_c9_c12_4' /* PMSWINC: write-only */, 's3_0_c9_c14_6' /* PMMIR */,
  ...Array.from({ length: 8 }, (_, n) => `pmevcntr${n}_el0`), ...Array.from({ length: 8 }, (_, n) => `pmevtyper${n}_el0`),
];
for (const reg of PMU_REGS) READS.push({ reg, label: `reset ${reg}` });
// writable bits: all ones in, read back (PMCR.E stays 0: write PMCR last)
for (const reg of PMU_REGS.filter((r) => !/pmceid|pmcr|c9_c12_4|c9_c14_6|pmovs|pmcnten|pmxev/.test(r))) {
  READS.push({ reg, before: `${ONES} msr ${reg}, x3\n isb`, label: `ones -> ${reg}` });
}
for (const sel of [0, 5, 6, 30, 31]) {
  READS.push({ reg: 'pmxevtyper_el0', before: w('pmselr_el0', `${sel}`) + `${ONES} msr pmxevtyper_el0, x3`, label: `pmselr ${sel}: ones -> pmxevtyper` });
  READS.push({ reg: 'pmxevcntr_el0', before: `${ONES} msr pmxevcntr_el0, x3`, label: `pmselr ${sel}: ones -> pmxevcntr` });
}
READS.push({ reg: 'pmcntenset_el0', before: `${ONES} msr pmcntenset_el0, x3`, label: 'ones -> pmcntenset' });
READS.push({ reg: 'pmcntenset_el0', before: w('pmcntenclr_el0', '0x80000001'), label: 'pmcntenclr C+P0' });
READS.push({ reg: 'pmovsset_el0', before: `${ONES} msr pmovsset_el0, x3`, label: 'ones -> pmovsset' });
READS.push({ reg: 'pmovsset_el0', before: w('pmovsclr_el0', '0xffffffff'), label: 'pmovsclr all' });
READS.push({ reg: 'pmcr_el0', before: `${ONES} msr pmcr_el0, x3\n` + w('pmcr_el0', '0'), label: 'ones then 0 -> pmcr' });
READS.push({ reg: 'pmccntr_el0', before: w('pmccntr_el0', '0x123456789abcdef0'), label: 'pmccntr write (stopped)' });
READS.push({ reg: 'pmccntr_el0', before: w('pmcr_el0', '4'), label: 'pmcr.C resets pmccntr' });
READS.push({ reg: 'pmevcntr2_el0', before: w('pmevcntr2_el0', '0x1234') + w('pmcr_el0', '2'), label: 'pmcr.P resets event counters' });

// SW_INCR: counters 0 and 1 count PMSWINC writes; counter 1 filtered at EL1 (P bit)
const GIC_ON = `
  mov x9, #0x08000000
  mov w10, #1
  str w10, [x9]
  mov w10, #(1 << 23)
  str w10, [x9, #0x100]
  mov x9, #0x08010000
  mov w10, #1
  str w10, [x9]
  mov w10, #0xff
  str w10, [x9, #4]
`;
READS.push({
  reg: 'pmevcntr0_el0',
  before: w('pmcntenclr_el0', '0xffffffff') + w('pmintenclr_el1', '0xffffffff') + w('pmevtyper0_el0', '0') +
    w('pmevtyper1_el0', '0x80000000') + w('pmevcntr0_el0', '0') + w('pmevcntr1_el0', '0') + w('pmcntenset_el0', '3') +
    w('pmcr_el0', '1') + w('pmswinc_el0', '3') + w('pmswinc_el0', '1') + w('pmswinc_el0', '0xfe'),
  label: 'SW_INCR x2 -> pmevcntr0',
});
READS.push({ reg: 'pmevcntr1_el0', label: 'SW_INCR filtered at EL1 -> pmevcntr1' });
READS.push({ reg: 'pmovsset_el0', label: 'no overflow yet' });
// counter 2 overflows from 0xffffffff: PMOVSSET bit 2, interrupt 23 at the GIC
READS.push({
  reg: 'pmovsset_el0',
  before: GIC_ON + w('pmevtyper2_el0', '0') + w('pmevcntr2_el0', '0xffffffff') + w('pmcntenset_el0', '4') +
    w('pmintenset_el1', '4') + w('pmswinc_el0', '4'),
  label: 'overflow -> pmovsset',
});
READS.push({ reg: 'pmevcntr2_el0', label: 'wrapped counter' });
READS.push({ reg: 'isr_el1', label: 'ISR_EL1 with the overflow interrupt' });
READS.push({ reg: 'tpidr_el1', before: 'mov x9, #0x08010000\n ldr w10, [x9, #0xc]\n msr tpidr_el1, x10\n str w10, [x9, #0x10]', label: 'GICC_IAR' });
READS.push({ reg: 'isr_el1', before: w('pmovsclr_el0', '4'), label: 'ISR_EL1 after PMOVSCLR' });
// the cycle counter counts while enabled, and 64 times slower with PMCR.D
const CYC = (d: boolean, out: number) =>
  w('pmcntenclr_el0', '0xffffffff') + w('pmccfiltr_el0', '0') + w('pmcr_el0', d ? '0xd' : '5') + w('pmcntenset_el0', '0x80000000') +
  `mrs x12, pmccntr_el0\n ldr x13, =20000\n1: subs x13, x13, #1\n b.ne 1b\n mrs x14, pmccntr_el0\n sub x${out}, x14, x12\n` +
  w('pmcntenclr_el0', '0x80000000');
READS.push({ reg: 'tpidr_el1', before: CYC(false, 20) + 'cmp x20, #2000\n cset x15, hi\n msr tpidr_el1, x15', label: 'cycles over 20000 loop rounds > 2000' });
READS.push({ reg: 'tpidr_el1', before: CYC(true, 21) + 'cmp x21, x20\n cset x15, lo\n msr tpidr_el1, x15', label: 'with PMCR.D fewer' });

// the cycle counter's 32-bit overflow (PMCR.LC = 0) raises the interrupt by itself: WFI wakes on it
READS.push({
  reg: 'pmovsset_el0',
  before: w('pmovsclr_el0', '0xffffffff') + w('pmintenclr_el1', '0xffffffff') + w('pmcntenclr_el0', '0xffffffff') +
    w('pmccntr_el0', '0xfffff000') + w('pmintenset_el1', '0x80000000') + w('pmcr_el0', '1') + w('pmcntenset_el0', '0x80000000') +
    'wfi\n',
  label: 'WFI woken by the cycle counter overflow -> pmovsset',
});
READS.push({ reg: 'isr_el1', label: 'ISR_EL1 after the cycle counter overflow' });
READS.push({ reg: 'tpidr_el1', before: 'mrs x9, pmccntr_el0\n lsr x9, x9, #32\n msr tpidr_el1, x9', label: 'pmccntr carried into bit 32' });

describe.skipIf(!haveCore() || !haveLlvm || !haveQemuSystem)('PMU v3 vs QEMU cortex-a72', () => {
  it(`${READS.length} PMU reads after writes, counting and overflow, as QEMU`, async () => {
    const program = dumpProgram(READS);
    const [q, e] = await Promise.all([runOnQemu(program), runOnEmulator(program)]);
    const ql = label(READS, q);
    expect(ql.filter((l) => l.endsWith('(missing)'))).toEqual([]);
    expect(label(READS, e)).toEqual(ql);
    expect(ql).toContain('reset pmcr_el0: 0000000041023000');
    expect(ql).toContain('GICC_IAR: 0000000000000017');
  }, 120_000);

  it('counts 16 cycles per system counter tick, exactly, under the virtual clock', async () => {
    const reads: RegRead[] = [
      {
        reg: 'tpidr_el1',
        before: w('pmccfiltr_el0', '0') + w('pmcr_el0', '5') + w('pmcntenset_el0', '0x80000000') +
          'mrs x10, cntvct_el0\n mrs x11, pmccntr_el0\n mov x13, #1000\n1: subs x13, x13, #1\n b.ne 1b\n' +
          'mrs x12, cntvct_el0\n mrs x14, pmccntr_el0\n sub x12, x12, x10\n sub x14, x14, x11\n msr tpidr_el1, x12\n msr tpidr_el0, x14',
        label: 'ticks',
      },
      { reg: 'tpidr_el0', label: 'cycles' },
    ];
    const out = (await runOnEmulator(dumpProgram(reads))).trim().split('\n').map((l) => BigInt('0x' + l));
    expect(out[0]).toBeGreaterThan(2000n);
    expect(out[1]).toBe(out[0] * 16n);
    // the translator (every block translated at its first visit): the same counts, exactly
    const jit = await runOnEmulatorStats(dumpProgram(reads), 128, { cpu: 'jit', jitThreshold: 1 });
    expect(jit.translated).toBeGreaterThan(0);
    expect(jit.out.trim().split('\n').map((l) => BigInt('0x' + l))).toEqual(out);
  }, 60_000);

  it(`the ${READS.length} reads with --cpu jit: as QEMU and the interpreter, the same instruction count`, async () => {
    const program = dumpProgram(READS);
    const [q, e, i] = await Promise.all([
      runOnQemu(program),
      runOnEmulatorStats(program, 128, { cpu: 'jit', jitThreshold: 1 }),
      runOnEmulatorStats(program, 128, { cpu: 'interp' }),
    ]);
    expect(label(READS, e.out)).toEqual(label(READS, q));
    expect(e.out).toBe(i.out);
    expect(e.instret).toBe(i.instret);
    expect(e.translated).toBeGreaterThan(0);
  }, 120_000);
});
