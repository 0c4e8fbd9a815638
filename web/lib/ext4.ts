// A read-only ext4 reader: enough of the on-disk format (superblock, group
// descriptors, inodes, extent trees, linear directories, symlinks) to read
// /models from the system disk the kernel writes. It reads home locations
// only (no journal replay); journalClean() says whether that view is whole
// (the kernel checkpoints each commit at once, so after a FLUSH it is).
// Checksums are not verified: this is a viewer, never a writer.

/** Reads `length` bytes at byte `offset` of the device. */
export type ReadAt = (offset: number, length: number) => Uint8Array;

export class Ext4Error extends Error {}

const SUPER_MAGIC = 0xef53;
const EXTENT_MAGIC = 0xf30a;
const INCOMPAT_64BIT = 0x80;
const INCOMPAT_EXTENTS = 0x40;
const EXTENTS_FL = 0x80000;
const INLINE_DATA_FL = 0x10000000;
const S_IFMT = 0xf000;
export const S_IFDIR = 0x4000;
export const S_IFREG = 0x8000;
export const S_IFLNK = 0xa000;
const ROOT_INO = 2;
const JOURNAL_INO = 8;
const MAX_SYMLINKS = 8;

export interface Inode {
  ino: number;
  mode: number;
  size: number;
  flags: number;
  /** The 60 bytes of i_block (extent root, block map or a fast symlink). */
  block: Uint8Array;
}

