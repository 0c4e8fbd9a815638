// Loader placement (checked against QEMU 7.2's register state at the first
// kernel instruction, see qemu-entry.test.ts) and its refusals.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LoaderError, planKernel } from '../../src/loader.ts';
import { DEFAULT_KERNEL_PATH, haveKernel } from '../../src/node-files.ts';

const MiB = 1 << 20;

function image(textOffset: number, imageSize: number, fileLen = 128): Uint8Array {
  const b = new Uint8Array(fileLen);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x14000000, true); // b .
  v.setBigUint64(8, BigInt(textOffset), true);
  v.setBigUint64(16, BigInt(imageSize), true);
  v.setUint32(0x38, 0x644d5241, true);
  return b;
}

describe('planKernel placement', () => {
  it('loads a raw binary at RAM + 0x80000 and the DTB at RAM + 64 MiB with 128 MiB', () => {
    const p = planKernel(new Uint8Array([0, 0, 0, 0x14]), 128 * MiB, 6000, { raw: true });
    expect(p).toMatchObject({ kind: 'raw', loadOffset: 0x80000, entryOffset: 0x80000, dtbOffset: 64 * MiB });
  });
  it('honours an Image text_offset', () => {
    const p = planKernel(image(0x80000, 0x10000), 128 * MiB, 6000);
    expect(p).toMatchObject({ kind: 'image', loadOffset: 0x80000, endOffset: 0x90000 });
  });
  it('moves a text_offset below 4 KiB up by 2 MiB like QEMU', () => {
    expect(planKernel(image(0, 0x10000), 128 * MiB, 6000).loadOffset).toBe(2 * MiB);
  });
  it('uses 0x80000 when image_size is 0 (old kernels)', () => {
    expect(planKernel(image(0x1234000, 0), 128 * MiB, 6000).loadOffset).toBe(0x80000);
  });
  it('puts the DTB after a kernel that reaches past the middle of RAM', () => {
    const p = planKernel(image(0x80000, 20 * MiB), 32 * MiB, 6000);
    expect(p.dtbOffset).toBe(22 * MiB);
  });
  it('caps the DTB position at 128 MiB into large RAM', () => {
    expect(planKernel(image(0x80000, 0x1000), 1024 * MiB, 6000).dtbOffset).toBe(128 * MiB);
  });
});

describe('planKernel refusals', () => {
  const bad = (k: Uint8Array, ram = 128 * MiB) => () => planKernel(k, ram, 6000);
  it('rejects an empty file', () => {
    expect(bad(new Uint8Array(0))).toThrow(new LoaderError('kernel image is empty'));
  });
  it('rejects a truncated Image header', () => {
    expect(bad(image(0x80000, 0x1000).subarray(0, 0x3c))).toThrow(/truncated.*60 bytes/);
  });
  it('rejects an ELF file and a gzip file with a hint', () => {
    expect(bad(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]))).toThrow(/ELF.*objcopy/);
    expect(bad(Uint8Array.from([0x1f, 0x8b, 8, 0]))).toThrow(/gzip/);
  });
  it('rejects an image_size larger than RAM', () => {
    expect(bad(image(0x80000, 512 * MiB))).toThrow(/does not fit in RAM: its header's image_size \(0x20000000\)/);
  });
  it('rejects an image_size smaller than the file', () => {
    expect(bad(image(0x80000, 64, 4096))).toThrow(/image_size 0x40 is smaller than the file/);
  });
  it('rejects a text_offset beyond 2 MiB', () => {
    expect(bad(image(3 * MiB, 0x1000))).toThrow(/text_offset 0x300000 is not below 2 MiB/);
  });
  it('rejects absurd 64-bit header values', () => {
    const k = image(0x80000, 0x1000);
    new DataView(k.buffer).setUint32(20, 0xffffffff, true);
    expect(bad(k)).toThrow(/image_size is absurdly large/);
  });
  it('rejects a raw binary larger than RAM', () => {
    expect(() => planKernel(new Uint8Array(17 * MiB), 16 * MiB, 6000, { raw: true })).toThrow(/does not fit in RAM: the file/);
  });
  it('rejects a kernel that leaves no room for the DTB', () => {
    expect(bad(image(0x80000, 16 * MiB - 0x80000 - 0x800), 16 * MiB)).toThrow(/not enough RAM for the kernel and the device tree/);
  });
  it('throws LoaderError instances', () => {
    expect(bad(new Uint8Array(0))).toThrow(LoaderError);
  });
  it('reads text_offset as a 64-bit value', () => {
    const k = image(0x80000, 0x1000);
    new DataView(k.buffer).setUint32(12, 1, true);
    expect(bad(k)).toThrow(/text_offset 0x100080000 is not below 2 MiB/);
  });
});

