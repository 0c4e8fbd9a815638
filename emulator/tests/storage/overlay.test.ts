// OverlayBlockStore: copy-on-write over a base image, written-block tracking
// and flush reports (what the dashboard will persist), load() of persisted
// blocks, and the power-cut snapshots (exact, and with a volatile write cache
// losing a seeded subset of the writes since the last flush). Also driven
// through the virtio-blk device with a guest-style driver.
import { describe, expect, it } from 'vitest';
import { type FlushReport, OverlayBlockStore, seededRandom } from '../../src/devices/overlay-block-store.ts';
import { MemoryBlockStore, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VirtioBlk } from '../../src/devices/virtio-blk.ts';

/** Byte-array equality (vitest's deep toEqual is very slow on large arrays). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function pattern(len: number, seed: number): Uint8Array {
  const r = seededRandom(seed);
  return Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
}

describe('OverlayBlockStore', () => {
  it('reads the base, writes copy-on-write, never touches the base', () => {
    const base = pattern(64 * 1024, 1);
    const baseCopy = base.slice();
    const s = new OverlayBlockStore(base, { blockSize: 4096 });
    const got = new Uint8Array(10_000);
    s.read(1234, got);
    expect(same(got, base.subarray(1234, 11_234))).toBe(true);
    // A write spanning three blocks, unaligned.
    const data = pattern(9000, 2);
    s.write(4000, data);
    expect(same(base, baseCopy)).toBe(true);
    const all = new Uint8Array(base.length);
    s.read(0, all);
    const expected = base.slice();
    expected.set(data, 4000);
    expect(same(all, expected)).toBe(true);
    expect(s.overlayBlocks).toEqual([0, 1, 2, 3]);
    expect(s.unflushedBlocks).toEqual([0, 1, 2, 3]);
    expect(same(s.snapshot(), expected)).toBe(true);
  });

  it('reports each flush with exactly the blocks written since the previous one', () => {
    const reports: { blocks: number[]; seq: number; first: number[] }[] = [];
    const s = new OverlayBlockStore(new Uint8Array(32 * 1024), {
      blockSize: 1024,
      onFlush: (r: FlushReport) => reports.push({ blocks: r.blocks, seq: r.seq, first: r.blocks.map((b) => r.read(b)[0]) }),
    });
    s.write(5 * 1024, new Uint8Array(512).fill(5));
    s.write(2 * 1024 + 512, new Uint8Array(1024).fill(2)); // blocks 2 and 3
    s.write(5 * 1024 + 512, new Uint8Array(512).fill(6));
    s.flush();
    s.flush(); // nothing written in between: an empty report
    s.write(31 * 1024, new Uint8Array(1024).fill(31));
    s.write(0, new Uint8Array(512).fill(1));
    s.flush();
    expect(reports).toEqual([
      { blocks: [2, 3, 5], seq: 1, first: [0, 2, 5] },
      { blocks: [], seq: 2, first: [] },
      { blocks: [0, 31], seq: 3, first: [1, 31] },
    ]);
    expect(s.unflushedBlocks).toEqual([]);
    expect(s.counts).toEqual({ writes: 5, flushes: 3, bytesWritten: 512 + 1024 + 512 + 1024 + 512 });
  });

  it('load() restores persisted blocks, and rejects bad ones without changing anything', () => {
    const base = pattern(16 * 1024, 3);
    const a = new OverlayBlockStore(base, { blockSize: 4096 });
    let persisted = new Map<number, Uint8Array>();
    const b0 = new OverlayBlockStore(base, { blockSize: 4096, onFlush: (r) => (persisted = new Map(r.blocks.map((b) => [b, r.read(b)]))) });
    b0.write(8192 + 100, pattern(50, 4));
    b0.flush();
    a.load(persisted);
    expect(same(a.snapshot(), b0.snapshot())).toBe(true);
    const before = a.snapshot();
    expect(() => a.load([[1, new Uint8Array(4096)], [4, new Uint8Array(4096)]])).toThrow(/block 4 outside/);
    expect(() => a.load([[0, new Uint8Array(100)]])).toThrow(/100 bytes, expected 4096/);
    expect(same(a.snapshot(), before)).toBe(true);
  });

  it('a short last block when the disk is not a multiple of the block size', () => {
    const s = new OverlayBlockStore(new Uint8Array(4096 + 1024), { blockSize: 4096 });
    s.write(4096 + 512, new Uint8Array(512).fill(9));
    expect(s.readBlock(1).length).toBe(1024);
    expect(s.snapshot()[4096 + 700]).toBe(9);
  });

  it('refuses bad geometry, out-of-range access and writes to a read-only store', () => {
    expect(() => new OverlayBlockStore(new Uint8Array(1000))).toThrow(/not a multiple of 512/);
    expect(() => new OverlayBlockStore(new Uint8Array(4096), { blockSize: 1000 })).toThrow(/multiple of 512/);
    const s = new OverlayBlockStore(new Uint8Array(4096));
    expect(() => s.write(4000, new Uint8Array(512))).toThrow(/outside/);
    expect(() => s.read(-512, new Uint8Array(512))).toThrow(/outside/);
    expect(s.overlayBlocks).toEqual([]);
    const ro = new OverlayBlockStore(new Uint8Array(4096), { readOnly: true });
    expect(() => ro.write(0, new Uint8Array(512))).toThrow(/read-only/);
    expect(same(ro.snapshot(), new Uint8Array(4096))).toBe(true);
  });

  it('snapshot with a volatile write cache: keeps all flushed data, a seeded subset of later writes, in order', () => {
    const base = new Uint8Array(64 * 512);
    const s = new OverlayBlockStore(base, { blockSize: 4096 });
    s.write(0, new Uint8Array(512).fill(0xa1));
    s.write(4096, new Uint8Array(512).fill(0xa2));
    s.flush();
    const atFlush = s.snapshot();
    // Eight unflushed writes, to distinct sectors, then two to the same sector.
    for (let i = 0; i < 8; i++) s.write((10 + i) * 512, new Uint8Array(512).fill(0x10 + i));
    s.write(0, new Uint8Array(512).fill(0xb1)); // overwrites flushed data
    s.write(0, new Uint8Array(512).fill(0xb2));
    const full = s.snapshot();
    expect(full[0]).toBe(0xb2);
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const img = s.snapshot({ dropUnflushed: seed });
      expect(same(s.snapshot({ dropUnflushed: seed }), img), 'same seed, same image').toBe(true);
      // Flushed data outside the rewritten sectors is always there.
      expect(same(img.subarray(4096, 4096 + 512), atFlush.subarray(4096, 4096 + 512))).toBe(true);
      // Each sector is either its state at the flush or the complete data of a write.
      const kept: number[] = [];
      for (let i = 0; i < 8; i++) {
        const sec = img.subarray((10 + i) * 512, (11 + i) * 512);
        expect(sec.every((b) => b === sec[0])).toBe(true);
        expect([0, 0x10 + i]).toContain(sec[0]);
        if (sec[0]) kept.push(i);
      }
      expect([0xa1, 0xb1, 0xb2]).toContain(img[0]);
      seen.add(kept.join(',') + '/' + img[0]);
    }
    expect(seen.size, 'different seeds lose different writes').toBeGreaterThan(10);
    // Nothing unflushed: the snapshot with a seed is the exact one.
    s.flush();
    expect(same(s.snapshot({ dropUnflushed: 7 }), full)).toBe(true);
  });
});

/** A minimal guest-side virtio-blk request runner over the backend (no transport). */
describe('OverlayBlockStore under virtio-blk', () => {
  it('guest writes land in the overlay, FLUSH reports them, reads see them', async () => {
    const { FakeQueue } = await import('./fake-queue.ts');
    const base = pattern(128 * 512, 9);
    const flushed: number[][] = [];
    const store = new OverlayBlockStore(base, { blockSize: 4096, onFlush: (r) => flushed.push(r.blocks) });
    const blk = new VirtioBlk(store);
    const q = new FakeQueue(blk);
    expect(q.request(VIRTIO_BLK_T_OUT, 9, new Uint8Array(1024).fill(0x77)).status).toBe(0);
    expect(flushed).toEqual([]);
    expect(q.request(VIRTIO_BLK_T_FLUSH, 0).status).toBe(0);
    expect(flushed).toEqual([[1]]);
    const r = q.request(VIRTIO_BLK_T_IN, 8, undefined, 2048);
    expect(r.status).toBe(0);
    expect(same(r.data.subarray(0, 512), base.subarray(8 * 512, 9 * 512))).toBe(true);
    expect(r.data.subarray(512, 1536).every((b) => b === 0x77)).toBe(true);
    // The same requests on a plain memory store give the same disk.
    const plain = new MemoryBlockStore(base.slice());
    const q2 = new FakeQueue(new VirtioBlk(plain));
    q2.request(VIRTIO_BLK_T_OUT, 9, new Uint8Array(1024).fill(0x77));
    expect(same(store.snapshot(), plain.data)).toBe(true);
  });
});
