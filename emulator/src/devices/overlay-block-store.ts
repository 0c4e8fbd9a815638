// OverlayBlockStore: a BlockStore that keeps a base image unchanged and puts
// every write into an overlay of fixed-size blocks (copy on write). It
// records which blocks were written and reports each FLUSH with the blocks
// written since the previous one (the dashboard persists exactly those, e.g.
// in IndexedDB, and later restores them with load()).
//
// It is also the power-cut tool's disk: snapshot() hands back the image as
// the device has completed it (every write the guest saw complete is in it;
// our virtio-blk completes requests synchronously, so a machine stopped
// between two core.run() calls has no request half-done). With
// { dropUnflushed: seed } it models a volatile write cache: everything up to
// the last completed FLUSH is kept, and each write request completed after it
// is kept or lost by a seeded coin toss (a kept later write still lands on
// top of an earlier one it overlaps, in order).

import { type BlockStore, SECTOR } from './virtio-blk.ts';

export interface FlushReport {
  /** Blocks (index = byte offset / blockSize) written since the previous flush, ascending. */
  blocks: number[];
  blockSize: number;
  /** The flush's sequence number (1 = the first flush). */
  seq: number;
  /** Contents of a block as the overlay has it now (a copy). */
  read(block: number): Uint8Array;
}

export interface OverlayOptions {
  /** Overlay block size in bytes: a multiple of 512 (default 4096). */
  blockSize?: number;
  readOnly?: boolean;
  onFlush?: (report: FlushReport) => void;
}

export interface SnapshotOptions {
  /** Model a volatile write cache: drop a random subset (seeded) of the writes since the last flush. */
  dropUnflushed?: number;
}

interface LoggedWrite {
  offset: number;
  data: Uint8Array;
}

