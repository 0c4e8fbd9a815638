import { describe, expect, it } from 'vitest';
import { LatchLine } from '../../src/devices/bus.ts';
import { DEFAULT_INPUT_QUEUE, FR_RXFE, FR_RXFF, FR_TXFE, INT_RT, INT_RX, INT_TX, InputOverrunError, Pl011 } from '../../src/devices/pl011.ts';
import { InputFeeder } from '../../src/machine.ts';

const DR = 0, FR = 0x18, IBRD = 0x24, FBRD = 0x28, LCR_H = 0x2c, CR = 0x30, IFLS = 0x34, IMSC = 0x38, RIS = 0x3c, MIS = 0x40, ICR = 0x44;

function make(capacity?: number) {
  const irq = new LatchLine();
  const out: number[] = [];
  const errors: string[] = [];
  const u = new Pl011(irq, (b) => out.push(b), (m) => errors.push(m), capacity);
  return { u, irq, out, errors };
}

describe('PL011', () => {
  it('has the datasheet reset values and PrimeCell IDs', () => {
    const { u } = make();
    expect(u.read(FR, 4)).toBe(FR_RXFE | FR_TXFE);
    expect(u.read(CR, 4)).toBe(0x300);
    expect(u.read(IFLS, 4)).toBe(0x12);
    expect(u.read(IMSC, 4)).toBe(0);
    const ids = [];
    for (let o = 0xfe0; o < 0x1000; o += 4) ids.push(u.read(o, 4));
    expect(ids).toEqual([0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  it('transmits immediately and raises TX when unmasked', () => {
    const { u, irq, out } = make();
    u.write(DR, 4, 0x141); // only the low 8 bits are data
    expect(out).toEqual([0x41]);
    expect(u.read(RIS, 4) & INT_TX).toBe(INT_TX);
    expect(irq.level).toBe(false);
    u.write(IMSC, 4, INT_TX);
    expect(irq.level).toBe(true);
    expect(u.read(MIS, 4)).toBe(INT_TX);
    u.write(ICR, 4, INT_TX);
    expect(irq.level).toBe(false);
  });

  it('receives through a 16-entry FIFO without dropping host input', () => {
    const { u, irq } = make();
    u.write(LCR_H, 4, 0x70); // 8 bits, FIFOs on
    u.write(IMSC, 4, INT_RX | INT_RT);
    const text = Array.from({ length: 40 }, (_, i) => 0x30 + (i % 40));
    u.input(text);
    expect(u.read(FR, 4) & FR_RXFF).toBe(FR_RXFF);
    expect(u.pendingInput).toBe(24);
    expect(irq.level).toBe(true);
    const got: number[] = [];
    while (got.length < 40) {
      while (!(u.read(FR, 4) & FR_RXFE)) got.push(u.read(DR, 4));
      expect(irq.level).toBe(false); // drained FIFO: RX and RT fall
      u.refill(); // the machine does this between slices
    }
    expect(got).toEqual(text);
    expect(u.pendingInput).toBe(0);
  });

  it('holds one character with the FIFOs off', () => {
    const { u } = make();
    u.input([1, 2]);
    expect(u.read(FR, 4) & (FR_RXFF | FR_RXFE)).toBe(FR_RXFF);
    expect(u.read(DR, 4)).toBe(1);
    u.refill();
    expect(u.read(DR, 4)).toBe(2);
    expect(u.read(FR, 4) & FR_RXFE).toBe(FR_RXFE);
  });

  it('raises RX at one character whatever IFLS says (QEMU behaviour) and ICR clears it', () => {
    const { u, irq } = make();
    u.write(LCR_H, 4, 0x70);
    u.write(IFLS, 4, 0x24); // 7/8 on real hardware
    u.write(IMSC, 4, INT_RX);
    u.input([0x61]);
    expect(u.read(RIS, 4) & (INT_RX | INT_RT)).toBe(INT_RX | INT_RT);
    expect(irq.level).toBe(true);
    u.write(ICR, 4, INT_RX | INT_RT);
    expect(irq.level).toBe(false);
    expect(u.read(DR, 4)).toBe(0x61);
  });

  it('masks baud divisors and keeps registers it does not act on', () => {
    const { u } = make();
    u.write(IBRD, 4, 0x12345);
    u.write(FBRD, 4, 0xff);
    expect(u.read(IBRD, 4)).toBe(0x2345);
    expect(u.read(FBRD, 4)).toBe(0x3f);
  });

  it('logs bad offsets as guest errors and reads them as 0', () => {
    const { u, errors } = make();
    expect(u.read(0x800, 4)).toBe(0);
    u.write(0x800, 4, 1);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/pl011: read of 4 at bad offset 0x800/);
  });

  it('round-trips its state', () => {
    const { u } = make();
    u.write(LCR_H, 4, 0x70);
    u.write(IMSC, 4, INT_RX);
    u.input([7, 8]);
    const s = u.getState();
    const b = make();
    b.u.setState(s);
    expect(b.irq.level).toBe(true);
    expect(b.u.read(DR, 4)).toBe(7);
    expect(b.u.read(DR, 4)).toBe(8);
  });

  it('bounds the host input queue: input that does not fit is refused whole', () => {
    const { u } = make(8);
    expect(u.inputCapacity).toBe(8);
    u.input([1, 2, 3]); // 1 goes into the holding register, 2 wait
    expect(u.pendingInput).toBe(2);
    expect(u.inputRoom).toBe(6);
    expect(() => u.input([9, 9, 9, 9, 9, 9, 9])).toThrow(InputOverrunError);
    expect(() => u.input([9, 9, 9, 9, 9, 9, 9])).toThrow(
      'UART input overrun: 7 bytes do not fit (the input queue holds 2 of 8 bytes); nothing was queued');
    expect(u.pendingInput).toBe(2); // nothing of the refused input was queued
    u.input([4, 5, 6, 7, 8, 10]); // exactly fills it
    expect(u.inputRoom).toBe(0);
    const got: number[] = [];
    for (let i = 0; i < 9; i++) {
      got.push(u.read(DR, 4));
      u.refill();
    }
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10]);
    expect(u.pendingInput).toBe(0);
    expect(new Pl011(new LatchLine(), () => {}).inputCapacity).toBe(DEFAULT_INPUT_QUEUE);
    expect(() => make(0)).toThrow(RangeError);
  });

  it('flow control: a guest that masks RX with a byte waiting gets the interrupt back when it unmasks', () => {
    const { u, irq } = make();
    u.write(IMSC, 4, INT_RX | INT_RT);
    u.input([0x41, 0x42]);
    expect(irq.level).toBe(true);
    u.write(IMSC, 4, 0); // the kernel's ring is full: it stops reading
    expect(irq.level).toBe(false);
    u.refill();
    expect(u.pendingInput).toBe(1); // the FIFO is full, the rest waits on the host side
    expect(u.read(RIS, 4) & INT_RX).toBe(INT_RX); // RX stays raised: nothing read or cleared it
    u.write(IMSC, 4, INT_RX | INT_RT); // room again
    expect(irq.level).toBe(true);
    expect(u.read(DR, 4)).toBe(0x41);
    expect(irq.level).toBe(false); // reading the byte clears RX and RT
    u.refill();
    expect(irq.level).toBe(true);
    expect(u.read(DR, 4)).toBe(0x42);
  });

  it('InputFeeder holds what does not fit and pauses its source until there is room', async () => {
    const { u } = make(16);
    let waiter: { bytes: number; resolve: () => void } | null = null;
    const machine = {
      input: (b: Uint8Array) => u.input(b),
      get inputRoom() {
        return u.inputRoom;
      },
      inputCapacity: 16,
      whenInputRoom: (bytes: number) => new Promise<void>((resolve) => (waiter = { bytes, resolve })),
    };
    const events: string[] = [];
    const f = new InputFeeder(machine, { pause: () => events.push('pause'), resume: () => events.push('resume') });
    const text = Array.from({ length: 40 }, (_, i) => i);
    f.push(Uint8Array.from(text.slice(0, 30)));
    f.push(Uint8Array.from(text.slice(30)));
    // 16 went in (one of them on into the holding register); the rest waits for room.
    expect(u.pendingInput).toBe(15);
    expect(f.heldBytes).toBe(24);
    expect(events).toEqual(['pause']);
    const got: number[] = [];
    while (got.length < 40) {
      got.push(u.read(DR, 4));
      u.refill();
      const w = waiter as { bytes: number; resolve: () => void } | null;
      if (w && u.inputRoom >= w.bytes) {
        waiter = null;
        w.resolve();
        await Promise.resolve();
      }
    }
    expect(got).toEqual(text);
    expect(f.heldBytes).toBe(0);
    expect(events.at(-1)).toBe('resume');
  });
});
