// PSCI against QEMU 7.2 (`-M virt -cpu cortex-a72`, HVC conduit): one EL1
// program makes every call below and prints x0 after each, on QEMU and on
// the emulator; PSCI_FEATURES is asked about every PSCI 1.1 and SMCCC id.
// CPU_SUSPEND is checked to wait for the armed timer; CPU_OFF to stop the
// CPU for good.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine.ts';
import { haveCore, loadCoreModule } from '../../src/node-files.ts';
import { assemble, haveLlvm, PUTS } from './asm.ts';
import { haveQemuSystem, runOnQemu } from './qemu-run.ts';
import { hvcProgram, type HvcCall } from './hvc-probe.ts';
import { runOnEmulator } from './emu-run.ts';

const IDS = [
  0x80000000, 0x80000001, 0x80000002, 0x84000000, 0x84000001, 0xc4000001, 0x84000002, 0x84000003,
  0xc4000003, 0x84000004, 0xc4000004, 0x84000005, 0xc4000005, 0x84000006, 0x84000007, 0xc4000007,
  0x84000008, 0x84000009, 0x8400000a, 0x8400000b, 0x8400000c, 0xc400000c, 0x8400000d, 0xc400000d,
  0x8400000e, 0xc400000e, 0x8400000f, 0x84000010, 0xc4000010, 0x84000011, 0xc4000011, 0x84000012,
  0xc4000012, 0x84000013, 0x84000014, 0xc4000014, 0x84000015, 0x12345678, 0xc2000000, 0x86000000,
];

const GIC_AND_TIMER = `
  mov x9, #0x08000000
  mov w10, #1
  str w10, [x9]
  mov w10, #(1 << 27)
  str w10, [x9, #0x100]
  mov x9, #0x08010000
  mov w10, #1
  str w10, [x9]
  mov w10, #0xff
  str w10, [x9, #4]
  mov x9, #5000
  msr cntv_tval_el0, x9
  mov x9, #1
  msr cntv_ctl_el0, x9
  isb
`;

const CALLS: HvcCall[] = [
  ...IDS.map((id) => ({ args: [0x8400000an, BigInt(id)], label: `PSCI_FEATURES(0x${id.toString(16)})` })),
  { args: [0x84000000n], label: 'PSCI_VERSION' },
  { args: [0x80000000n], label: 'SMCCC_VERSION' },
  { args: [0x80000001n, 0x80008000n], label: 'SMCCC_ARCH_FEATURES(WORKAROUND_1)' },
  { args: [0xc4000003n, 0n, 0x40080000n, 0n], label: 'CPU_ON64(self)' },
  { args: [0xc4000003n, 1n, 0x40080000n, 0n], label: 'CPU_ON64(1)' },
  { args: [0x84000003n, 0xffffffff00000000n, 0x40080000n, 0n], label: 'CPU_ON32(hi bits only)' },
  { args: [0x84000003n, 0x100n, 0x40080000n, 0n], label: 'CPU_ON32(0x100)' },
  { args: [0xc4000004n, 0n, 0n], label: 'AFFINITY_INFO64(self)' },
  { args: [0xc4000004n, 1n, 0n], label: 'AFFINITY_INFO64(1)' },
  { args: [0x84000004n, 0xffffffff80000000n, 0n], label: 'AFFINITY_INFO32(0x80000000)' },
  { args: [0x84000004n, 0xffffffff00000000n, 0n], label: 'AFFINITY_INFO32(hi bits only)' },
  { args: [0x84000006n], label: 'MIGRATE_INFO_TYPE' },
  { args: [0xc4000007n], label: 'MIGRATE_INFO_UP_CPU64' },
  { args: [0xc4000005n, 0n], label: 'MIGRATE64' },
  { args: [0x84000012n, 0n, 0n], label: 'SYSTEM_RESET2' },
  { args: [0x8400000en, 0x40080000n, 0n], label: 'SYSTEM_SUSPEND' },
  { args: [0x12345678n], label: 'unknown id' },
  { args: [0xc4000001n, 0x20000n, 0n, 0n], label: 'CPU_SUSPEND64(bad power_state)' },
  { args: [0x84000001n, 0xffffffff00020000n, 0n, 0n], label: 'CPU_SUSPEND32(bad power_state)' },
  // waits for the virtual timer (IRQs masked: the wait ends, no exception); then
  // CNTV_CTL shows ISTATUS: the call did not return before the deadline
  { args: [0xc4000001n, 0n, 0n, 0n], label: 'CPU_SUSPEND64(standby)', before: GIC_AND_TIMER },
  { args: [0xc4000001n, 0n, 0n, 0n], label: 'CNTV_CTL after CPU_SUSPEND', after: 'mrs x0, cntv_ctl_el0' },
];

const CPU_OFF = `
  adr x2, msg
  bl puts
  ldr x0, =0x84000002
  hvc #0
  adr x2, after
  bl puts
  b .
  ${PUTS}
  .ltorg
msg: .asciz "cpu off\\n"
after: .asciz "returned\\n"
`;

describe.skipIf(!haveCore() || !haveLlvm || !haveQemuSystem)('PSCI vs QEMU 7.2', () => {
  it(`answers ${CALLS.length} calls as QEMU does`, async () => {
    const program = hvcProgram(CALLS);
    const [q, e] = await Promise.all([runOnQemu(program), runOnEmulator(program)]);
    const lines = (s: string) => CALLS.map((c, i) => `${c.label}: ${s.split('\n')[i] ?? '(missing)'}`);
    expect(lines(q).filter((l) => l.endsWith('(missing)'))).toEqual([]);
    expect(lines(e)).toEqual(lines(q));
    expect(lines(q)).toContain('PSCI_VERSION: 0000000000010001');
  }, 120_000);

  it('CPU_OFF stops the only CPU for good', async () => {
    const program = assemble(CPU_OFF);
    const q = await runOnQemu(program, { untilTimeout: true, timeoutMs: 3000 });
    let out = '';
    const m = await Machine.create({
      kernel: program, raw: true, wasm: await loadCoreModule(), clock: 'virtual',
      onUart: (b) => (out += new TextDecoder().decode(b)),
    });
    const t = setTimeout(() => m.stop(), 20_000);
    const exit = await m.run();
    clearTimeout(t);
    expect(q).toBe('cpu off\n');
    expect(out).toBe(q);
    expect(exit.code).toBe(2); // guest halted
  }, 60_000);
});
