// The machine with small guest programs (assembled by llvm-mc): entry state,
// UART both ways, PSCI power-off and reset, idle and halt detection, the
// realtime clock's idle sleeping, undefined instructions.
import { describe, expect, it } from 'vitest';
import { Machine, type MachineOptions, EXIT } from '../../src/machine.ts';
import { haveCore, loadCoreModule } from '../../src/node-files.ts';
import { assemble, haveLlvm, POWEROFF, PUTS } from './asm.ts';
import { LoaderError } from '../../src/loader.ts';

async function boot(source: string, opts: Partial<MachineOptions> = {}) {
  let out = '';
  const undef: { pc: bigint; insn: number }[] = [];
  let resets = 0;
  const m = await Machine.create({
    kernel: assemble(source),
    raw: true,
    wasm: await loadCoreModule(),
    clock: 'virtual',
    ...opts,
    onUart: (b) => (out += new TextDecoder().decode(b)),
    onUndefined: (pc, insn) => undef.push({ pc, insn }),
    onReset: () => resets++,
  });
  return { m, out: () => out, undef, resets: () => resets };
}

/** m.run(), stopped after `ms` so a broken core cannot hang the test file. */
async function run(m: Machine, ms = 20_000) {
  const t = setTimeout(() => m.stop(), ms);
  try {
    return await m.run();
  } finally {
    clearTimeout(t);
  }
}

const GIC_ON = `
  mov x9, #0x08000000
  mov w10, #1
  str w10, [x9]              // GICD_CTLR
  mov w10, #(1 << 27)
  str w10, [x9, #0x100]      // GICD_ISENABLER0: PPI 27 (virtual timer)
  mov x9, #0x08010000
  mov w10, #1
  str w10, [x9]              // GICC_CTLR
  mov w10, #0xff
  str w10, [x9, #4]          // GICC_PMR
`;

