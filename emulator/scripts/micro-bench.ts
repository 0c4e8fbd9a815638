// Micro-benchmark of the wasm core alone (no host devices): the integer and
// memory loops and the FP loop of the kernel's `bench` command (as clang -O2 emits them),
// assembled with llvm-mc-19 and run with the MMU off. Compares core builds
// back to back, alternating, and prints the best of several rounds in MIPS
// per CPU-second (process CPU time, not wall time).
// Usage: npx tsx emulator/scripts/micro-bench.ts [--rounds N] [--insns M] a.wasm [b.wasm ...]
import { readFileSync } from 'node:fs';
import { assemble } from '../tests/core/harness.ts';

const args = process.argv.slice(2);
let rounds = 3, insns = 40e6;
const wasms: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rounds') rounds = Number(args[++i]);
  else if (args[i] === '--insns') insns = Number(args[++i]) * 1e6;
  else wasms.push(args[i]);
}
if (!wasms.length) wasms.push(new URL('../build/core.wasm', import.meta.url).pathname);

const LOOPS: Record<string, string> = {
  int: `
    mov x20, #-1
    mov x22, xzr
    mov x9, #0x7f2d
    mov x10, #0x814f
    mov w8, #0x5157
    movk x9, #0x4c95, lsl #16
    movk x10, #0xf767, lsl #16
    mov x11, x20
    movk x9, #0xf42d, lsl #32
    movk x10, #0x7b7e, lsl #32
    movk x9, #0x5851, lsl #48
    movk x10, #0x1405, lsl #48
1:  madd x8, x8, x9, x10
    ror x13, x22, #0x39
    subs x11, x11, #0x1
    lsr x12, x8, #40
    add x13, x13, x8, lsr #29
    orr w12, w12, #0x1
    eor x13, x13, x22
    udiv w12, w8, w12
    add x22, x13, x12
    b.ne 1b
    hlt #0`,
  mem: `
    mov x19, #0x40100000
    mov x22, #-1
    mov x8, xzr
    mov x21, xzr
    mov x9, xzr
1:  add w10, w9, w9, lsl #2
    eor x12, x21, x8
    add x8, x8, #0x1
    cmp x22, x8
    add w9, w10, #0x1
    add w10, w10, #0x12
    and x9, x9, #0x7fff
    and x10, x10, #0x7fff
    ldr x11, [x19, x9, lsl #3]
    add x11, x11, x12
    str x11, [x19, x9, lsl #3]
    ldr x10, [x19, x10, lsl #3]
    add x21, x10, x21
    b.ne 1b
    hlt #0`,
  // the kernel's bench_fp loop as clang -O2 emits it (constants from FMOV immediates here);
  // CPACR_EL1.FPEN first, or every FP instruction traps
  fp: `
    mov x0, #0x300000
    msr cpacr_el1, x0
    isb
    mov x11, #0x848000000000
    movk x11, #16686, lsl #48
    fmov d16, x11
    movi d0, #0
    fmov d2, #1.0
    fmov d1, #0.5
    fmov d3, #0.25
    fmov d4, #1.0
    fmov d5, #0.125
    fmov d6, #0.125
    fmov d7, #0.125
    mov x8, xzr
1:  fdiv d17, d3, d2
    and x9, x8, #0x3ff
    add x8, x8, #1
    add x9, x9, #1
    fmadd d1, d1, d4, d17
    ucvtf d17, x9
    fdiv d17, d1, d17
    fadd d2, d2, d17
    fmul d17, d2, d5
    fcmp d2, d16
    fcsel d2, d17, d2, gt
    fmul d17, d2, d6
    fmadd d17, d1, d7, d17
    fadd d0, d0, d17
    b 1b`,
  call: `
    mov x1, #0x40200000
    mov sp, x1
    mov x19, #-1
1:  bl 2f
    subs x19, x19, #1
    b.ne 1b
    hlt #0
2:  stp x29, x30, [sp, #-16]!
    mov x29, sp
    cbz x0, 3f
    add x0, x0, #1
3:  tbnz x0, #63, 4f
    ldp x29, x30, [sp], #16
4:  ret`,
};

function instance(path: string): any {
  const mod = new WebAssembly.Module(readFileSync(path));
  const inst = new WebAssembly.Instance(mod, {
    env: {
      mmioRead: () => 0, mmioWrite: () => {}, hostNowTicks: () => 0, reportUndefined: () => {},
      jitCompile: () => -1, // interpreter only
      abort: () => { throw new Error('core abort'); },
    },
  });
  const core = inst.exports as any;
  core.init(16 << 20);
  return core;
}

const best = new Map<string, number>();
for (let r = 0; r < rounds; r++) {
  for (const w of wasms) {
    for (const [name, src] of Object.entries(LOOPS)) {
      const core = instance(w);
      const bin = assemble(src);
      new Uint8Array(core.memory.buffer, core.ramPtr(), bin.length).set(bin);
      core.setPC(0x4000_0000n);
      core.run(100000); // warm up
      // CPU time of this process, so other load on the host matters less than with wall time
      const t0 = process.cpuUsage();
      let left = insns;
      while (left > 0) { core.run(1 << 20); left -= 1 << 20; }
      const d = process.cpuUsage(t0);
      const ms = (d.user + d.system) / 1000;
      const mips = insns / ms / 1000;
      const k = `${w}\t${name}`;
      best.set(k, Math.max(best.get(k) ?? 0, mips));
    }
  }
}
for (const [k, v] of best) console.log(`${k}\t${v.toFixed(1)} MIPS`);
