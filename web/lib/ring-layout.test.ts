// The trace ring's geometry and slot arithmetic. The slot rule is the
// kernel's (kernel-image/src/trace/ring.c: id N in slot (N - 1) % 1024); the
// hit test and the drawn paths are checked against corners computed here
// independently with plain trigonometry; the export arguments against the
// kernel's limits (32 traces, 16 shell arguments).
import { describe, expect, it } from 'vitest';
import {
  age, exportArguments, firstHeld, headAngle, idInSlot, lap, polar, RING_SLOTS, sectorPath, slotAngles, slotAt, slotCentre, slotOf,
  type RingGeometry,
} from './ring-layout.ts';

const G: RingGeometry = { cx: 200, cy: 200, inner: 120, outer: 180 };

describe('slots', () => {
  it('maps ids to slots as the kernel does, wrapping after 1024', () => {
    expect(slotOf(1)).toBe(0);
    expect(slotOf(2)).toBe(1);
    expect(slotOf(1024)).toBe(1023);
    expect(slotOf(1025)).toBe(0);
    expect(slotOf(1500)).toBe(475);
    expect(() => slotOf(0)).toThrow(/1, 2, 3/);
    expect(() => slotOf(1.5)).toThrow();
  });

  it('finds the id a slot holds, before and after the write head went round', () => {
    // first lap: 10 traces in slots 0..9
    expect(idInSlot(0, 10, 1)).toBe(1);
    expect(idInSlot(9, 10, 1)).toBe(10);
    expect(idInSlot(10, 10, 1)).toBeNull();
    expect(idInSlot(1023, 10, 1)).toBeNull();
    // 1500 written: slots 0..475 hold 1025..1500, slots 476..1023 hold 477..1024
    expect(idInSlot(475, 1500, firstHeld(1500))).toBe(1500);
    expect(idInSlot(0, 1500, firstHeld(1500))).toBe(1025);
    expect(idInSlot(476, 1500, firstHeld(1500))).toBe(477);
    expect(idInSlot(1023, 1500, firstHeld(1500))).toBe(1024);
    // every held id appears exactly once, in its own slot
    const seen = new Set<number>();
    for (let s = 0; s < RING_SLOTS; s++) {
      const id = idInSlot(s, 1500, firstHeld(1500));
      expect(id).not.toBeNull();
      expect(slotOf(id!)).toBe(s);
      seen.add(id!);
    }
    expect(seen.size).toBe(1024);
    expect(Math.min(...seen)).toBe(477);
    // after a clear at 1500 and 3 more decisions, only 1501..1503 are held
    expect(idInSlot(slotOf(1501), 1503, 1501)).toBe(1501);
    expect(idInSlot(slotOf(1500), 1503, 1501)).toBeNull();
    expect(idInSlot(0, 0, 1)).toBeNull();
  });

  it('counts laps and ages', () => {
    expect(lap(0)).toBe(0);
    expect(lap(1024)).toBe(0);
    expect(lap(1025)).toBe(1);
    expect(firstHeld(5)).toBe(1);
    expect(firstHeld(2000)).toBe(977);
    expect(age(10, 10)).toBe(0);
    expect(age(977, 2000)).toBeCloseTo(1023 / 1024);
  });
});

