// Corruption, part 1: images made by the kernel itself (formatted at boot,
// files written through the shell). See corrupt.ts.
import { describe } from 'vitest';
import { haveCore } from '../../src/node-files.ts';
import { kernelFsMissing } from './harness.ts';
import { kernelImage } from './corrupt.ts';
import { corruptionTest } from './corruption.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
const N = Number(process.env.SIS_CORRUPTIONS ?? 500) >> 1;
const missing = kernelFsMissing();

describe.skipIf(missing !== null)(`corruption of kernel-made images (${missing ?? 'kernel has the filesystem commands'})`, () => {
  corruptionTest('kernel-made', () => kernelImage(8), Array.from({ length: N }, (_, i) => 1000 + i));
});
