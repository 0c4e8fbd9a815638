// OTLP/JSON decoded with the published OpenTelemetry protobuf definitions:
// the protobufjs static module that @opentelemetry/otlp-transformer generates
// from opentelemetry-proto (build/src/generated/root.js). This is the second,
// independent check of every /otel batch beside the hand-written field table
// of otlp-json.ts.
//
// OTLP/JSON (opentelemetry-proto docs/specification.md, "JSON Protobuf
// Encoding") is the proto3 JSON mapping with these differences, which are
// applied here before the generated code sees the document:
//  - traceId, spanId (Span, Span.Link) and parentSpanId (Span) are
//    hex-encoded strings, not base64 (16 and 8 bytes; an empty parentSpanId
//    means none);
//  - enum values are integers only, never names (the generated `verify`
//    accepts only the numbers);
//  - keys are lowerCamelCase only;
// and from proto3 JSON: int64/fixed64/uint64 values are decimal strings, or
// JSON numbers (both are accepted by the mapping; a number beyond 2^53 has
// already lost its value in JSON.parse and is refused). Receivers must
// ignore unknown fields; this decoder checks a sender, so any member the
// generated type does not know is an error: the document is run through
// verify -> fromObject -> encode -> decode -> toObject and must come back
// with every member and value it went in with.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The parts of a protobufjs static message class used here. */
export interface ProtoType {
  new (): object;
  verify(m: unknown): string | null;
  fromObject(o: unknown): object;
  encode(m: object): { finish(): Uint8Array };
  decode(b: Uint8Array): object;
  toObject(m: object, opts: Record<string, unknown>): Record<string, unknown>;
}
interface LongCtor { fromString(s: string, unsigned: boolean): object; isLong(v: unknown): boolean }

const ROOT = require.resolve('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const root = require(ROOT);
// The Long class of the very protobufjs copy the generated module uses.
const Long: LongCtor = createRequire(ROOT)('protobufjs/minimal').util.Long;
const v1 = root.opentelemetry.proto;
export const ExportTraceServiceRequest: ProtoType = v1.collector.trace.v1.ExportTraceServiceRequest;
const Span: ProtoType = v1.trace.v1.Span;
const Link: ProtoType = v1.trace.v1.Span.Link;

/** The id fields OTLP/JSON writes as hex, with their byte length (0 allowed where the field is optional). */
const HEX_IDS = new Map<ProtoType, Record<string, { len: number; optional: boolean }>>([
  [Span, { traceId: { len: 16, optional: false }, spanId: { len: 8, optional: false }, parentSpanId: { len: 8, optional: true } }],
  [Link, { traceId: { len: 16, optional: false }, spanId: { len: 8, optional: false } }],
]);

export class OtlpProtoError extends Error {}

const isMessage = (v: unknown): v is object =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !Long.isLong(v) &&
  typeof (v.constructor as Partial<ProtoType>).verify === 'function';

const hex = (b: ArrayLike<number>) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * OTLP/JSON -> the plain object protobufjs expects: hex ids to bytes, 64-bit
 * decimal strings to Long. `typed` is the same document after a first
 * fromObject (used only to learn each member's proto type; fromObject is
 * lenient, the result is then held to `verify`). Also returns `expect`: the
 * document as toObject must give it back (int64 numbers as strings, ids in
 * lowercase hex).
 */
function mapJson(json: unknown, typed: unknown, type: ProtoType | null, where: string): { pb: unknown; expect: unknown } {
  if (Array.isArray(json)) {
    const t = Array.isArray(typed) ? typed : [];
    const out = json.map((x, i) => mapJson(x, t[i], null, `${where}[${i}]`));
    return { pb: out.map((o) => o.pb), expect: out.map((o) => o.expect) };
  }
  if (typeof json !== 'object' || json === null || !isMessage(typed)) return { pb: json, expect: json };
  const ctor = (type ?? typed.constructor) as ProtoType;
  const ids = HEX_IDS.get(ctor) ?? {};
  const pb: Record<string, unknown> = {}, expect: Record<string, unknown> = {};
  for (const [key, val] of Object.entries(json)) {
    const at = `${where}.${key}`;
    const tv = (typed as Record<string, unknown>)[key];
    if (key in ids) {
      const { len, optional } = ids[key];
      if (typeof val !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(val) || (val.length !== 2 * len && !(optional && val === ''))) {
        throw new OtlpProtoError(`${at}: OTLP/JSON wants ${2 * len} hex digits (not base64): ${JSON.stringify(val)?.slice(0, 60)}`);
      }
      pb[key] = Uint8Array.from(val.match(/../g) ?? [], (h) => parseInt(h, 16));
      expect[key] = val.toLowerCase();
    } else if (Long.isLong(tv)) {
      // (fromObject marks every 64-bit Long signed, fixed64 too: the sign of a fixed64 is held to
      // the proto by the round trip, where a negative value comes back as its unsigned reading.)
      let dec: string;
      if (typeof val === 'string' && /^-?(0|[1-9]\d*)$/.test(val)) dec = val;
      else if (typeof val === 'number' && Number.isSafeInteger(val)) dec = String(val);
      else throw new OtlpProtoError(`${at}: a 64-bit integer must be a decimal string (or a safe JSON integer): ${JSON.stringify(val)?.slice(0, 60)}`);
      const b = BigInt(dec);
      if (b < -(2n ** 63n) || b >= 2n ** 64n) throw new OtlpProtoError(`${at}: ${dec} is out of range for a 64-bit integer`);
      pb[key] = Long.fromString(dec, b >= 2n ** 63n);
      expect[key] = dec;
    } else if (Array.isArray(val) && val.length === 0 && Array.isArray(tv)) {
      // An empty repeated field has no binary encoding: the proto3 default, the same as absent.
      pb[key] = val;
    } else {
      const sub = mapJson(val, tv, null, at);
      pb[key] = sub.pb;
      expect[key] = sub.expect;
    }
  }
  return { pb, expect };
}

/** toObject's output back in OTLP/JSON form: id bytes to hex, other bytes to base64. */
function toJsonForm(v: unknown, type: ProtoType | null, msg: unknown): unknown {
  if (Array.isArray(v)) return v.map((x, i) => toJsonForm(x, null, Array.isArray(msg) ? msg[i] : undefined));
  if (typeof v !== 'object' || v === null || !isMessage(msg)) return v;
  const ctor = (type ?? msg.constructor) as ProtoType;
  const ids = HEX_IDS.get(ctor) ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, val] of Object.entries(v)) {
    const mv = (msg as Record<string, unknown>)[key];
    if (key in ids) out[key] = hex(val as number[]);
    else if (mv instanceof Uint8Array) out[key] = Buffer.from(val as number[]).toString('base64');
    else out[key] = toJsonForm(val, null, mv);
  }
  return out;
}

