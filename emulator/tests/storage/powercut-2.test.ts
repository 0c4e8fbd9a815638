// Power cuts, part 2 of 2 (see powercut.ts).
import { haveCore } from '../../src/node-files.ts';
import { powercutTest } from './powercut.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
powercutTest(1, 2);
