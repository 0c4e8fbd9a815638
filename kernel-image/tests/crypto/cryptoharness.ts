// Host harness for the kernel's SHA-512 and Ed25519 code: builds
// tests/crypto/cryptotool (the C driver) with gcc (ASan+UBSan) and clang
// (UBSan), once per source state, and runs batches of requests through both
// (protocol in cryptotool.c).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['../../src/lib/sha512.c', '../../src/lib/ed25519.c', '../../src/defs.h', 'cryptotool.c', 'Makefile'];

function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(f).update(readFileSync(join(here, f)));
  return h.digest('hex').slice(0, 16);
}

/** gcc -O1 with ASan + UBSan, and clang-19 -O2 with trapping UBSan (see the Makefile). */
const VARIANTS = ['gcc', 'clang'] as const;
let tools: string[] = [];

/** Builds the tools (under a temporary name, then renamed: parallel workers never see half a binary). */
export function buildCryptotool(): string[] {
  tools = VARIANTS.map((v) => {
    const tool = join(tmpdir(), `sis-cryptotool-${v}-${sourceHash()}`);
    if (!existsSync(tool)) {
      const part = `${tool}.${process.pid}`;
      execFileSync('make', ['-s', '-B', '-C', here, `OUT=${part}`, `VARIANT=${v}`], { stdio: 'pipe' });
      renameSync(part, tool);
    }
    return tool;
  });
  return tools;
}

function run(tool: string, requests: string[]): string[] {
  const r = spawnSync(tool, [], {
    input: requests.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 300_000,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' },
  });
  if (r.status !== 0) throw new Error(`${tool} exited with ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  lines.pop();
  if (lines.length !== requests.length) throw new Error(`${tool} answered ${lines.length} of ${requests.length} requests`);
  return lines;
}

/**
 * Runs the requests through every build, one answer line per request; throws
 * if a tool fails (a sanitizer report, a trap, a bad request) or if the builds
 * answer differently.
 */
export function cryptotool(requests: string[]): string[] {
  const [first, ...rest] = tools.map((t) => run(t, requests));
  for (const [i, other] of rest.entries()) {
    const at = first.findIndex((line, k) => line !== other[k]);
    if (at >= 0) throw new Error(`${VARIANTS[0]} and ${VARIANTS[i + 1]} builds differ on ${requests[at].slice(0, 200)}: ${first[at]} vs ${other[at]}`);
  }
  return first;
}

export const hex = (b: Uint8Array): string => (b.length ? Buffer.from(b).toString('hex') : '-');

/** A small deterministic generator (xorshift128), so every run tests the same inputs. */
export class Rng {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    this.s.set([seed >>> 0, 0x9e3779b9, 0x243f6a88, 0xb7e15162]);
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32(): number {
    const s = this.s;
    let t = s[3];
    t ^= t << 11;
    t ^= t >>> 8;
    s[3] = s[2];
    s[2] = s[1];
    s[1] = s[0];
    t ^= s[0] ^ (s[0] >>> 19);
    s[0] = t;
    return t >>> 0;
  }
  /** 0 <= n < max */
  below(max: number): number {
    return Math.floor((this.u32() / 2 ** 32) * max);
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 255;
    return b;
  }
}
