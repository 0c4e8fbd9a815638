// ARM PrimeCell UART PL011 (DDI0183) - UART0 of the machine, at 0x0900_0000,
// interrupt SPI 1 (INTID 33). QEMU: `-serial` on `-M virt`.
//
// TX is immediate: a write to DR hands the byte to the host at once, so the TX
// FIFO is always empty (FR.TXFE set, TXFF clear). RX has a 16-entry FIFO (1
// entry with LCR_H.FEN clear) fed from a bounded host-side queue (the line
// between the host and the UART): input() appends to the queue and fills the
// FIFO as far as it has room, and the machine calls refill() between time
// slices. A guest that drains the FIFO in a loop gets at most one FIFO-full
// per slice - as on QEMU, where the character backend refills the FIFO from
// its main loop, not while the guest is reading.
//
// Flow control: a guest that stops reading (the SIS kernel masks RX when its
// ring is full) leaves the FIFO full, and host input then waits in the queue.
// The queue holds at most `inputCapacity` bytes (DEFAULT_INPUT_QUEUE); input()
// that does not fit throws InputOverrunError and queues nothing, so a host
// must wait for room (inputRoom) - a byte accepted is never dropped.
//
// Interrupts follow QEMU 7.2's model (hw/char/pl011.c), which is what kernels
// tested on QEMU expect: the RX interrupt rises as soon as the FIFO holds one
// character (QEMU keeps the trigger level at 1 whatever IFLS says) and falls
// when the FIFO drains or ICR clears it; the receive-timeout interrupt rises
// with every received character and falls the same way; the TX interrupt
// rises after each transmitted character. The line is MIS != 0.

import type { GuestErrorSink, IrqLine, MmioDevice } from './bus.ts';

const DR = 0x000;
const RSR = 0x004;
const FR = 0x018;
const ILPR = 0x020;
const IBRD = 0x024;
const FBRD = 0x028;
const LCR_H = 0x02c;
const CR = 0x030;
const IFLS = 0x034;
const IMSC = 0x038;
const RIS = 0x03c;
const MIS = 0x040;
const ICR = 0x044;
const DMACR = 0x048;

export const FR_RXFE = 1 << 4;
export const FR_TXFF = 1 << 5;
export const FR_RXFF = 1 << 6;
export const FR_TXFE = 1 << 7;
export const LCR_FEN = 1 << 4;

export const INT_RX = 1 << 4;
export const INT_TX = 1 << 5;
export const INT_RT = 1 << 6;
const INT_ALL = 0x7ff;

const FIFO_DEPTH = 16;
/** Bytes of host input the queue holds by default (the FIFO's 16 come on top). */
export const DEFAULT_INPUT_QUEUE = 64 * 1024;

/** input() with more bytes than the queue has room for; nothing was queued. */
export class InputOverrunError extends RangeError {
  constructor(
    readonly rejected: number,
    readonly pending: number,
    readonly capacity: number,
  ) {
    super(`UART input overrun: ${rejected} bytes do not fit (the input queue holds ${pending} of ${capacity} bytes); nothing was queued`);
    this.name = 'InputOverrunError';
  }
}
const ID = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]; // PeriphID0-3, PCellID0-3

export interface Pl011State {
  rx: number[];
  rsr: number;
  ilpr: number;
  ibrd: number;
  fbrd: number;
  lcr: number;
  cr: number;
  ifls: number;
  imsc: number;
  ris: number;
  dmacr: number;
}

export class Pl011 implements MmioDevice {
  readonly name = 'pl011';
  private rx: number[] = [];
  private rsr = 0;
  private ilpr = 0;
  private ibrd = 0;
  private fbrd = 0;
  private lcr = 0;
  private cr = 0x300;
  private ifls = 0x12;
  private imsc = 0;
  private ris = 0;
  private dmacr = 0;
  /** Host input not yet in the FIFO: a ring of `inputCapacity` bytes. */
  private readonly queue: Uint8Array;
  private qHead = 0;
  private qLen = 0;

  constructor(
    private readonly irq: IrqLine,
    private readonly tx: (byte: number) => void,
    private readonly guestError: GuestErrorSink = () => {},
    readonly inputCapacity = DEFAULT_INPUT_QUEUE,
  ) {
    if (!Number.isInteger(inputCapacity) || inputCapacity < 1) throw new RangeError(`input queue of ${inputCapacity} bytes: give a positive whole number`);
    this.queue = new Uint8Array(inputCapacity);
    this.reset();
  }

  reset(): void {
    this.rx = [];
    this.rsr = 0;
    this.ilpr = 0;
    this.ibrd = 0;
    this.fbrd = 0;
    this.lcr = 0;
    this.cr = 0x300; // TXE | RXE
    this.ifls = 0x12; // 1/2 full both ways
    this.imsc = 0;
    this.ris = 0;
    this.dmacr = 0;
    this.update();
    this.refill();
  }