export interface DirEntry {
  name: string;
  ino: number;
  /** ext4 file type: 1 file, 2 directory, 7 symlink... */
  type: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class Ext4Reader {
  readonly blockSize: number;
  readonly inodesCount: number;
  readonly blocksCount: number;
  readonly inodesPerGroup: number;
  readonly inodeSize: number;
  readonly descSize: number;
  readonly firstDataBlock: number;
  readonly incompat: number;
  readonly volumeName: string;
  private readonly groupCount: number;

  constructor(private readonly readAt: ReadAt, readonly deviceBytes: number) {
    if (deviceBytes < 2048) throw new Ext4Error(`not an ext4 filesystem: the disk is only ${deviceBytes} bytes`);
    const sb = new DataView(copy(readAt(1024, 1024)).buffer);
    if (sb.getUint16(0x38, true) !== SUPER_MAGIC) throw new Ext4Error('not an ext4 filesystem (no superblock magic 0xEF53 at byte 1080)');
    const log = sb.getUint32(0x18, true);
    if (log > 6) throw new Ext4Error(`bad superblock: block size 2^(10+${log})`);
    this.blockSize = 1024 << log;
    this.inodesCount = sb.getUint32(0x00, true);
    this.incompat = sb.getUint32(0x60, true);
    const is64 = (this.incompat & INCOMPAT_64BIT) !== 0;
    this.blocksCount = sb.getUint32(0x04, true) + (is64 ? sb.getUint32(0x150, true) * 2 ** 32 : 0);
    this.firstDataBlock = sb.getUint32(0x14, true);
    const blocksPerGroup = sb.getUint32(0x20, true);
    this.inodesPerGroup = sb.getUint32(0x28, true);
    const rev = sb.getUint32(0x4c, true);
    this.inodeSize = rev >= 1 ? sb.getUint16(0x58, true) : 128;
    this.descSize = is64 ? sb.getUint16(0xfe, true) : 32;
    if (!blocksPerGroup || !this.inodesPerGroup || this.inodeSize < 128 || this.descSize < 32) {
      throw new Ext4Error('bad superblock: zero group sizes or a short inode/descriptor size');
    }
    this.groupCount = Math.ceil((this.blocksCount - this.firstDataBlock) / blocksPerGroup);
    this.volumeName = utf8.decode(trimNul(readAt(1024 + 0x78, 16)));
    if (this.blocksCount * this.blockSize > deviceBytes) {
      throw new Ext4Error(`the filesystem (${this.blocksCount} blocks of ${this.blockSize}) is larger than the disk (${deviceBytes} bytes)`);
    }
  }

  private block(n: number, count = 1): Uint8Array {
    if (n < 0 || n + count > this.blocksCount) throw new Ext4Error(`block ${n} is outside the filesystem`);
    return this.readAt(n * this.blockSize, count * this.blockSize);
  }

  /** Reads inode `ino` (1-based). */
  inode(ino: number): Inode {
    if (ino < 1 || ino > this.inodesCount) throw new Ext4Error(`inode ${ino} out of range`);
    const group = Math.floor((ino - 1) / this.inodesPerGroup);
    if (group >= this.groupCount) throw new Ext4Error(`inode ${ino}: group ${group} does not exist`);
    const descBlock = this.firstDataBlock + 1;
    const descOff = descBlock * this.blockSize + group * this.descSize;
    const gd = new DataView(copy(this.readAt(descOff, this.descSize)).buffer);
    const table = gd.getUint32(0x08, true) + (this.descSize >= 64 ? gd.getUint32(0x28, true) * 2 ** 32 : 0);
    const index = (ino - 1) % this.inodesPerGroup;
    const raw = copy(this.readAt(table * this.blockSize + index * this.inodeSize, this.inodeSize));
    const v = new DataView(raw.buffer);
    return {
      ino,
      mode: v.getUint16(0x00, true),
      size: v.getUint32(0x04, true) + v.getUint32(0x6c, true) * 2 ** 32,
      flags: v.getUint32(0x20, true),
      block: raw.slice(0x28, 0x28 + 60),
    };
  }

  /** The physical block of each logical block of the file (0: a hole or unwritten). */
  private mapBlocks(ino: Inode): (lblock: number) => number {
    if (ino.flags & INLINE_DATA_FL) throw new Ext4Error(`inode ${ino.ino}: inline data is not supported by this reader`);
    if (!(ino.flags & EXTENTS_FL)) {
      // The classic block map: 12 direct blocks and one single-indirect block.
      const v = new DataView(ino.block.buffer, ino.block.byteOffset, 60);
      return (l) => {
        if (l < 12) return v.getUint32(l * 4, true);
        const per = this.blockSize / 4;
        if (l < 12 + per) {
          const ind = v.getUint32(48, true);
          if (!ind) return 0;
          const b = this.block(ind);
          return new DataView(b.buffer, b.byteOffset, b.length).getUint32((l - 12) * 4, true);
        }
        throw new Ext4Error(`inode ${ino.ino}: double-indirect blocks are not supported by this reader`);
      };
    }
    const runs: { l: number; len: number; p: number; unwritten: boolean }[] = [];
    const walk = (node: Uint8Array, depthLeft: number) => {
      const v = new DataView(node.buffer, node.byteOffset, node.length);
      if (v.getUint16(0, true) !== EXTENT_MAGIC) throw new Ext4Error(`inode ${ino.ino}: bad extent header`);
      const entries = v.getUint16(2, true);
      const depth = v.getUint16(6, true);
      if (depth > depthLeft || 12 + entries * 12 > node.length) throw new Ext4Error(`inode ${ino.ino}: corrupt extent tree`);
      for (let i = 0; i < entries; i++) {
        const o = 12 + i * 12;
        if (depth === 0) {
          const rawLen = v.getUint16(o + 4, true);
          runs.push({
            l: v.getUint32(o, true),
            len: rawLen > 32768 ? rawLen - 32768 : rawLen,
            p: v.getUint16(o + 6, true) * 2 ** 32 + v.getUint32(o + 8, true),
            unwritten: rawLen > 32768,
          });
        } else {
          const child = v.getUint32(o + 4, true) + v.getUint16(o + 8, true) * 2 ** 32;
          walk(copy(this.block(child)), depth - 1);
        }
      }
    };
    walk(ino.block, 5);
    return (l) => {
      for (const r of runs) if (l >= r.l && l < r.l + r.len) return r.unwritten ? 0 : r.p + (l - r.l);
      return 0;
    };
  }

  /** The whole contents of a regular file, directory or slow symlink. */
  readInode(ino: Inode): Uint8Array {
    if (ino.size > 256 * 1024 * 1024) throw new Ext4Error(`inode ${ino.ino}: ${ino.size} bytes is too large to read here`);
    const out = new Uint8Array(ino.size);
    const map = this.mapBlocks(ino);
    const n = Math.ceil(ino.size / this.blockSize);
    for (let l = 0; l < n; l++) {
      const p = map(l);
      if (!p) continue;
      const b = this.block(p);
      out.set(b.subarray(0, Math.min(this.blockSize, ino.size - l * this.blockSize)), l * this.blockSize);
    }
    return out;
  }

  /** The entries of a directory inode (without "." and ".."). */
  readDir(ino: Inode): DirEntry[] {
    if ((ino.mode & S_IFMT) !== S_IFDIR) throw new Ext4Error(`inode ${ino.ino} is not a directory`);
    const data = this.readInode(ino);
    const v = new DataView(data.buffer);
    const out: DirEntry[] = [];
    for (let o = 0; o + 8 <= data.length; ) {
      const inode = v.getUint32(o, true);
      const recLen = v.getUint16(o + 4, true);
      const nameLen = data[o + 6];
      const type = data[o + 7];
      if (recLen < 8 || o + recLen > data.length) throw new Ext4Error(`directory inode ${ino.ino}: corrupt entry at byte ${o}`);
      if (inode && nameLen) {
        const name = utf8.decode(data.subarray(o + 8, o + 8 + nameLen));
        if (name !== '.' && name !== '..') out.push({ name, ino: inode, type });
      }
      o += recLen;
    }
    return out;
  }

  readLink(ino: Inode): string {
    if ((ino.mode & S_IFMT) !== S_IFLNK) throw new Ext4Error(`inode ${ino.ino} is not a symlink`);
    // A fast symlink keeps its target in i_block (under 60 bytes, no extents).
    if (ino.size < 60 && !(ino.flags & EXTENTS_FL)) return utf8.decode(ino.block.subarray(0, ino.size));
    return utf8.decode(this.readInode(ino));
  }

  /**
   * The inode at an absolute path. Symlinks are followed in every component
   * but the last, and in the last too unless `nofollow`.
   */
  lookup(path: string, nofollow = false): Inode {
    if (!path.startsWith('/')) throw new Ext4Error(`${path}: not an absolute path`);
    let hops = 0;
    const resolve = (parts: string[], start: Inode[]): Inode => {
      const stack = [...start]; // the directories from the root down
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        if (part === '' || part === '.') continue;
        if (part === '..') {
          if (stack.length > 1) stack.pop();
          continue;
        }
        const dir = stack[stack.length - 1];
        const e = this.readDir(dir).find((d) => d.name === part);
        if (!e) throw new Ext4Error(`${path}: no such file or directory`);
        const ino = this.inode(e.ino);
        const last = i === parts.length - 1;
        if ((ino.mode & S_IFMT) === S_IFLNK && !(last && nofollow)) {
          if (++hops > MAX_SYMLINKS) throw new Ext4Error(`${path}: too many levels of symbolic links`);
          const target = this.readLink(ino);
          const base = target.startsWith('/') ? [this.inode(ROOT_INO)] : stack;
          const t = resolve(target.split('/'), base);
          if (last) return t;
          if ((t.mode & S_IFMT) !== S_IFDIR) throw new Ext4Error(`${path}: not a directory`);
          stack.push(t);
          continue;
        }
        if (last) return ino;
        if ((ino.mode & S_IFMT) !== S_IFDIR) throw new Ext4Error(`${path}: not a directory`);
        stack.push(ino);
      }
      return stack[stack.length - 1];
    };
    return resolve(path.split('/'), [this.inode(ROOT_INO)]);
  }

