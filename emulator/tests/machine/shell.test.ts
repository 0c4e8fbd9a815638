// The shell command table (kernel-image/tests/shell-cases.ts) on the emulator,
// run exactly as kernel-image/tests/qemu.test.ts runs it on QEMU: cases that
// keep the machine alive share one boot, the others get a fresh machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HALTED, runCase, SHELL_CASES } from '../../../kernel-image/tests/shell-cases.ts';
import { PROMPT, runCommand } from '../../../kernel-image/tests/serial-machine.ts';
import { EmulatorMachine } from '../../src/serial-machine.ts';
import { haveCore, haveKernel } from '../../src/node-files.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');

async function boot(append?: string): Promise<EmulatorMachine> {
  const m = await EmulatorMachine.start({ append });
  try {
    await m.waitFor(PROMPT, { timeoutMs: 60_000 });
  } catch (e) {
    await m.kill();
    throw e;
  }
  return m;
}

describe('SIS shell on the emulator', () => {
  let shared: EmulatorMachine;
  beforeAll(async () => {
    shared = await boot();
  });
  afterAll(async () => {
    await shared?.kill();
  });

  it('boots to the prompt with the devices from the DTB and no warnings', () => {
    expect(shared.output).toMatch(/SIS kernel \d+\.\d+\.\d+ \(features: /);
    expect(shared.output).toMatch(/boot: mmu on, heap 8 MiB/);
    expect(shared.output).not.toMatch(/warning/);
    expect(shared.undefinedInsns).toEqual([]);
  });

  for (const c of SHELL_CASES.filter((c) => !c.fresh)) {
    it(c.name, async () => {
      await runCase(shared, c);
    });
  }

  for (const c of SHELL_CASES.filter((c) => c.fresh)) {
    it(c.name, async () => {
      const m = await boot();
      try {
        await runCase(m, c);
        if (m.output.includes(HALTED)) {
          // Halted means halted: the emulator sees that nothing can wake the
          // guest and stops with status 2; the shell never answers again.
          expect(await m.exited).toMatchObject({ code: 2 });
          const before = m.output.length;
          m.write('echo alive\r');
          await expect(m.waitFor('alive', { from: before, timeoutMs: 1_000 })).rejects.toThrow();
        }
      } finally {
        await m.kill();
      }
    });
  }

  it('date agrees with the host clock (the RTC starts at host UTC)', async () => {
    const answer = (await runCommand(shared, 'date')).trim();
    expect(Math.abs(Date.parse(answer) - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('finds bootargs passed with --append', async () => {
    const m = await boot('sis.test=1 quiet');
    try {
      expect(await runCommand(m, 'dtb')).toMatch(/^bootargs: "sis\.test=1 quiet"$/m);
    } finally {
      await m.kill();
    }
  });
});
