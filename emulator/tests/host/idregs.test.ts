// The identification registers as QEMU 7.2's `-M virt -cpu cortex-a72`
// reports them: the whole op0=3, op1=0, CRn=0 space (128 encodings: the
// defined registers, the reserved read-as-zero ones and the UNDEFINED ones),
// CCSIDR for every cache level selected in CSSELR, CLIDR/AIDR/CTR/DCZID and
// the rest of their rows, and the other registers Linux 6.x reads early at
// boot. One EL1 program reads them all on QEMU and on the emulator.
import { describe, expect, it } from 'vitest';
import { haveCore } from '../../src/node-files.ts';
import { runOnEmulator } from './emu-run.ts';
import { haveLlvm } from './asm.ts';
import { haveQemuSystem, runOnQemu } from './qemu-run.ts';
import { dumpProgram, label, type RegRead } from './sysreg-dump.ts';

const READS: RegRead[] = [];
for (let crm = 0; crm < 16; crm++) for (let op2 = 0; op2 < 8; op2++) READS.push({ reg: `s3_0_c0_c${crm}_${op2}` });
for (let level = 0; level < 8; level++) {
  for (let op2 = 0; op2 < 8; op2++) {
    READS.push({ reg: `s3_1_c0_c0_${op2}`, before: `mov x3, #${level}\n msr csselr_el1, x3\n isb`, label: `s3_1_c0_c0_${op2} (csselr ${level})` });
  }
  READS.push({ reg: 'csselr_el1', label: `csselr_el1 after writing ${level}` });
}
for (const op1 of [2, 3]) for (let op2 = 0; op2 < 8; op2++) READS.push({ reg: `s3_${op1}_c0_c0_${op2}` });
// Read by Linux's early boot and cpufeature code besides the ID space.
for (const reg of [
  'cntfrq_el0', 'sctlr_el1', 'actlr_el1', 'cpacr_el1', 'tcr_el1', 'mair_el1', 'currentel', 'midr_el1',
  'mdrar_el1', 'oslsr_el1', 'osdlr_el1', 'mdscr_el1', 'dbgauthstatus_el1', 'dbgclaimclr_el1',
  'isr_el1', 'contextidr_el1', 'tpidr_el1', 'tpidr_el0', 'cntkctl_el1', 'cntv_ctl_el0', 'cntp_ctl_el0',
  'icc_sre_el1', 'icc_pmr_el1', 's3_0_c10_c4_7', 's3_0_c9_c14_6', 'spsr_el1', 'elr_el1', 'vbar_el1',
]) READS.push({ reg });

describe.skipIf(!haveCore() || !haveLlvm || !haveQemuSystem)('ID registers vs QEMU cortex-a72', () => {
  it(`reads ${READS.length} system registers at EL1 exactly as QEMU does`, async () => {
    const program = dumpProgram(READS);
    const [q, e] = await Promise.all([runOnQemu(program), runOnEmulator(program)]);
    const ql = label(READS, q);
    expect(ql.filter((l) => l.endsWith('(missing)'))).toEqual([]);
    expect(label(READS, e)).toEqual(ql);
  }, 120_000);
});
