// Corruption, part 2: images made by Debian's mke2fs -t ext4 -d DIR. See corrupt.ts.
import { describe } from 'vitest';
import { haveCore } from '../../src/node-files.ts';
import { kernelFsMissing } from './harness.ts';
import { mke2fsImage } from './corrupt.ts';
import { corruptionTest } from './corruption.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
const N = Number(process.env.SIS_CORRUPTIONS ?? 500) - (Number(process.env.SIS_CORRUPTIONS ?? 500) >> 1);
const missing = kernelFsMissing();

describe.skipIf(missing !== null)(`corruption of mke2fs images (${missing ?? 'kernel has the filesystem commands'})`, () => {
  corruptionTest('mke2fs -d', async () => mke2fsImage(8), Array.from({ length: N }, (_, i) => 5000 + i));
});