// What still counts as a raw binary, and the strict Image checks (issue 7
// item 10: none of these may run garbage until a timeout).
describe('planKernel: Image or explicitly raw', () => {
  const bad = (k: Uint8Array) => () => planKernel(k, 128 * MiB, 6000);
  const withFlags = (flags: number) => {
    const k = image(0x80000, 0x1000);
    new DataView(k.buffer).setUint32(24, flags, true);
    return k;
  };
  it('refuses a file without the magic unless raw is asked for (1 MiB of random bytes)', () => {
    const r = randomBytes(1 << 20);
    r.writeUInt32LE(0, 0x38); // never the magic by chance
    expect(bad(r)).toThrow(new LoaderError('kernel image is not an arm64 Image: no "ARM\\x64" magic at offset 0x38 (load a raw binary with --raw)'));
    expect(planKernel(r, 128 * MiB, 6000, { raw: true })).toMatchObject({ kind: 'raw', loadOffset: 0x80000 });
  });
  it('refuses a file shorter than the header unless raw is asked for', () => {
    expect(bad(Uint8Array.from([0, 0, 0, 0x14]))).toThrow(
      new LoaderError('kernel image is truncated or not an arm64 Image: 4 bytes, shorter than the 64-byte Image header (load a raw binary with --raw)'),
    );
  });
  it('raw loads even an Image as it is, at 0x80000', () => {
    expect(planKernel(image(0, 0x10000), 128 * MiB, 6000, { raw: true })).toMatchObject({ kind: 'raw', loadOffset: 0x80000 });
  });
  it('refuses an Image whose entry branch lands past the end of the file', () => {
    const k = image(0x80000, 0x1000, 64);
    new DataView(k.buffer).setUint32(0, 0x14000010, true); // b 0x40
    expect(bad(k)).toThrow(new LoaderError('arm64 Image is truncated: the header branches to the entry code at 0x40, past the end of the file (64 bytes)'));
    new DataView(k.buffer).setUint32(0, 0x17ffffff, true); // b -4
    expect(bad(k)).toThrow(/branches to the entry code at -0x4, past the end/);
  });
  it('refuses an EFI-stub Image cut before its PE header, or without one', () => {
    const k = image(0, 0x10000, 128);
    const v = new DataView(k.buffer);
    v.setUint32(0, 0x91005a4d, true); // "MZ" + add x13, x18, #0x16
    v.setUint32(4, 0x14000010, true); // b 0x44
    v.setUint32(0x3c, 0x40, true);
    expect(bad(k.subarray(0, 64))).toThrow(new LoaderError('arm64 Image is truncated: its PE header at 0x40 is past the end of the file (64 bytes)'));
    expect(bad(k)).toThrow(/no PE signature at 0x40/);
    v.setUint32(0x40, 0x00004550, true); // "PE\0\0"
    expect(planKernel(k, 128 * MiB, 6000)).toMatchObject({ kind: 'image', loadOffset: 2 * MiB });
  });
  it('refuses a text_offset that is not page-aligned (0x1fffff, 0x80004)', () => {
    expect(bad(image(0x1fffff, 0x1000))).toThrow(
      new LoaderError('arm64 Image header is malformed: text_offset 0x1fffff is not a multiple of 4 KiB (the kernel must start on a page boundary)'),
    );
    expect(bad(image(0x80004, 0x1000))).toThrow(/text_offset 0x80004 is not a multiple of 4 KiB/);
  });
  it('refuses big-endian and 16/64 KiB-page kernels; accepts 4 KiB and unspecified page size', () => {
    expect(bad(withFlags(1))).toThrow(/big-endian kernel \(flags bit 0\)/);
    expect(bad(withFlags(4))).toThrow(/needs 16 KiB pages/);
    expect(bad(withFlags(6))).toThrow(/needs 64 KiB pages/);
    expect(planKernel(withFlags(2), 128 * MiB, 6000).kind).toBe('image');
    expect(planKernel(withFlags(0), 128 * MiB, 6000).kind).toBe('image');
    expect(planKernel(withFlags(8), 128 * MiB, 6000).kind).toBe('image'); // bit 3: placement anywhere
  });
  it.skipIf(!haveKernel())('accepts the committed kernel and refuses its 10- and 64-byte prefixes', () => {
    const k = new Uint8Array(readFileSync(DEFAULT_KERNEL_PATH));
    expect(planKernel(k, 128 * MiB, 6000)).toMatchObject({ kind: 'image', loadOffset: 0x80000 });
    expect(bad(k.subarray(0, 10))).toThrow(/^kernel image is truncated or not an arm64 Image: 10 bytes/);
    expect(bad(k.subarray(0, 64))).toThrow(/^arm64 Image is truncated: the header branches to the entry code at 0x40/);
  });
});
