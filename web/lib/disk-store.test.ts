// The IndexedDB layer on fake-indexeddb: blocks survive reopening, a flush is
// all or nothing, factory reset keeps the key, images round-trip.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { blocksToImage, DiskStore, imageToBlocks } from './disk-store.ts';

let n = 0;
const fresh = () => `sis-test-${n++}`;
const block = (v: number, size = 4096) => new Uint8Array(size).fill(v);

describe('DiskStore (IndexedDB)', () => {
  it('keeps flushed blocks across a reopen, the later write winning', async () => {
    const name = fresh();
    let s = await DiskStore.open(name);
    await s.create({ sizeBytes: 64 << 20, blockSize: 4096, origin: 'blank' });
    await s.saveFlush([{ block: 0, data: block(1) }, { block: 9, data: block(2) }], 4096);
    await s.saveFlush([{ block: 9, data: block(3) }], 4096);
    s.close();
    s = await DiskStore.open(name);
    const meta = await s.meta();
    expect(meta).toMatchObject({ sizeBytes: 64 << 20, blockSize: 4096, flushes: 2, origin: 'blank' });
    const blocks = await s.loadBlocks();
    expect([...blocks.keys()]).toEqual([0, 9]);
    expect(blocks.get(9)![0]).toBe(3);
    s.close();
  });

  it('a bad flush (wrong block size) stores nothing of it', async () => {
    const s = await DiskStore.open(fresh());
    await s.create({ sizeBytes: 1 << 20, blockSize: 4096, origin: 'blank' });
    await expect(s.saveFlush([{ block: 1, data: block(7) }, { block: 2, data: block(7, 512) }], 4096)).rejects.toThrow(/block 2: 512 bytes/);
    await expect(s.saveFlush([{ block: 1, data: block(7, 512) }], 512)).rejects.toThrow(/differs/);
    expect((await s.loadBlocks()).size).toBe(0);
    expect((await s.meta())!.flushes).toBe(0);
    s.close();
  });

  it('refuses a flush with no disk record', async () => {
    const s = await DiskStore.open(fresh());
    await expect(s.saveFlush([{ block: 1, data: block(1) }], 4096)).rejects.toThrow(/no disk record/);
    s.close();
  });

  it('factory reset wipes the disk and the mirror but keeps the signing key', async () => {
    const s = await DiskStore.open(fresh());
    await s.create({ sizeBytes: 1 << 20, blockSize: 4096, origin: 'blank' });
    await s.saveFlush([{ block: 3, data: block(5) }], 4096);
    await s.saveMirror({ registry: { format: 1, models: [], active: null, shadow: null, rollback: null }, history: [], badHistoryLines: 0, manifests: {}, readAt: 1 });
    const key = { id: 'signing' as const, secret: block(1, 32), publicKey: block(2, 32), keyId: '00'.repeat(8), name: 'me', createdAt: 1 };
    await s.saveSigningKey(key);
    await s.wipeDisk();
    expect(await s.meta()).toBeUndefined();
    expect((await s.loadBlocks()).size).toBe(0);
    expect(await s.mirror()).toBeUndefined();
    expect((await s.signingKey())!.publicKey).toEqual(key.publicKey);
    s.close();
  });

  it('an image splits into non-zero blocks and back, byte for byte', () => {
    const img = new Uint8Array(5 * 4096 + 512);
    img[10] = 1;
    img[3 * 4096 + 7] = 2;
    img[5 * 4096 + 100] = 3; // a partial last block
    const blocks = imageToBlocks(img, 4096);
    expect([...blocks.keys()]).toEqual([0, 3, 5]);
    expect(blocksToImage(img.length, 4096, blocks)).toEqual(img);
  });
});
