// Our device tree against QEMU's own (`-machine dumpdtb`) for the same
// configuration: every node we emit exists in QEMU's tree with exactly the
// same properties and values, and every QEMU node we leave out is a device
// our machine does not have.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine.ts';
import { loadCoreModule } from '../../src/node-files.ts';
import { buildVirtDtb, dtbSeeds, FdtError, type FdtNode, findNode, node, parseFdt, prop, propCells, propStrings, writeFdt } from '../../src/dtb.ts';

const haveQemu = spawnSync('qemu-system-aarch64', ['--version']).status === 0;

const RAW_KERNEL = Uint8Array.from([0, 0, 0, 0x14]);

function qemuDtbBytes(memMiB: number, append: string, initrd?: Uint8Array, kernelBytes: Uint8Array = RAW_KERNEL): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'sis-dtb-'));
  const f = join(dir, 'virt.dtb');
  const kernel = join(dir, 'k');
  writeFileSync(kernel, kernelBytes); // -append needs a -kernel
  if (initrd) writeFileSync(join(dir, 'initrd'), initrd);
  const r = spawnSync('qemu-system-aarch64', [
    '-M', `virt,dumpdtb=${f}`, '-cpu', 'cortex-a72', '-m', `${memMiB}M`, '-nographic', '-net', 'none',
    '-kernel', kernel, ...(append ? ['-append', append] : []), ...(initrd ? ['-initrd', join(dir, 'initrd')] : []),
  ]);
  if (r.status !== 0) throw new Error(`qemu dumpdtb failed: ${r.stderr}`);
  return new Uint8Array(readFileSync(f));
}

function qemuDtb(memMiB: number, append: string, initrd?: Uint8Array, kernelBytes: Uint8Array = RAW_KERNEL): FdtNode {
  return parseFdt(qemuDtbBytes(memMiB, append, initrd, kernelBytes));
}

// QEMU virt devices our machine does not model.
const ABSENT_NODES = ['platform-bus@c000000', 'fw-cfg@9020000', 'gpio-keys', 'pl061@9030000', 'pcie@10000000', 'flash@0', 'intc@8000000/v2m@8020000', 'cpus/cpu-map'];
// QEMU's per-boot random seeds: only present without seeds of ours.
const SEED_PROPS = ['chosen/rng-seed', 'chosen/kaslr-seed'];

/** Every node of ours is in QEMU's tree with the same properties, in the same order, and values (seeds: same length). */
function expectSameTree(oursRoot: FdtNode, theirsRoot: FdtNode, withSeeds: boolean) {
  const ours = flatten(oursRoot);
  const theirs = flatten(theirsRoot);
  for (const [path, n] of ours) {
    const q = theirs.get(path);
    expect(q, `QEMU has no node ${path}`).toBeDefined();
    const qProps = [...q!.props.keys()].filter((k) => withSeeds || !SEED_PROPS.includes(`${path.slice(1)}/${k}`));
    expect([...n.props.keys()], `properties of ${path}`).toEqual(qProps);
    for (const [k, v] of n.props) {
      if (SEED_PROPS.includes(`${path.slice(1)}/${k}`)) expect(v.length, `${path}:${k} length`).toBe(q!.props.get(k)!.length);
      else expect([...v], `${path}:${k}`).toEqual([...q!.props.get(k)!]);
    }
  }
  const missing = [...theirs.keys()].filter((p) => !ours.has(p)).map((p) => p.slice(1));
  const unexpected = missing.filter((p) => !ABSENT_NODES.some((a) => p === a || p.startsWith(a + '/')));
  expect(unexpected).toEqual([]);
}

function arm64Image(textOffset: number, imageSize: number): Uint8Array {
  const b = new Uint8Array(256);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x14000000, true);
  v.setBigUint64(8, BigInt(textOffset), true);
  v.setBigUint64(16, BigInt(imageSize), true);
  v.setUint32(0x38, 0x644d5241, true);
  return b;
}

function flatten(n: FdtNode, path = ''): Map<string, FdtNode> {
  const out = new Map<string, FdtNode>([[path || '/', n]]);
  for (const c of n.children) for (const [k, v] of flatten(c, `${path}/${c.name}`)) out.set(k, v);
  return out;
}

describe.skipIf(!haveQemu)('device tree vs QEMU dumpdtb', () => {
  // 19 and 4095 MiB: the --mem bounds; 2048 and more: RAM whose size no longer fits a signed 32-bit number.
  for (const [mem, append] of [[128, 'console=ttyAMA0 loglevel=3'], [256, ''], [19, ''], [2048, ''], [3072, ''], [4095, '']] as const) {
    it(`${mem} MiB, bootargs "${append}"`, () => {
      expectSameTree(parseFdt(buildVirtDtb({ ramBytes: mem * 2 ** 20, bootargs: append })), qemuDtb(mem, append), false);
    });
  }
  // With an initrd and the /chosen seeds: the tree the machine boots with (Machine.dtb).
  const initrdCases: [string, number, number, Uint8Array][] = [
    ['128 MiB, 100000-byte initrd', 128, 100_000, RAW_KERNEL],
    ['256 MiB (initrd at the 128 MiB cap), 3 MiB initrd', 256, 3 << 20, RAW_KERNEL],
    ['32 MiB, Image reaching past half of RAM (initrd after the kernel)', 32, 4097, arm64Image(0x80000, 20 << 20)],
  ];
  for (const [name, mem, size, kernel] of initrdCases) {
    it(name, async () => {
      const initrd = new Uint8Array(size).map((_, i) => i * 7);
      const m = await Machine.create({ kernel, raw: kernel === RAW_KERNEL, wasm: await loadCoreModule(), memMiB: mem, append: 'rdinit=/init', initrd, seed: 1n });
      const theirs = qemuDtb(mem, 'rdinit=/init', initrd, kernel);
      expectSameTree(parseFdt(m.dtb), theirs, true);
      expect(Buffer.compare(m.ram.subarray(m.plan.initrdOffset, m.plan.initrdOffset + size), initrd)).toBe(0);
    });
  }
});

describe.skipIf(!haveQemu)('device tree size', () => {
  it('has the totalsize of QEMU\'s blob (its whole FDT buffer: Linux reserves that much)', () => {
    const q = qemuDtbBytes(128, '');
    const ours = buildVirtDtb({ ramBytes: 128 << 20, bootargs: '' });
    expect(ours.length).toBe(q.length);
    expect(new DataView(ours.buffer).getUint32(4)).toBe(new DataView(q.buffer, q.byteOffset).getUint32(4));
  });
});

describe('device tree seeds', () => {
  it('--seed gives the same seeds every time, different seeds otherwise', () => {
    const a = dtbSeeds(42n), b = dtbSeeds(42n), c = dtbSeeds(43n), r1 = dtbSeeds(), r2 = dtbSeeds();
    expect(a).toEqual(b);
    expect(a.rng).not.toEqual(c.rng);
    expect(a.rng.length).toBe(32);
    expect(a.kaslr.length).toBe(8);
    expect(r1.rng).not.toEqual(r2.rng);
    const t = parseFdt(buildVirtDtb({ ramBytes: 128 << 20, bootargs: '', seeds: a }));
    const chosen = findNode(t, '/chosen')!;
    expect(chosen.props.get('rng-seed')).toEqual(a.rng);
    expect(chosen.props.get('kaslr-seed')).toEqual(a.kaslr);
  });
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
