// The GDB stub at the protocol level, with a small guest program on the
// in-process Machine: registers, memory through the MMU (MMU off here: VA =
// PA), hardware and software breakpoints, watchpoints, single step, Ctrl-C,
// register and memory writes, detach; then a breakpoint and a watchpoint set
// while the loop runs hot. All of it with the interpreter and with the
// translator (--cpu jit, every block translated at its first visit: the
// breakpoints and watchpoints must stop translated code too). gdb-multiarch
// against the kernel is in gdb.test.ts.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine.ts';
import { haveCore, loadCoreModule } from '../../src/node-files.ts';
import { GdbStub } from '../../src/gdb/stub.ts';
import { framePacket, RspDecoder } from '../../src/gdb/rsp.ts';
import { assemble, haveLlvm } from '../host/asm.ts';

const ENTRY = 0x4008_0000;
// counter at ENTRY + 0x100; the loop's instructions at ENTRY + 4.. (see offsets below)
const PROGRAM = `
  adr x1, counter        // +0
1: ldr x2, [x1]          // +4
  add x2, x2, #1         // +8
  str x2, [x1]           // +12
  b 1b                   // +16
  .balign 0x100
counter: .quad 0
`;
const COUNTER = ENTRY + 0x100;

class Client {
  private dec = new RspDecoder();
  private queue: string[] = [];
  private waiters: ((p: string) => void)[] = [];
  constructor(private sock: Socket) {
    sock.on('data', (d) => {
      for (const ev of this.dec.push(d)) {
        if (ev.kind !== 'packet') continue;
        const w = this.waiters.shift();
        if (w) w(ev.data);
        else this.queue.push(ev.data);
      }
    });
  }
  next(): Promise<string> {
    const q = this.queue.shift();
    if (q !== undefined) return Promise.resolve(q);
    return new Promise((r) => this.waiters.push(r));
  }
  send(p: string): void {
    this.sock.write(Buffer.from(framePacket(p), 'latin1'));
  }
  async ask(p: string): Promise<string> {
    this.send(p);
    return this.next();
  }
  interrupt(): void {
    this.sock.write(Buffer.from([3]));
  }
}

const le64 = (v: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b.toString('hex');
};

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup) f();
  cleanup = [];
});

async function setup(cpu: 'interp' | 'jit') {
  const m = await Machine.create({
    kernel: assemble(PROGRAM), raw: true, wasm: await loadCoreModule(), clock: 'virtual',
    cpu, ...(cpu === 'jit' ? { jitThreshold: 1 } : {}),
  });
  const stub = new GdbStub(m, { port: 0, wait: true });
  const port = await stub.listen();
  const running = m.run();
  const sock = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const c = new Client(sock);
  cleanup.push(() => {
    sock.destroy();
    stub.close();
    m.stop();
  });
  return { m, c, running };
}

