// Disk image locks for `npm run vm` (Node only): one writer, or any number of
// readers, per image - what QEMU's image locking gives (`Failed to get "write"
// lock ... Is another process using the image?`).
//
// Node has no flock/fcntl, so the lock is a directory of entries next to the
// image, `IMAGE.lock/` (IMAGE with symlinks resolved), one entry per holder:
//
//   IMAGE.lock/write-PID-RAND  or  IMAGE.lock/shared-PID-RAND
//   {"mode":"write","pid":123,"start":"4567","boot":"…","cmd":"node …/cli.ts --disk x.img","since":"2026-…Z","t":1.7e12}
//
// Acquiring (announce, then look - as in Lamport's bakery, so two processes
// starting at the same moment can never both win):
//  1. make the directory (if missing) and create our entry, atomically with
//     its contents (written to a temporary file, then link()ed under its
//     name, which fails rather than replaces);
//  2. read every other entry. An entry whose process is gone (no such pid, or
//     the pid now belongs to a process that started at another time - Linux
//     /proc/PID/stat - or the machine rebooted since - /proc boot_id) is stale:
//     it is removed and the caller is told (`onNote`). A live entry conflicts
//     if either side wants to write;
//  3. no conflict: the lock is ours. A conflicting entry older than ours
//     (earlier `t`, then the name): we lose - our entry is removed and
//     LockError names that holder. Only newer ones: they are contenders that
//     will see us and back off; look again shortly (up to 2 s).
// Releasing removes our entry, and the directory once it is empty; the CLI
// releases on exit and on SIGINT/SIGTERM/SIGHUP. After a SIGKILL the entry
// stays behind and the next run takes it over as stale (with a message).
//
// Limits: the lock covers one name of the file (hard links to the same inode
// under another name have their own directory), and only processes that use
// this lock (not QEMU). A read-only import disk in a directory where the lock
// cannot be created (read-only file system, no permission) is opened without
// a lock, with a note: nobody can take a write lock there either.
import { randomBytes } from 'node:crypto';
import {
  closeSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, rmdirSync, unlinkSync, writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';

export type LockMode = 'write' | 'shared';

export class LockError extends Error {}

interface Entry {
  mode: LockMode;
  pid: number;
  /** Start time of the process (/proc/PID/stat field 22), null where there is no /proc. */
  start: string | null;
  /** /proc/sys/kernel/random/boot_id at lock time, null where there is none. */
  boot: string | null;
  cmd: string;
  since: string;
  /** Date.now() with sub-millisecond precision: the order of entries. */
  t: number;
}

const SETTLE_MS = 2000;
const POLL_MS = 20;

const held = new Set<DiskLock>();
let handlersInstalled = false;

export class DiskLock {
  private released = false;
  private constructor(
    readonly dir: string,
    private readonly entryPath: string,
  ) {}

  /**
   * Takes a `write` (exclusive) or `shared` lock on the image at `path`.
   * Throws LockError (message for the user, naming the holder) if another
   * live process holds a conflicting lock; `onNote` hears about stale locks
   * taken over and about an import disk that cannot be locked. Returns null
   * only in that last case.
   */
  static acquire(path: string, mode: LockMode, what: string, onNote: (message: string) => void = () => {}): DiskLock | null {
    const dir = realpathSync(path) + '.lock';
    const me: Entry = {
      mode,
      pid: process.pid,
      start: procStart(process.pid),
      boot: bootId(),
      cmd: commandLine(),
      since: new Date().toISOString(),
      t: performance.timeOrigin + performance.now(),
    };
    const name = `${mode}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const entryPath = join(dir, name);
    try {
      createEntry(dir, name, me);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : (e as Error).message;
      if (mode === 'shared' && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')) {
        onNote(`${what} ${path}: not locked (cannot create ${dir}: ${why}); it is opened read-only`);
        return null;
      }
      throw new LockError(`cannot lock ${what} ${path}: cannot create ${dir}: ${why}`);
    }
    const lock = new DiskLock(dir, entryPath);
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      let conflict: { entry: Entry; name: string } | null = null;
      let olderConflict = false;
      for (const other of readdirSync(dir)) {
        if (other === name) continue;
        const otherPath = join(dir, other);
        if (other.startsWith('tmp-')) {
          // a half-made entry: stale if its maker is gone
          const pid = Number(other.split('-')[1]);
          if (Number.isInteger(pid) && !pidAlive(pid, null, null)) tryUnlink(otherPath);
          continue;
        }
        const e = readEntry(otherPath);
        if (e === 'gone') continue;
        if (e === 'bad') {
          lock.release();
          throw new LockError(`cannot lock ${what} ${path}: unreadable lock entry ${otherPath} (remove it if no emulator is using the image)`);
        }
        if (!pidAlive(e.pid, e.start, e.boot)) {
          if (tryUnlink(otherPath)) {
            onNote(`${what} ${path}: took over a stale ${e.mode} lock of pid ${e.pid} (${e.cmd}), which is no longer running`);
          }
          continue;
        }
        if (mode !== 'write' && e.mode !== 'write') continue;
        const older = e.t < me.t || (e.t === me.t && other < name);
        if (older) olderConflict = true;
        if (!conflict || older) conflict = { entry: e, name: other };
      }
      if (!conflict) break;
      if (olderConflict || Date.now() > deadline) {
        lock.release();
        const e = conflict.entry;
        throw new LockError(
          `${what} ${path}: Failed to get "${mode}" lock: pid ${e.pid} (${e.cmd}) has it open ` +
            `${e.mode === 'write' ? 'read-write' : 'read-only'} since ${e.since}. Is another process using the image?`,
        );
      }
      sleepSync(POLL_MS);
    }
    held.add(lock);
    installExitHandlers();
    return lock;
  }

  /** Removes our entry (and the directory if it is then empty). Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    tryUnlink(this.entryPath);
    try {
      rmdirSync(this.dir);
    } catch {
      // not empty (other holders) or already gone
    }
  }
}

function createEntry(dir: string, name: string, e: Entry): void {
  const body = JSON.stringify(e) + '\n';
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dir, { mode: 0o777 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const tmp = join(dir, `tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      const fd = openSync(tmp, 'wx', 0o666);
      try {
        writeSync(fd, body);
      } finally {
        closeSync(fd);
      }
      linkSync(tmp, join(dir, name)); // fails if the name exists: never replaces
      tryUnlink(tmp);
      return;
    } catch (err) {
      tryUnlink(tmp);
      // the directory was removed by a holder releasing at this moment: again
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
      throw err;
    }
  }
}

