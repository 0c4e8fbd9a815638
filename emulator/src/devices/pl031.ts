// ARM PrimeCell RTC PL031 (DDI0224) - the wall clock, at 0x0901_0000,
// interrupt SPI 2 (INTID 34). QEMU: always present on `-M virt`.
//
// DR counts seconds: the host clock (`now()`, seconds as a float, supplied by
// the machine: wall time in realtime mode, boot time plus guest time in
// virtual mode) plus an offset that a write to LR adjusts. Like QEMU the RTC is
// always enabled (CR reads 1). The match interrupt (RIS bit 0) rises when DR
// reaches MR; the machine calls poll() between time slices and uses
// nextAlarmMs() to bound how long it may sleep.

import type { GuestErrorSink, IrqLine, MmioDevice } from './bus.ts';

const DR = 0x00;
const MR = 0x04;
const LR = 0x08;
const CR = 0x0c;
const IMSC = 0x10;
const RIS = 0x14;
const MIS = 0x18;
const ICR = 0x1c;

const ID = [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

export interface Pl031State {
  offset: number;
  mr: number;
  lr: number;
  imsc: number;
  ris: number;
  armed: boolean;
  armedAt: number;
}

export class Pl031 implements MmioDevice {
  readonly name = 'pl031';
  private offset = 0; // DR - floor(now())
  private mr = 0;
  private lr = 0;
  private imsc = 0;
  private ris = 0;
  private armed = false;
  private armedAt = 0; // count() when MR or LR was last written

  constructor(
    private readonly irq: IrqLine,
    private readonly now: () => number,
    private readonly guestError: GuestErrorSink = () => {},
  ) {
    this.reset();
  }

  reset(): void {
    this.offset = 0;
    this.mr = 0;
    this.lr = 0;
    this.imsc = 0;
    this.ris = 0;
    this.armed = false;
    this.armedAt = 0;
    this.update();
  }

  private count(): number {
    return (Math.floor(this.now()) + this.offset) >>> 0;
  }

  read(offset: number, size: number): number {
    if (offset >= 0xfe0 && offset < 0x1000) return ID[(offset - 0xfe0) >> 2];
    switch (offset) {
      case DR:
        this.poll();
        return this.count();
      case MR:
        return this.mr;
      case LR:
        return this.lr;
      case CR:
        return 1;
      case IMSC:
        return this.imsc;
      case RIS:
        this.poll();
        return this.ris;
      case MIS:
        this.poll();
        return this.ris & this.imsc;
      default:
        this.guestError(`pl031: read of ${size} at bad offset 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    switch (offset) {
      case MR:
        this.mr = value >>> 0;
        this.arm();
        return;
      case LR:
        this.offset = (value >>> 0) - Math.floor(this.now());
        this.lr = value >>> 0;
        this.arm();
        return;
      case CR:
        return; // always enabled; writes have no effect (QEMU does the same)
      case IMSC:
        this.imsc = value & 1;
        this.update();
        return;
      case ICR:
        this.ris &= ~(value & 1);
        this.update();
        return;
      case DR:
      case RIS:
      case MIS:
        this.guestError(`pl031: write to read-only offset 0x${offset.toString(16)}`);
        return;
      default:
        this.guestError(`pl031: write of ${size} at bad offset 0x${offset.toString(16)}`);
    }
  }

  private arm(): void {
    this.armed = true;
    this.armedAt = this.count();
    this.poll();
  }

  /**
   * Raises the match interrupt once DR has reached MR since it was armed (a
   * match equal to the current count fires at once, as in QEMU). Measured as
   * distance from the arming point, so a late poll still fires.
   */
  poll(): void {
    if (!this.armed) return;
    const elapsed = (this.count() - this.armedAt) >>> 0;
    const distance = (this.mr - this.armedAt) >>> 0;
    if (elapsed >= distance) {
      this.armed = false;
      this.ris |= 1;
      this.update();
    }
  }

  /** Host milliseconds until the alarm second starts, or -1 if none is armed. */
  nextAlarmMs(): number {
    if (!this.armed) return -1;
    const now = this.now();
    const delta = ((this.mr - ((Math.floor(now) + this.offset) >>> 0)) >>> 0) - (now - Math.floor(now));
    return Math.max(0, delta * 1000);
  }

  private update(): void {
    this.irq.set((this.ris & this.imsc) !== 0);
  }

  getState(): Pl031State {
    const { offset, mr, lr, imsc, ris, armed, armedAt } = this;
    return { offset, mr, lr, imsc, ris, armed, armedAt };
  }

  setState(state: unknown): void {
    Object.assign(this, state as Pl031State);
    this.update();
  }
}
