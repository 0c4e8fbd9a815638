// The kernel's event stream (docs/EVENTS.md): one JSON object per line on the
// virtio console, {"v":1,"t":TYPE,"ts_us":...,...}. This module is the one
// typed description of it: a discriminated union on `t` and a parser that
// checks every member a type promises, so the dashboard, the tests and the
// CLI read the same schema. Unknown types parse as UnknownEvent (later
// kernels may add types; a reader must not break on them); a known type
// with a missing or mistyped member is an error.

export const EVENT_SCHEMA_VERSION = 1;

export interface EventBase {
  v: 1;
  t: string;
  /** Guest microseconds since boot (the generic timer). */
  ts_us: number;
}

export interface BootEvent extends EventBase {
  t: 'boot';
  version: string;
  source: string;
  features: string[];
  ram: number;
  disks: { n: number; sectors: number; ro: boolean }[];
  rootfs: { mounted: boolean; formatted: boolean; reason?: string };
}

export interface LogEvent extends EventBase {
  t: 'log';
  level: string;
  msg: string;
}

export interface HealthFigures {
  inference_latency_p99_us: number;
  inference_latency_p99_ns: number;
  memory_footprint_bytes: number;
  test_accuracy: number;
  correct: number;
  count: number;
  inferences: number;
  passed: boolean;
  failed_gate: 'latency' | 'memory' | 'accuracy' | null;
  /** UNIX seconds (PL031). */
  checked_at: number;
  duration_us: number;
}

export type ModelStatus = 'active' | 'shadow' | 'rollback' | 'failed' | 'available';

export interface RegistryModel {
  version: string;
  /** "sha256:" + 64 hex digits of model.bin. */
  hash: string;
  /** "ed25519:" + 128 hex digits of the signature. */
  signature: string;
  /** Key id, 16 hex digits. */
  signer: string;
  status: ModelStatus;
  /** UNIX seconds it was imported. */
  loaded_at: number;
  health?: HealthFigures;
  /** Why it was marked failed (a shadow abort: "shadow abort: ..."); absent when it was not. */
  failed?: string;
}

/** /models/registry.json, and the `registry` member of a registry event. */
export interface Registry {
  format: 1;
  models: RegistryModel[];
  active: string | null;
  shadow: string | null;
  rollback: string | null;
}

export type RegistryOp = 'provision' | 'swap' | 'rollback' | 'remove' | 'import' | 'health' | 'boot-fallback'
  | 'shadow-enable' | 'shadow-disable' | 'shadow-abort' | 'promote';

export interface RegistryEvent extends EventBase {
  t: 'registry';
  op: RegistryOp;
  registry: Registry;
}

export interface HealthEvent extends EventBase, HealthFigures {
  t: 'health';
  version: string;
}

export interface RollbackEvent extends EventBase {
  t: 'rollback';
  from: string | null;
  to: string | null;
  reason: string;
  /** Autorollback of a promoted model (shadow.c): what tripped it, and whether the switch worked. */
  trigger?: 'drift';
  ok?: boolean;
  error?: string;
}

export type ShadowMode = 'off' | 'log' | 'compare' | 'canary10' | 'canary100';

/** The shadow agent's counters, in shadow, abort and promote events. */
export interface ShadowCounts {
  compared: number;
  divergences: number;
  /** divergences / compared, 6 decimals (0 when nothing was compared). */
  divergence_rate: number;
}

/** shadowctl enable / disable / mode / threshold. */
export interface ShadowEvent extends EventBase, ShadowCounts {
  t: 'shadow';
  op: 'enable' | 'disable' | 'mode' | 'threshold';
  version: string;
  mode: ShadowMode;
  threshold: number;
  predictions: number;
  canary: number;
  reason?: string;
}

/** The automatic abort of a shadow (production untouched). */
export interface AbortEvent extends EventBase, ShadowCounts {
  t: 'abort';
  version: string;
  mode: ShadowMode;
  reason: string;
  threshold: number;
  /** The decision at which it fired. */
  trace_id: number;
  /** The active model, unchanged. "" when the reference policy decides. */
  production: string;
  /** The registry now shows it failed and the shadow role empty. */
  registry_updated: boolean;
}