function readEntry(path: string): Entry | 'gone' | 'bad' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'bad';
  }
  try {
    const e = JSON.parse(text) as Entry;
    if ((e.mode !== 'write' && e.mode !== 'shared') || !Number.isInteger(e.pid) || typeof e.t !== 'number') return 'bad';
    return e;
  } catch {
    return 'bad';
  }
}

function tryUnlink(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Is the process that wrote an entry still running? */
function pidAlive(pid: number, start: string | null, boot: string | null): boolean {
  const nowBoot = bootId();
  if (boot && nowBoot && boot !== nowBoot) return false; // rebooted since
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: alive, another user's
  }
  if (start !== null) {
    const s = procStart(pid);
    if (s !== null && s !== start) return false; // the pid was reused
  }
  return true;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null. */
function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // fields after "(comm)" start at field 3
  } catch {
    return null;
  }
}

let cachedBootId: string | null | undefined;
function bootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId;
}

function commandLine(): string {
  return [basename(process.execPath), ...process.argv.slice(1)]
    .map((a) => (/^[\w./:=@%+,-]+$/.test(a) ? a : JSON.stringify(a)))
    .join(' ');
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Locks go with the process: on exit, and on the signals that end it by default. */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const releaseAll = () => {
    for (const l of [...held]) l.release();
  };
  process.on('exit', releaseAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      releaseAll();
      process.kill(process.pid, sig); // the default action, now that our handler is gone
    });
  }
}
