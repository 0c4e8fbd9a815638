// Fetches Debian's arm64 cloud kernel and busybox-static with `apt-get
// download` into a cache folder, using a private apt configuration and state
// (APT_CONFIG pointing at a file in the cache: architecture arm64, its own
// lists, status and archives), so the machine's apt setup is never touched.
// The packages come from the same Debian release as the host (bookworm).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const haveApt = spawnSync('apt-get', ['--version']).status === 0 && spawnSync('dpkg-deb', ['--version']).status === 0;

export const CACHE = process.env.SIS_LINUX_CACHE ?? join(tmpdir(), 'sis-linux-cache');
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

function aptEnv(): NodeJS.ProcessEnv {
  const conf = join(CACHE, 'apt.conf');
  if (!existsSync(conf)) {
    for (const d of ['state/lists/partial', 'cache/archives/partial', 'debs']) mkdirSync(join(CACHE, d), { recursive: true });
    writeFileSync(join(CACHE, 'state/status'), '');
    writeFileSync(join(CACHE, 'sources.list'), `deb [arch=arm64 signed-by=${KEYRING}] http://deb.debian.org/debian bookworm main\n`);
    writeFileSync(
      conf,
      [
        'APT::Architecture "arm64";',
        'APT::Architectures { "arm64"; };',
        `Dir::State "${CACHE}/state";`,
        `Dir::State::Lists "${CACHE}/state/lists";`,
        `Dir::State::status "${CACHE}/state/status";`,
        `Dir::Cache "${CACHE}/cache";`,
        `Dir::Etc::SourceList "${CACHE}/sources.list";`,
        `Dir::Etc::SourceParts "${CACHE}/none";`,
        `Dir::Etc::Preferences "${CACHE}/none";`,
        `Dir::Etc::PreferencesParts "${CACHE}/none";`,
        'Debug::NoLocking "true";',
      ].join('\n') + '\n',
    );
    mkdirSync(join(CACHE, 'none'), { recursive: true });
  }
  return { ...process.env, APT_CONFIG: conf };
}

function apt(args: string[], cwd?: string): string {
  return execFileSync(args[0], args.slice(1), { env: aptEnv(), cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface DebianLinux {
  kernel: Uint8Array;
  busybox: Uint8Array;
  kernelVersion: string;
}

/**
 * Runs fn holding the cache's lock (a directory made atomically), so test files running in
 * parallel (Node and Chromium) never download or unpack into the cache at the same time, and
 * none reads a half-unpacked tree. A lock older than 15 minutes is left by a killed run: taken over.
 */
function withCacheLock<T>(fn: () => T): T {
  mkdirSync(CACHE, { recursive: true });
  const lock = join(CACHE, 'fetch.lock');
  const deadline = Date.now() + 900_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > 900_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lock}: another test run has held the Linux cache lock for 15 minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The cloud kernel Image and static busybox (downloaded once into CACHE). */
export function fetchDebianLinux(): DebianLinux {
  return withCacheLock(fetchLocked);
}

function fetchLocked(): DebianLinux {
  const debs = join(CACHE, 'debs');
  const root = join(CACHE, 'root');
  let found = existsSync(root) ? readdirSync(join(root, 'boot')).find((f) => f.startsWith('vmlinuz-')) : undefined;
  if (!found || !existsSync(join(root, 'bin/busybox'))) {
    aptEnv();
    apt(['apt-get', 'update', '-q']);
    // the meta package names the current ABI: linux-image-<abi>-cloud-arm64; take its -unsigned twin
    const deps = apt(['apt-cache', 'depends', 'linux-image-cloud-arm64']);
    const m = /Depends: (linux-image-[0-9.]+-[0-9]+-cloud-arm64)\b/.exec(deps);
    if (!m) throw new Error(`no cloud kernel in:\n${deps}`);
    apt(['apt-get', 'download', '-q', `${m[1]}-unsigned`, 'busybox-static'], debs);
    for (const f of readdirSync(debs).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg-deb', ['-x', join(debs, f), root]);
    found = readdirSync(join(root, 'boot')).find((f) => f.startsWith('vmlinuz-'));
    if (!found) throw new Error('the kernel package has no /boot/vmlinuz-*');
  }
  return {
    kernel: new Uint8Array(readFileSync(join(root, 'boot', found))),
    busybox: new Uint8Array(readFileSync(join(root, 'bin/busybox'))),
    kernelVersion: found.slice('vmlinuz-'.length),
  };
}