  /**
   * Queue host input (keyboard, pipe); it enters the FIFO as room frees up.
   * All or nothing: throws InputOverrunError if it does not fit in the queue.
   */
  input(bytes: ArrayLike<number>): void {
    const n = bytes.length;
    if (n > this.inputRoom) throw new InputOverrunError(n, this.qLen, this.inputCapacity);
    const cap = this.inputCapacity;
    let at = (this.qHead + this.qLen) % cap;
    for (let i = 0; i < n; i++) {
      this.queue[at] = bytes[i] & 0xff;
      if (++at === cap) at = 0;
    }
    this.qLen += n;
    this.refill();
  }

  /** Host bytes still waiting for FIFO room. */
  get pendingInput(): number {
    return this.qLen;
  }

  /** How many more host bytes input() accepts now. */
  get inputRoom(): number {
    return this.inputCapacity - this.qLen;
  }

  /** The receive FIFO has room (the guest read what refill() last gave it). */
  get rxHasRoom(): boolean {
    return this.rx.length < this.depth;
  }

  private get depth(): number {
    return this.lcr & LCR_FEN ? FIFO_DEPTH : 1;
  }

  /** Moves queued host input into the FIFO as far as it has room. */
  refill(): void {
    let added = false;
    while (this.qLen > 0 && this.rx.length < this.depth) {
      this.rx.push(this.queue[this.qHead]);
      if (++this.qHead === this.inputCapacity) this.qHead = 0;
      this.qLen--;
      added = true;
    }
    if (added) {
      this.ris |= INT_RX | INT_RT;
      this.update();
    }
  }

  private flags(): number {
    let f = FR_TXFE;
    if (this.rx.length === 0) f |= FR_RXFE;
    if (this.rx.length >= this.depth) f |= FR_RXFF;
    return f;
  }

  read(offset: number, size: number): number {
    if (offset >= 0xfe0 && offset < 0x1000) return ID[(offset - 0xfe0) >> 2];
    switch (offset) {
      case DR: {
        if (this.rx.length === 0) return 0;
        const c = this.rx.shift()!;
        if (this.rx.length === 0) this.ris &= ~(INT_RX | INT_RT);
        this.update();
        return c;
      }
      case RSR:
        return this.rsr;
      case FR:
        return this.flags();
      case ILPR:
        return this.ilpr;
      case IBRD:
        return this.ibrd;
      case FBRD:
        return this.fbrd;
      case LCR_H:
        return this.lcr;
      case CR:
        return this.cr;
      case IFLS:
        return this.ifls;
      case IMSC:
        return this.imsc;
      case RIS:
        return this.ris;
      case MIS:
        return this.ris & this.imsc;
      case DMACR:
        return this.dmacr;
      default:
        this.guestError(`pl011: read of ${size} at bad offset 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    switch (offset) {
      case DR:
        this.tx(value & 0xff);
        this.ris |= INT_TX;
        this.update();
        return;
      case RSR:
        this.rsr = 0; // write clears the error flags
        return;
      case ILPR:
        this.ilpr = value & 0xff;
        return;
      case IBRD:
        this.ibrd = value & 0xffff;
        return;
      case FBRD:
        this.fbrd = value & 0x3f;
        return;
      case LCR_H:
        // Unlike QEMU we keep received characters when the FIFOs are switched
        // on or off: a kernel's UART setup must not eat input a script piped
        // in before the kernel was ready (`printf 'help\n' | npm run vm`).
        this.lcr = value & 0xff;
        this.update();
        this.refill();
        return;
      case CR:
        this.cr = value & 0xffff;
        return;
      case IFLS:
        this.ifls = value & 0x3f;
        return;
      case IMSC:
        this.imsc = value & INT_ALL;
        this.update();
        return;
      case ICR:
        this.ris &= ~value;
        this.update();
        return;
      case DMACR:
        this.dmacr = value & 7;
        if (value & 3) this.guestError('pl011: DMA is not supported');
        return;
      default:
        this.guestError(`pl011: write of ${size} at bad offset 0x${offset.toString(16)}`);
    }
  }

  private update(): void {
    this.irq.set((this.ris & this.imsc) !== 0);
  }

  getState(): Pl011State {
    const { rx, rsr, ilpr, ibrd, fbrd, lcr, cr, ifls, imsc, ris, dmacr } = this;
    return { rx: [...rx], rsr, ilpr, ibrd, fbrd, lcr, cr, ifls, imsc, ris, dmacr };
  }

  setState(state: unknown): void {
    const s = state as Pl011State;
    this.rx = [...s.rx];
    Object.assign(this, { ...s, rx: this.rx });
    this.update();
  }
}
