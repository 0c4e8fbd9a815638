// Model lifecycle power cuts, part 1 of 2 (see powercut-models.ts).
import { haveCore } from '../../src/node-files.ts';
import { modelPowercutTest } from './powercut-models.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
modelPowercutTest(0, 2);
