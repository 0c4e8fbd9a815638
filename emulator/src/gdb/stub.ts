// GDB remote stub: `npm run vm -- --gdb PORT [--gdb-wait]`, like QEMU's
// `-gdb tcp::PORT` and `-S`. Listens on 127.0.0.1 only, one client at a
// time. Drives the Machine's debugger interface (attachDebugger / resume /
// debugInterrupt) and the core's breakpoint and watchpoint exports; the core
// checks them only while some are set (see emulator/assembly/debug.ts).
//
// Supported: qSupported (PacketSize, qXfer:features:read with a target XML of
// org.gnu.gdb.aarch64.core and .fpu), ?, g/G, p/P (x0-x30, sp, pc, cpsr,
// v0-v31, fpsr, fpcr), m/M/X through the guest's stage-1 MMU (current EL),
// Z0/z0 and Z1/z1 (both are breakpoints in the core's table: guest memory is
// never patched, as with QEMU's gdbstub), Z2-Z4 watchpoints, c, s, Ctrl-C,
// D (detach: breakpoints removed, the guest runs on), k (kill: the machine
// stops), QStartNoAckMode, one thread. As QEMU, a client connecting stops
// the guest; the guest powering off is reported as W00.
import { createServer, type Server, type Socket } from 'node:net';
import { RAM_BASE } from '../dtb.ts';
import type { DebugStop, Machine } from '../machine.ts';
import { bytesOfHex, framePacket, hexOf, le32, le64, parseLe, RspDecoder, unescapeBinary } from './rsp.ts';

const PACKET_SIZE = 0x4000;
const REG_SP = 31, REG_PC = 32, REG_CPSR = 33, REG_V0 = 34, REG_FPSR = 66, REG_FPCR = 67;

/** Written for this stub from the GDB manual's "AArch64 Features" (register names, sizes, order). */
export const TARGET_XML = `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>aarch64</architecture>
<feature name="org.gnu.gdb.aarch64.core">
${Array.from({ length: 31 }, (_, i) => `<reg name="x${i}" bitsize="64" type="int" regnum="${i}"/>`).join('\n')}
<reg name="sp" bitsize="64" type="data_ptr" regnum="31"/>
<reg name="pc" bitsize="64" type="code_ptr" regnum="32"/>
<reg name="cpsr" bitsize="32" type="int" regnum="33"/>
</feature>
<feature name="org.gnu.gdb.aarch64.fpu">
<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v2u" type="uint64" count="2"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v4u" type="uint32" count="4"/>
<vector id="v8u" type="uint16" count="8"/>
<vector id="v16u" type="uint8" count="16"/>
<union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/></union>
<union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/></union>
<union id="vnh"><field name="u" type="v8u"/></union>
<union id="vnb"><field name="u" type="v16u"/></union>
<union id="vnq"><field name="u" type="uint128"/></union>
<union id="aarch64v"><field name="d" type="vnd"/><field name="s" type="vns"/><field name="h" type="vnh"/><field name="b" type="vnb"/><field name="q" type="vnq"/></union>
${Array.from({ length: 32 }, (_, i) => `<reg name="v${i}" bitsize="128" type="aarch64v" regnum="${REG_V0 + i}"/>`).join('\n')}
<reg name="fpsr" bitsize="32" type="int" regnum="${REG_FPSR}"/>
<reg name="fpcr" bitsize="32" type="int" regnum="${REG_FPCR}"/>
</feature>
</target>
`;

export interface GdbStubOptions {
  port: number;
  /** Pause before the first instruction until GDB continues (QEMU's -S). */
  wait?: boolean;
  /** Messages for the user (stderr in the CLI). */
  log?: (msg: string) => void;
}

export class GdbStub {
  private server: Server | null = null;
  private client: Socket | null = null;
  private decoder = new RspDecoder();
  private noAck = false;
  /** The stop GDB has not been told about yet, or the last one (for `?`). */
  private lastStop: DebugStop | null = null;
  /** GDB waits for a stop reply (after c, s, or ? while running). */
  private awaitingStop = false;
  private exited = false;
  /** GDB sent k (or vKill): the machine was stopped on its request. */
  killed = false;

  constructor(private readonly machine: Machine, private readonly opts: GdbStubOptions) {
    machine.attachDebugger({ onStop: (s) => this.onStop(s) }, !!opts.wait);
  }

