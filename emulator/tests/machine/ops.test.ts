// The decision loop's table (kernel-image/tests/ops-cases.ts) on the
// emulator, as ops-qemu.test.ts runs it on QEMU: the system disk in slot 31
// (blk0), the seed bundle read-only in slot 30 (blk1), the event console in
// slot 29. Virtual clock with no idle pacing (idleSpeedup Infinity): the
// guest's time in WFI is skipped at once, so `sleep` costs only the
// instructions the decisions run - deterministic and fast. (A case whose
// rules depend on the guest time between two commands - the safe-mode
// queue's expiry - runs paced: idle guest time keeps up with the host.)
import { describe, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OPS_CASES, ROOT, SEED_BUNDLE, type OpsBootFn } from '../../../kernel-image/tests/ops-cases.ts';
import { PROMPT } from '../../../kernel-image/tests/serial-machine.ts';
import { EmulatorMachine } from '../../src/serial-machine.ts';
import { FileBlockStore } from '../../src/devices/file-block-store.ts';
import { VirtioBlk } from '../../src/devices/virtio-blk.ts';
import { VirtioConsole } from '../../src/devices/virtio-console.ts';
import type { VirtioBackend } from '../../src/devices/virtio-mmio.ts';
import { haveCore, haveKernel } from '../../src/node-files.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');
const NOFEAT = path.join(ROOT, 'kernel-image/build/nofeat/sis-kernel.img');

describe('SIS decision loop, traces and incidents on the emulator', () => {
  beforeAll(() => {
    execFileSync('make', ['-s', '-C', path.join(ROOT, 'kernel-image'), 'FEATURES=', 'OUT=build/nofeat'], { stdio: 'pipe' });
  }, 300_000);
  for (const c of OPS_CASES.filter((x) => x.on.includes('emulator'))) {
    it(c.name, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-emu-ops-'));
      let n = 0;
      const booted: { kill(): Promise<void> }[] = [];   // a failing case must not leave machines running
      const boot: OpsBootFn = async (spec) => {
        const stores = [new FileBlockStore(spec.system, false), new FileBlockStore(SEED_BUNDLE, true)];
        const virtio: Record<number, VirtioBackend> = { 31: new VirtioBlk(stores[0], 'sis-disk-0'), 30: new VirtioBlk(stores[1], 'sis-disk-1') };
        const eventsFile = path.join(dir, `events-${n++}.jsonl`);
        let fd: number | null = openSync(eventsFile, 'a');
        const evFd = fd;
        virtio[29] = new VirtioConsole((b) => writeSync(evFd, b));
        const release = () => {
          for (const s of stores) s.close();
          if (fd !== null) closeSync(fd);
          fd = null;
        };
        let machine: EmulatorMachine;
        try {
          machine = await EmulatorMachine.start({ virtio, idleSpeedup: c.paced ? 1 : Infinity, ...(spec.image === 'nofeat' ? { kernelPath: NOFEAT } : {}) });
        } catch (e) {
          release();
          throw e;
        }
        booted.push(machine);
        void machine.exited.then(release);
        try {
          await machine.waitFor(PROMPT, { timeoutMs: 120_000 });
        } catch (e) {
          await machine.kill();
          throw e;
        }
        return { machine, events: () => (existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l) : []) };
      };
      try {
        await c.run(boot, dir, 'emulator');
      } finally {
        for (const m of booted) await m.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    }, c.timeoutMs);
  }
});
