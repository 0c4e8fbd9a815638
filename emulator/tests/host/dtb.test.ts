// Our device tree against QEMU's own (`-machine dumpdtb`) for the same
// configuration: every node we emit exists in QEMU's tree with exactly the
// same properties and values, and every QEMU node we leave out is a device
// our machine does not have.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildVirtDtb, FdtError, type FdtNode, findNode, node, parseFdt, prop, propCells, propStrings, writeFdt } from '../../src/dtb.ts';

const haveQemu = spawnSync('qemu-system-aarch64', ['--version']).status === 0;

function qemuDtb(memMiB: number, append: string): FdtNode {
  const dir = mkdtempSync(join(tmpdir(), 'sis-dtb-'));
  const f = join(dir, 'virt.dtb');
  const kernel = join(dir, 'k');
  writeFileSync(kernel, Uint8Array.from([0, 0, 0, 0x14])); // -append needs a -kernel
  const r = spawnSync('qemu-system-aarch64', [
    '-M', `virt,dumpdtb=${f}`, '-cpu', 'cortex-a72', '-m', `${memMiB}M`, '-nographic', '-net', 'none',
    '-kernel', kernel, ...(append ? ['-append', append] : []),
  ]);
  if (r.status !== 0) throw new Error(`qemu dumpdtb failed: ${r.stderr}`);
  return parseFdt(readFileSync(f));
}

// QEMU virt devices our machine does not model, and QEMU's per-boot random seeds.
const ABSENT_NODES = ['platform-bus@c000000', 'fw-cfg@9020000', 'gpio-keys', 'pl061@9030000', 'pcie@10000000', 'pmu', 'flash@0', 'intc@8000000/v2m@8020000', 'cpus/cpu-map'];
const ABSENT_PROPS = ['chosen/rng-seed', 'chosen/kaslr-seed'];

function flatten(n: FdtNode, path = ''): Map<string, FdtNode> {
  const out = new Map<string, FdtNode>([[path || '/', n]]);
  for (const c of n.children) for (const [k, v] of flatten(c, `${path}/${c.name}`)) out.set(k, v);
  return out;
}

describe.skipIf(!haveQemu)('device tree vs QEMU dumpdtb', () => {
  // 17 and 4095 MiB: the --mem bounds; 2048 and more: RAM whose size no longer fits a signed 32-bit number.
  for (const [mem, append] of [[128, 'console=ttyAMA0 loglevel=3'], [256, ''], [19, ''], [2048, ''], [3072, ''], [4095, '']] as const) {
    it(`${mem} MiB, bootargs "${append}"`, () => {
      const ours = flatten(parseFdt(buildVirtDtb({ ramBytes: mem * 2 ** 20, bootargs: append })));
      const theirs = flatten(qemuDtb(mem, append));
      for (const [path, n] of ours) {
        const q = theirs.get(path);
        expect(q, `QEMU has no node ${path}`).toBeDefined();
        const qProps = [...q!.props.keys()].filter((k) => !ABSENT_PROPS.includes(`${path.slice(1)}/${k}`)).sort();
        expect([...n.props.keys()].sort(), `properties of ${path}`).toEqual(qProps);
        for (const [k, v] of n.props) expect([...v], `${path}:${k}`).toEqual([...q!.props.get(k)!]);
      }
      const missing = [...theirs.keys()].filter((p) => !ours.has(p)).map((p) => p.slice(1));
      const unexpected = missing.filter((p) => !ABSENT_NODES.some((a) => p === a || p.startsWith(a + '/')));
      expect(unexpected).toEqual([]);
    });
  }
});

describe('FDT writer/reader', () => {
  it('round-trips a tree', () => {
    const t = node('', { a: prop.u32(1, 2), s: prop.str('x', 'yz') }, [node('c@1', { e: prop.empty(), q: prop.u64(2 ** 40 + 5) })]);
    const back = parseFdt(writeFdt(t));
    expect(propCells(back.props.get('a')!)).toEqual([1, 2]);
    expect(propStrings(back.props.get('s')!)).toEqual(['x', 'yz']);
    expect(propCells(findNode(back, '/c@1')!.props.get('q')!)).toEqual([256, 5]);
    expect(findNode(back, '/c@1')!.props.get('e')!.length).toBe(0);
  });
  it('lists bootargs in /chosen and the RAM size in /memory', () => {
    const t = parseFdt(buildVirtDtb({ ramBytes: 64 << 20, bootargs: 'a b' }));
    expect(propStrings(findNode(t, '/chosen')!.props.get('bootargs')!)).toEqual(['a b']);
    expect(propCells(findNode(t, '/memory@40000000')!.props.get('reg')!)).toEqual([0, 0x40000000, 0, 64 << 20]);
  });
  it('rejects malformed blobs', () => {
    const good = writeFdt(node('', { a: prop.u32(1) }));
    expect(() => parseFdt(good.subarray(0, 20))).toThrow(FdtError);
    const badMagic = good.slice();
    badMagic[0] = 0;
    expect(() => parseFdt(badMagic)).toThrow(/bad magic/);
    const truncated = good.slice(0, good.length - 8);
    expect(() => parseFdt(truncated)).toThrow(/past the end/);
    const badToken = good.slice();
    new DataView(badToken.buffer).setUint32(new DataView(good.buffer).getUint32(8), 7);
    expect(() => parseFdt(badToken)).toThrow(/unknown token 7/);
  });
});
