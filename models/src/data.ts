// Inputs for training and for the golden set: raw telemetry drawn from a mixture that covers the
// region of every action (and the whole space uniformly), scaled exactly as the kernel scales it,
// then labelled by a policy. The generator only biases where points fall; the label always comes
// from the policy.

import { Prng } from './prng.ts';
import { A, F, INPUT_DIM, NUM_ACTIONS, label, scaleRaw, type Policy, REFERENCE_POLICY } from './task.ts';
import type { GoldenSet } from './format.ts';

const HEAP_BYTES = 8_388_608;

/** Draw one raw telemetry vector (integers in their raw units, sometimes beyond the clamp). */
export function drawRaw(rng: Prng): number[] {
  // A quiet system first, then push one region.
  const raw = [
    rng.int(5, 79), // mem_pressure %
    rng.int(0, 9), // deadline_misses
    rng.int(0, 89), // cpu_usage %
    rng.int(0, 499), // network_latency ms
    rng.int(0, 4_000_000), // uptime_ms (past the one-hour clamp too)
    0, // heap_used: follows mem_pressure
    rng.int(0, 64), // processes_running
  ];
  const scenario = rng.int(0, 6);
  switch (scenario) {
    case 0: // stays quiet
      break;
    case 1: // heap under pressure
      raw[F.mem_pressure] = rng.int(75, 94);
      break;
    case 2: // slow I/O
      raw[F.network_latency] = rng.int(450, 1500);
      break;
    case 3: // CPU saturated or deadlines slipping
      if (rng.int(0, 1) === 0) raw[F.cpu_usage] = rng.int(85, 100);
      else raw[F.deadline_misses] = rng.int(8, 30);
      break;
    case 4: // overload
      if (rng.int(0, 2) === 0) raw[F.mem_pressure] = rng.int(92, 100);
      else {
        raw[F.deadline_misses] = rng.int(15, 60);
        raw[F.processes_running] = rng.int(24, 80);
      }
      break;
    case 5: // several things at once
      raw[F.mem_pressure] = rng.int(50, 100);
      raw[F.deadline_misses] = rng.int(0, 40);
      raw[F.cpu_usage] = rng.int(50, 100);
      raw[F.network_latency] = rng.int(200, 1000);
      break;
    default: // anywhere
      raw[F.mem_pressure] = rng.int(0, 100);
      raw[F.deadline_misses] = rng.int(0, 50);
      raw[F.cpu_usage] = rng.int(0, 100);
      raw[F.network_latency] = rng.int(0, 1000);
      raw[F.processes_running] = rng.int(0, 64);
  }
  const heapPct = Math.min(100, Math.max(0, raw[F.mem_pressure] + rng.int(-3, 3)));
  raw[F.heap_used] = Math.floor((heapPct / 100) * HEAP_BYTES) + rng.int(0, 4095);
  return raw;
}

export interface Dataset {
  inputs: Float32Array[];
  labels: number[];
}

/** `count` scaled inputs drawn with `seed`, labelled by `policy`. */
export function drawDataset(seed: number, count: number, policy: Policy): Dataset {
  const rng = new Prng(seed);
  const inputs: Float32Array[] = [];
  const labels: number[] = [];
  for (let n = 0; n < count; n++) {
    const x = scaleRaw(drawRaw(rng));
    inputs.push(x);
    labels.push(label(policy, x));
  }
  return { inputs, labels };
}

export const GOLDEN_SEED = 0x601de7; // the platform's own seed, used by no model
export const GOLDEN_PER_ACTION = 100;

/**
 * The platform's golden set: GOLDEN_PER_ACTION inputs of every action under the reference policy,
 * drawn from the same mixture with the platform's seed, in draw order.
 */
export function buildGolden(seed = GOLDEN_SEED, perAction = GOLDEN_PER_ACTION): GoldenSet {
  const rng = new Prng(seed);
  const counts = new Array(NUM_ACTIONS).fill(0);
  const inputs: Float32Array[] = [];
  const labels: number[] = [];
  while (inputs.length < perAction * NUM_ACTIONS) {
    const x = scaleRaw(drawRaw(rng));
    const y = label(REFERENCE_POLICY, x);
    if (counts[y] >= perAction) continue;
    counts[y]++;
    inputs.push(x);
    labels.push(y);
  }
  return { inputDim: INPUT_DIM, numActions: NUM_ACTIONS, inputs, labels };
}

export { A };
