// The system disk as the dashboard keeps it: its written blocks in memory (for
// the ext4 reader) and in IndexedDB (for the next load), one tab at a time
// (a Web Lock), downloadable as an image and replaceable by an uploaded one.
import { blocksToImage, DiskStore, imageToBlocks, StorageError, type DiskMeta } from '../lib/disk-store.ts';
import { Ext4Error, Ext4Reader, sparseReadAt } from '../lib/ext4.ts';
import type { ErrorLog } from './errors.svelte.ts';

/** A fresh disk: all zeros; the kernel formats it (ext4) on its first boot. */
export const BLANK_DISK_BYTES = 64 << 20;
export const DISK_BLOCK = 4096;
/** The largest image accepted as an upload. */
export const MAX_UPLOAD_BYTES = 1 << 30;
export const LOCK_NAME = 'sis-system-disk';

export type LockState = 'pending' | 'held' | 'refused' | 'unsupported';

export class SystemDisk {
  lock = $state<LockState>('pending');
  meta = $state<DiskMeta | null>(null);
  /** FLUSH batches received but not yet stored. */
  unsaved = $state(0);
  savedAt = $state<Date | null>(null);
  /** Bumped after every applied flush or replacement (for views that read the disk). */
  generation = $state(0);

  blocks = new Map<number, Uint8Array>();
  store = $state.raw<DiskStore | null>(null);
  private saving: Promise<void> = Promise.resolve();
  private releaseLock: (() => void) | null = null;

  constructor(private readonly errors: ErrorLog) {}

  /**
   * Takes the disk's lock (or learns another tab has it) and opens the store.
   * The lock is held until the tab closes.
   */
  async init(): Promise<void> {
    this.store = await DiskStore.open();
    if (!('locks' in navigator)) {
      this.lock = 'unsupported';
    } else {
      this.lock = await new Promise<LockState>((resolve) => {
        void navigator.locks.request(LOCK_NAME, { ifAvailable: true }, (lock) => {
          if (!lock) {
            resolve('refused');
            return undefined;
          }
          resolve('held');
          return new Promise<void>((release) => (this.releaseLock = release));
        });
      });
    }
    if (this.lock === 'refused') return; // another tab owns the disk: do not touch it
    let meta = await this.store.meta();
    if (!meta) {
      await this.store.create({ sizeBytes: BLANK_DISK_BYTES, blockSize: DISK_BLOCK, origin: 'blank' });
      meta = await this.store.meta();
    }
    this.meta = meta ?? null;
    this.blocks = await this.store.loadBlocks();
    this.generation++;
  }

  get usable(): boolean {
    return this.lock === 'held' || this.lock === 'unsupported';
  }

  /** A guest FLUSH: into memory at once (the reader sees it), into IndexedDB in order. */
  applyFlush(blockSize: number, blocks: { block: number; data: Uint8Array }[]): void {
    if (!this.store || !this.meta) return;
    for (const b of blocks) this.blocks.set(b.block, b.data);
    this.generation++;
    this.unsaved++;
    const store = this.store;
    this.saving = this.saving.then(async () => {
      try {
        await store.saveFlush(blocks, blockSize);
        this.savedAt = new Date();
        this.meta = (await store.meta()) ?? null;
      } catch (e) {
        this.errors.report('saving the system disk', e);
      } finally {
        this.unsaved--;
      }
    });
  }

  /** Waits for every flush received so far to be stored. */
  settled(): Promise<void> {
    return this.saving;
  }

  reader(): Ext4Reader {
    if (!this.meta) throw new Error('no system disk');
    return new Ext4Reader(sparseReadAt(this.meta.blockSize, this.blocks), this.meta.sizeBytes);
  }

  image(): Uint8Array {
    if (!this.meta) throw new Error('no system disk');
    return blocksToImage(this.meta.sizeBytes, this.meta.blockSize, this.blocks);
  }

  /** Saves the disk as sis-system.img. */
  download(): void {
    const blob = new Blob([this.image() as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'sis-system.img';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  /**
   * Replaces the stored disk with an uploaded image (the machine must be off).
   * Refuses, changing nothing, what is not a whole number of sectors, too
   * large, or (when not blank) not ext4.
   */
  async replaceWith(file: File): Promise<void> {
    if (!this.store) throw new Error('no storage');
    if (file.size === 0) throw new Error(`${file.name}: the file is empty`);
    if (file.size % 512) throw new Error(`${file.name}: ${file.size} bytes is not a whole number of 512-byte sectors, so it is not a disk image`);
    if (file.size > MAX_UPLOAD_BYTES) throw new Error(`${file.name}: ${file.size} bytes is larger than the ${MAX_UPLOAD_BYTES >> 20} MiB this dashboard keeps`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.some((b) => b !== 0)) {
      try {
        const r = new Ext4Reader((o, n) => bytes.subarray(o, o + n), bytes.length);
        r.lookup('/');
      } catch (e) {
        throw new Error(`${file.name}: not a usable ext4 image (${e instanceof Ext4Error ? e.message : (e as Error).message})`);
      }
    }
    const blocks = imageToBlocks(bytes, DISK_BLOCK);
    await this.saving;
    await this.store.create({ sizeBytes: Math.ceil(bytes.length / DISK_BLOCK) * DISK_BLOCK, blockSize: DISK_BLOCK, origin: file.name }, blocks);
    this.meta = (await this.store.meta()) ?? null;
    this.blocks = blocks;
    this.generation++;
  }

  /** Factory reset: a blank disk again (the kernel formats it on the next boot). */
  async wipe(): Promise<void> {
    if (!this.store) throw new Error('no storage');
    await this.saving;
    await this.store.wipeDisk();
    await this.store.create({ sizeBytes: BLANK_DISK_BYTES, blockSize: DISK_BLOCK, origin: 'blank' });
    this.meta = (await this.store.meta()) ?? null;
    this.blocks = new Map();
    this.generation++;
  }

  /** Bytes stored (the written blocks), for the disk figures. */
  get storedBytes(): number {
    return this.blocks.size * (this.meta?.blockSize ?? DISK_BLOCK);
  }
}

export { StorageError };
