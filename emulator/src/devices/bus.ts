// The MMIO bus: guest-physical ranges -> host devices, used by the core's
// mmioRead/mmioWrite imports for everything outside RAM and the GIC.
// Accesses that hit no device are guest errors (logged, read as 0), never
// fatal - as on QEMU's `virt`, where unmapped space reads as zero.

export interface MmioDevice {
  readonly name: string;
  /** `offset` is relative to the device's base; size is 1, 2 or 4. */
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
  /** Power-on state (datasheet reset values). */
  reset(): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** One interrupt wire from a device to the interrupt controller. */
export interface IrqLine {
  set(level: boolean): void;
}

/** Where devices report guest mistakes (bad offsets, bad sizes, bad descriptors). */
export type GuestErrorSink = (message: string) => void;

interface Mapping {
  base: number;
  end: number; // exclusive
  device: MmioDevice;
}

export class MmioBus {
  private maps: Mapping[] = [];
  constructor(private readonly guestError: GuestErrorSink) {}

  map(base: number, size: number, device: MmioDevice): void {
    const end = base + size;
    for (const m of this.maps) {
      if (base < m.end && m.base < end) throw new Error(`bus: ${device.name} overlaps ${m.device.name}`);
    }
    this.maps.push({ base, end, device });
  }

  get devices(): MmioDevice[] {
    return this.maps.map((m) => m.device);
  }

  private find(addr: number): Mapping | undefined {
    const maps = this.maps;
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i];
      if (addr >= m.base && addr < m.end) return m;
    }
    return undefined;
  }

  read(addr: number, size: number): number {
    const m = this.find(addr);
    if (!m) {
      this.guestError(`read of ${size} byte(s) at unmapped address 0x${addr.toString(16)}`);
      return 0;
    }
    return m.device.read(addr - m.base, size) >>> 0;
  }

  write(addr: number, size: number, value: number): void {
    const m = this.find(addr);
    if (!m) {
      this.guestError(`write of ${size} byte(s) at unmapped address 0x${addr.toString(16)}`);
      return;
    }
    m.device.write(addr - m.base, size, value >>> 0);
  }

  reset(): void {
    for (const m of this.maps) m.device.reset();
  }
}

/** A line that only remembers its level (tests and unconnected outputs). */
export class LatchLine implements IrqLine {
  level = false;
  edges = 0;
  set(level: boolean): void {
    if (level && !this.level) this.edges++;
    this.level = level;
  }
}