describe('geometry', () => {
  it('tiles the full circle clockwise from twelve o\'clock', () => {
    expect(slotAngles(0).start).toBe(0);
    for (let s = 1; s < RING_SLOTS; s++) expect(slotAngles(s).start).toBeCloseTo(slotAngles(s - 1).end, 12);
    expect(slotAngles(RING_SLOTS - 1).end).toBeCloseTo(2 * Math.PI, 12);
    // twelve, three, six o'clock
    expect(polar(G, 0, 100)).toEqual({ x: 200, y: 100 });
    expect(polar(G, Math.PI / 2, 100).x).toBeCloseTo(300);
    expect(polar(G, Math.PI, 100).y).toBeCloseTo(300);
    expect(slotAt(G, 200 + 150, 200)).toBe(256); // three o'clock is a quarter of the way round
    expect(slotAt(G, 200, 200 + 150)).toBe(512);
    expect(slotAt(G, 200 - 150, 200)).toBe(768);
  });

  it('puts the write head after the newest trace, wrapping to twelve o\'clock', () => {
    expect(headAngle(0)).toBe(0);
    expect(headAngle(1)).toBeCloseTo(slotAngles(1).start);
    expect(headAngle(1023)).toBeCloseTo(slotAngles(1023).start);
    expect(headAngle(1024)).toBe(0);
    expect(headAngle(1500)).toBeCloseTo(slotAngles(476).start);
  });

  it('hit-tests every slot at its centre and just inside its corners', () => {
    for (let s = 0; s < RING_SLOTS; s++) {
      const c = slotCentre(G, s);
      expect(slotAt(G, c.x, c.y)).toBe(s);
      const { start, end } = slotAngles(s);
      const w = end - start;
      for (const [a, r] of [[start + w * 0.02, G.inner + 0.5], [end - w * 0.02, G.outer - 0.5]] as const) {
        const x = G.cx + r * Math.sin(a);
        const y = G.cy - r * Math.cos(a);
        expect(slotAt(G, x, y), `slot ${s}`).toBe(s);
      }
    }
  });

  it('refuses points off the band, and takes the slack outside it', () => {
    expect(slotAt(G, 200, 200)).toBeNull();
    expect(slotAt(G, 200, 200 - 119)).toBeNull();
    expect(slotAt(G, 200, 200 - 181)).toBeNull();
    expect(slotAt(G, 200, 200 - 185, 8)).toBe(0);
    expect(slotAt(G, 0, 0)).toBeNull();
    expect(slotAt(G, 200 - 1e-9, 200 - 150)).toBe(1023); // just left of twelve o'clock
  });

  it('draws a closed annular sector through the slot\'s four corners', () => {
    const p = sectorPath(G, 0);
    expect(p).toMatch(/^M200 20A180 180 0 0 1 [\d.]+ [\d.]+L[\d.]+ [\d.]+A120 120 0 0 0 200 80Z$/);
    const nums = sectorPath(G, 700).match(/-?[\d.]+/g)!.map(Number);
    const { start, end } = slotAngles(700);
    const corner = (a: number, r: number) => [G.cx + r * Math.sin(a), G.cy - r * Math.cos(a)];
    const [ax, ay] = corner(start, G.outer);
    const [bx, by] = corner(end, G.outer);
    const [cx, cy] = corner(end, G.inner);
    const [dx, dy] = corner(start, G.inner);
    // M a, A ... b, L c, A ... d
    expect(nums[0]).toBeCloseTo(ax, 2);
    expect(nums[1]).toBeCloseTo(ay, 2);
    expect(nums[7]).toBeCloseTo(bx, 2);
    expect(nums[8]).toBeCloseTo(by, 2);
    expect(nums[9]).toBeCloseTo(cx, 2);
    expect(nums[10]).toBeCloseTo(cy, 2);
    expect(nums[16]).toBeCloseTo(dx, 2);
    expect(nums[17]).toBeCloseTo(dy, 2);
  });
});

describe('export arguments', () => {
  it('folds neighbouring ids into FROM-TO ranges, sorted, without duplicates', () => {
    expect(exportArguments([12])).toEqual(['12']);
    expect(exportArguments([13, 12, 14, 20, 12])).toEqual(['12-14', '20']);
    expect(exportArguments([5, 7, 9])).toEqual(['5', '7', '9']);
    expect(exportArguments(Array.from({ length: 32 }, (_, i) => 100 + i))).toEqual(['100-131']);
  });

  it('refuses what the kernel would refuse, in words', () => {
    expect(() => exportArguments([])).toThrow(/select at least one trace/);
    expect(() => exportArguments(Array.from({ length: 33 }, (_, i) => i + 1))).toThrow(/33 traces selected: a bundle holds at most 32/);
    expect(() => exportArguments(Array.from({ length: 15 }, (_, i) => 2 * i + 1))).toThrow(/15 separate runs/);
    expect(exportArguments(Array.from({ length: 14 }, (_, i) => 2 * i + 1))).toHaveLength(14);
    expect(() => exportArguments([0])).toThrow(/not a trace id/);
  });
});
