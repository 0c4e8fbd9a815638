// Kernel loader: where the kernel and the device tree go in guest RAM, and
// what the CPU holds at entry - the same choices QEMU 7.2 makes for
// `-M virt -kernel FILE` (hw/arm/boot.c), checked against QEMU's own register
// state at the first kernel instruction (see docs/EMULATOR.md).
//
// - A Linux arm64 `Image` (magic "ARM\x64" at 0x38, Documentation/arm64/
//   booting.rst) goes to RAM + text_offset; QEMU moves offsets below 4 KiB up
//   by 2 MiB (its boot stub lives at the bottom of RAM) and uses 0x80000 when
//   image_size is 0 (pre-3.17 kernels, whose text_offset is not meaningful).
//   The header is checked strictly (see checkImage): a file that is not an
//   Image, or a damaged or truncated one, is refused rather than run.
// - A raw binary (only when asked for: `raw: true`, the CLI's --raw) is loaded
//   as it is at RAM + 0x80000 with entry there. QEMU treats every file without
//   the magic as raw; we do not, because a wrong or damaged file then runs
//   garbage at full speed until something stops it.
// - An initrd goes to RAM + min(RAM/2, 128 MiB), or the first page after the
//   kernel's end if that is higher; the DTB to the first 2 MiB boundary at or
//   after the initrd's end (without an initrd: after that same address).
// - Entry at EL1h, DAIF masked, MMU off, x0 = DTB address, x1..x3 = 0.
//
// Every rejection is a LoaderError with a message a user can act on; nothing
// is written to guest RAM before the plan is known to fit.

export class LoaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoaderError';
  }
}

export const ARM64_MAGIC = 0x644d5241; // "ARM\x64" little-endian
const ARM64_MAGIC_OFFSET = 0x38;
const ARM64_HEADER_SIZE = 64;
const RAW_LOAD_OFFSET = 0x80000;
const BOOTLOADER_MAX_SIZE = 0x1000;
const MiB = 1 << 20;
const PAGE = 0x1000;

export interface KernelPlan {
  kind: 'image' | 'raw';
  /** Offset in RAM (bytes from the RAM base) where the file is copied. */
  loadOffset: number;
  /** Offset in RAM of the first instruction. */
  entryOffset: number;
  /** Offset in RAM just past the kernel (file or image_size, whichever is larger). */
  endOffset: number;
  /** Offset in RAM of the initrd (where it goes; also set when there is none). */
  initrdOffset: number;
  /** Its size in bytes (0: no initrd). */
  initrdSize: number;
  /** Offset in RAM of the device tree. */
  dtbOffset: number;
}

const hex = (n: number) => '0x' + n.toString(16);

/**
 * Decides where a kernel and a DTB of `dtbSize` bytes go in `ramBytes` of RAM.
 * Throws LoaderError for anything that cannot be booted.
 */
export function planKernel(
  kernel: Uint8Array,
  ramBytes: number,
  dtbSize: number,
  opts: { raw?: boolean; initrdSize?: number } = {},
): KernelPlan {
  const initrdSize = opts.initrdSize ?? 0;
  if (kernel.length === 0) throw new LoaderError('kernel image is empty');
  const b = kernel;
  if (b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) {
    throw new LoaderError('kernel image is an ELF file; give the raw Image (llvm-objcopy -O binary)');
  }
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    throw new LoaderError('kernel image is gzip-compressed; give the uncompressed Image');
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let kind: KernelPlan['kind'] = 'raw';
  let loadOffset = RAW_LOAD_OFFSET;
  let imageSize = 0;
  if (!opts.raw) {
    kind = 'image';
    ({ loadOffset, imageSize } = checkImage(b, v));
  }
  const endOffset = loadOffset + Math.max(b.length, imageSize);
  if (endOffset > ramBytes) {
    const what = imageSize > b.length ? `its header's image_size (${hex(imageSize)})` : `the file (${hex(b.length)} bytes)`;
    throw new LoaderError(
      `kernel does not fit in RAM: ${what} loaded at RAM + ${hex(loadOffset)} ends past ${ramBytes / MiB} MiB of RAM`,
    );
  }
  const pageEnd = alignUp(endOffset, 0x1000);
  const initrdOffset = Math.max(Math.min(ramBytes / 2, 128 * MiB), pageEnd);
  if (initrdOffset + initrdSize > ramBytes) {
    throw new LoaderError(
      `initrd does not fit in RAM: ${initrdSize} bytes at RAM + ${hex(initrdOffset)} end past ${ramBytes / MiB} MiB of RAM`,
    );
  }
  const dtbOffset = alignUp(initrdOffset + initrdSize, 2 * MiB);
  if (dtbOffset + dtbSize > ramBytes) {
    const what = initrdSize ? 'the kernel, the initrd' : 'the kernel';
    throw new LoaderError(`not enough RAM for ${what} and the device tree (${ramBytes / MiB} MiB)`);
  }
  return { kind, loadOffset, entryOffset: loadOffset, endOffset, initrdOffset, initrdSize, dtbOffset };
}

