// Comparing one case's outcome under qemu-aarch64 with the emulator's, and the one-line report.
import { R_FPSR, R_HEADER, R_NZCV, R_SP, R_X, WINDOW, WINDOW_SIZE, type TestCase } from './harness.ts';

// A case either wrote its record, or died: `fault` is the Linux signal name (qemu) or the
// signal the same exception would raise under Linux, followed by detail (emulator).
export type Outcome = { record: Buffer } | { fault: string };

export interface Mismatch {
  id: string;
  line: string;
}

interface ReportCase extends TestCase {
  id: string;
  dis: string[];
}

const h64 = (v: bigint) => '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
const hexBytes = (b: Uint8Array) => Buffer.from(b).toString('hex');
// 128-bit register as one big-endian hex number (lane 0 on the right, as Arm docs draw it)
const hV = (b: Uint8Array) => '0x' + Buffer.from(b).reverse().toString('hex');
const flags = (n: number) => ['N', 'Z', 'C', 'V'].map((f, i) => ((n >>> (31 - i)) & 1 ? f : f.toLowerCase())).join('');

function describeInsns(c: ReportCase): string {
  if (c.words.length) return c.words.map((w, i) => `${w.toString(16).padStart(8, '0')} "${c.dis[i]}"`).join('; ');
  return c.dis.map((l) => `"${l.trim()}"`).join('; ');
}

// The inputs worth showing: registers the instructions name, plus flags and FPCR.
function describeInputs(c: ReportCase): string {
  const text = c.dis.join(' ').toLowerCase();
  const xs = new Set<number>();
  const vs = new Set<number>();
  let sp = false;
  for (const m of text.matchAll(/\b([xw])(\d+)\b/g)) xs.add(Number(m[2]));
  for (const m of text.matchAll(/\b([vqdshb])(\d+)\b/g)) vs.add(Number(m[2]));
  if (/\b(sp|wsp)\b/.test(text)) sp = true;
  const parts: string[] = [];
  for (const r of [...xs].sort((a, b) => a - b)) if (r < 31) parts.push(`x${r}=${h64(c.state.x[r])}`);
  if (sp) parts.push(`sp=${h64(c.state.sp)}`);
  if (c.state.v) for (const r of [...vs].sort((a, b) => a - b)) if (r < 32) parts.push(`v${r}=${hV(c.state.v.subarray(r * 16, r * 16 + 16))}`);
  parts.push(`nzcv=${flags(c.state.nzcv)}`);
  if (c.state.v) parts.push(`fpcr=0x${c.state.fpcr.toString(16)}`);
  return parts.join(' ');
}

export function diffRecords(c: ReportCase, q: Outcome, e: Outcome): Mismatch | null {
  const head = `[${c.cls}] ${c.id} | ${describeInsns(c)} | in: ${describeInputs(c)} | `;
  if ('fault' in q || 'fault' in e) {
    const qs = 'fault' in q ? q.fault : 'completed';
    const es = 'fault' in e ? e.fault : 'completed';
    if ('fault' in q && 'fault' in e && q.fault.split(' ')[0] === e.fault.split(' ')[0]) return null;
    return { id: c.id, line: head + `outcome: qemu=${qs} emu=${es}` };
  }
  const a = q.record;
  const b = e.record;
  if (a.equals(b)) return null;
  const d: string[] = [];
  if (a.length !== b.length) d.push(`record length qemu=${a.length} emu=${b.length}`);
  for (let r = 0; r < 31; r++) {
    const x = a.readBigUInt64LE(R_X + 8 * r);
    const y = b.readBigUInt64LE(R_X + 8 * r);
    if (x !== y) d.push(`x${r} qemu=${h64(x)} emu=${h64(y)}`);
  }
  const cmp64 = (off: number, name: string, fmt: (v: bigint) => string) => {
    const x = a.readBigUInt64LE(off);
    const y = b.readBigUInt64LE(off);
    if (x !== y) d.push(`${name} qemu=${fmt(x)} emu=${fmt(y)}`);
  };
  cmp64(R_SP, 'sp', h64);
  cmp64(R_NZCV, 'nzcv', (v) => flags(Number(v)));
  cmp64(R_FPSR, 'fpsr', (v) => '0x' + v.toString(16));
  let p = R_HEADER;
  if (c.state.v) {
    for (let r = 0; r < 32; r++) {
      const x = a.subarray(p + 16 * r, p + 16 * r + 16);
      const y = b.subarray(p + 16 * r, p + 16 * r + 16);
      if (!x.equals(y)) d.push(`v${r} qemu=${hV(x)} emu=${hV(y)}`);
    }
    p += 512;
  }
  if (c.state.data) {
    // report differing byte ranges (merged when close), with the address
    let i = 0;
    let shown = 0;
    while (i < WINDOW_SIZE && p + i < Math.min(a.length, b.length)) {
      if (a[p + i] === b[p + i]) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < WINDOW_SIZE && (a[p + j] !== b[p + j] || (j + 1 < WINDOW_SIZE && a[p + j + 1] !== b[p + j + 1]))) j++;
      if (shown++ < 4) d.push(`mem[0x${(WINDOW + i).toString(16)}..+${j - i}] qemu=${hexBytes(a.subarray(p + i, p + j))} emu=${hexBytes(b.subarray(p + i, p + j))}`);
      i = j;
    }
    if (shown > 4) d.push(`(${shown - 4} more memory ranges)`);
  }
  return { id: c.id, line: head + 'diff: ' + d.join('; ') };
}
