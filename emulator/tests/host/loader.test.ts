// Loader placement (checked against QEMU 7.2's register state at the first
// kernel instruction, see qemu-entry.test.ts) and its refusals.
import { describe, expect, it } from 'vitest';
import { LoaderError, planKernel } from '../../src/loader.ts';

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
    const p = planKernel(new Uint8Array([0, 0, 0, 0x14]), 128 * MiB, 6000);
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
    expect(bad(new Uint8Array(17 * MiB), 16 * MiB)).toThrow(/does not fit in RAM: the file/);
  });
  it('rejects a kernel that leaves no room for the DTB', () => {
    expect(bad(image(0x80000, 16 * MiB - 0x80000 - 0x800), 16 * MiB)).toThrow(/not enough RAM for the kernel and the device tree/);
  });
  it('throws LoaderError instances', () => {
    expect(bad(new Uint8Array(0))).toThrow(LoaderError);
  });
});