function firstDifference(want: unknown, got: unknown, where: string): string | null {
  if (Array.isArray(want) || Array.isArray(got)) {
    if (!Array.isArray(want) || !Array.isArray(got)) return `${where}: ${JSON.stringify(want)?.slice(0, 60)} came back as ${JSON.stringify(got)?.slice(0, 60)}`;
    if (want.length !== got.length) return `${where}: ${want.length} elements came back as ${got.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = firstDifference(want[i], got[i], `${where}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (typeof want === 'object' && want !== null && typeof got === 'object' && got !== null) {
    const w = want as Record<string, unknown>, g = got as Record<string, unknown>;
    for (const k of Object.keys(w)) {
      if (!(k in g)) return `${where}.${k}: dropped by the proto round trip (not a member of the proto message)`;
      const d = firstDifference(w[k], g[k], `${where}.${k}`);
      if (d) return d;
    }
    for (const k of Object.keys(g)) if (!(k in w)) return `${where}.${k}: appeared in the round trip`;
    return null;
  }
  if (Object.is(want, got)) return null;
  return `${where}: ${JSON.stringify(want)?.slice(0, 60)} came back as ${JSON.stringify(got)?.slice(0, 60)} (not of the proto's type)`;
}

export interface ProtoDecoded {
  /** The decoded ExportTraceServiceRequest (a protobufjs message instance). */
  message: object;
  /** The same as a plain object: 64-bit values as decimal strings, ids in hex, enums as numbers. */
  object: Record<string, unknown>;
  /** The protobuf binary encoding of the document. */
  binary: Uint8Array;
}

/** Decode one OTLP/JSON ExportTraceServiceRequest with the published proto definitions; throws OtlpProtoError on any rule broken. */
export function decodeOtlpProto(text: string, type: ProtoType = ExportTraceServiceRequest): ProtoDecoded {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new OtlpProtoError(`not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new OtlpProtoError('not a JSON object');
  let typed: object;
  try {
    typed = type.fromObject(raw);
  } catch (e) {
    throw new OtlpProtoError(`request: ${(e as Error).message}`);
  }
  const { pb, expect } = mapJson(raw, typed, type, 'request');
  const err = type.verify(pb);
  if (err !== null) throw new OtlpProtoError(`request: proto verify: ${err}`);
  const binary = type.encode(type.fromObject(pb)).finish();
  const message = type.decode(binary);
  const object = type.toObject(message, { longs: String, bytes: Array, enums: Number, defaults: false, arrays: false, oneofs: false });
  const back = toJsonForm(object, type, message);
  const d = firstDifference(expect, back, 'request');
  if (d) throw new OtlpProtoError(d);
  return { message, object: back as Record<string, unknown>, binary };
}