  /** Starts listening; resolves with the port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((sock) => this.accept(sock));
      server.once('error', reject);
      server.listen(this.opts.port, '127.0.0.1', () => {
        this.server = server;
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.opts.port);
      });
    });
  }

  close(): void {
    this.client?.destroy();
    this.client = null;
    this.server?.close();
    this.server = null;
  }

  private accept(sock: Socket): void {
    if (this.client) {
      sock.end();
      return;
    }
    this.client = sock;
    this.noAck = false;
    this.decoder = new RspDecoder();
    sock.setNoDelay(true);
    sock.on('data', (d) => this.onData(d));
    sock.on('close', () => {
      if (this.client === sock) {
        this.client = null;
        this.opts.log?.('gdb disconnected');
      }
    });
    sock.on('error', () => {});
    this.opts.log?.(`gdb connected from ${sock.remoteAddress}:${sock.remotePort}`);
    // As QEMU: a client attaching stops the guest.
    if (!this.machine.debugPaused) this.machine.debugInterrupt();
  }

  private send(data: string): void {
    this.client?.write(Buffer.from(framePacket(data), 'latin1'));
  }

  private onStop(stop: DebugStop): void {
    if (stop.kind === 'exited') this.exited = true;
    this.lastStop = stop;
    if (this.awaitingStop && this.client) {
      this.awaitingStop = false;
      this.send(this.stopReply(stop));
    }
  }

  private stopReply(stop: DebugStop): string {
    switch (stop.kind) {
      case 'exited':
        return `W${(stop.code & 0xff).toString(16).padStart(2, '0')}`;
      case 'interrupt':
        return 'T02thread:01;';
      case 'watch': {
        const name = stop.access === 'write' ? 'watch' : stop.access === 'read' ? 'rwatch' : 'awatch';
        return `T05${name}:${stop.addr.toString(16)};thread:01;`;
      }
      default:
        return 'T05thread:01;';
    }
  }

  private onData(d: Buffer): void {
    for (const ev of this.decoder.push(d)) {
      if (ev.kind === 'interrupt') {
        if (!this.machine.debugPaused) this.machine.debugInterrupt();
        continue;
      }
      if (ev.kind === 'bad') {
        if (!this.noAck) this.client?.write('-');
        continue;
      }
      if (!this.noAck) this.client?.write('+');
      let reply: string | null;
      try {
        reply = this.handle(ev.data);
      } catch {
        reply = 'E01';
      }
      if (reply !== null) this.send(reply);
    }
  }

  /** Answers one packet; null when the answer comes later (a stop reply) or never (k). */
  private handle(p: string): string | null {
    const m = this.machine;
    const core = m.coreExports;
    if (this.exited && p[0] !== 'q' && p[0] !== 'D' && p[0] !== 'k' && p[0] !== '?') return 'E01';
    switch (p[0]) {
      case '?':
        if (this.lastStop && m.debugPaused) return this.stopReply(this.lastStop);
        if (this.exited && this.lastStop) return this.stopReply(this.lastStop);
        this.awaitingStop = true;
        return null;
      case 'q':
        return this.query(p);
      case 'Q':
        if (p === 'QStartNoAckMode') {
          this.send('OK');
          this.noAck = true;
          return null;
        }
        return '';
      case 'H':
        return 'OK';
      case 'T':
        return 'OK';
      case 'g': {
        this.needPaused();
        let s = '';
        for (let r = 0; r <= REG_FPCR; r++) s += this.readReg(r);
        return s;
      }
      case 'G': {
        this.needPaused();
        let off = 0;
        const hex = p.slice(1);
        for (let r = 0; r <= REG_FPCR && off < hex.length; r++) {
          const len = regBytes(r) * 2;
          this.writeReg(r, hex.slice(off, off + len));
          off += len;
        }
        return 'OK';
      }
      case 'p': {
        this.needPaused();
        const r = parseInt(p.slice(1), 16);
        return r >= 0 && r <= REG_FPCR ? this.readReg(r) : 'E00';
      }
      case 'P': {
        this.needPaused();
        const [n, v] = p.slice(1).split('=');
        const r = parseInt(n, 16);
        if (!(r >= 0 && r <= REG_FPCR) || v.length !== regBytes(r) * 2) return 'E00';
        this.writeReg(r, v);
        return 'OK';
      }
      case 'm': {
        this.needPaused();
        const [a, l] = p.slice(1).split(',');
        const bytes = this.readMemory(BigInt('0x' + a), Math.min(parseInt(l, 16), PACKET_SIZE / 2));
        return bytes === null ? 'E14' : hexOf(bytes);
      }
      case 'M': {
        this.needPaused();
        const [head, data] = p.slice(1).split(':');
        const [a] = head.split(',');
        return this.writeMemory(BigInt('0x' + a), bytesOfHex(data)) ? 'OK' : 'E14';
      }
      case 'X': {
        this.needPaused();
        const colon = p.indexOf(':');
        const [a] = p.slice(1, colon).split(',');
        return this.writeMemory(BigInt('0x' + a), unescapeBinary(p.slice(colon + 1))) ? 'OK' : 'E14';
      }
      case 'Z':
      case 'z': {
        const [type, a, k] = p.slice(1).split(',');
        const addr = BigInt('0x' + a);
        const len = BigInt('0x' + k);
        const set = p[0] === 'Z';
        let ok: number;
        switch (type) {
          case '0':
          case '1':
            ok = set ? core.debugAddBreak!(addr) : core.debugRemoveBreak!(addr);
            break;
          case '2':
          case '3':
          case '4': {
            const kind = type === '2' ? 1 : type === '3' ? 2 : 3;
            ok = set ? core.debugAddWatch!(addr, len, kind) : core.debugRemoveWatch!(addr, len, kind);
            break;
          }
          default:
            return '';
        }
        return ok || !set ? 'OK' : 'E01';
      }
      case 'c':
        if (p.length > 1) core.setPC(BigInt('0x' + p.slice(1)));
        this.awaitingStop = true;
        m.resume('continue');
        return null;
      case 's':
        if (p.length > 1) core.setPC(BigInt('0x' + p.slice(1)));
        this.awaitingStop = true;
        m.resume('step');
        return null;
      case 'D':
        this.send('OK');
        m.detachDebugger();
        this.client?.end();
        return null;
      case 'k':
        this.killed = true;
        this.client?.end();
        m.stop();
        return null;
      case 'v':
        if (p === 'vMustReplyEmpty') return '';
        if (p.startsWith('vKill')) {
          this.send('OK');
          this.killed = true;
          this.client?.end();
          m.stop();
          return null;
        }
        return ''; // vCont and the rest: not supported, GDB uses c/s
      default:
        return '';
    }
  }

