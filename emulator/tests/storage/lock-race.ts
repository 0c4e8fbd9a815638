// Helper for disk-lock.test.ts (run with tsx, not a test file): prints
// "ready", waits for a "g" on stdin (the test sends it to every contender at
// once), takes a lock on argv[2] in mode argv[3] and prints one JSON line
// {won, pid, message}; a winner holds the lock until its stdin closes.
import { DiskLock, LockError, type LockMode } from '../../src/disk-lock.ts';

const [path, mode] = process.argv.slice(2);
let lock: DiskLock | null = null;
let started = false;
process.stdin.on('data', () => {
  if (started) return;
  started = true;
  try {
    lock = DiskLock.acquire(path, mode as LockMode, 'disk');
    process.stdout.write(JSON.stringify({ won: true, pid: process.pid }) + '\n');
  } catch (e) {
    if (!(e instanceof LockError)) throw e;
    process.stdout.write(JSON.stringify({ won: false, pid: process.pid, message: e.message }) + '\n');
  }
});
process.stdin.on('end', () => lock?.release());
process.stdout.write('ready\n');
