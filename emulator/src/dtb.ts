// Flattened device tree (FDT, "DTB") writer and reader, and the tree of our
// `virt` machine.
//
// Format facts from the Devicetree Specification v0.4, chapter 5: a 40-byte
// big-endian header, a memory reservation block (pairs of u64, ended by a zero
// pair), a structure block of 32-bit tokens (BEGIN_NODE name\0 pad4, PROP
// len nameoff value pad4, END_NODE, NOP, END) and a strings block holding the
// property names. Everything is big-endian.
//
// buildVirtDtb() lists exactly the devices the machine has, with the node
// names, compatibles, registers and interrupt specifiers QEMU 7.2's
// `-M virt -cpu cortex-a72` puts in its own tree (hw/arm/virt.c); the host
// test compares the two trees property by property (QEMU's `dumpdtb` is the
// oracle).

export const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;
const HEADER_SIZE = 40;

export type PropValue = Uint8Array;

/** Property value encoders (the spec's <u32>, <u64>, <string>, <stringlist>). */
export const prop = {
  empty(): PropValue {
    return new Uint8Array(0);
  },
  u32(...cells: number[]): PropValue {
    const b = new Uint8Array(cells.length * 4);
    const v = new DataView(b.buffer);
    cells.forEach((c, i) => v.setUint32(i * 4, c >>> 0));
    return b;
  },
  /** 64-bit values as two cells each (high, low); values must be below 2^53. */
  u64(...vals: number[]): PropValue {
    const cells: number[] = [];
    for (const x of vals) cells.push(Math.floor(x / 2 ** 32), x % 2 ** 32);
    return prop.u32(...cells);
  },
  str(...strings: string[]): PropValue {
    const enc = new TextEncoder();
    const parts = strings.map((s) => enc.encode(s + '\0'));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  },
};

export interface FdtNode {
  name: string;
  props: Map<string, PropValue>;
  children: FdtNode[];
}

export function node(name: string, props: Record<string, PropValue> = {}, children: FdtNode[] = []): FdtNode {
  return { name, props: new Map(Object.entries(props)), children };
}

