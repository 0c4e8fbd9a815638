// A POSIX ustar writer (IEEE Std 1003.1, pax "ustar Interchange Format") for the seed bundle, and
// a strict reader for it. Only what the bundle needs: regular files (typeflag '0'), names up to
// 100 bytes in the name field (no prefix), mode 0644, uid/gid 0, one fixed mtime, empty user and
// group names, and two zero blocks at the end. The same inputs always give the same bytes.

const BLOCK = 512;

export interface TarEntry {
  name: string;
  data: Uint8Array;
}

/** Fixed mtime of every entry: 2026-11-01T00:00:00Z. */
export const BUNDLE_MTIME = Date.UTC(2026, 10, 1) / 1000;

function octal(value: number, width: number): string {
  // width-1 octal digits, zero-padded, then NUL
  const s = value.toString(8);
  if (s.length > width - 1) throw new Error(`ustar: ${value} does not fit a ${width}-byte field`);
  return s.padStart(width - 1, '0');
}

function put(h: Uint8Array, off: number, width: number, s: string): void {
  if (s.length > width) throw new Error(`ustar: "${s}" is longer than its ${width}-byte field`);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new Error(`ustar: only ASCII names are written ("${s}")`);
    h[off + i] = c;
  }
}

export function tarHeader(name: string, size: number, mtime = BUNDLE_MTIME): Uint8Array {
  if (name.length === 0 || name.length > 100) throw new Error(`ustar: name "${name}" must be 1..100 bytes`);
  const h = new Uint8Array(BLOCK);
  put(h, 0, 100, name); // name (NUL-padded; a 100-byte name fills the field without NUL)
  put(h, 100, 8, octal(0o644, 8)); // mode
  put(h, 108, 8, octal(0, 8)); // uid
  put(h, 116, 8, octal(0, 8)); // gid
  put(h, 124, 12, octal(size, 12)); // size
  put(h, 136, 12, octal(mtime, 12)); // mtime
  h[156] = 0x30; // typeflag '0': regular file
  put(h, 257, 6, 'ustar'); // magic "ustar\0"
  put(h, 263, 2, '00'); // version
  put(h, 329, 8, octal(0, 8)); // devmajor
  put(h, 337, 8, octal(0, 8)); // devminor
  // checksum: the byte sum with the checksum field read as 8 spaces; 6 octal digits, NUL, space
  for (let i = 148; i < 156; i++) h[i] = 0x20;
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, octal(sum, 7) + '\0 ');
  return h;
}

export function writeTar(entries: TarEntry[]): Uint8Array {
  const seen = new Set<string>();
  let total = 2 * BLOCK;
  for (const e of entries) {
    if (seen.has(e.name)) throw new Error(`ustar: duplicate entry "${e.name}"`);
    seen.add(e.name);
    total += BLOCK + Math.ceil(e.data.length / BLOCK) * BLOCK;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const e of entries) {
    out.set(tarHeader(e.name, e.data.length), off);
    off += BLOCK;
    out.set(e.data, off);
    off += Math.ceil(e.data.length / BLOCK) * BLOCK;
  }
  return out; // the last two blocks stay zero
}

function field(h: Uint8Array, off: number, width: number): string {
  let s = '';
  for (let i = off; i < off + width && h[i] !== 0; i++) s += String.fromCharCode(h[i]);
  return s;
}

function parseOctal(h: Uint8Array, off: number, width: number, what: string): number {
  const s = field(h, off, width).trim();
  if (!/^[0-7]+$/.test(s)) throw new Error(`ustar: bad ${what} field "${s}"`);
  return parseInt(s, 8);
}

/** Read the regular files of a ustar archive (checksums checked; other entry types refused). */
export function readTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let off = 0;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) return entries;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    const stated = parseOctal(h, 148, 8, 'checksum');
    if (stated !== sum) throw new Error(`ustar: header at ${off}: checksum ${stated}, computed ${sum}`);
    if (field(h, 257, 6) !== 'ustar') throw new Error(`ustar: header at ${off}: not a ustar header`);
    const type = h[156];
    if (type !== 0x30 && type !== 0) throw new Error(`ustar: header at ${off}: entry type '${String.fromCharCode(type)}' (only regular files)`);
    const prefix = field(h, 345, 155);
    const name = (prefix ? prefix + '/' : '') + field(h, 0, 100);
    const size = parseOctal(h, 124, 12, 'size');
    const start = off + BLOCK;
    if (start + size > tar.length) throw new Error(`ustar: "${name}" runs past the end of the archive`);
    entries.push({ name, data: tar.slice(start, start + size) });
    off = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new Error('ustar: archive ends without its two zero blocks');
}
