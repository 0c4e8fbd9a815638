// Split virtqueues (virtio 1.2, section 2.7): the descriptor table, the
// driver ("available") ring and the device ("used") ring in guest RAM, and
// the helpers a backend uses to take a request and give back an answer.
//
//   descriptor (16 bytes): addr u64, len u32, flags u16, next u16
//   driver ring: flags u16, idx u16, ring[num] u16, (used_event u16)
//   device ring: flags u16, idx u16, ring[num] { id u32, len u32 }, (avail_event u16)
//
// Anything a guest can get wrong (an index out of range, a loop in a chain, a
// buffer outside RAM) throws VirtqueueError; the transport turns that into
// DEVICE_NEEDS_RESET instead of touching memory it should not.

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

/** Guest-physical memory as the host sees it (RAM only). */
export interface GuestMemory {
  /** A view of [addr, addr+len) - throws VirtqueueError if it is not all RAM. */
  bytes(addr: number, len: number): Uint8Array;
}

export class VirtqueueError extends Error {}

/** Guest memory backed by one Uint8Array starting at guest-physical `base`. */
export class RamMemory implements GuestMemory {
  constructor(
    private readonly ram: () => Uint8Array,
    private readonly base: number,
    /** Called for every range handed out (it may be written): the translator drops code there. */
    private readonly onAccess?: (addr: number, len: number) => void,
  ) {}
  bytes(addr: number, len: number): Uint8Array {
    const ram = this.ram();
    const off = addr - this.base;
    if (!(off >= 0 && len >= 0 && off + len <= ram.length)) {
      throw new VirtqueueError(`buffer 0x${addr.toString(16)}+0x${len.toString(16)} is outside RAM`);
    }
    this.onAccess?.(addr, len);
    return ram.subarray(off, off + len);
  }
}

export interface Segment {
  addr: number;
  len: number;
}

/** One request: the head index and its device-readable then device-writable buffers. */
export interface DescChain {
  head: number;
  readable: Segment[];
  writable: Segment[];
}

export class Virtqueue {
  /** Next driver-ring index the device will look at. */
  lastAvail = 0;
  /** Our copy of the device-ring index. */
  usedIdx = 0;

  constructor(
    private readonly mem: GuestMemory,
    readonly num: number,
    readonly descAddr: number,
    readonly driverAddr: number,
    readonly deviceAddr: number,
    private readonly indirectAllowed = false,
  ) {}

  private u16(addr: number): number {
    const b = this.mem.bytes(addr, 2);
    return b[0] | (b[1] << 8);
  }

  private putU16(addr: number, v: number): void {
    const b = this.mem.bytes(addr, 2);
    b[0] = v & 0xff;
    b[1] = (v >>> 8) & 0xff;
  }

  private putU32(addr: number, v: number): void {
    const b = this.mem.bytes(addr, 4);
    b[0] = v & 0xff;
    b[1] = (v >>> 8) & 0xff;
    b[2] = (v >>> 16) & 0xff;
    b[3] = (v >>> 24) & 0xff;
  }

  private desc(table: number, i: number) {
    const b = this.mem.bytes(table + 16 * i, 16);
    const dv = new DataView(b.buffer, b.byteOffset, 16);
    const hi = dv.getUint32(4, true);
    if (hi >= 0x20_0000) throw new VirtqueueError(`descriptor ${i} address is beyond 2^53`);
    return {
      addr: hi * 2 ** 32 + dv.getUint32(0, true),
      len: dv.getUint32(8, true),
      flags: dv.getUint16(12, true),
      next: dv.getUint16(14, true),
    };
  }

  /** Requests the driver has made available and the device has not taken. */
  available(): number {
    return (this.u16(this.driverAddr + 2) - this.lastAvail) & 0xffff;
  }

  /** Takes the next request, or null if there is none. */
  pop(): DescChain | null {
    const avail = this.available();
    if (avail === 0) return null;
    if (avail > this.num) throw new VirtqueueError(`driver ring index moved ${avail} past ${this.num} entries`);
    const head = this.u16(this.driverAddr + 4 + 2 * (this.lastAvail % this.num));
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (head >= this.num) throw new VirtqueueError(`head descriptor ${head} out of range (queue size ${this.num})`);
    const chain: DescChain = { head, readable: [], writable: [] };
    this.walk(this.descAddr, this.num, head, chain, false);
    return chain;
  }

  private walk(table: number, size: number, first: number, chain: DescChain, inIndirect: boolean): void {
    let i = first;
    for (let steps = 0; ; steps++) {
      if (steps >= size) throw new VirtqueueError('descriptor chain loops');
      const d = this.desc(table, i);
      if (d.flags & VIRTQ_DESC_F_INDIRECT) {
        if (!this.indirectAllowed || inIndirect) throw new VirtqueueError('indirect descriptor not allowed here');
        if (d.len === 0 || d.len % 16) throw new VirtqueueError(`indirect table length ${d.len} is not a multiple of 16`);
        this.walk(d.addr, d.len / 16, 0, chain, true);
      } else {
        this.mem.bytes(d.addr, d.len); // validates the range
        if (d.flags & VIRTQ_DESC_F_WRITE) chain.writable.push({ addr: d.addr, len: d.len });
        else if (chain.writable.length) throw new VirtqueueError('device-readable buffer after a writable one');
        else chain.readable.push({ addr: d.addr, len: d.len });
      }
      if (!(d.flags & VIRTQ_DESC_F_NEXT)) return;
      i = d.next;
      if (i >= size) throw new VirtqueueError(`next descriptor ${i} out of range`);
    }
  }

  /** Concatenates the device-readable buffers of a chain. */
  read(chain: DescChain): Uint8Array {
    const total = chain.readable.reduce((n, s) => n + s.len, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const s of chain.readable) {
      out.set(this.mem.bytes(s.addr, s.len), o);
      o += s.len;
    }
    return out;
  }

  /** Writes `data` across the chain's writable buffers; returns bytes written. */
  write(chain: DescChain, data: Uint8Array): number {
    return this.writeAt(chain, 0, data);
  }

  /**
   * Writes `data` at byte `offset` of the chain's writable area (its buffers
   * taken as one); stops at the end of the area. Returns bytes written.
   */
  writeAt(chain: DescChain, offset: number, data: Uint8Array): number {
    let o = 0; // bytes of data written
    let base = 0; // start of the current segment within the writable area
    for (const s of chain.writable) {
      if (o >= data.length) break;
      const start = offset + o - base; // where in this segment the next byte goes
      if (start < s.len) {
        const n = Math.min(s.len - start, data.length - o);
        this.mem.bytes(s.addr + start, n).set(data.subarray(o, o + n));
        o += n;
      }
      base += s.len;
    }
    return o;
  }

  /** Total size of a chain's device-writable buffers. */
  static writableBytes(chain: DescChain): number {
    return chain.writable.reduce((n, s) => n + s.len, 0);
  }

  /** Returns a finished request to the driver with `len` bytes written. */
  push(head: number, len: number): void {
    const slot = this.deviceAddr + 4 + 8 * (this.usedIdx % this.num);
    this.putU32(slot, head);
    this.putU32(slot + 4, len);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.putU16(this.deviceAddr + 2, this.usedIdx);
  }

  /** Whether the driver asked not to be interrupted (VIRTQ_AVAIL_F_NO_INTERRUPT). */
  interruptSuppressed(): boolean {
    return (this.u16(this.driverAddr) & VIRTQ_AVAIL_F_NO_INTERRUPT) !== 0;
  }
}
