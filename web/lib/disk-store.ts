// IndexedDB (via idb): the system disk's written blocks, the registry mirror
// and the user's signing key, so a reload continues where the tab left off.
//
// The disk is stored as its size plus the blocks the guest has written (by
// block number, each blockSize bytes); everything else reads as zero. A
// `diskFlush` batch is written in one transaction, so a reload sees each
// FLUSH whole or not at all.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Registry } from '../../emulator/src/events.ts';

export const DB_NAME = 'sis-dashboard';
export const DB_VERSION = 1;

export interface DiskMeta {
  sizeBytes: number;
  blockSize: number;
  /** The last FLUSH stored (per boot the worker counts from 1 again). */
  flushes: number;
  /** Where the disk came from: "blank" or the name of an uploaded image. */
  origin: string;
  updatedAt: number;
}

export interface HistoryLine {
  time: string;
  uptime_us: number;
  operation: string;
  from?: string | null;
  to?: string | null;
  reason: string;
  result: string;
}

export interface RegistryMirror {
  registry: Registry;
  history: HistoryLine[];
  /** Lines of history.jsonl that did not parse (shown, not dropped). */
  badHistoryLines: number;
  /** Version -> health.json and manifest.json text, when present on the disk. */
  manifests: Record<string, unknown>;
  readAt: number;
}

export interface StoredKey {
  id: 'signing';
  /** 32-byte Ed25519 secret seed. */
  secret: Uint8Array;
  publicKey: Uint8Array;
  /** Key id: the first 8 bytes of SHA-256(publicKey), hex (docs/MODEL-FORMAT.md). */
  keyId: string;
  name: string;
  createdAt: number;
}

interface Schema extends DBSchema {
  blocks: { key: number; value: Uint8Array };
  meta: { key: 'disk'; value: DiskMeta };
  mirror: { key: 'registry'; value: RegistryMirror };
  keys: { key: 'signing'; value: StoredKey };
}

/** A storage failure in words a user can act on (quota, private mode, blocked). */
export class StorageError extends Error {}

function explain(e: unknown, what: string): StorageError {
  const name = (e as DOMException)?.name;
  if (name === 'QuotaExceededError') {
    return new StorageError(`${what}: the browser refused the storage (quota exceeded). Free space for this site or download the disk and factory-reset.`);
  }
  if (name === 'InvalidStateError' || name === 'UnknownError') {
    return new StorageError(`${what}: IndexedDB is not available here (${(e as Error).message}); a private window may block it`);
  }
  return new StorageError(`${what}: ${(e as Error)?.message ?? String(e)}`);
}

export class DiskStore {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name = DB_NAME): Promise<DiskStore> {
    try {
      const db = await openDB<Schema>(name, DB_VERSION, {
        upgrade(db) {
          db.createObjectStore('blocks');
          db.createObjectStore('meta');
          db.createObjectStore('mirror');
          db.createObjectStore('keys');
        },
      });
      return new DiskStore(db);
    } catch (e) {
      throw explain(e, 'opening the dashboard storage');
    }
  }

  close(): void {
    this.db.close();
  }

  async meta(): Promise<DiskMeta | undefined> {
    return this.db.get('meta', 'disk');
  }

  /** Every stored block, in block order. */
  async loadBlocks(): Promise<Map<number, Uint8Array>> {
    const tx = this.db.transaction('blocks');
    const out = new Map<number, Uint8Array>();
    for (let c = await tx.store.openCursor(); c; c = await c.continue()) out.set(c.key, new Uint8Array(c.value));
    await tx.done;
    return out;
  }

  /** Creates the disk record for a disk of this size (keeps nothing of an older disk). */
  async create(meta: Omit<DiskMeta, 'updatedAt' | 'flushes'>, blocks: Map<number, Uint8Array> = new Map()): Promise<void> {
    try {
      const tx = this.db.transaction(['blocks', 'meta', 'mirror'], 'readwrite');
      await tx.objectStore('blocks').clear();
      await tx.objectStore('mirror').clear();
      for (const [b, d] of blocks) await tx.objectStore('blocks').put(d, b);
      await tx.objectStore('meta').put({ ...meta, flushes: 0, updatedAt: Date.now() }, 'disk');
      await tx.done;
    } catch (e) {
      throw explain(e, 'storing the disk');
    }
  }

  /** Stores one FLUSH's blocks, all or nothing. */
  async saveFlush(blocks: { block: number; data: Uint8Array }[], blockSize: number): Promise<void> {
    for (const b of blocks) {
      if (b.data.length !== blockSize) throw new StorageError(`saving the disk: block ${b.block}: ${b.data.length} bytes, want ${blockSize}`);
    }
    const tx = this.db.transaction(['blocks', 'meta'], 'readwrite');
    try {
      const meta = await tx.objectStore('meta').get('disk');
      if (!meta) throw new Error('no disk record (factory reset while running?)');
      if (meta.blockSize !== blockSize) throw new Error(`flush block size ${blockSize} differs from the stored disk's ${meta.blockSize}`);
      for (const b of blocks) await tx.objectStore('blocks').put(b.data, b.block);
      await tx.objectStore('meta').put({ ...meta, flushes: meta.flushes + 1, updatedAt: Date.now() }, 'disk');
      await tx.done;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        /* already finished or aborted */
      }
      await tx.done.catch(() => undefined);
      throw explain(e, 'saving the disk');
    }
  }

  /** Factory reset: the disk, its blocks and the mirror go (the signing key stays). */
  async wipeDisk(): Promise<void> {
    const tx = this.db.transaction(['blocks', 'meta', 'mirror'], 'readwrite');
    await Promise.all([tx.objectStore('blocks').clear(), tx.objectStore('meta').clear(), tx.objectStore('mirror').clear(), tx.done]);
  }

  async mirror(): Promise<RegistryMirror | undefined> {
    return this.db.get('mirror', 'registry');
  }

  async saveMirror(m: RegistryMirror): Promise<void> {
    try {
      await this.db.put('mirror', m, 'registry');
    } catch (e) {
      throw explain(e, 'saving the registry mirror');
    }
  }

  async signingKey(): Promise<StoredKey | undefined> {
    return this.db.get('keys', 'signing');
  }

  async saveSigningKey(k: StoredKey): Promise<void> {
    try {
      await this.db.put('keys', k, 'signing');
    } catch (e) {
      throw explain(e, 'saving the signing key');
    }
  }

  async deleteSigningKey(): Promise<void> {
    await this.db.delete('keys', 'signing');
  }
}

/** Splits a flat image into its non-zero blocks (how an uploaded image is stored). */
export function imageToBlocks(image: Uint8Array, blockSize: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (let b = 0; b * blockSize < image.length; b++) {
    const d = image.subarray(b * blockSize, Math.min((b + 1) * blockSize, image.length));
    if (d.some((x) => x !== 0)) {
      const full = new Uint8Array(blockSize);
      full.set(d);
      out.set(b, full);
    }
  }
  return out;
}

/** The flat image: zeros with the stored blocks laid over them (what "download disk" saves). */
export function blocksToImage(sizeBytes: number, blockSize: number, blocks: Map<number, Uint8Array>): Uint8Array {
  const img = new Uint8Array(sizeBytes);
  for (const [b, d] of blocks) {
    const off = b * blockSize;
    if (off >= sizeBytes) continue;
    img.set(d.subarray(0, Math.min(blockSize, sizeBytes - off)), off);
  }
  return img;
}