  private query(p: string): string {
    if (p.startsWith('qSupported')) return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;QStartNoAckMode+`;
    if (p.startsWith('qXfer:features:read:')) {
      const [annex, range] = p.slice('qXfer:features:read:'.length).split(':');
      if (annex !== 'target.xml') return 'E00';
      const [o, l] = range.split(',').map((x) => parseInt(x, 16));
      const chunk = TARGET_XML.slice(o, o + l);
      return (o + l >= TARGET_XML.length ? 'l' : 'm') + chunk;
    }
    if (p === 'qAttached') return '1';
    if (p === 'qC') return 'QC01';
    if (p === 'qfThreadInfo') return 'm01';
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qSymbol')) return 'OK';
    if (p.startsWith('qThreadExtraInfo')) return hexOf(new TextEncoder().encode('cpu0'));
    return '';
  }

  private needPaused(): void {
    if (!this.machine.debugPaused) throw new Error('machine is running');
  }

  private readReg(r: number): string {
    const core = this.machine.coreExports;
    if (r < 31) return le64(core.getX(r));
    if (r === REG_SP) return le64(core.getX(31));
    if (r === REG_PC) return le64(core.getPC());
    if (r === REG_CPSR) return le32(core.getPSTATE());
    if (r < REG_FPSR) {
      const n = r - REG_V0;
      return le64(core.getV!(n, 0)) + le64(core.getV!(n, 1));
    }
    return le32(r === REG_FPSR ? core.getFPSR!() : core.getFPCR!());
  }

  private writeReg(r: number, hex: string): void {
    const core = this.machine.coreExports;
    if (r <= 30 || r === REG_SP) core.setX(r, BigInt.asIntN(64, parseLe(hex)));
    else if (r === REG_PC) core.setPC(BigInt.asIntN(64, parseLe(hex)));
    else if (r === REG_CPSR) core.setPSTATE(Number(parseLe(hex)) | 0);
    else if (r < REG_FPSR) {
      const n = r - REG_V0;
      core.setV!(n, 0, BigInt.asIntN(64, parseLe(hex.slice(0, 16))));
      core.setV!(n, 1, BigInt.asIntN(64, parseLe(hex.slice(16, 32))));
    } else if (r === REG_FPSR) core.setFPSR!(Number(parseLe(hex)) | 0);
    else core.setFPCR!(Number(parseLe(hex)) | 0);
  }

  /** Guest-virtual -> RAM offset through the guest's MMU (current EL), or -1. */
  private ramOffset(va: bigint): number {
    const pa = this.machine.coreExports.debugTranslate!(BigInt.asIntN(64, va));
    if (pa < 0) return -1;
    const off = pa - RAM_BASE;
    return off >= 0 && off < this.machine.ramBytes ? off : -1;
  }

  /** Reads up to `len` bytes; stops at the first unreadable page (null if none could be read). */
  private readMemory(va: bigint, len: number): Uint8Array | null {
    const out: number[] = [];
    const ram = this.machine.ram;
    while (out.length < len) {
      const a = BigInt.asUintN(64, va + BigInt(out.length));
      const off = this.ramOffset(a);
      if (off < 0) break;
      const inPage = 0x1000 - Number(a & 0xfffn);
      const n = Math.min(inPage, len - out.length);
      for (let i = 0; i < n; i++) out.push(ram[off + i]);
    }
    return out.length || len === 0 ? Uint8Array.from(out) : null;
  }

  /** Writes all of `bytes` or nothing (every page is translated first). */
  private writeMemory(va: bigint, bytes: Uint8Array): boolean {
    const spans: [number, number, number][] = [];
    let done = 0;
    while (done < bytes.length) {
      const a = BigInt.asUintN(64, va + BigInt(done));
      const off = this.ramOffset(a);
      if (off < 0) return false;
      const n = Math.min(0x1000 - Number(a & 0xfffn), bytes.length - done);
      spans.push([off, done, n]);
      done += n;
    }
    const ram = this.machine.ram;
    for (const [off, from, n] of spans) ram.set(bytes.subarray(from, from + n), off);
    return true;
  }
}

function regBytes(r: number): number {
  if (r === REG_CPSR || r === REG_FPSR || r === REG_FPCR) return 4;
  if (r >= REG_V0 && r < REG_FPSR) return 16;
  return 8;
}