/**
 * The arm64 Image header rules (Documentation/arm64/booting.rst), strictly:
 * the 64-byte header with the magic, image_size (when not 0) at least the
 * file's size, flags a little-endian 4 KiB-page kernel (all this CPU runs),
 * text_offset below 2 MiB and page-aligned, and the header's branch to the
 * kernel's entry code landing inside the file (a cut-off file has none). Returns
 * where the Image goes.
 */
function checkImage(b: Uint8Array, v: DataView): { loadOffset: number; imageSize: number } {
  if (b.length >= ARM64_MAGIC_OFFSET + 4 && b.length < ARM64_HEADER_SIZE && v.getUint32(ARM64_MAGIC_OFFSET, true) === ARM64_MAGIC) {
    throw new LoaderError(`arm64 Image is truncated: ${b.length} bytes, shorter than its ${ARM64_HEADER_SIZE}-byte header`);
  }
  if (b.length < ARM64_HEADER_SIZE) {
    throw new LoaderError(
      `kernel image is truncated or not an arm64 Image: ${b.length} bytes, shorter than the ${ARM64_HEADER_SIZE}-byte Image header` +
        ' (load a raw binary with --raw)',
    );
  }
  if (v.getUint32(ARM64_MAGIC_OFFSET, true) !== ARM64_MAGIC) {
    throw new LoaderError('kernel image is not an arm64 Image: no "ARM\\x64" magic at offset 0x38 (load a raw binary with --raw)');
  }
  const textOffset = readU64(v, 8, 'text_offset');
  const imageSize = readU64(v, 16, 'image_size');
  const flags = readU64(v, 24, 'flags');
  checkEntryBranch(b, v);
  if (imageSize === 0) return { loadOffset: RAW_LOAD_OFFSET, imageSize }; // pre-3.17: text_offset and flags unset
  if (imageSize < b.length) {
    throw new LoaderError(
      `arm64 Image header is malformed: image_size ${hex(imageSize)} is smaller than the file (${hex(b.length)} bytes)`,
    );
  }
  if (flags & 1) throw new LoaderError('arm64 Image is a big-endian kernel (flags bit 0); this machine runs little-endian kernels only');
  const pageSize = (flags >>> 1) & 3;
  if (pageSize > 1) {
    throw new LoaderError(
      `arm64 Image needs ${pageSize === 2 ? 16 : 64} KiB pages (flags bits 1-2); this CPU has the 4 KiB translation granule only`,
    );
  }
  if (textOffset >= 2 * MiB) {
    throw new LoaderError(`arm64 Image header is malformed: text_offset ${hex(textOffset)} is not below 2 MiB`);
  }
  if (textOffset % PAGE) {
    throw new LoaderError(
      `arm64 Image header is malformed: text_offset ${hex(textOffset)} is not a multiple of 4 KiB (the kernel must start on a page boundary)`,
    );
  }
  return { loadOffset: textOffset < BOOTLOADER_MAX_SIZE ? textOffset + 2 * MiB : textOffset, imageSize };
}

/**
 * code0 (or, in an EFI-stub Image, whose code0 is the "MZ" signature, code1)
 * branches to the kernel's entry code; a file cut off before that code is
 * truncated. EFI-stub Images must also hold their PE header.
 */
function checkEntryBranch(b: Uint8Array, v: DataView): void {
  const code0 = v.getUint32(0, true);
  const efi = (code0 & 0xffff) === 0x5a4d; // "MZ"
  if (efi) {
    const pe = v.getUint32(0x3c, true);
    if (pe + 4 > b.length) {
      throw new LoaderError(`arm64 Image is truncated: its PE header at ${hex(pe)} is past the end of the file (${b.length} bytes)`);
    }
    if (v.getUint32(pe, true) !== 0x00004550) throw new LoaderError(`arm64 Image header is malformed: no PE signature at ${hex(pe)}`);
  }
  const at = efi ? 4 : 0;
  const insn = v.getUint32(at, true);
  if ((insn & 0xfc000000) !== 0x14000000) return; // not B: nothing to follow
  const target = at + ((insn << 6) >> 4); // imm26 * 4, sign-extended
  if (target < 0 || target + 4 > b.length) {
    throw new LoaderError(
      `arm64 Image is truncated: the header branches to the entry code at ${target < 0 ? '-' + hex(-target) : hex(target)}, past the end of the file (${b.length} bytes)`,
    );
  }
}

function readU64(v: DataView, off: number, name: string): number {
  const hi = v.getUint32(off + 4, true);
  if (hi >= 0x20_0000) throw new LoaderError(`arm64 Image header is malformed: ${name} is absurdly large`);
  return hi * 2 ** 32 + v.getUint32(off, true);
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
