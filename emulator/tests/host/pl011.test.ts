import { describe, expect, it } from 'vitest';
import { LatchLine } from '../../src/devices/bus.ts';
import { FR_RXFE, FR_RXFF, FR_TXFE, INT_RT, INT_RX, INT_TX, Pl011 } from '../../src/devices/pl011.ts';

const DR = 0, FR = 0x18, IBRD = 0x24, FBRD = 0x28, LCR_H = 0x2c, CR = 0x30, IFLS = 0x34, IMSC = 0x38, RIS = 0x3c, MIS = 0x40, ICR = 0x44;

function make() {
  const irq = new LatchLine();
  const out: number[] = [];
  const errors: string[] = [];
  const u = new Pl011(irq, (b) => out.push(b), (m) => errors.push(m));
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
});
