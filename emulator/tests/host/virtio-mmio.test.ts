// The virtio-mmio transport driven as a guest driver would: registers through
// read/write, a split virtqueue laid out in a RAM array, a fake backend that
// answers each request with its bytes reversed.
import { describe, expect, it } from 'vitest';
import { LatchLine } from '../../src/devices/bus.ts';
import { INT_CONFIG_CHANGE, INT_USED_BUFFER, REG, STATUS, VIRTIO_F_INDIRECT_DESC, VIRTIO_MAGIC, VIRTIO_VENDOR, type VirtioBackend, type VirtioContext, VirtioMmio } from '../../src/devices/virtio-mmio.ts';
import { RamMemory, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, type Virtqueue } from '../../src/devices/virtqueue.ts';

const BASE = 0x4000_0000;
const DESC = BASE + 0x1000, AVAIL = BASE + 0x2000, USED = BASE + 0x3000, DATA = BASE + 0x8000;
const QSIZE = 8;

class ReverseBackend implements VirtioBackend {
  deviceId = 42;
  features = [VIRTIO_F_INDIRECT_DESC, 3];
  queueCount = 1;
  queueMaxSize = 16;
  config = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  resets = 0;
  ctx!: VirtioContext;
  attach(ctx: VirtioContext) {
    this.ctx = ctx;
  }
  configRead(off: number, size: number) {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | (this.config[off + i] ?? 0);
    return v >>> 0;
  }
  configWrite(off: number, _size: number, value: number) {
    this.config[off] = value & 0xff;
  }
  notify(q: number, vq: Virtqueue, ctx: VirtioContext) {
    for (let c = vq.pop(); c; c = vq.pop()) {
      const n = vq.write(c, vq.read(c).reverse());
      vq.push(c.head, n);
    }
    ctx.used(q);
  }
  reset() {
    this.resets++;
  }
}

