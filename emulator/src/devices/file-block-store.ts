// A BlockStore on a host file (Node only): reads and writes go straight to the
// file with positional I/O; flush is fsync. Opened read-only when asked, or
// when the file is not writable.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { type BlockStore, SECTOR } from './virtio-blk.ts';

export class FileBlockStore implements BlockStore {
  private fd: number;
  readonly sizeBytes: number;
  /** Device and inode of the open file (to tell two names of one file apart from two files). */
  readonly dev: bigint;
  readonly ino: bigint;

  constructor(
    readonly path: string,
    readonly readOnly = false,
  ) {
    this.fd = openSync(path, readOnly ? 'r' : 'r+');
    const st = fstatSync(this.fd, { bigint: true });
    const size = Number(st.size);
    if (size % SECTOR) {
      closeSync(this.fd);
      throw new Error(`${path}: size ${size} is not a multiple of ${SECTOR} bytes`);
    }
    this.sizeBytes = size;
    this.dev = st.dev;
    this.ino = st.ino;
  }

  read(offset: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, offset + done);
      if (n === 0) throw new Error(`${this.path}: short read at ${offset + done}`);
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error(`${this.path} is read-only`);
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }

  flush(): void {
    if (!this.readOnly) fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
