// virtio-mmio transport, version 2 ("modern", virtio 1.2 section 4.2.2), one
// per slot at 0x0a00_0000 + 0x200*n, interrupt SPI 16+n (INTID 48+n). QEMU:
// `-device virtio-*-device` on `-M virt` (with virtio-mmio.force-legacy=false).
//
// The transport owns the registers, feature negotiation, the device status
// state machine and the queues' addresses; a VirtioBackend (blk, console...)
// owns the device type's semantics: its feature bits, its config space and
// what a notify on a queue means. A slot without a backend answers DeviceID 0,
// as QEMU's empty transports do, and ignores everything else.
//
// The interrupt line is level: high while InterruptStatus != 0. A guest error
// inside a queue (bad index, buffer outside RAM) sets DEVICE_NEEDS_RESET and
// raises a configuration-change interrupt, as the spec asks.

import type { GuestErrorSink, IrqLine, MmioDevice } from './bus.ts';
import { type GuestMemory, Virtqueue, VirtqueueError } from './virtqueue.ts';

export const VIRTIO_MAGIC = 0x74726976; // "virt"
export const VIRTIO_VENDOR = 0x554d4551; // "QEMU", as QEMU reports
const VERSION = 2;

export const REG = {
  MagicValue: 0x000,
  Version: 0x004,
  DeviceID: 0x008,
  VendorID: 0x00c,
  DeviceFeatures: 0x010,
  DeviceFeaturesSel: 0x014,
  DriverFeatures: 0x020,
  DriverFeaturesSel: 0x024,
  QueueSel: 0x030,
  QueueNumMax: 0x034,
  QueueNum: 0x038,
  QueueReady: 0x044,
  QueueNotify: 0x050,
  InterruptStatus: 0x060,
  InterruptACK: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  ConfigGeneration: 0x0fc,
  Config: 0x100,
} as const;

export const STATUS = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  DEVICE_NEEDS_RESET: 0x40,
  FAILED: 0x80,
} as const;

export const INT_USED_BUFFER = 1;
export const INT_CONFIG_CHANGE = 2;

/** Feature bits are bit numbers (0..63); VERSION_1 is added by the transport. */
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_VERSION_1 = 32;

export interface VirtioBackend {
  readonly deviceId: number;
  /** Device feature bit numbers (besides VERSION_1, which the transport always offers). */
  readonly features: readonly number[];
  readonly queueCount: number;
  readonly queueMaxSize: number;
  configRead(offset: number, size: number): number;
  configWrite(offset: number, size: number, value: number): void;
  /** The driver notified queue `q`; take requests with vq.pop(), answer with vq.push() then ctx.used(q). */
  notify(q: number, vq: Virtqueue, ctx: VirtioContext): void;
  /** Device reset (status written 0). */
  reset(): void;
  /** Called once with the context the backend uses for events it raises on its own. */
  attach?(ctx: VirtioContext): void;
}

export interface VirtioContext {
  /** Signal used buffers on queue q (honours VIRTQ_AVAIL_F_NO_INTERRUPT). */
  used(q: number): void;
  /** Signal a configuration change (bumps ConfigGeneration). */
  configChanged(): void;
  /** The queue if the driver has made it ready, else null. */
  queue(q: number): Virtqueue | null;
  /** Driver features accepted (bit numbers). */
  negotiated(bit: number): boolean;
}

interface QueueRegs {
  num: number;
  ready: boolean;
  desc: [number, number];
  driver: [number, number];
  device: [number, number];
  vq: Virtqueue | null;
}

export interface VirtioMmioState {
  status: number;
  deviceFeaturesSel: number;
  driverFeaturesSel: number;
  driverFeatures: [number, number];
  queueSel: number;
  interruptStatus: number;
  configGeneration: number;
  queues: { num: number; ready: boolean; desc: number[]; driver: number[]; device: number[]; lastAvail: number; usedIdx: number }[];
}

export class VirtioMmio implements MmioDevice, VirtioContext {
  readonly name: string;
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures: [number, number] = [0, 0];
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private queues: QueueRegs[] = [];
  private readonly deviceFeatures: [number, number] = [0, 0];

  constructor(
    readonly slot: number,
    private readonly irq: IrqLine,
    private readonly mem: GuestMemory,
    readonly backend: VirtioBackend | null = null,
    private readonly guestError: GuestErrorSink = () => {},
    /** Called before a backend sees a notify (the machine flushes UART output, so what the guest printed first is delivered first). */
    private readonly beforeNotify: () => void = () => {},
  ) {
    this.name = `virtio-mmio.${slot}`;
    if (backend) {
      for (const bit of [...backend.features, VIRTIO_F_VERSION_1]) {
        if (bit < 0 || bit > 63) throw new Error(`virtio: feature bit ${bit} out of range`);
        this.deviceFeatures[bit >> 5] |= 1 << (bit & 31);
      }
      backend.attach?.(this);
    }
    this.reset();
  }

  reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = [0, 0];
    this.queueSel = 0;
    this.interruptStatus = 0;
    this.queues = [];
    for (let i = 0; i < (this.backend?.queueCount ?? 0); i++) {
      this.queues.push({ num: 0, ready: false, desc: [0, 0], driver: [0, 0], device: [0, 0], vq: null });
    }
    this.backend?.reset();
    this.update();
  }

  private err(msg: string): void {
    this.guestError(`${this.name}: ${msg}`);
  }

  private get sel(): QueueRegs | undefined {
    return this.queues[this.queueSel];
  }

  read(offset: number, size: number): number {
    if (offset >= REG.Config) {
      if (!this.backend) return 0;
      return this.backend.configRead(offset - REG.Config, size);
    }
    if (size !== 4) {
      this.err(`read of ${size} bytes at 0x${offset.toString(16)} (registers are 32-bit)`);
      return 0;
    }
    if (!this.backend) {
      switch (offset) {
        case REG.MagicValue:
          return VIRTIO_MAGIC;
        case REG.Version:
          return VERSION;
        case REG.VendorID:
          return VIRTIO_VENDOR;
        default:
          return 0;
      }
    }
    const q = this.sel;
    switch (offset) {
      case REG.MagicValue:
        return VIRTIO_MAGIC;
      case REG.Version:
        return VERSION;
      case REG.DeviceID:
        return this.backend.deviceId;
      case REG.VendorID:
        return VIRTIO_VENDOR;
      case REG.DeviceFeatures:
        return this.deviceFeaturesSel < 2 ? this.deviceFeatures[this.deviceFeaturesSel] >>> 0 : 0;
      case REG.QueueNumMax:
        return q ? this.backend.queueMaxSize : 0;
      case REG.QueueNum:
        return q ? q.num : 0;
      case REG.QueueReady:
        return q?.ready ? 1 : 0;
      case REG.InterruptStatus:
        return this.interruptStatus;
      case REG.Status:
        return this.status;
      case REG.QueueDescLow:
        return q ? q.desc[0] : 0;
      case REG.QueueDescHigh:
        return q ? q.desc[1] : 0;
      case REG.QueueDriverLow:
        return q ? q.driver[0] : 0;
      case REG.QueueDriverHigh:
        return q ? q.driver[1] : 0;
      case REG.QueueDeviceLow:
        return q ? q.device[0] : 0;
      case REG.QueueDeviceHigh:
        return q ? q.device[1] : 0;
      case REG.ConfigGeneration:
        return this.configGeneration;
      default:
        this.err(`read of write-only or unknown register 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (!this.backend) return; // empty slot: ignored, as on QEMU
    if (offset >= REG.Config) {
      this.backend.configWrite(offset - REG.Config, size, value);
      return;
    }
    if (size !== 4) {
      this.err(`write of ${size} bytes at 0x${offset.toString(16)} (registers are 32-bit)`);
      return;
    }
    value >>>= 0;
    const q = this.sel;
    const queueWrite = (apply: (q: QueueRegs) => void) => {
      if (!q) return this.err(`queue register 0x${offset.toString(16)} written for absent queue ${this.queueSel}`);
      if (q.ready) return this.err(`queue ${this.queueSel} register 0x${offset.toString(16)} written while ready`);
      apply(q);
    };
    switch (offset) {
      case REG.DeviceFeaturesSel:
        this.deviceFeaturesSel = value;
        return;
      case REG.DriverFeatures:
        if (this.status & STATUS.FEATURES_OK) return this.err('driver features written after FEATURES_OK');
        if (this.driverFeaturesSel < 2) this.driverFeatures[this.driverFeaturesSel] = value;
        else if (value) this.err(`driver features word ${this.driverFeaturesSel} written non-zero`);
        return;
      case REG.DriverFeaturesSel:
        this.driverFeaturesSel = value;
        return;
      case REG.QueueSel:
        this.queueSel = value;
        return;
      case REG.QueueNum:
        return queueWrite((q) => {
          if (value === 0 || value > this.backend!.queueMaxSize || (value & (value - 1)) !== 0) {
            this.err(`queue size ${value} is not a power of two up to ${this.backend!.queueMaxSize}`);
          }
          q.num = value;
        });
      case REG.QueueReady:
        if (!q) return this.err(`QueueReady written for absent queue ${this.queueSel}`);
        if (value & 1) this.enableQueue(q);
        else {
          q.ready = false;
          q.vq = null;
        }
        return;
      case REG.QueueNotify:
        this.notify(value & 0xffff);
        return;
      case REG.InterruptACK:
        this.interruptStatus &= ~value;
        this.update();
        return;
      case REG.Status:
        this.writeStatus(value & 0xff);
        return;
      case REG.QueueDescLow:
        return queueWrite((q) => (q.desc[0] = value));
      case REG.QueueDescHigh:
        return queueWrite((q) => (q.desc[1] = value));
      case REG.QueueDriverLow:
        return queueWrite((q) => (q.driver[0] = value));
      case REG.QueueDriverHigh:
        return queueWrite((q) => (q.driver[1] = value));
      case REG.QueueDeviceLow:
        return queueWrite((q) => (q.device[0] = value));
      case REG.QueueDeviceHigh:
        return queueWrite((q) => (q.device[1] = value));
      default:
        this.err(`write to read-only or unknown register 0x${offset.toString(16)}`);
    }
  }

  private enableQueue(q: QueueRegs): void {
    const max = this.backend!.queueMaxSize;
    if (q.num === 0 || q.num > max || (q.num & (q.num - 1)) !== 0) {
      return this.err(`queue ${this.queueSel} made ready with bad size ${q.num}`);
    }
    const addr = (p: [number, number]) => p[1] * 2 ** 32 + p[0];
    if (q.desc[1] >= 0x20_0000 || q.driver[1] >= 0x20_0000 || q.device[1] >= 0x20_0000) {
      return this.err(`queue ${this.queueSel} addresses beyond 2^53`);
    }
    const desc = addr(q.desc);
    const driver = addr(q.driver);
    const device = addr(q.device);
    if (desc % 16 || driver % 2 || device % 4) {
      return this.err(`queue ${this.queueSel} areas misaligned`);
    }
    try {
      this.mem.bytes(desc, 16 * q.num);
      this.mem.bytes(driver, 6 + 2 * q.num);
      this.mem.bytes(device, 6 + 8 * q.num);
    } catch (e) {
      return this.err(`queue ${this.queueSel}: ${(e as Error).message}`);
    }
    q.vq = new Virtqueue(this.mem, q.num, desc, driver, device, this.negotiated(VIRTIO_F_INDIRECT_DESC));
    q.ready = true;
  }

  private writeStatus(value: number): void {
    if (value === 0) {
      this.reset();
      return;
    }
    if (value & STATUS.FEATURES_OK && !(this.status & STATUS.FEATURES_OK)) {
      const ok =
        (this.driverFeatures[0] & ~this.deviceFeatures[0]) === 0 &&
        (this.driverFeatures[1] & ~this.deviceFeatures[1]) === 0 &&
        this.negotiated(VIRTIO_F_VERSION_1);
      if (!ok) {
        this.err('driver accepted features the device does not offer, or not VERSION_1; FEATURES_OK refused');
        value &= ~STATUS.FEATURES_OK;
      }
    }
    this.status = value | (this.status & STATUS.DEVICE_NEEDS_RESET);
  }

  private notify(index: number): void {
    const q = this.queues[index];
    if (!q) return this.err(`notify for absent queue ${index}`);
    if (!q.ready || !q.vq) return this.err(`notify for queue ${index} that is not ready`);
    if (this.status & STATUS.DEVICE_NEEDS_RESET) return;
    this.beforeNotify();
    try {
      this.backend!.notify(index, q.vq, this);
    } catch (e) {
      if (!(e instanceof VirtqueueError)) throw e;
      this.err(`queue ${index}: ${e.message}; device needs reset`);
      this.status |= STATUS.DEVICE_NEEDS_RESET;
      this.interruptStatus |= INT_CONFIG_CHANGE;
      this.update();
    }
  }

  // VirtioContext -----------------------------------------------------------

  used(q: number): void {
    const vq = this.queues[q]?.vq;
    if (vq && vq.interruptSuppressed()) return;
    this.interruptStatus |= INT_USED_BUFFER;
    this.update();
  }

  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    this.interruptStatus |= INT_CONFIG_CHANGE;
    this.update();
  }

  queue(q: number): Virtqueue | null {
    return this.queues[q]?.vq ?? null;
  }

  negotiated(bit: number): boolean {
    return ((this.driverFeatures[bit >> 5] >>> (bit & 31)) & 1) === 1;
  }

  private update(): void {
    this.irq.set(this.interruptStatus !== 0);
  }

  getState(): VirtioMmioState {
    return {
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: [...this.driverFeatures],
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      queues: this.queues.map((q) => ({
        num: q.num,
        ready: q.ready,
        desc: [...q.desc],
        driver: [...q.driver],
        device: [...q.device],
        lastAvail: q.vq?.lastAvail ?? 0,
        usedIdx: q.vq?.usedIdx ?? 0,
      })),
    };
  }

  setState(state: unknown): void {
    const s = state as VirtioMmioState;
    this.status = s.status;
    this.deviceFeaturesSel = s.deviceFeaturesSel;
    this.driverFeaturesSel = s.driverFeaturesSel;
    this.driverFeatures = [s.driverFeatures[0], s.driverFeatures[1]];
    this.queueSel = s.queueSel;
    this.interruptStatus = s.interruptStatus;
    this.configGeneration = s.configGeneration;
    s.queues.forEach((qs, i) => {
      const q = this.queues[i];
      if (!q) return;
      q.num = qs.num;
      q.desc = [qs.desc[0], qs.desc[1]];
      q.driver = [qs.driver[0], qs.driver[1]];
      q.device = [qs.device[0], qs.device[1]];
      q.ready = false;
      q.vq = null;
      if (qs.ready) {
        const saved = this.queueSel;
        this.queueSel = i;
        this.enableQueue(q);
        this.queueSel = saved;
        if (q.vq) {
          (q.vq as Virtqueue).lastAvail = qs.lastAvail;
          (q.vq as Virtqueue).usedIdx = qs.usedIdx;
        }
      }
    });
    this.update();
  }
}
