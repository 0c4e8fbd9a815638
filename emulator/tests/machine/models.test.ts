// The model lifecycle table (kernel-image/tests/model-cases.ts) on the
// emulator, run exactly as kernel-image/tests/model-qemu.test.ts runs it on
// QEMU: the system disk in slot 31 (blk0), the import disk read-only in slot
// 30 (blk1), the event console in slot 29, file-backed so debugfs and
// e2fsck read the same bytes between commands.
import { describe, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODEL_CASES, runModelCase } from '../../../kernel-image/tests/model-cases.ts';
import { haveCore, haveKernel } from '../../src/node-files.ts';
import { fileDiskBoot } from './file-disk-boot.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');

describe('SIS model lifecycle on the emulator', () => {
  for (const c of MODEL_CASES) {
    it(c.name, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-emu-models-'));
      const boot = fileDiskBoot(dir);
      try {
        await runModelCase(c, boot);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 600_000);
  }
});