  readFile(path: string): Uint8Array {
    const ino = this.lookup(path);
    if ((ino.mode & S_IFMT) !== S_IFREG) throw new Ext4Error(`${path}: not a regular file`);
    return this.readInode(ino);
  }

  readText(path: string): string {
    return utf8.decode(this.readFile(path));
  }

  list(path: string): DirEntry[] {
    return this.readDir(this.lookup(path));
  }

  exists(path: string): boolean {
    try {
      this.lookup(path, true);
      return true;
    } catch (e) {
      if (e instanceof Ext4Error && /no such file/.test(e.message)) return false;
      throw e;
    }
  }

  /**
   * True when the journal holds nothing to replay (jbd2 s_start == 0), so the
   * home locations read here are the whole filesystem. A filesystem without
   * a journal is clean by definition.
   */
  journalClean(): boolean {
    const compat = new DataView(copy(this.readAt(1024 + 0x5c, 4)).buffer).getUint32(0, true);
    if (!(compat & 0x4)) return true;
    const j = this.inode(JOURNAL_INO);
    const first = this.mapBlocks(j)(0);
    if (!first) throw new Ext4Error('the journal inode has no first block');
    const jsb = new DataView(copy(this.block(first)).buffer);
    if (jsb.getUint32(0, false) !== 0xc03b3998) throw new Ext4Error('the journal superblock has no jbd2 magic');
    return jsb.getUint32(0x1c, false) === 0;
  }
}

function copy(b: Uint8Array): Uint8Array {
  return b.slice();
}

function trimNul(b: Uint8Array): Uint8Array {
  const i = b.indexOf(0);
  return i < 0 ? b : b.subarray(0, i);
}

/** A ReadAt over a base size and a sparse map of written blocks (unwritten bytes read as zero). */
export function sparseReadAt(blockSize: number, blocks: Map<number, Uint8Array>): ReadAt {
  return (offset, length) => {
    const out = new Uint8Array(length);
    let o = 0;
    while (o < length) {
      const abs = offset + o;
      const b = Math.floor(abs / blockSize);
      const within = abs - b * blockSize;
      const n = Math.min(blockSize - within, length - o);
      const data = blocks.get(b);
      if (data) out.set(data.subarray(within, within + n), o);
      o += n;
    }
    return out;
  };
}