/** mulberry32: a small seeded PRNG (deterministic cut images for a seed). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class OverlayBlockStore implements BlockStore {
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  readonly blockSize: number;
  private readonly base: BlockStore;
  private readonly overlay = new Map<number, Uint8Array>();
  private dirty = new Set<number>();
  /** Overlay blocks as they were at the last flush (undefined: not in the overlay then). */
  private atFlush = new Map<number, Uint8Array | undefined>();
  private log: LoggedWrite[] = [];
  private flushSeq = 0;
  private readonly onFlush?: (r: FlushReport) => void;
  readonly counts = { writes: 0, flushes: 0, bytesWritten: 0 };

  constructor(base: BlockStore | Uint8Array, opts: OverlayOptions = {}) {
    this.base = base instanceof Uint8Array ? new ArrayStore(base) : base;
    this.blockSize = opts.blockSize ?? 4096;
    if (!Number.isInteger(this.blockSize) || this.blockSize <= 0 || this.blockSize % SECTOR) {
      throw new RangeError(`overlay block size ${opts.blockSize}: give a positive multiple of ${SECTOR}`);
    }
    this.sizeBytes = this.base.sizeBytes;
    if (this.sizeBytes % SECTOR) throw new RangeError(`disk size ${this.sizeBytes} is not a multiple of ${SECTOR} bytes`);
    this.readOnly = opts.readOnly ?? false;
    this.onFlush = opts.onFlush;
  }

  private blockLen(b: number): number {
    return Math.min(this.blockSize, this.sizeBytes - b * this.blockSize);
  }

  private check(offset: number, len: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + len > this.sizeBytes) {
      throw new RangeError(`disk access ${offset}+${len} outside 0..${this.sizeBytes}`);
    }
  }

  read(offset: number, into: Uint8Array): void {
    this.check(offset, into.length);
    let done = 0;
    while (done < into.length) {
      const pos = offset + done;
      const b = Math.floor(pos / this.blockSize);
      const inBlock = pos - b * this.blockSize;
      const n = Math.min(into.length - done, this.blockLen(b) - inBlock);
      const ov = this.overlay.get(b);
      if (ov) into.set(ov.subarray(inBlock, inBlock + n), done);
      else this.base.read(pos, into.subarray(done, done + n));
      done += n;
    }
  }

  /** The overlay block b, created from the base on first write. */
  private own(b: number): Uint8Array {
    let ov = this.overlay.get(b);
    if (!ov) {
      ov = new Uint8Array(this.blockLen(b));
      this.base.read(b * this.blockSize, ov);
      this.overlay.set(b, ov);
    }
    return ov;
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error('the disk is read-only');
    this.check(offset, data.length);
    this.log.push({ offset, data: data.slice() });
    this.counts.writes++;
    this.counts.bytesWritten += data.length;
    let done = 0;
    while (done < data.length) {
      const pos = offset + done;
      const b = Math.floor(pos / this.blockSize);
      const inBlock = pos - b * this.blockSize;
      const n = Math.min(data.length - done, this.blockLen(b) - inBlock);
      if (!this.atFlush.has(b)) this.atFlush.set(b, this.overlay.get(b)?.slice());
      this.own(b).set(data.subarray(done, done + n), inBlock);
      this.dirty.add(b);
      done += n;
    }
  }

  flush(): void {
    this.counts.flushes++;
    const blocks = [...this.dirty].sort((a, b) => a - b);
    this.dirty = new Set();
    this.atFlush = new Map();
    this.log = [];
    const seq = ++this.flushSeq;
    this.onFlush?.({ blocks, blockSize: this.blockSize, seq, read: (b) => this.readBlock(b) });
  }

  /** A copy of block b as the guest would read it now. */
  readBlock(b: number): Uint8Array {
    if (!Number.isInteger(b) || b < 0 || b * this.blockSize >= this.sizeBytes) throw new RangeError(`block ${b} outside the disk`);
    const out = new Uint8Array(this.blockLen(b));
    this.read(b * this.blockSize, out);
    return out;
  }

  /** Blocks written since the last flush (ascending). */
  get unflushedBlocks(): number[] {
    return [...this.dirty].sort((a, b) => a - b);
  }

  /** Write requests completed since the last flush. */
  get unflushedWrites(): number {
    return this.log.length;
  }

  /** Every block that differs (or may differ) from the base, ascending. */
  get overlayBlocks(): number[] {
    return [...this.overlay.keys()].sort((a, b) => a - b);
  }

  /**
   * Restores blocks persisted earlier (before the machine starts): each must
   * be a whole block of this store's size. Checks everything before changing
   * anything.
   */
  load(blocks: Iterable<[number, Uint8Array]>): void {
    const list = [...blocks];
    for (const [b, data] of list) {
      if (!Number.isInteger(b) || b < 0 || b * this.blockSize >= this.sizeBytes) throw new RangeError(`block ${b} outside the disk`);
      if (data.length !== this.blockLen(b)) throw new RangeError(`block ${b}: ${data.length} bytes, expected ${this.blockLen(b)}`);
    }
    for (const [b, data] of list) this.overlay.set(b, data.slice());
  }

  /**
   * The whole disk image as the device has completed it. With dropUnflushed
   * (a seed): the image at the last flush plus a seeded random subset of the
   * writes completed since, applied in order.
   */
  snapshot(opts: SnapshotOptions = {}): Uint8Array {
    const img = new Uint8Array(this.sizeBytes);
    this.base.read(0, img);
    if (opts.dropUnflushed === undefined) {
      for (const [b, ov] of this.overlay) img.set(ov, b * this.blockSize);
      return img;
    }
    for (const [b, ov] of this.overlay) {
      const old = this.atFlush.has(b) ? this.atFlush.get(b) : ov;
      if (old) img.set(old, b * this.blockSize);
      // else: not in the overlay at the last flush: the base's bytes stay
    }
    const rnd = seededRandom(opts.dropUnflushed);
    for (const w of this.log) if (rnd() < 0.5) img.set(w.data, w.offset);
    return img;
  }
}

/** A plain in-memory base (never written through the overlay). */
class ArrayStore implements BlockStore {
  readonly readOnly = true;
  constructor(private readonly data: Uint8Array) {}
  get sizeBytes() {
    return this.data.length;
  }
  read(offset: number, into: Uint8Array) {
    into.set(this.data.subarray(offset, offset + into.length));
  }
  write(): void {
    throw new Error('the base image is read-only');
  }
  flush(): void {}
}
