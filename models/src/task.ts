// The v1 decision task: the agent's 7 input features, the 5 actions the kernel can take, and
// the reference policy that says which action is right for any input. docs/MODELS.md is the
// user-facing description; docs/MODEL-FORMAT.md fixes the scaling (normative).
//
// Every threshold of a policy is written in the raw unit and compared against the feature after
// scaling, with the threshold scaled exactly as the feature is (f32 of the binary64 quotient).
// Scaling is monotone, so "raw >= T" and "scaled >= scale(T)" agree for every raw input, and the
// policy gives the same label to the f32 vector stored in the golden set as to the raw telemetry.

export const INPUT_DIM = 7;
export const NUM_ACTIONS = 5;

export interface FeatureSpec {
  name: string;
  unit: string;
  max: number; // the raw value is clamped to [0, max] and divided by max
}

export const FEATURES: readonly FeatureSpec[] = [
  { name: 'mem_pressure', unit: 'percent of the heap in use', max: 100 },
  { name: 'deadline_misses', unit: 'late timer ticks in the last interval', max: 50 },
  { name: 'cpu_usage', unit: 'percent busy in the last interval', max: 100 },
  { name: 'network_latency', unit: 'milliseconds', max: 1000 },
  { name: 'uptime_ms', unit: 'milliseconds since boot', max: 3_600_000 },
  { name: 'heap_used', unit: 'bytes in use on the kernel heap', max: 8_388_608 },
  { name: 'processes_running', unit: 'runnable tasks of the workload', max: 64 },
];

export const F = {
  mem_pressure: 0,
  deadline_misses: 1,
  cpu_usage: 2,
  network_latency: 3,
  uptime_ms: 4,
  heap_used: 5,
  processes_running: 6,
} as const;

export const ACTIONS = ['none', 'reclaim_caches', 'throttle_workload', 'shed_load', 'backoff_io'] as const;
export type ActionName = (typeof ACTIONS)[number];
export const A = { none: 0, reclaim_caches: 1, throttle_workload: 2, shed_load: 3, backoff_io: 4 } as const;

/** Scale one raw value of feature `i` (MODEL-FORMAT.md: binary64 clamp and divide, one f32 rounding). */
export function scaleFeature(i: number, raw: number): number {
  const max = FEATURES[i].max;
  return Math.fround(Math.min(Math.max(raw, 0), max) / max);
}

/** Scale a raw telemetry vector (7 numbers in their raw units) into the f32 feature vector. */
export function scaleRaw(raw: ArrayLike<number>): Float32Array {
  if (raw.length !== INPUT_DIM) throw new Error(`expected ${INPUT_DIM} raw values, got ${raw.length}`);
  const x = new Float32Array(INPUT_DIM);
  for (let i = 0; i < INPUT_DIM; i++) x[i] = scaleFeature(i, raw[i]);
  return x;
}

/** One rule of a policy: when every condition holds, the action applies. */
export interface Condition {
  feature: number;
  atLeast: number; // raw threshold: the rule wants raw >= atLeast
}
export interface Rule {
  action: number;
  anyOf: Condition[][]; // the rule fires when all conditions of any one group hold
  why: string;
}
export interface Policy {
  name: string;
  rules: Rule[]; // first rule that fires wins; none of them: action 0 (none)
}

const c = (feature: number, atLeast: number): Condition => ({ feature, atLeast });

/**
 * The reference policy, in priority order. mem_pressure and heap_used measure the same heap in
 * different units, so only mem_pressure is consulted; uptime_ms is context the network must learn
 * to ignore.
 */
export const REFERENCE_POLICY: Policy = {
  name: 'reference',
  rules: [
    {
      action: A.shed_load,
      anyOf: [[c(F.mem_pressure, 95)], [c(F.deadline_misses, 20), c(F.processes_running, 32)]],
      why: 'critical: heap nearly exhausted, or many deadline misses with many runnable tasks',
    },
    { action: A.reclaim_caches, anyOf: [[c(F.mem_pressure, 80)]], why: 'heap under pressure' },
    { action: A.backoff_io, anyOf: [[c(F.network_latency, 500)]], why: 'I/O path is slow' },
    {
      action: A.throttle_workload,
      anyOf: [[c(F.cpu_usage, 90)], [c(F.deadline_misses, 10)]],
      why: 'CPU saturated or deadlines slipping',
    },
  ],
};

/**
 * A deliberately different policy: the same priorities with lower thresholds (reclaim at 70% instead
 * of 80%, back off I/O at 350 ms instead of 500 ms, throttle at 80% CPU instead of 90%). A model
 * trained on it fails the accuracy gate on the golden set and disagrees with the reference live.
 */
export const SHIFTED_POLICY: Policy = {
  name: 'shifted',
  rules: [
    {
      action: A.shed_load,
      anyOf: [[c(F.mem_pressure, 95)], [c(F.deadline_misses, 20), c(F.processes_running, 32)]],
      why: 'as the reference',
    },
    { action: A.reclaim_caches, anyOf: [[c(F.mem_pressure, 70)]], why: 'reclaims earlier' },
    { action: A.backoff_io, anyOf: [[c(F.network_latency, 350)]], why: 'backs off earlier' },
    {
      action: A.throttle_workload,
      anyOf: [[c(F.cpu_usage, 80)], [c(F.deadline_misses, 10)]],
      why: 'throttles earlier',
    },
  ],
};

export const POLICIES: Record<string, Policy> = { reference: REFERENCE_POLICY, shifted: SHIFTED_POLICY };

/** Label a scaled f32 feature vector with the policy's action. */
export function label(policy: Policy, x: ArrayLike<number>): number {
  for (const rule of policy.rules) {
    for (const group of rule.anyOf) {
      if (group.every((cond) => x[cond.feature] >= scaleFeature(cond.feature, cond.atLeast))) return rule.action;
    }
  }
  return A.none;
}

export function referenceAction(x: ArrayLike<number>): number {
  return label(REFERENCE_POLICY, x);
}
