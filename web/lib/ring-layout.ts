// Geometry of the trace ring panel: the kernel's 1024 trace slots drawn as an
// annulus, slot 0 at twelve o'clock and the slots going clockwise, so the
// write head sweeps round like a clock hand. Pure functions: the component
// only renders what these return, and a click is hit-tested here.
//
// The kernel keeps trace id N in slot (N - 1) % 1024 (kernel-image/src/trace/
// ring.c): ids start at 1 each boot and are never reused, so the ring holds
// the ids first..newest with first = max(newest - 1023, 1) (later, after a
// `tracectl clear`, which only the kernel knows about).

export const RING_SLOTS = 1024;

/** The colour of each action (docs/DASHBOARD.md's legend). */
export const ACTION_COLOURS: Record<string, string> = {
  none: '#4a5562', reclaim_caches: '#58a6ff', throttle_workload: '#d29922', shed_load: '#db61a2', backoff_io: '#3fb950',
};

export interface RingGeometry {
  /** Centre, in the drawing's own units (the SVG viewBox). */
  cx: number;
  cy: number;
  /** Inner and outer radius of the slot band. */
  inner: number;
  outer: number;
}

/** The slot the kernel stores trace `id` in. */
export function slotOf(id: number): number {
  if (!Number.isInteger(id) || id < 1) throw new RangeError(`trace ids are 1, 2, 3, ...: ${id}`);
  return (id - 1) % RING_SLOTS;
}

/**
 * The trace id slot `slot` holds when the ring holds ids first..newest, or
 * null when the slot is empty (not written yet this boot, or cleared).
 */
export function idInSlot(slot: number, newest: number, first: number): number | null {
  if (newest < 1 || first > newest) return null;
  // the newest id that maps to this slot and is not after `newest`
  const id = newest - ((slotOf(newest) - slot + RING_SLOTS) % RING_SLOTS);
  return id >= Math.max(first, 1) && id >= newest - RING_SLOTS + 1 ? id : null;
}

/** The lowest id the ring can still hold when `newest` was the last written. */
export function firstHeld(newest: number): number {
  return Math.max(1, newest - RING_SLOTS + 1);
}

/** How many times the write head has gone all the way round (0 on the first lap). */
export function lap(newest: number): number {
  return newest < 1 ? 0 : Math.floor((newest - 1) / RING_SLOTS);
}

/**
 * 0 for the newest trace up to (almost) 1 for the oldest one the ring can
 * hold: the age the panel fades a slot by, so the wrap-around shows as the
 * seam where the brightest slot meets the faintest.
 */
export function age(id: number, newest: number): number {
  return Math.min(1, Math.max(0, (newest - id) / RING_SLOTS));
}

/** Start and end angle of a slot, radians clockwise from twelve o'clock. */
export function slotAngles(slot: number): { start: number; end: number } {
  const step = (2 * Math.PI) / RING_SLOTS;
  return { start: slot * step, end: (slot + 1) * step };
}

/** The angle of the write head: the boundary where the next trace will be written. */
export function headAngle(newest: number): number {
  return newest < 1 ? 0 : slotAngles((newest) % RING_SLOTS).start;
}

/** A point at clock angle `a` (clockwise from twelve) and radius `r`. */
export function polar(g: RingGeometry, a: number, r: number): { x: number; y: number } {
  return { x: g.cx + r * Math.sin(a), y: g.cy - r * Math.cos(a) };
}

function fmt(n: number): string {
  return (Math.round(n * 1000) / 1000).toString();
}

/**
 * The SVG path of slot `slot` between radii r0 and r1 (defaults: the band):
 * an annular sector. Used for the slot itself and for the thin marks drawn
 * beside it (override, annotation, selection).
 */
export function sectorPath(g: RingGeometry, slot: number, r0 = g.inner, r1 = g.outer): string {
  const { start, end } = slotAngles(slot);
  const a = polar(g, start, r1);
  const b = polar(g, end, r1);
  const c = polar(g, end, r0);
  const d = polar(g, start, r0);
  // a slot spans 0.35 degrees: never a large arc; sweep 1 = clockwise on screen
  return `M${fmt(a.x)} ${fmt(a.y)}A${fmt(r1)} ${fmt(r1)} 0 0 1 ${fmt(b.x)} ${fmt(b.y)}L${fmt(c.x)} ${fmt(c.y)}A${fmt(r0)} ${fmt(r0)} 0 0 0 ${fmt(d.x)} ${fmt(d.y)}Z`;
}

/** The middle of a slot's band (where a test or a tooltip points at it). */
export function slotCentre(g: RingGeometry, slot: number): { x: number; y: number } {
  const { start, end } = slotAngles(slot);
  return polar(g, (start + end) / 2, (g.inner + g.outer) / 2);
}

/**
 * The slot under the point (x, y), or null when the point is off the band
 * (in the hole, or outside the ring). `slack` widens the band outwards, to
 * take clicks on the override marks drawn just outside it.
 */
export function slotAt(g: RingGeometry, x: number, y: number, slack = 0): number | null {
  const dx = x - g.cx;
  const dy = g.cy - y;
  const r = Math.hypot(dx, dy);
  if (r < g.inner || r > g.outer + slack) return null;
  // atan2(dx, dy) is the clock angle: 0 at twelve, growing clockwise
  let a = Math.atan2(dx, dy);
  if (a < 0) a += 2 * Math.PI;
  const s = Math.floor((a / (2 * Math.PI)) * RING_SLOTS);
  return s >= RING_SLOTS ? 0 : s; // a == 2*pi after rounding: twelve o'clock again
}

/**
 * The arguments of `tracectl export` for these trace ids: consecutive runs
 * as FROM-TO ranges, since the shell passes at most 16 arguments
 * (docs/SHELL-COMMANDS.md). Throws, in words, what the kernel would refuse,
 * so the panel refuses it first and types nothing.
 */
export const EXPORT_MAX_TRACES = 32;
export const EXPORT_MAX_ARGS = 14; // 16 arguments minus "tracectl" and "export"

export function exportArguments(ids: readonly number[]): string[] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  if (!sorted.length) throw new Error('select at least one trace in the ring first (Shift-click a slot)');
  for (const id of sorted) if (!Number.isInteger(id) || id < 1) throw new Error(`${id} is not a trace id`);
  if (sorted.length > EXPORT_MAX_TRACES) throw new Error(`${sorted.length} traces selected: a bundle holds at most ${EXPORT_MAX_TRACES}`);
  const args: string[] = [];
  let from = sorted[0];
  let to = from;
  const flush = () => args.push(from === to ? `${from}` : `${from}-${to}`);
  for (const id of sorted.slice(1)) {
    if (id === to + 1) {
      to = id;
      continue;
    }
    flush();
    from = to = id;
  }
  flush();
  if (args.length > EXPORT_MAX_ARGS) {
    throw new Error(`the selection is ${args.length} separate runs of traces; the shell takes at most ${EXPORT_MAX_ARGS}: select fewer, or neighbouring ones`);
  }
  return args;
}
