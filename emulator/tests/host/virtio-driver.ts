// A minimal virtio-mmio guest driver for tests: negotiates features, sets up
// split virtqueues in a RAM array and submits descriptor chains, going
// through the transport's registers only.
import { LatchLine } from '../../src/devices/bus.ts';
import { REG, STATUS, type VirtioBackend, VirtioMmio } from '../../src/devices/virtio-mmio.ts';
import { RamMemory, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../src/devices/virtqueue.ts';

export const RAM_BASE = 0x4000_0000;

export interface Buf {
  /** Bytes the device reads, or a number of bytes it may write. */
  data: Uint8Array | number;
}

export class TestDriver {
  readonly ram = new Uint8Array(1 << 20);
  readonly dv = new DataView(this.ram.buffer);
  readonly irq = new LatchLine();
  readonly errors: string[] = [];
  readonly t: VirtioMmio;
  private queues: { size: number; desc: number; avail: number; used: number; nextDesc: number; availIdx: number; usedSeen: number }[] = [];
  private heap = RAM_BASE + 0x80000; // data buffers from here

  constructor(backend: VirtioBackend) {
    this.t = new VirtioMmio(0, this.irq, new RamMemory(() => this.ram, RAM_BASE), backend, (m) => this.errors.push(m));
  }

  r(off: number) {
    return this.t.read(off, 4);
  }
  w(off: number, v: number) {
    this.t.write(off, 4, v);
  }

  /** Runs the init sequence; `features` are bit numbers besides VERSION_1. Returns FEATURES_OK. */
  init(features: number[], queues: number): boolean {
    this.w(REG.Status, 0);
    this.w(REG.Status, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
    const words = [0, 1 /* VERSION_1 */];
    for (const f of features) words[f >> 5] |= 1 << (f & 31);
    for (const i of [0, 1]) {
      this.w(REG.DriverFeaturesSel, i);
      this.w(REG.DriverFeatures, words[i]);
    }
    this.w(REG.Status, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
    if (!(this.r(REG.Status) & STATUS.FEATURES_OK)) return false;
    for (let q = 0; q < queues; q++) {
      const size = 16;
      const base = RAM_BASE + 0x1000 + q * 0x4000;
      const qs = { size, desc: base, avail: base + 0x1000, used: base + 0x2000, nextDesc: 0, availIdx: 0, usedSeen: 0 };
      this.queues.push(qs);
      this.w(REG.QueueSel, q);
      this.w(REG.QueueNum, size);
      this.w(REG.QueueDescLow, qs.desc);
      this.w(REG.QueueDriverLow, qs.avail);
      this.w(REG.QueueDeviceLow, qs.used);
      this.w(REG.QueueReady, 1);
    }
    this.w(REG.Status, this.r(REG.Status) | STATUS.DRIVER_OK);
    return true;
  }

  config(off: number, size: number) {
    return this.t.read(REG.Config + off, size);
  }

  /** Posts a chain without notifying; returns the guest addresses of its buffers. */
  post(q: number, bufs: Buf[]): number[] {
    const qs = this.queues[q];
    const addrs: number[] = [];
    const head = qs.nextDesc;
    bufs.forEach((b, i) => {
      const len = typeof b.data === 'number' ? b.data : b.data.length;
      const addr = this.heap;
      this.heap += (len + 15) & ~15;
      if (typeof b.data !== 'number') this.ram.set(b.data, addr - RAM_BASE);
      const d = qs.nextDesc;
      qs.nextDesc = (qs.nextDesc + 1) % qs.size;
      const o = qs.desc - RAM_BASE + 16 * d;
      this.dv.setBigUint64(o, BigInt(addr), true);
      this.dv.setUint32(o + 8, len, true);
      this.dv.setUint16(o + 12, (typeof b.data === 'number' ? VIRTQ_DESC_F_WRITE : 0) | (i < bufs.length - 1 ? VIRTQ_DESC_F_NEXT : 0), true);
      this.dv.setUint16(o + 14, qs.nextDesc, true);
      addrs.push(addr);
    });
    this.dv.setUint16(qs.avail - RAM_BASE + 4 + 2 * (qs.availIdx % qs.size), head, true);
    qs.availIdx = (qs.availIdx + 1) & 0xffff;
    this.dv.setUint16(qs.avail - RAM_BASE + 2, qs.availIdx, true);
    return addrs;
  }

  notify(q: number) {
    this.w(REG.QueueNotify, q);
  }

  /** New used-ring entries since the last call. */
  used(q: number): { id: number; len: number }[] {
    const qs = this.queues[q];
    const idx = this.dv.getUint16(qs.used - RAM_BASE + 2, true);
    const out = [];
    while (qs.usedSeen !== idx) {
      const o = qs.used - RAM_BASE + 4 + 8 * (qs.usedSeen % qs.size);
      out.push({ id: this.dv.getUint32(o, true), len: this.dv.getUint32(o + 4, true) });
      qs.usedSeen = (qs.usedSeen + 1) & 0xffff;
    }
    return out;
  }

  bytes(addr: number, len: number): Uint8Array {
    return this.ram.slice(addr - RAM_BASE, addr - RAM_BASE + len);
  }

  ack() {
    this.w(REG.InterruptACK, this.r(REG.InterruptStatus));
  }
}