function setup(backend: VirtioBackend | null = new ReverseBackend()) {
  const ram = new Uint8Array(1 << 16);
  const dv = new DataView(ram.buffer);
  const irq = new LatchLine();
  const errors: string[] = [];
  const t = new VirtioMmio(3, irq, new RamMemory(() => ram, BASE), backend, (m) => errors.push(m));
  const r = (off: number) => t.read(off, 4);
  const w = (off: number, v: number) => t.write(off, 4, v);
  const at = (a: number) => a - BASE;
  let availIdx = 0;
  const driver = {
    init(features: [number, number]) {
      w(REG.Status, 0);
      w(REG.Status, STATUS.ACKNOWLEDGE);
      w(REG.Status, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
      w(REG.DriverFeaturesSel, 0);
      w(REG.DriverFeatures, features[0]);
      w(REG.DriverFeaturesSel, 1);
      w(REG.DriverFeatures, features[1]);
      w(REG.Status, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
      return (r(REG.Status) & STATUS.FEATURES_OK) !== 0;
    },
    setupQueue() {
      w(REG.QueueSel, 0);
      w(REG.QueueNum, QSIZE);
      w(REG.QueueDescLow, DESC);
      w(REG.QueueDescHigh, 0);
      w(REG.QueueDriverLow, AVAIL);
      w(REG.QueueDriverHigh, 0);
      w(REG.QueueDeviceLow, USED);
      w(REG.QueueDeviceHigh, 0);
      w(REG.QueueReady, 1);
      w(REG.Status, r(REG.Status) | STATUS.DRIVER_OK);
    },
    desc(table: number, i: number, addr: number, len: number, flags: number, next = 0) {
      const o = at(table) + 16 * i;
      dv.setBigUint64(o, BigInt(addr), true);
      dv.setUint32(o + 8, len, true);
      dv.setUint16(o + 12, flags, true);
      dv.setUint16(o + 14, next, true);
    },
    submit(head: number) {
      dv.setUint16(at(AVAIL) + 4 + 2 * (availIdx % QSIZE), head, true);
      availIdx++;
      dv.setUint16(at(AVAIL) + 2, availIdx, true);
      w(REG.QueueNotify, 0);
    },
    used(i: number) {
      return { idx: dv.getUint16(at(USED) + 2, true), id: dv.getUint32(at(USED) + 4 + 8 * i, true), len: dv.getUint32(at(USED) + 8 + 8 * i, true) };
    },
  };
  return { t, r, w, ram, dv, irq, errors, driver, at, backend };
}

describe('virtio-mmio transport', () => {
  it('identifies itself as a version 2 device with the backend id', () => {
    const { r } = setup();
    expect(r(REG.MagicValue)).toBe(VIRTIO_MAGIC);
    expect(r(REG.Version)).toBe(2);
    expect(r(REG.DeviceID)).toBe(42);
    expect(r(REG.VendorID)).toBe(VIRTIO_VENDOR);
  });

  it('answers DeviceID 0 and ignores writes in an empty slot', () => {
    const { r, w, errors } = setup(null);
    expect(r(REG.MagicValue)).toBe(VIRTIO_MAGIC);
    expect(r(REG.DeviceID)).toBe(0);
    w(REG.Status, 1);
    expect(r(REG.Status)).toBe(0);
    expect(errors).toEqual([]);
  });

  it('offers its features plus VERSION_1 in two words', () => {
    const { r, w } = setup();
    w(REG.DeviceFeaturesSel, 0);
    expect(r(REG.DeviceFeatures)).toBe(((1 << 28) | (1 << 3)) >>> 0);
    w(REG.DeviceFeaturesSel, 1);
    expect(r(REG.DeviceFeatures)).toBe(1);
    w(REG.DeviceFeaturesSel, 2);
    expect(r(REG.DeviceFeatures)).toBe(0);
  });

  it('refuses FEATURES_OK without VERSION_1 or with unoffered features', () => {
    const s = setup();
    expect(s.driver.init([0, 0])).toBe(false);
    expect(s.driver.init([1 << 5, 1])).toBe(false);
    expect(s.driver.init([1 << 3, 1])).toBe(true);
  });

  it('moves a request through a descriptor chain and signals the used buffer', () => {
    const { driver, ram, at, irq, r, w } = setup();
    expect(driver.init([0, 1])).toBe(true);
    driver.setupQueue();
    ram.set([1, 2, 3], at(DATA));
    ram.set([4, 5], at(DATA + 3));
    driver.desc(DESC, 0, DATA, 3, VIRTQ_DESC_F_NEXT, 5);
    driver.desc(DESC, 5, DATA + 3, 2, VIRTQ_DESC_F_NEXT, 2);
    driver.desc(DESC, 2, DATA + 0x100, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
    driver.desc(DESC, 3, DATA + 0x200, 4, VIRTQ_DESC_F_WRITE);
    driver.submit(0);
    expect(driver.used(0)).toEqual({ idx: 1, id: 0, len: 5 });
    expect([...ram.subarray(at(DATA + 0x100), at(DATA + 0x104))]).toEqual([5, 4, 3, 2]);
    expect(ram[at(DATA + 0x200)]).toBe(1);
    expect(r(REG.InterruptStatus)).toBe(INT_USED_BUFFER);
    expect(irq.level).toBe(true);
    w(REG.InterruptACK, INT_USED_BUFFER);
    expect(irq.level).toBe(false);
  });

  it('follows indirect tables once negotiated', () => {
    const { driver, ram, at } = setup();
    driver.init([1 << VIRTIO_F_INDIRECT_DESC, 1]);
    driver.setupQueue();
    const TABLE = DATA + 0x400;
    ram.set([9, 8, 7], at(DATA));
    driver.desc(TABLE, 0, DATA, 3, VIRTQ_DESC_F_NEXT, 1);
    driver.desc(TABLE, 1, DATA + 0x100, 3, VIRTQ_DESC_F_WRITE);
    driver.desc(DESC, 1, TABLE, 32, VIRTQ_DESC_F_INDIRECT);
    driver.submit(1);
    expect(driver.used(0)).toEqual({ idx: 1, id: 1, len: 3 });
    expect([...ram.subarray(at(DATA + 0x100), at(DATA + 0x103))]).toEqual([7, 8, 9]);
  });

  it('honours VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const { driver, dv, at, irq } = setup();
    driver.init([0, 1]);
    driver.setupQueue();
    dv.setUint16(at(AVAIL), 1, true);
    driver.desc(DESC, 0, DATA, 1, 0);
    driver.submit(0);
    expect(driver.used(0).idx).toBe(1);
    expect(irq.level).toBe(false);
  });

  it('sets DEVICE_NEEDS_RESET for a buffer outside RAM and touches nothing', () => {
    const { driver, r, irq, errors, ram, at } = setup();
    driver.init([0, 1]);
    driver.setupQueue();
    driver.desc(DESC, 0, 0x1000, 4, 0);
    driver.submit(0);
    expect(r(REG.Status) & STATUS.DEVICE_NEEDS_RESET).toBe(STATUS.DEVICE_NEEDS_RESET);
    expect(r(REG.InterruptStatus) & INT_CONFIG_CHANGE).toBe(INT_CONFIG_CHANGE);
    expect(irq.level).toBe(true);
    expect(errors.join('\n')).toMatch(/outside RAM/);
    // the used ring is untouched, and later notifies are ignored until reset
    expect(ram.subarray(at(USED), at(USED) + 4 + 8 * QSIZE).every((b) => b === 0)).toBe(true);
    driver.desc(DESC, 1, DATA, 1, 0);
    driver.submit(1);
    expect(driver.used(0).idx).toBe(0);
  });

  it('detects a descriptor loop', () => {
    const { driver, r, errors } = setup();
    driver.init([0, 1]);
    driver.setupQueue();
    driver.desc(DESC, 0, DATA, 1, VIRTQ_DESC_F_NEXT, 1);
    driver.desc(DESC, 1, DATA, 1, VIRTQ_DESC_F_NEXT, 0);
    driver.submit(0);
    expect(r(REG.Status) & STATUS.DEVICE_NEEDS_RESET).toBeTruthy();
    expect(errors.join('\n')).toMatch(/loops/);
  });

  it('rejects a bad queue size and queue writes while ready', () => {
    const { w, r, errors } = setup();
    w(REG.QueueSel, 0);
    expect(r(REG.QueueNumMax)).toBe(16);
    w(REG.QueueNum, 32);
    w(REG.QueueReady, 1);
    expect(r(REG.QueueReady)).toBe(0);
    expect(errors.join('\n')).toMatch(/bad size 32/);
    w(REG.QueueSel, 1);
    expect(r(REG.QueueNumMax)).toBe(0);
  });

  it('resets on status 0: queues, features, interrupt and backend', () => {
    const { driver, r, w, irq, backend } = setup();
    driver.init([0, 1]);
    driver.setupQueue();
    driver.desc(DESC, 0, DATA, 1, 0);
    driver.submit(0);
    expect(irq.level).toBe(true);
    const resets = (backend as ReverseBackend).resets;
    w(REG.Status, 0);
    expect(r(REG.Status)).toBe(0);
    expect(r(REG.QueueReady)).toBe(0);
    expect(r(REG.InterruptStatus)).toBe(0);
    expect(irq.level).toBe(false);
    expect((backend as ReverseBackend).resets).toBe(resets + 1);
  });

  it('reads config space with any width and bumps the generation on change', () => {
    const { t, r, irq, backend } = setup();
    expect(t.read(REG.Config + 1, 1)).toBe(2);
    expect(t.read(REG.Config + 2, 2)).toBe(0x0403);
    expect(t.read(REG.Config + 4, 4)).toBe(0x08070605);
    t.write(REG.Config, 1, 0x99);
    expect(t.read(REG.Config, 1)).toBe(0x99);
    const g = r(REG.ConfigGeneration);
    (backend as ReverseBackend).ctx.configChanged();
    expect(r(REG.ConfigGeneration)).toBe(g + 1);
    expect(r(REG.InterruptStatus)).toBe(INT_CONFIG_CHANGE);
    expect(irq.level).toBe(true);
  });

  it('carries negotiated state and live queues through getState/setState', () => {
    const a = setup();
    a.driver.init([0, 1]);
    a.driver.setupQueue();
    a.driver.desc(DESC, 0, DATA, 1, 0);
    a.driver.submit(0);
    const state = a.t.getState();
    // a second transport on the same RAM picks up where the first stopped
    const irq = new LatchLine();
    const b = new VirtioMmio(3, irq, new RamMemory(() => a.ram, BASE), new ReverseBackend());
    b.setState(JSON.parse(JSON.stringify(state)));
    expect(b.read(REG.Status, 4)).toBe(a.r(REG.Status));
    expect(b.read(REG.QueueReady, 4)).toBe(1);
    expect(irq.level).toBe(true);
    a.driver.desc(DESC, 1, DATA, 1, 0);
    const dv = a.dv;
    dv.setUint16(a.at(AVAIL) + 4 + 2, 1, true);
    dv.setUint16(a.at(AVAIL) + 2, 2, true);
    b.write(REG.QueueNotify, 4, 0);
    expect(a.driver.used(1)).toEqual({ idx: 2, id: 1, len: 0 });
  });

  it('logs sub-word register accesses as guest errors', () => {
    const { t, errors } = setup();
    expect(t.read(REG.MagicValue, 1)).toBe(0);
    expect(errors[0]).toMatch(/read of 1 bytes/);
  });
});