export interface PromoteEvent extends EventBase, ShadowCounts {
  t: 'promote';
  version: string;
  from: string;
  forced: boolean;
  /** The rollback slot after the promotion ("" if empty). */
  rollback: string;
  watch_decisions: number;
  duration_us: number;
}

export type DriftLevel = 'ok' | 'warning' | 'alert';
export type PsiBand = 'stable' | 'moderate' | 'significant';

/** A level change of the confidence or reward window, or a PSI band change of one feature. */
export type DriftEvent = EventBase & { t: 'drift'; version: string; window: number } & (
  | { metric: 'confidence' | 'reward'; level: DriftLevel; baseline: number; current: number; delta: number; scale: number; adopted: boolean }
  | { metric: 'psi'; feature: string; band: PsiBand; psi: number }
);

/** One OTLP/JSON batch written to /otel (ok) or dropped (not ok). */
export interface OtelBatchEvent extends EventBase {
  t: 'otel_batch';
  ok: boolean;
  spans: number;
  file?: string;
  bytes?: number;
  error?: string;
  files: number;
  duration_us: number;
  duration_ticks: number;
  dropped_total: number;
}

export const ACTION_NAMES = ['none', 'reclaim_caches', 'throttle_workload', 'shed_load', 'backoff_io'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** One autonomous decision (a summary; `tracectl show ID` has the whole trace). */
export interface DecisionEvent extends EventBase {
  t: 'decision';
  /** The trace id (1, 2, 3, ... per boot). */
  id: number;
  /** The decider: a model version, or "reference". */
  model: string;
  /** What the decider proposed. */
  action: ActionName;
  confidence: number;
  /** What ran on the workload ("none" included), or "" when nothing ran (overridden or queued). */
  executed: ActionName | '';
  overridden: boolean;
  /** "policy:NAME", "safe_mode", or null. */
  reason: string | null;
  /** System health 0-1000 measured at this decision. */
  health: number;
  /** The previous decision's id and reward (-1000..1000), now that it is known. */
  prev_id?: number;
  prev_reward?: number;
  /** Decision deadlines skipped before this one (the shell was busy). */
  missed: number;
  total_ns: number;
  /** Present when a shadow model predicted at this decision. */
  shadow?: DecisionShadow;
}

/** The shadow's side of one decision, and the agent's counts after it. */
export interface DecisionShadow {
  version: string;
  mode: Exclude<ShadowMode, 'off'>;
  action: ActionName;
  confidence: number;
  /** The shadow's action differs from production's, or the confidences are more than 200 apart. */
  diverged: boolean;
  /** This decision was compared and counted (every mode but log). */
  counted: boolean;
  /** This decision executed the shadow's action. */
  canary: boolean;
  /** The running counts after this decision (as the shadow event's). */
  compared: number;
  divergences: number;
}

export interface SafeModeEvent extends EventBase {
  t: 'safe_mode';
  on: boolean;
  reason: string;
  /** Actions still queued at the change (on "off": all of them expire). */
  pending: number;
}

export interface PendingEvent extends EventBase {
  t: 'pending';
  /** The queue id autoctl approve/deny takes. */
  id: number;
  trace_id: number;
  action: ActionName;
  confidence: number;
  /** Entries in the queue with this one. */
  queued: number;
}

export interface ApprovalEvent extends EventBase {
  t: 'approval';
  id: number;
  trace_id: number;
  action: ActionName;
  result: 'approved' | 'denied' | 'expired';
}

export interface IncidentEvent extends EventBase {
  t: 'incident';
  /** "INC-YYYYMMDD-NNN", or "" if it was dropped before it got a number. */
  id: string;
  path: string;
  traces: number;
  bytes: number;
  result: 'written' | 'dropped';
  /** Why it was dropped. */
  error?: string;
  /** Older bundles retention removed after this one was written. */
  removed: number;
}

/** One trace of the ring as incident bundles hold it (docs/schemas/incident-bundle.v1.json, `traces[]`). */
export interface TraceRecord {
  trace_id: number;
  timestamp_us: number;
  uptime_ns: number;
  decider: 'model' | 'reference';
  model_version: string;
  model_hash: string | null;
  telemetry: Record<string, number>;
  system_state: { uptime_ms: number; heap_used: number; processes_running: number };
  raw_features: (number | null)[];
  features: number[];
  chaos_telemetry: boolean;
  hidden_activations: (number | null)[][];
  hidden_truncated: boolean;
  policy_checks: { check_name: string; passed: boolean; value: number; threshold: number }[];
  logits: (number | null)[];
  predictions: number[];
  chosen_action: number;
  chosen_action_name: ActionName;
  confidence: number;
  alternatives: { action_idx: number; action_name: ActionName; confidence: number }[];
  shadow: null | { version: string; hash: string; action: number; confidence: number; diverged: boolean; canary: boolean; infer_ns: number; [k: string]: unknown };
  was_executed: boolean;
  executed_action: number;
  was_overridden: boolean;
  override_reason: string | null;
  approval: 'none' | 'pending' | 'approved' | 'denied' | 'expired';
  pending_id: number | null;
  approval_us: number | null;
  health: number;
  reward: number | null;
  stages_ns: Record<string, number>;
  total_ns: number;
}

/** The answers of `tracectl show ID --json`, `annotate` and `replay`: `ok`, or refused with `error`. */
interface AnswerBase extends EventBase {
  /** The trace id asked for (0 when the argument was not a number). */
  id: number;
  ok: boolean;
  /** Only when refused: the words the shell printed. */
  error?: string;
}

export interface TraceEvent extends AnswerBase {
  t: 'trace';
  /** Only when ok. */
  trace?: TraceRecord;
}

export interface AnnotationEvent extends AnswerBase {
  t: 'annotation';
  /** The rest only when ok. */
  label?: 'good' | 'bad';
  note?: string;
  /** The file the line was appended to, and where the line starts in it. */
  path?: string;
  offset?: number;
}

export interface ReplayEvent extends AnswerBase {
  t: 'replay';
  /** The rest only when ok: the model replayed on ("reference" for the reference policy) and its hash. */
  version?: string;
  hash?: string | null;
  recorded?: { model: string; action: ActionName; confidence: number };
  replayed?: { action: ActionName; confidence: number };
  same?: boolean;
}

export interface UnknownEvent extends EventBase {
  [member: string]: unknown;
}

export type KnownEvent = BootEvent | LogEvent | RegistryEvent | HealthEvent | RollbackEvent | DecisionEvent
  | SafeModeEvent | PendingEvent | ApprovalEvent | IncidentEvent | TraceEvent | AnnotationEvent | ReplayEvent
  | ShadowEvent | AbortEvent | PromoteEvent | DriftEvent | OtelBatchEvent;
export type SisEvent = KnownEvent | UnknownEvent;

export class EventError extends Error {}

type Obj = Record<string, unknown>;

function need(o: Obj, key: string, type: 'string' | 'number' | 'boolean' | 'object', where: string): void {
  const v = o[key];
  const ok = type === 'object' ? typeof v === 'object' && v !== null : typeof v === type;
  if (!ok) throw new EventError(`${where}: member ${key} is not a ${type}: ${JSON.stringify(v)}`);
}

function nullableString(o: Obj, key: string, where: string): void {
  if (o[key] !== null && typeof o[key] !== 'string') throw new EventError(`${where}: ${key} is neither a string nor null`);
}

const HEALTH_NUMBERS = ['inference_latency_p99_us', 'inference_latency_p99_ns', 'memory_footprint_bytes', 'test_accuracy',
  'correct', 'count', 'inferences', 'checked_at', 'duration_us'] as const;

function checkHealth(o: Obj, where: string): void {
  for (const k of HEALTH_NUMBERS) need(o, k, 'number', where);
  need(o, 'passed', 'boolean', where);
  if (![null, 'latency', 'memory', 'accuracy'].includes(o.failed_gate as string | null)) {
    throw new EventError(`${where}: failed_gate ${JSON.stringify(o.failed_gate)}`);
  }
}

/** Checks a registry object (registry.json or an event's `registry`); returns it typed. */
export function checkRegistry(r: unknown, where = 'registry'): Registry {
  if (typeof r !== 'object' || r === null) throw new EventError(`${where}: not an object`);
  const o = r as Obj;
  if (o.format !== 1) throw new EventError(`${where}: format ${JSON.stringify(o.format)}`);
  if (!Array.isArray(o.models)) throw new EventError(`${where}: models is not an array`);
  for (const [i, m] of (o.models as unknown[]).entries()) {
    const w = `${where}.models[${i}]`;
    if (typeof m !== 'object' || m === null) throw new EventError(`${w}: not an object`);
    const mo = m as Obj;
    for (const k of ['version', 'hash', 'signature', 'signer', 'status']) need(mo, k, 'string', w);
    need(mo, 'loaded_at', 'number', w);
    if (!/^sha256:[0-9a-f]{64}$/.test(mo.hash as string)) throw new EventError(`${w}: hash ${mo.hash}`);
    if (!/^ed25519:[0-9a-f]{128}$/.test(mo.signature as string)) throw new EventError(`${w}: signature`);
    if (!/^[0-9a-f]{16}$/.test(mo.signer as string)) throw new EventError(`${w}: signer ${mo.signer}`);
    if (!['active', 'shadow', 'rollback', 'failed', 'available'].includes(mo.status as string)) {
      throw new EventError(`${w}: status ${mo.status}`);
    }
    if (mo.health !== undefined) checkHealth(mo.health as Obj, `${w}.health`);
    if (mo.failed !== undefined) need(mo, 'failed', 'string', w);
  }
  for (const k of ['active', 'shadow', 'rollback']) nullableString(o, k, where);
  return o as unknown as Registry;
}

function action(o: Obj, key: string, where: string, emptyOk: boolean): void {
  const v = o[key];
  if (!((ACTION_NAMES as readonly unknown[]).includes(v) || (emptyOk && v === ''))) {
    throw new EventError(`${where}: ${key} ${JSON.stringify(v)} is not an action`);
  }
}

/** Parses one event line; throws EventError when it is not a valid event. */
export function parseEvent(line: string): SisEvent {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new EventError(`not JSON: ${(e as Error).message}: ${line.slice(0, 80)}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EventError('an event is a JSON object');
  const o = v as Obj;
  if (o.v !== EVENT_SCHEMA_VERSION) throw new EventError(`schema version ${JSON.stringify(o.v)}, want ${EVENT_SCHEMA_VERSION}`);
  need(o, 't', 'string', 'event');
  need(o, 'ts_us', 'number', 'event');
  const where = `${o.t} event`;
  switch (o.t) {
    case 'boot':
      for (const k of ['version', 'source']) need(o, k, 'string', where);
      need(o, 'ram', 'number', where);
      if (!Array.isArray(o.features) || !Array.isArray(o.disks)) throw new EventError(`${where}: features/disks`);
      need(o, 'rootfs', 'object', where);
      need(o.rootfs as Obj, 'mounted', 'boolean', `${where}.rootfs`);
      break;
    case 'log':
      need(o, 'level', 'string', where);
      need(o, 'msg', 'string', where);
      break;
    case 'registry':
      need(o, 'op', 'string', where);
      checkRegistry(o.registry, `${where}.registry`);
      break;
    case 'health':
      need(o, 'version', 'string', where);
      checkHealth(o, where);
      break;
    case 'rollback':
      nullableString(o, 'from', where);
      nullableString(o, 'to', where);
      need(o, 'reason', 'string', where);
      break;
    case 'shadow':
    case 'abort':
    case 'promote':
      need(o, 'version', 'string', where);
      for (const k of ['compared', 'divergences', 'divergence_rate']) need(o, k, 'number', where);
      if (o.t === 'abort') {
        need(o, 'reason', 'string', where);
        need(o, 'trace_id', 'number', where);
      }
      if (o.t === 'promote') need(o, 'forced', 'boolean', where);
      break;
    case 'drift':
      need(o, 'metric', 'string', where);
      need(o, 'version', 'string', where);
      if (o.metric === 'psi') {
        need(o, 'psi', 'number', where);
        if (!['stable', 'moderate', 'significant'].includes(o.band as string)) throw new EventError(`${where}: band ${JSON.stringify(o.band)}`);
      } else {
        for (const k of ['baseline', 'current', 'delta']) need(o, k, 'number', where);
        if (!['ok', 'warning', 'alert'].includes(o.level as string)) throw new EventError(`${where}: level ${JSON.stringify(o.level)}`);
      }
      break;
    case 'otel_batch':
      need(o, 'ok', 'boolean', where);
      need(o, 'spans', 'number', where);
      if (o.ok) need(o, 'file', 'string', where);
      else need(o, 'error', 'string', where);
      break;
    case 'decision':
      for (const k of ['id', 'confidence', 'health', 'missed', 'total_ns']) need(o, k, 'number', where);
      need(o, 'model', 'string', where);
      need(o, 'overridden', 'boolean', where);
      action(o, 'action', where, false);
      action(o, 'executed', where, true);
      nullableString(o, 'reason', where);
      if ((o.prev_id === undefined) !== (o.prev_reward === undefined)) throw new EventError(`${where}: prev_id without prev_reward`);
      if (o.prev_id !== undefined) {
        need(o, 'prev_id', 'number', where);
        need(o, 'prev_reward', 'number', where);
      }
      if (o.shadow !== undefined) {
        need(o, 'shadow', 'object', where);
        const s = o.shadow as Obj, sw = `${where} shadow`;
        need(s, 'version', 'string', sw);
        if (!['log', 'compare', 'canary10', 'canary100'].includes(s.mode as string)) throw new EventError(`${sw}: mode ${JSON.stringify(s.mode)}`);
        action(s, 'action', sw, false);
        for (const k of ['confidence', 'compared', 'divergences']) need(s, k, 'number', sw);
        for (const k of ['diverged', 'counted', 'canary']) need(s, k, 'boolean', sw);
        if ((s.divergences as number) > (s.compared as number)) throw new EventError(`${sw}: more divergences than comparisons`);
      }
      break;
    case 'safe_mode':
      need(o, 'on', 'boolean', where);
      need(o, 'reason', 'string', where);
      need(o, 'pending', 'number', where);
      break;
    case 'pending':
      for (const k of ['id', 'trace_id', 'confidence', 'queued']) need(o, k, 'number', where);
      action(o, 'action', where, false);
      break;
    case 'approval':
      for (const k of ['id', 'trace_id']) need(o, k, 'number', where);
      action(o, 'action', where, false);
      if (!['approved', 'denied', 'expired'].includes(o.result as string)) throw new EventError(`${where}: result ${JSON.stringify(o.result)}`);
      break;
    case 'incident':
      for (const k of ['id', 'path', 'result']) need(o, k, 'string', where);
      for (const k of ['traces', 'bytes', 'removed']) need(o, k, 'number', where);
      if (o.result !== 'written' && o.result !== 'dropped') throw new EventError(`${where}: result ${JSON.stringify(o.result)}`);
      if (o.result === 'dropped') need(o, 'error', 'string', where);
      break;
    case 'trace':
    case 'annotation':
    case 'replay':
      need(o, 'id', 'number', where);
      need(o, 'ok', 'boolean', where);
      if (!o.ok) {
        need(o, 'error', 'string', where);
      } else if (o.t === 'trace') {
        need(o, 'trace', 'object', where);
        need(o.trace as Obj, 'trace_id', 'number', `${where}.trace`);
        if ((o.trace as Obj).trace_id !== o.id) throw new EventError(`${where}: trace ${JSON.stringify((o.trace as Obj).trace_id)} is not id ${o.id}`);
      } else if (o.t === 'annotation') {
        if (o.label !== 'good' && o.label !== 'bad') throw new EventError(`${where}: label ${JSON.stringify(o.label)}`);
        for (const k of ['note', 'path']) need(o, k, 'string', where);
        need(o, 'offset', 'number', where);
      } else {
        need(o, 'version', 'string', where);
        nullableString(o, 'hash', where);
        need(o, 'recorded', 'object', where);
        need(o, 'replayed', 'object', where);
        action(o.recorded as Obj, 'action', `${where}.recorded`, false);
        action(o.replayed as Obj, 'action', `${where}.replayed`, false);
        need(o, 'same', 'boolean', where);
      }
      break;
    default:
      break;
  }
  return o as unknown as SisEvent;
}

/** Parses a JSON Lines stream (blank lines skipped). */
export function parseEvents(text: string): SisEvent[] {
  return text.split('\n').filter((l) => l.trim().length > 0).map(parseEvent);
}

export function isEvent<T extends KnownEvent['t']>(e: SisEvent, t: T): e is Extract<KnownEvent, { t: T }> {
  return e.t === t;
}
