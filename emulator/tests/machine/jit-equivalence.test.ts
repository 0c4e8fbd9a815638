// The kernel under the translator: boot, then a fixed shell script typed at the prompt, under
// the virtual clock with input injected at guest-determined instruction counts
// (emulator/src/jit/script-run.ts). The UART output (which includes guest-time figures such as
// bench's microseconds) and the instruction count at power-off must be byte-identical with
// the interpreter and with the translator (default threshold, and threshold 1, which
// translates every block start the first time it is reached).
import { describe, expect, it } from 'vitest';
import { runScript } from '../../src/jit/script-run.ts';
import { haveCore, haveKernel } from '../../src/node-files.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');

const SCRIPT = ['help', 'echo translated  code', 'bench 20000', 'selftest', 'dtb', 'poweroff'];

describe('kernel shell session: --cpu jit vs interp', () => {
  it('same UART output and instruction count, byte for byte', async () => {
    const interp = await runScript(SCRIPT, 'interp');
    expect(interp.exit).toBe('psci system_off');
    expect(interp.output).toContain('bench: int 20000 iters');
    expect(interp.output).toContain('translated code');
    for (const threshold of [undefined, 1]) {
      const jit = await runScript(SCRIPT, 'jit', { jitThreshold: threshold, profile: true });
      const p = jit.machine.profile()!;
      console.log(`jit (threshold ${threshold ?? 'default'}): ${jit.instret} instructions, ${p.insnsInJit} translated, ${p.compiles} blocks, ${p.compileMs.toFixed(0)} ms compiling; interp ${interp.ms.toFixed(0)} ms, jit ${jit.ms.toFixed(0)} ms`);
      expect(jit.exit).toBe(interp.exit);
      expect(jit.output).toBe(interp.output);
      expect(jit.instret).toBe(interp.instret);
      expect(p.insnsInJit / jit.instret).toBeGreaterThan(0.5);
    }
  }, 600_000);
});
