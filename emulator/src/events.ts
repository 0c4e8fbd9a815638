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
}

/** /models/registry.json, and the `registry` member of a registry event. */
export interface Registry {
  format: 1;
  models: RegistryModel[];
  active: string | null;
  shadow: string | null;
  rollback: string | null;
}

export type RegistryOp = 'provision' | 'swap' | 'rollback' | 'remove' | 'import' | 'health' | 'boot-fallback';

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
}

export interface UnknownEvent extends EventBase {
  [member: string]: unknown;
}

export type KnownEvent = BootEvent | LogEvent | RegistryEvent | HealthEvent | RollbackEvent;
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
  }
  for (const k of ['active', 'shadow', 'rollback']) nullableString(o, k, where);
  return o as unknown as Registry;
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