describe.skipIf(!haveCore() || !haveLlvm)('machine with guest programs', () => {
  it('enters at RAM + 0x80000 with x0 = the DTB and powers off', async () => {
    const { m, out } = await boot(`
      ldr w4, [x0]
      rev w4, w4
      movz w5, #0xfeed
      movk w5, #0xd00d, lsl #16
      adr x2, bad
      cmp w4, w5
      b.ne 1f
      adr x2, good
1:    bl puts
      ${POWEROFF}
      b .
      ${PUTS}
good: .asciz "dtb ok\\n"
bad:  .asciz "no dtb\\n"
    `);
    expect(m.plan.entryOffset).toBe(0x80000);
    const exit = await run(m);
    expect(out()).toBe('dtb ok\n');
    expect(exit).toEqual({ code: EXIT.poweroff, reason: 'psci system_off', psci: 0x84000008 });
    expect(m.stats().instret).toBeGreaterThan(10);
  });

  it('feeds UART input as the guest consumes it (polled echo of 300 bytes)', async () => {
    const { m, out } = await boot(`
      mov x1, #0x09000000
      mov w2, #0x70
      str w2, [x1, #0x2c]     // LCR_H: FIFOs on
1:    ldr w3, [x1, #0x18]
      tbnz w3, #4, 1b         // RXFE
      ldr w3, [x1]
      cmp w3, #'q'
      b.eq 2f
      str w3, [x1]
      b 1b
2:    ${POWEROFF}
    `);
    const text = Array.from({ length: 300 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
    m.input(text + 'q');
    const exit = await run(m);
    expect(exit.code).toBe(0);
    expect(out()).toBe(text);
  });

  it('reboots on PSCI SYSTEM_RESET from a fresh image', async () => {
    const { m, out, resets } = await boot(`
      adr x2, msg
      bl puts
      adr x5, flag
      ldr w6, [x5]
      add w6, w6, #1
      str w6, [x5]            // RAM is reloaded on reset, so this never reaches 2
      cmp w6, #2
      b.eq 9f
      movz w0, #0x0009
      movk w0, #0x8400, lsl #16
      hvc #0
9:    b .
      ${PUTS}
msg:  .asciz "boot\\n"
      .balign 4
flag: .word 0
    `);
    const run = m.run();
    while (resets() < 3) await new Promise((r) => setTimeout(r, 5));
    m.stop();
    expect((await run).code).toBe(EXIT.stopped);
    expect(out().startsWith('boot\nboot\nboot\n')).toBe(true);
    expect(m.stats().resets).toBeGreaterThanOrEqual(3);
  });

  it('reports a guest that halts (WFI, nothing can wake it) as halted', async () => {
    const { m } = await boot(`
      msr daifset, #0xf
1:    wfi
      b 1b
    `);
    const exit = await run(m);
    expect(exit.code).toBe(EXIT.guestHalted);
  });

  it('virtual clock: WFI skips to the timer deadline, deterministically', async () => {
    const prog = `
      ${GIC_ON}
      msr daifset, #0xf
      movz x4, #0x5e8, lsl #16   // 0x5e80000 ticks = 1.59 s of guest time
      msr cntv_tval_el0, x4
      mov x4, #1
      msr cntv_ctl_el0, x4
1:    wfi
      mrs x4, cntv_ctl_el0
      tbz x4, #2, 1b
      adr x2, msg
      bl puts
      ${POWEROFF}
      ${PUTS}
msg:  .asciz "timer\\n"
    `;
    const a = await boot(prog, { idleSpeedup: Infinity });
    const t0 = Date.now();
    expect((await run(a.m)).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1500); // unpaced: 1.6 s of guest time is not waited for
    const b = await boot(prog); // paced (the default): same guest-visible result
    await run(b.m);
    expect(a.out()).toBe('timer\n');
    expect(b.out()).toBe('timer\n');
    expect(b.m.stats().instret).toBe(a.m.stats().instret);
    expect(b.m.coreExports.counterTicks!()).toBe(a.m.coreExports.counterTicks!());
  });

  it('virtual clock: a guest idling on a 100 Hz tick is paced to the host clock, not spun', async () => {
    const { m } = await boot(`
      ${GIC_ON}
      msr daifset, #0xf
      movz x5, #0x9, lsl #16
      movk x5, #0x8968          // 625000 ticks = 10 ms
      mrs x6, cntvct_el0
1:    add x6, x6, x5
      msr cntv_cval_el0, x6
      mov x4, #1
      msr cntv_ctl_el0, x4
2:    wfi
      mrs x4, cntv_ctl_el0
      tbz x4, #2, 2b
      mov x7, #100              // ~300 instructions of "tick handler"
3:    subs x7, x7, #1
      add x8, x8, x7
      b.ne 3b
      b 1b
    `);
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    const done = run(m, 1500);
    const exit = await done;
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    expect(exit.code).toBe(EXIT.stopped);
    const guestMs = (m.coreExports.counterTicks!() / 62_500_000) * 1000;
    // Idle guest time keeps up with host time, and does not run ahead of it
    // (some slack for the first calls, before the budget has adapted).
    expect(guestMs).toBeGreaterThan(wall * 0.5);
    expect(guestMs).toBeLessThan(wall + 1000);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(wall * 0.5);
  });

  it('realtime clock: an idle guest sleeps instead of spinning', async () => {
    const { m, out } = await boot(
      `
      ${GIC_ON}
      msr daifset, #0xf
      mrs x4, cntfrq_el0         // one second
      msr cntv_tval_el0, x4
      mov x4, #1
      msr cntv_ctl_el0, x4
1:    wfi
      mrs x4, cntv_ctl_el0
      tbz x4, #2, 1b
      adr x2, msg
      bl puts
      ${POWEROFF}
      ${PUTS}
msg:  .asciz "woke\\n"
    `,
      { clock: 'realtime' },
    );
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    const exit = await run(m);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    expect(exit.code).toBe(0);
    expect(out()).toBe('woke\n');
    expect(wall).toBeGreaterThan(900);
    // Behaviour, not speed: a spinning host would use ~100% of a core here.
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(wall * 0.3);
    expect(m.stats().idleMs).toBeGreaterThan(800);
  });

  it('raises an undefined instruction in the guest and reports its encoding', async () => {
    const { m, out, undef } = await boot(`
      adr x9, vectors
      msr vbar_el1, x9
      isb
      .inst 0x00000000           // UDF #0
      b .
      .balign 0x800
vectors:
      .skip 0x200                // current EL with SP_ELx, synchronous:
      mrs x4, esr_el1
      lsr x4, x4, #26
      cmp x4, #0                 // EC 0: unknown reason
      adr x2, bad
      b.ne 1f
      adr x2, good
1:    bl puts
      ${POWEROFF}
      ${PUTS}
good: .asciz "undef trapped\\n"
bad:  .asciz "wrong EC\\n"
    `);
    expect((await run(m)).code).toBe(0);
    expect(out()).toBe('undef trapped\n');
    expect(undef).toEqual([{ pc: 0x4008000cn, insn: 0 }]);
  });

  it('logs guest accesses to unmapped MMIO without failing', async () => {
    const errors: string[] = [];
    const { m } = await boot(
      `
      mov x1, #0x0b000000
      ldr w2, [x1]
      str w2, [x1]
      ${POWEROFF}
    `,
      { onGuestError: (e) => errors.push(e) },
    );
    expect((await run(m)).code).toBe(0);
    expect(errors).toEqual(['read of 4 byte(s) at unmapped address 0xb000000', 'write of 4 byte(s) at unmapped address 0xb000000']);
  });

  // The exception-loop detector (cpu.ts EXC_LOOP_LIMIT): a guest that keeps
  // taking the same synchronous exception without finishing a handler.
  it('stops a guest whose vectors fault (VBAR 0: no RAM there) with a report and code 2', async () => {
    const { m, undef } = await boot(`
      udf #0x12
    `);
    const exit = await run(m);
    expect(exit).toEqual({
      code: EXIT.guestHalted,
      reason:
        'guest stuck in an exception loop: the same synchronous exception 1000 times in a row with no progress, ' +
        'EC 0x21 (instruction abort at EL1), ESR 0x86000010, ELR 0x200, FAR 0x200',
    });
    expect(undef).toEqual([{ pc: 0x40080000n, insn: 0x12 }]);
    expect(m.stats().instret).toBeLessThan(1100); // stopped at once, not at a timeout
  });

  it('stops a handler that faults on its own first instruction (a data abort at the vector)', async () => {
    const { m } = await boot(`
      adr x1, vectors
      msr vbar_el1, x1
      isb
      brk #1
      .balign 2048
vectors:
      .skip 0x200
      mov x2, #0x100000000     // current EL, SPx, synchronous: load from nowhere
      ldr x3, [x2, #8]
    `);
    const exit = await run(m);
    expect(exit.code).toBe(EXIT.guestHalted);
    expect(exit.reason).toMatch(
      /^guest stuck in an exception loop: the same synchronous exception 1000 times in a row with no progress, EC 0x25 \(data abort at EL1\), ESR 0x96000010, ELR 0x40080a04, FAR 0x100000008$/,
    );
  });

  it('does not stop handlers that make progress: SVC x 5000, an emulated UDF x 5000, a fault fixed on its third retry', async () => {
    const { m, out } = await boot(`
      adr x1, vectors
      msr vbar_el1, x1
      isb
      mov x5, #5000
1:    svc #0
      subs x5, x5, #1
      b.ne 1b
      mov x5, #5000
2:    udf #7                  // "emulated": the handler returns past it
      subs x5, x5, #1
      b.ne 2b
      mov x6, #3              // a load that faults twice, then works
      mov x2, #0x100000000
3:    ldr x3, [x2]
      adr x2, msg
      bl puts
      ${POWEROFF}
      ${PUTS}
msg:  .asciz "done\\n"
      .balign 2048
vectors:
      .skip 0x200
      mrs x7, esr_el1
      lsr x7, x7, #26
      cmp x7, #0x15           // SVC: ELR is already past it
      b.eq 9f
      cbnz x7, 8f             // not EC 0: the data abort
      mrs x8, elr_el1         // UDF: skip it
      add x8, x8, #4
      msr elr_el1, x8
      b 9f
8:    subs x6, x6, #1         // retry the load; on the third attempt make it readable
      b.ne 9f
      adr x2, ok
9:    eret
      .balign 8
ok:   .quad 0
    `);
    const exit = await run(m);
    expect(exit.code, exit.reason).toBe(EXIT.poweroff);
    expect(out()).toBe('done\n');
  });

  it('stops a handler that returns straight to a load that can never succeed (a retry loop)', async () => {
    const { m } = await boot(`
      adr x1, vectors
      msr vbar_el1, x1
      isb
      mov x2, #0x100000000
      ldr x3, [x2, #16]
      b .
      .balign 2048
vectors:
      .skip 0x200
      mrs x7, esr_el1         // a "handler" that looks and changes nothing
      eret
    `);
    const exit = await run(m);
    expect(exit).toEqual({
      code: EXIT.guestHalted,
      reason:
        'guest stuck in an exception loop: the same synchronous exception 1000 times in a row with no progress, ' +
        'EC 0x25 (data abort at EL1), ESR 0x96000010, ELR 0x40080010, FAR 0x100000010',
    });
  });

  it('gives a 4095 MiB guest all of its RAM without costing the host that memory', async () => {
    const rss0 = process.memoryUsage().rss;
    const { m, out } = await boot(
      `
      mov x1, #0x40000000
      movz x2, #0xffef, lsl #16    // RAM + 4095 MiB - 8: the last doubleword
      movk x2, #0xfff8
      add x1, x1, x2
      movz x4, #0xbeef
      str x4, [x1]
      ldr x5, [x1]
      cmp x4, x5
      adr x2, bad
      b.ne 1f
      adr x2, good
1:    bl puts
      ${POWEROFF}
      ${PUTS}
good: .asciz "top ok\n"
bad:  .asciz "top bad\n"
    `,
      { memMiB: 4095 },
    );
    expect(m.ramBytes).toBe(4095 * 2 ** 20);
    expect(m.ram.length).toBe(4095 * 2 ** 20);
    expect((await run(m)).code).toBe(EXIT.poweroff);
    expect(out()).toBe('top ok\n');
    expect(new DataView(m.ram.buffer, m.ram.byteOffset + m.ram.length - 8, 8).getUint32(0, true)).toBe(0xbeef);
    // Untouched RAM is only reserved: far less than 4 GiB became resident.
    expect(process.memoryUsage().rss - rss0).toBeLessThan(512 * 2 ** 20);
  });

  it('rejects bad images and options before touching the core', async () => {
    const wasm = await loadCoreModule();
    await expect(Machine.create({ kernel: new Uint8Array(0), wasm })).rejects.toThrow(LoaderError);
    await expect(Machine.create({ kernel: new Uint8Array(4), wasm, memMiB: 3, raw: true })).rejects.toThrow(/from 19 to 4095/);
    await expect(Machine.create({ kernel: new Uint8Array(4), wasm, raw: true, clock: 'fast' as never })).rejects.toThrow(/realtime or virtual/);
  });
});
