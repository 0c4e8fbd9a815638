// The status bar's speed figure: MIPS over the last sampling interval, from
// the emulator's cumulative counters. A guest that spent (almost) all of the
// interval asleep in WFI is idle: its instruction rate says nothing about the
// emulator's speed, so it is shown as idle rather than as a low figure.

export interface SpeedSample {
  /** Host milliseconds (performance.now()). */
  at: number;
  instret: number;
  /** Cumulative host ms spent running guest code (MachineStats.runMs). */
  runMs: number;
}

export type Speed = { kind: 'busy'; mips: number; busyFraction: number } | { kind: 'idle'; busyFraction: number };

/** Below this share of the interval spent running, the guest counts as idle. */
export const IDLE_BELOW = 0.05;

export function speedBetween(a: SpeedSample, b: SpeedSample): Speed {
  const wall = b.at - a.at;
  const run = b.runMs - a.runMs;
  const insns = b.instret - a.instret;
  if (wall <= 0 || run < 0 || insns < 0) return { kind: 'idle', busyFraction: 0 }; // a reset or a clock step
  const busyFraction = Math.min(1, run / wall);
  if (busyFraction < IDLE_BELOW || run <= 0) return { kind: 'idle', busyFraction };
  return { kind: 'busy', mips: insns / run / 1000, busyFraction };
}

/** "1 h 02 min 05 s" style uptime from guest microseconds. */
export function formatUptime(us: number): string {
  const s = Math.floor(us / 1e6);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h} h ${String(m).padStart(2, '0')} min ${String(sec).padStart(2, '0')} s`;
  if (m) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}
