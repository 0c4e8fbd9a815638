// virtio-blk driven through the transport: capacity, read, write, flush,
// get-id, read-only, out-of-range and unsupported requests; the Node file
// store against the bytes on disk.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileBlockStore } from '../../src/devices/file-block-store.ts';
import {
  MemoryBlockStore, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_RO, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VirtioBlk, type BlockStore,
} from '../../src/devices/virtio-blk.ts';
import { REG } from '../../src/devices/virtio-mmio.ts';
import { TestDriver } from './virtio-driver.ts';

function header(type: number, sector: number): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, type, true);
  v.setBigUint64(8, BigInt(sector), true);
  return h;
}

function disk(sectors: number): Uint8Array {
  const d = new Uint8Array(sectors * 512);
  for (let i = 0; i < d.length; i++) d[i] = (i * 7 + (i >> 9)) & 0xff;
  return d;
}

function setup(store: BlockStore, serial?: string) {
  const blk = new VirtioBlk(store, serial);
  const d = new TestDriver(blk);
  expect(d.init([VIRTIO_BLK_F_FLUSH, ...(store.readOnly ? [VIRTIO_BLK_F_RO] : [])], 1)).toBe(true);
  /** One request: header, optional data out, `inLen` bytes in + status. Returns [status, data in, used len]. */
  const req = (type: number, sector: number, out?: Uint8Array, inLen = 0) => {
    const bufs = [{ data: header(type, sector) }, ...(out ? [{ data: out }] : []), ...(inLen ? [{ data: inLen }] : []), { data: 1 }];
    const addrs = d.post(0, bufs);
    d.notify(0);
    const used = d.used(0);
    expect(used).toHaveLength(1);
    const status = d.bytes(addrs[addrs.length - 1], 1)[0];
    const data = inLen ? d.bytes(addrs[addrs.length - 2], inLen) : new Uint8Array(0);
    return { status, data, len: used[0].len };
  };
  return { blk, d, req };
}

describe('virtio-blk', () => {
  it('is device 2 with its capacity in 512-byte sectors', () => {
    const { d } = setup(new MemoryBlockStore(disk(2048)));
    expect(d.r(REG.DeviceID)).toBe(2);
    expect(d.config(0, 4)).toBe(2048);
    expect(d.config(4, 4)).toBe(0);
    expect(d.config(20, 4)).toBe(512);
  });

  it('reads and writes sectors', () => {
    const data = disk(64);
    const { req, d } = setup(new MemoryBlockStore(data));
    const r = req(VIRTIO_BLK_T_IN, 3, undefined, 1024);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.len).toBe(1025);
    expect(r.data).toEqual(data.slice(3 * 512, 5 * 512));
    expect(d.irq.level).toBe(true);
    d.ack();
    const payload = new Uint8Array(512).fill(0xab);
    expect(req(VIRTIO_BLK_T_OUT, 10, payload).status).toBe(VIRTIO_BLK_S_OK);
    expect(data.slice(10 * 512, 11 * 512)).toEqual(payload);
    expect(req(VIRTIO_BLK_T_IN, 10, undefined, 512).data).toEqual(payload);
  });

  it('flushes the store', () => {
    const store = new MemoryBlockStore(disk(8));
    const { req, blk } = setup(store);
    expect(req(VIRTIO_BLK_T_FLUSH, 0).status).toBe(VIRTIO_BLK_S_OK);
    expect(store.flushes).toBe(1);
    expect(blk.counts.flushes).toBe(1);
  });

  it('answers GET_ID with the serial, NUL padded to 20 bytes', () => {
    const { req } = setup(new MemoryBlockStore(disk(8)), 'sis-system');
    const r = req(VIRTIO_BLK_T_GET_ID, 0, undefined, 20);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(new TextDecoder().decode(r.data)).toBe('sis-system'.padEnd(20, '\0'));
  });

  it('offers RO for a read-only store and fails writes without changing it', () => {
    const data = disk(8);
    const before = data.slice();
    const { req, d } = setup(new MemoryBlockStore(data, true));
    d.w(REG.DeviceFeaturesSel, 0);
    expect(d.r(REG.DeviceFeatures) & (1 << VIRTIO_BLK_F_RO)).toBeTruthy();
    expect(req(VIRTIO_BLK_T_OUT, 0, new Uint8Array(512)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(data).toEqual(before);
    expect(req(VIRTIO_BLK_T_IN, 0, undefined, 512).status).toBe(VIRTIO_BLK_S_OK);
  });

  it('fails requests past the end or not sector-sized, leaving the buffers alone', () => {
    const data = disk(8);
    const before = data.slice();
    const { req } = setup(new MemoryBlockStore(data));
    const r = req(VIRTIO_BLK_T_IN, 7, undefined, 1024);
    expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(r.data.every((b) => b === 0)).toBe(true);
    expect(req(VIRTIO_BLK_T_OUT, 8, new Uint8Array(512)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(req(VIRTIO_BLK_T_OUT, 0, new Uint8Array(100)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(data).toEqual(before);
  });

  it('answers UNSUPP for an unknown request type', () => {
    const { req } = setup(new MemoryBlockStore(disk(8)));
    expect(req(11, 0).status).toBe(VIRTIO_BLK_S_UNSUPP);
  });

  it('a grown disk: new capacity, ConfigGeneration bumped, configuration-change interrupt; I/O reaches the new sectors', () => {
    const store = new MemoryBlockStore(disk(64));
    const { blk, d, req } = setup(store);
    const gen = d.r(REG.ConfigGeneration);
    expect(d.irq.level).toBe(false);
    store.resize(128 * 512);
    blk.capacityChanged();
    expect(d.config(0, 4)).toBe(128);
    expect(d.r(REG.ConfigGeneration)).toBe((gen + 1) >>> 0);
    expect(d.r(REG.InterruptStatus) & 2).toBe(2);
    expect(d.irq.level).toBe(true);
    d.ack();
    expect(d.irq.level).toBe(false);
    expect(req(VIRTIO_BLK_T_OUT, 100, new Uint8Array(512).fill(0x5a)).status).toBe(VIRTIO_BLK_S_OK);
    expect(store.data[100 * 512]).toBe(0x5a);
    expect(() => store.resize(1000)).toThrow(/multiple of 512/);
    expect(store.data.length).toBe(128 * 512);
  });

  it('refuses a store that is not a whole number of sectors', () => {
    expect(() => new MemoryBlockStore(new Uint8Array(1000))).toThrow(/multiple of 512/);
  });

  it('works on a host file (FileBlockStore)', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sis-blk-')), 'disk.img');
    writeFileSync(f, disk(16));
    const store = new FileBlockStore(f);
    const { req } = setup(store);
    expect(req(VIRTIO_BLK_T_IN, 1, undefined, 512).data).toEqual(disk(16).slice(512, 1024));
    req(VIRTIO_BLK_T_OUT, 2, new Uint8Array(512).fill(0x5a));
    req(VIRTIO_BLK_T_FLUSH, 0);
    store.close();
    expect(readFileSync(f).subarray(1024, 1536).every((b) => b === 0x5a)).toBe(true);
    const ro = new FileBlockStore(f, true);
    expect(ro.readOnly).toBe(true);
    expect(() => ro.write(0, new Uint8Array(512))).toThrow(/read-only/);
    ro.close();
    writeFileSync(f, new Uint8Array(1000));
    expect(() => new FileBlockStore(f)).toThrow(/multiple of 512/);
  });
});