describe.skipIf(!haveCore() || !haveLlvm)('GDB remote protocol', () => {
  for (const cpu of ['interp', 'jit'] as const) it(`registers, breakpoints, watchpoints, step, memory, Ctrl-C, detach (--cpu ${cpu})`, async () => {
    const { m, c, running } = await setup(cpu);
    expect(await c.ask('qSupported:multiprocess+;swbreak+;hwbreak+')).toMatch(/PacketSize=4000;qXfer:features:read\+/);
    const xml = await c.ask('qXfer:features:read:target.xml:0,3fff');
    expect(xml[0]).toBe('l');
    expect(xml).toContain('org.gnu.gdb.aarch64.core');
    expect(xml).toContain('org.gnu.gdb.aarch64.fpu');
    expect(await c.ask('?')).toBe('T02thread:01;'); // paused before the first instruction
    const g = await c.ask('g');
    expect(g.length).toBe((31 * 8 + 8 + 8 + 4 + 32 * 16 + 4 + 4) * 2);
    expect(await c.ask('p20')).toBe(le64(ENTRY)); // pc
    expect(await c.ask('p21')).toBe('c5030000'); // cpsr: EL1h, DAIF masked

    // hardware breakpoint on the add: stops before it, x1 = &counter
    expect(await c.ask(`Z1,${(ENTRY + 8).toString(16)},4`)).toBe('OK');
    expect(await c.ask('c')).toBe('T05thread:01;');
    expect(await c.ask('p20')).toBe(le64(ENTRY + 8));
    expect(await c.ask('p1')).toBe(le64(COUNTER));
    // continue from it: one more loop round, back on the add
    expect(await c.ask('c')).toBe('T05thread:01;');
    expect(await c.ask('p20')).toBe(le64(ENTRY + 8));
    expect(await c.ask(`z1,${(ENTRY + 8).toString(16)},4`)).toBe('OK');
    expect(await c.ask(`m${COUNTER.toString(16)},8`)).toBe(le64(1));

    // single step: the add retires, x2 = counter + 1
    expect(await c.ask('s')).toBe('T05thread:01;');
    expect(await c.ask('p20')).toBe(le64(ENTRY + 12));
    expect(await c.ask('p2')).toBe(le64(2));

    // write watchpoint on the counter: the str hits it, PC after the str
    expect(await c.ask(`Z2,${COUNTER.toString(16)},8`)).toBe('OK');
    expect(await c.ask('c')).toBe(`T05watch:${COUNTER.toString(16)};thread:01;`);
    expect(await c.ask('p20')).toBe(le64(ENTRY + 16));
    expect(await c.ask(`m${COUNTER.toString(16)},8`)).toBe(le64(2));
    expect(await c.ask(`z2,${COUNTER.toString(16)},8`)).toBe('OK');
    // read watchpoint: the ldr
    expect(await c.ask(`Z3,${COUNTER.toString(16)},8`)).toBe('OK');
    expect(await c.ask('c')).toBe(`T05rwatch:${COUNTER.toString(16)};thread:01;`);
    expect(await c.ask('p20')).toBe(le64(ENTRY + 8));
    expect(await c.ask(`z3,${COUNTER.toString(16)},8`)).toBe('OK');

    // memory and register writes are seen by the guest
    expect(await c.ask(`M${COUNTER.toString(16)},8:${le64(1000)}`)).toBe('OK');
    expect(await c.ask(`P2=${le64(1000)}`)).toBe('OK');
    expect(await c.ask(`Z0,${(ENTRY + 4).toString(16)},4`)).toBe('OK'); // software breakpoint: same table
    expect(await c.ask('c')).toBe('T05thread:01;');
    expect(await c.ask(`m${COUNTER.toString(16)},8`)).toBe(le64(1001));
    expect(await c.ask(`z0,${(ENTRY + 4).toString(16)},4`)).toBe('OK');
    // an unmapped address (nothing decodes at 0x10_0000_0000) is an error
    expect(await c.ask('m1000000000,4')).toBe('E14');

    // Ctrl-C while running
    c.send('c');
    await new Promise((r) => setTimeout(r, 100));
    c.interrupt();
    expect(await c.next()).toBe('T02thread:01;');
    const before = BigInt('0x' + Buffer.from((await c.ask(`m${COUNTER.toString(16)},8`)), 'hex').reverse().toString('hex'));
    expect(before).toBeGreaterThan(1001n);
    if (cpu === 'jit') expect(m.stats().translated).toBeGreaterThan(0); // the loop ran translated

    // a breakpoint and a watchpoint set while the loop is hot (translated with --cpu jit) stop it
    expect(await c.ask(`Z1,${(ENTRY + 8).toString(16)},4`)).toBe('OK');
    expect(await c.ask('c')).toBe('T05thread:01;');
    expect(await c.ask('p20')).toBe(le64(ENTRY + 8));
    expect(await c.ask(`z1,${(ENTRY + 8).toString(16)},4`)).toBe('OK');
    expect(await c.ask(`Z2,${COUNTER.toString(16)},8`)).toBe('OK');
    expect(await c.ask('c')).toBe(`T05watch:${COUNTER.toString(16)};thread:01;`);
    expect(await c.ask('p20')).toBe(le64(ENTRY + 16));
    expect(await c.ask(`z2,${COUNTER.toString(16)},8`)).toBe('OK');

    // detach: the guest runs on without the debugger
    expect(await c.ask('D')).toBe('OK');
    await new Promise((r) => setTimeout(r, 100));
    expect(m.debugPaused).toBe(false);
    const after = new DataView(m.ram.buffer, m.ram.byteOffset).getBigUint64(COUNTER - 0x4000_0000, true);
    expect(after).toBeGreaterThan(before);
    m.stop();
    expect((await running).code).toBe(4);
  }, 60_000);
});
