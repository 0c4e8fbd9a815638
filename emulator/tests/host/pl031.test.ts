import { describe, expect, it } from 'vitest';
import { LatchLine } from '../../src/devices/bus.ts';
import { Pl031 } from '../../src/devices/pl031.ts';

const DR = 0, MR = 4, LR = 8, CR = 0xc, IMSC = 0x10, RIS = 0x14, MIS = 0x18, ICR = 0x1c;

function make(start = 1_700_000_000.25) {
  const clock = { t: start };
  const irq = new LatchLine();
  const errors: string[] = [];
  const rtc = new Pl031(irq, () => clock.t, (m) => errors.push(m));
  return { rtc, irq, clock, errors };
}

describe('PL031', () => {
  it('counts host seconds, is always enabled and has PrimeCell IDs', () => {
    const { rtc, clock } = make();
    expect(rtc.read(DR, 4)).toBe(1_700_000_000);
    clock.t += 2;
    expect(rtc.read(DR, 4)).toBe(1_700_000_002);
    expect(rtc.read(CR, 4)).toBe(1);
    const ids = [];
    for (let o = 0xfe0; o < 0x1000; o += 4) ids.push(rtc.read(o, 4));
    expect(ids).toEqual([0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  it('loads a new count through LR', () => {
    const { rtc, clock } = make();
    rtc.write(LR, 4, 1000);
    expect(rtc.read(DR, 4)).toBe(1000);
    expect(rtc.read(LR, 4)).toBe(1000);
    clock.t += 5;
    expect(rtc.read(DR, 4)).toBe(1005);
  });

  it('raises the match interrupt when DR reaches MR, even if polled late', () => {
    const { rtc, irq, clock } = make();
    rtc.write(IMSC, 4, 1);
    rtc.write(MR, 4, 1_700_000_003);
    expect(rtc.nextAlarmMs()).toBeCloseTo(2750, 3);
    clock.t += 2;
    rtc.poll();
    expect(irq.level).toBe(false);
    clock.t += 10; // well past the match second
    rtc.poll();
    expect(rtc.read(RIS, 4)).toBe(1);
    expect(rtc.read(MIS, 4)).toBe(1);
    expect(irq.level).toBe(true);
    rtc.write(ICR, 4, 1);
    expect(irq.level).toBe(false);
    expect(rtc.nextAlarmMs()).toBe(-1);
  });

  it('fires at once for a match equal to the current count', () => {
    const { rtc } = make();
    rtc.write(MR, 4, 1_700_000_000);
    expect(rtc.read(RIS, 4)).toBe(1);
    expect(rtc.read(MIS, 4)).toBe(0); // masked
  });

  it('logs writes to read-only and unknown offsets', () => {
    const { rtc, errors } = make();
    rtc.write(DR, 4, 5);
    rtc.read(0x40, 4);
    expect(errors.length).toBe(2);
    expect(rtc.read(DR, 4)).toBe(1_700_000_000);
  });
});