/** Serialises a tree; `bootCpuid` goes to the header's boot_cpuid_phys. */
export function writeFdt(root: FdtNode, bootCpuid = 0): Uint8Array {
  const strings: number[] = [];
  const stringOffsets = new Map<string, number>();
  const enc = new TextEncoder();
  const nameOffset = (name: string): number => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      off = strings.length;
      stringOffsets.set(name, off);
      strings.push(...enc.encode(name), 0);
    }
    return off;
  };

  const struct: number[] = [];
  const pushU32 = (x: number) => struct.push((x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
  const pushBytes = (b: ArrayLike<number>) => {
    for (let i = 0; i < b.length; i++) struct.push(b[i]);
    while (struct.length % 4) struct.push(0);
  };
  const emit = (n: FdtNode) => {
    pushU32(FDT_BEGIN_NODE);
    pushBytes([...enc.encode(n.name), 0]);
    for (const [k, v] of n.props) {
      pushU32(FDT_PROP);
      pushU32(v.length);
      pushU32(nameOffset(k));
      pushBytes(v);
    }
    for (const c of n.children) emit(c);
    pushU32(FDT_END_NODE);
  };
  emit(root);
  pushU32(FDT_END);

  const rsvOff = HEADER_SIZE; // 8-byte aligned
  const rsvSize = 16; // just the terminating zero pair
  const structOff = rsvOff + rsvSize;
  const stringsOff = structOff + struct.length;
  const total = stringsOff + strings.length;
  const out = new Uint8Array((total + 7) & ~7);
  const v = new DataView(out.buffer);
  v.setUint32(0, FDT_MAGIC);
  v.setUint32(4, out.length);
  v.setUint32(8, structOff);
  v.setUint32(12, stringsOff);
  v.setUint32(16, rsvOff);
  v.setUint32(20, 17); // version
  v.setUint32(24, 16); // last_comp_version
  v.setUint32(28, bootCpuid);
  v.setUint32(32, strings.length);
  v.setUint32(36, struct.length);
  out.set(struct, structOff);
  out.set(strings, stringsOff);
  return out;
}

export class FdtError extends Error {}

/** Parses a DTB into a tree; throws FdtError on anything malformed. */
export function parseFdt(bytes: Uint8Array): FdtNode {
  if (bytes.length < HEADER_SIZE) throw new FdtError(`dtb: ${bytes.length} bytes is shorter than the header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0) !== FDT_MAGIC) throw new FdtError('dtb: bad magic');
  const total = v.getUint32(4);
  const structOff = v.getUint32(8);
  const stringsOff = v.getUint32(12);
  const stringsSize = v.getUint32(32);
  const structSize = v.getUint32(36);
  if (total > bytes.length || structOff + structSize > total || stringsOff + stringsSize > total) {
    throw new FdtError('dtb: blocks run past the end of the blob');
  }
  const dec = new TextDecoder();
  const cstr = (off: number, limit: number): string => {
    let end = off;
    while (end < limit && bytes[end] !== 0) end++;
    if (end >= limit) throw new FdtError('dtb: unterminated string');
    return dec.decode(bytes.subarray(off, end));
  };
  let p = structOff;
  const end = structOff + structSize;
  const tok = (): number => {
    if (p + 4 > end) throw new FdtError('dtb: structure block ends early');
    const t = v.getUint32(p);
    p += 4;
    return t;
  };
  const align = () => (p = (p + 3) & ~3);
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  for (;;) {
    const t = tok();
    if (t === FDT_BEGIN_NODE) {
      const name = cstr(p, end);
      p += name.length + 1; // names are ASCII
      align();
      const n = node(name);
      if (stack.length) stack[stack.length - 1].children.push(n);
      else if (root) throw new FdtError('dtb: two root nodes');
      else root = n;
      stack.push(n);
    } else if (t === FDT_PROP) {
      const len = tok();
      const nameoff = tok();
      if (!stack.length) throw new FdtError('dtb: property outside a node');
      if (p + len > end) throw new FdtError('dtb: property runs past the structure block');
      const name = cstr(stringsOff + nameoff, stringsOff + stringsSize);
      stack[stack.length - 1].props.set(name, bytes.slice(p, p + len));
      p += len;
      align();
    } else if (t === FDT_END_NODE) {
      if (!stack.pop()) throw new FdtError('dtb: unbalanced END_NODE');
    } else if (t === FDT_NOP) {
      continue;
    } else if (t === FDT_END) {
      if (stack.length || !root) throw new FdtError('dtb: END inside a node');
      return root;
    } else {
      throw new FdtError(`dtb: unknown token ${t}`);
    }
  }
}

/** Finds a node by path ("/pl011@9000000"); undefined if absent. */
export function findNode(root: FdtNode, path: string): FdtNode | undefined {
  let n: FdtNode | undefined = root;
  for (const part of path.split('/').filter(Boolean)) {
    n = n.children.find((c) => c.name === part);
    if (!n) return undefined;
  }
  return n;
}

export function propCells(value: PropValue): number[] {
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= value.length; i += 4) out.push(v.getUint32(i));
  return out;
}

export function propStrings(value: PropValue): string[] {
  const s = new TextDecoder().decode(value);
  return s.split('\0').slice(0, -1);
}

// ---------------------------------------------------------------------------
// The virt machine's tree.

export const RAM_BASE = 0x4000_0000;
export const GICD_BASE = 0x0800_0000;
export const GICC_BASE = 0x0801_0000;
export const UART0_BASE = 0x0900_0000;
export const RTC_BASE = 0x0901_0000;
export const VIRTIO_BASE = 0x0a00_0000;
export const VIRTIO_STRIDE = 0x200;
export const VIRTIO_SLOTS = 32;
/** SPI numbers (GIC INTID = 32 + SPI). */
export const UART0_SPI = 1;
export const RTC_SPI = 2;
export const VIRTIO_SPI0 = 16;

// Phandles as QEMU numbers them for this configuration (the GIC is first).
const PHANDLE_CLK = 0x8000;
const PHANDLE_CPU0 = 0x8001;
const PHANDLE_GIC = 0x8002;

const GIC_SPI = 0;
const GIC_PPI = 1;
const IRQ_TYPE_LEVEL_HIGH = 4;
const IRQ_TYPE_EDGE_RISING = 1;

export interface VirtDtbConfig {
  ramBytes: number;
  bootargs: string;
  /** Guest-physical [start, end) of the initrd: /chosen linux,initrd-start/-end (one cell each, as QEMU 7.2). */
  initrd?: { start: number; end: number };
  /**
   * /chosen rng-seed (32 bytes) and kaslr-seed (8 bytes), which QEMU 7.2's virt adds to every
   * DTB (its dtb-randomness); see dtbSeeds(). Omitted when not given.
   */
  seeds?: DtbSeeds;
  /** Number of virtio-mmio transport slots (QEMU virt always has 32). */
  virtioSlots?: number;
  /**
   * The blob's totalsize: QEMU 7.2 hands the guest its whole 1 MiB FDT buffer (free space after
   * the strings), and Linux reserves what totalsize says; default 0x100000 like QEMU, 0 = compact.
   */
  totalSize?: number;
}

export interface DtbSeeds {
  rng: Uint8Array;
  kaslr: Uint8Array;
}

/**
 * The /chosen seeds: from the host's random source (crypto.getRandomValues, as QEMU uses its
 * own), or derived from `seed` (a 64-bit integer) for a deterministic boot: splitmix64 output,
 * 32 bytes of rng-seed then 8 of kaslr-seed.
 */
export function dtbSeeds(seed?: bigint): DtbSeeds {
  const bytes = new Uint8Array(40);
  if (seed === undefined) {
    globalThis.crypto.getRandomValues(bytes);
  } else {
    const v = new DataView(bytes.buffer);
    let x = BigInt.asUintN(64, seed);
    for (let i = 0; i < 5; i++) {
      x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
      let z = x;
      z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
      z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
      v.setBigUint64(i * 8, z ^ (z >> 31n));
    }
  }
  return { rng: bytes.slice(0, 32), kaslr: bytes.slice(32) };
}

export function buildVirtDtb(cfg: VirtDtbConfig): Uint8Array {
  const slots = cfg.virtioSlots ?? VIRTIO_SLOTS;
  const children: FdtNode[] = [];

  children.push(
    node('psci', {
      'migrate': prop.u32(0xc4000005),
      'cpu_on': prop.u32(0xc4000003),
      'cpu_off': prop.u32(0x84000002),
      'cpu_suspend': prop.u32(0xc4000001),
      'method': prop.str('hvc'),
      'compatible': prop.str('arm,psci-1.0', 'arm,psci-0.2', 'arm,psci'),
    }),
  );
  children.push(
    node(`memory@${RAM_BASE.toString(16)}`, {
      'reg': prop.u64(RAM_BASE, cfg.ramBytes),
      'device_type': prop.str('memory'),
    }),
  );
  for (let n = 0; n < slots; n++) {
    const base = VIRTIO_BASE + VIRTIO_STRIDE * n;
    children.push(
      node(`virtio_mmio@${base.toString(16)}`, {
        'dma-coherent': prop.empty(),
        'interrupts': prop.u32(GIC_SPI, VIRTIO_SPI0 + n, IRQ_TYPE_EDGE_RISING),
        'reg': prop.u64(base, VIRTIO_STRIDE),
        'compatible': prop.str('virtio,mmio'),
      }),
    );
  }
  children.push(
    node(`pl031@${RTC_BASE.toString(16)}`, {
      'clock-names': prop.str('apb_pclk'),
      'clocks': prop.u32(PHANDLE_CLK),
      'interrupts': prop.u32(GIC_SPI, RTC_SPI, IRQ_TYPE_LEVEL_HIGH),
      'reg': prop.u64(RTC_BASE, 0x1000),
      'compatible': prop.str('arm,pl031', 'arm,primecell'),
    }),
  );
  children.push(
    node(`pl011@${UART0_BASE.toString(16)}`, {
      'clock-names': prop.str('uartclk', 'apb_pclk'),
      'clocks': prop.u32(PHANDLE_CLK, PHANDLE_CLK),
      'interrupts': prop.u32(GIC_SPI, UART0_SPI, IRQ_TYPE_LEVEL_HIGH),
      'reg': prop.u64(UART0_BASE, 0x1000),
      'compatible': prop.str('arm,pl011', 'arm,primecell'),
    }),
  );
  // PMU v3 overflow interrupt: PPI 7, level, CPU mask 1 (QEMU's node, its values)
  children.push(
    node('pmu', {
      'interrupts': prop.u32(GIC_PPI, 7, (1 << 8) | IRQ_TYPE_LEVEL_HIGH),
      'compatible': prop.str('arm,armv8-pmuv3'),
    }),
  );
  children.push(
    node(
      'intc@8000000',
      {
        'phandle': prop.u32(PHANDLE_GIC),
        'reg': prop.u64(GICD_BASE, 0x10000, GICC_BASE, 0x10000),
        'compatible': prop.str('arm,cortex-a15-gic'),
        'ranges': prop.empty(),
        '#size-cells': prop.u32(2),
        '#address-cells': prop.u32(2),
        'interrupt-controller': prop.empty(),
        '#interrupt-cells': prop.u32(3),
      },
    ),
  );
  // GICv2 PPI specifiers carry a CPU mask in bits 15:8 (one CPU: 0x1) and the trigger type.
  const ppiFlags = (((1 << 1) - 1) << 8) | IRQ_TYPE_LEVEL_HIGH;
  children.push(
    node('timer', {
      'interrupts': prop.u32(
        GIC_PPI, 13, ppiFlags, // secure physical
        GIC_PPI, 14, ppiFlags, // non-secure physical
        GIC_PPI, 11, ppiFlags, // virtual
        GIC_PPI, 10, ppiFlags, // hypervisor
      ),
      'always-on': prop.empty(),
      'compatible': prop.str('arm,armv8-timer', 'arm,armv7-timer'),
    }),
  );
  // One CPU: like QEMU, no enable-method (it adds "psci" only for secondary CPUs).
  children.push(
    node(
      'cpus',
      { '#size-cells': prop.u32(0), '#address-cells': prop.u32(1) },
      [
        node('cpu@0', {
          'phandle': prop.u32(PHANDLE_CPU0),
          'reg': prop.u32(0),
          'compatible': prop.str('arm,cortex-a72'),
          'device_type': prop.str('cpu'),
        }),
      ],
    ),
  );
  children.push(
    node('apb-pclk', {
      'phandle': prop.u32(PHANDLE_CLK),
      'clock-output-names': prop.str('clk24mhz'),
      'clock-frequency': prop.u32(24_000_000),
      '#clock-cells': prop.u32(0),
      'compatible': prop.str('fixed-clock'),
    }),
  );
  // Property order as in QEMU's dumpdtb.
  children.push(
    node('chosen', {
      ...(cfg.initrd ? { 'linux,initrd-end': prop.u32(cfg.initrd.end), 'linux,initrd-start': prop.u32(cfg.initrd.start) } : {}),
      ...(cfg.bootargs ? { bootargs: prop.str(cfg.bootargs) } : {}),
      'stdout-path': prop.str(`/pl011@${UART0_BASE.toString(16)}`),
      ...(cfg.seeds ? { 'rng-seed': cfg.seeds.rng.slice(), 'kaslr-seed': cfg.seeds.kaslr.slice() } : {}),
    }),
  );

  const root = node(
    '',
    {
      'interrupt-parent': prop.u32(PHANDLE_GIC),
      'model': prop.str('linux,dummy-virt'),
      '#size-cells': prop.u32(2),
      '#address-cells': prop.u32(2),
      'compatible': prop.str('linux,dummy-virt'),
    },
    children,
  );
  const blob = writeFdt(root);
  const total = cfg.totalSize ?? QEMU_FDT_SIZE;
  if (total <= blob.length) return blob;
  const padded = new Uint8Array(total);
  padded.set(blob);
  new DataView(padded.buffer).setUint32(4, total); // header totalsize
  return padded;
}

/** QEMU's FDT buffer size (its device_tree.c FDT_MAX_SIZE), what `dumpdtb` writes. */
export const QEMU_FDT_SIZE = 0x100000;
