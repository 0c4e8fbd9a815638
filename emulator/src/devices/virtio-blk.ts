// virtio-blk backend (virtio 1.2 section 5.2): one request queue; requests
// are a 16-byte header (type u32, reserved u32, sector u64), data buffers,
// and a status byte the device writes last. Types: IN (read), OUT (write),
// FLUSH, GET_ID; anything else answers UNSUPP. QEMU: `-drive
// file=F,if=none,id=d -device virtio-blk-device,drive=d`.
//
// Storage is a BlockStore: synchronous, byte-addressed, a whole number of
// 512-byte sectors. A read-only store offers VIRTIO_BLK_F_RO and fails writes
// with IOERR; requests past the end fail with IOERR and leave the data
// buffers untouched (only the status byte is written). When the store's size
// changes (a disk grown by the host), capacityChanged() updates the config
// space and raises the configuration-change interrupt, as QEMU's
// `block_resize` does.

import type { VirtioBackend, VirtioContext } from './virtio-mmio.ts';
import { type DescChain, Virtqueue } from './virtqueue.ts';

export const VIRTIO_ID_BLOCK = 2;
export const SECTOR = 512;

export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_FLUSH = 9;

export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;

export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

const QUEUE_SIZE = 128;
const SEG_MAX = QUEUE_SIZE - 2;
const ID_BYTES = 20;

export interface BlockStore {
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  read(offset: number, into: Uint8Array): void;
  write(offset: number, data: Uint8Array): void;
  /** Make everything written so far durable. */
  flush(): void;
}

/** A disk in a Uint8Array (tests, the browser before persistence). */
export class MemoryBlockStore implements BlockStore {
  flushes = 0;
  constructor(
    public data: Uint8Array,
    readonly readOnly = false,
  ) {
    if (data.length % SECTOR) throw new Error(`disk size ${data.length} is not a multiple of ${SECTOR} bytes`);
  }
  /** Grows or shrinks the disk (new bytes read as zero); a whole number of sectors. */
  resize(sizeBytes: number) {
    if (!Number.isInteger(sizeBytes) || sizeBytes < 0 || sizeBytes % SECTOR) throw new RangeError(`disk size ${sizeBytes} is not a multiple of ${SECTOR} bytes`);
    const d = new Uint8Array(sizeBytes);
    d.set(this.data.subarray(0, Math.min(sizeBytes, this.data.length)));
    this.data = d;
  }
  get sizeBytes() {
    return this.data.length;
  }
  read(offset: number, into: Uint8Array) {
    into.set(this.data.subarray(offset, offset + into.length));
  }
  write(offset: number, data: Uint8Array) {
    this.data.set(data, offset);
  }
  flush() {
    this.flushes++;
  }
}

export class VirtioBlk implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: number[];
  readonly queueCount = 1;
  readonly queueMaxSize = QUEUE_SIZE;
  private readonly config = new Uint8Array(24);
  /** Counters for inspectors and tests. */
  readonly counts = { reads: 0, writes: 0, flushes: 0, errors: 0 };
  private ctx: VirtioContext | null = null;

  constructor(
    private readonly store: BlockStore,
    private readonly serial = 'sis-disk',
  ) {
    if (store.sizeBytes % SECTOR) throw new Error(`disk size ${store.sizeBytes} is not a multiple of ${SECTOR} bytes`);
    this.features = [VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH];
    if (store.readOnly) this.features.push(VIRTIO_BLK_F_RO);
    const v = new DataView(this.config.buffer);
    this.setCapacity();
    v.setUint32(8, 0, true); // size_max: not offered
    v.setUint32(12, SEG_MAX, true); // seg_max
    v.setUint32(20, SECTOR, true); // blk_size
  }

  private setCapacity(): void {
    const v = new DataView(this.config.buffer);
    const sectors = Math.floor(this.store.sizeBytes / SECTOR);
    v.setUint32(0, sectors % 2 ** 32, true); // capacity (u64)
    v.setUint32(4, Math.floor(sectors / 2 ** 32), true);
  }

  attach(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  /** The store's size changed: new capacity in the config space, configuration-change interrupt. */
  capacityChanged(): void {
    if (this.store.sizeBytes % SECTOR) throw new Error(`disk size ${this.store.sizeBytes} is not a multiple of ${SECTOR} bytes`);
    this.setCapacity();
    this.ctx?.configChanged();
  }

  configRead(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (this.config[offset + i] ?? 0);
    return v >>> 0;
  }

  configWrite(): void {
    // virtio-blk config is read-only without VIRTIO_BLK_F_CONFIG_WCE (not offered).
  }

  reset(): void {}

  notify(q: number, vq: Virtqueue, ctx: VirtioContext): void {
    let any = false;
    for (let c = vq.pop(); c; c = vq.pop()) {
      vq.push(c.head, this.handle(vq, c));
      any = true;
    }
    if (any) ctx.used(q);
  }

  /** Serves one request; returns the bytes written into the chain (data + status). */
  private handle(vq: Virtqueue, c: DescChain): number {
    const req = vq.read(c);
    const writable = Virtqueue.writableBytes(c);
    if (req.length < 16 || writable < 1) {
      // No room for the status byte: nothing sensible to answer; count it.
      this.counts.errors++;
      return 0;
    }
    const h = new DataView(req.buffer, req.byteOffset, 16);
    const type = h.getUint32(0, true);
    const sector = h.getUint32(8, true) + h.getUint32(12, true) * 2 ** 32;
    const payload = req.subarray(16);
    // Data from the start of the writable area, the status in its last byte.
    const status = (s: number, data?: Uint8Array): number => {
      if (data) vq.write(c, data);
      vq.writeAt(c, writable - 1, Uint8Array.of(s));
      if (s !== VIRTIO_BLK_S_OK) this.counts.errors++;
      return (data?.length ?? 0) + 1;
    };
    const inRange = (bytes: number) => bytes % SECTOR === 0 && sector * SECTOR + bytes <= this.store.sizeBytes;
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        const bytes = writable - 1;
        if (!inRange(bytes)) return status(VIRTIO_BLK_S_IOERR);
        const data = new Uint8Array(bytes);
        this.store.read(sector * SECTOR, data);
        this.counts.reads++;
        return status(VIRTIO_BLK_S_OK, data);
      }
      case VIRTIO_BLK_T_OUT:
        if (this.store.readOnly || !inRange(payload.length)) return status(VIRTIO_BLK_S_IOERR);
        this.store.write(sector * SECTOR, payload);
        this.counts.writes++;
        return status(VIRTIO_BLK_S_OK);
      case VIRTIO_BLK_T_FLUSH:
        this.store.flush();
        this.counts.flushes++;
        return status(VIRTIO_BLK_S_OK);
      case VIRTIO_BLK_T_GET_ID: {
        if (writable - 1 < ID_BYTES) return status(VIRTIO_BLK_S_IOERR);
        const id = new Uint8Array(ID_BYTES);
        id.set(new TextEncoder().encode(this.serial).subarray(0, ID_BYTES));
        return status(VIRTIO_BLK_S_OK, id);
      }
      default:
        return status(VIRTIO_BLK_S_UNSUPP);
    }
  }
}
