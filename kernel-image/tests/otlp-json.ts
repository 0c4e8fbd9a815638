// A strict OTLP/JSON reader for the kernel's /otel batches: every object is
// checked against the message definitions of opentelemetry-proto
// (collector/trace/v1 ExportTraceServiceRequest, trace/v1 trace.proto,
// common/v1 common.proto, resource/v1 resource.proto, as of commit
// ac2c4b5d1f3a6079de62f9afec860158ecc8af09) under the OTLP/JSON rules of
// its docs/specification.md ("JSON Protobuf Encoding"): lowerCamelCase keys,
// trace/span ids as hex (not base64), enums as integers only, 64-bit
// integers as decimal strings (numbers accepted too), proto3 JSON mapping
// otherwise. Receivers must ignore unknown fields; the kernel is a sender,
// so here an unknown field is an error (it would be a typo).
//
// This stands in for decoding with a published protobuf package
// (protobufjs + @opentelemetry/otlp-transformer are not installed here):
// the table below is the proto field list, typed by its proto scalar type.

type FieldType =
  | { k: 'string' } | { k: 'bool' } | { k: 'uint32' } | { k: 'int32' } | { k: 'fixed32' }
  | { k: 'int64' } | { k: 'fixed64' } | { k: 'double' } | { k: 'bytes' } | { k: 'hexid'; len: number }
  | { k: 'enum'; values: number[] } | { k: 'msg'; name: string } | { k: 'repeated'; of: FieldType };

const s: FieldType = { k: 'string' };
const u32: FieldType = { k: 'uint32' };
const msg = (name: string): FieldType => ({ k: 'msg', name });
const rep = (of: FieldType): FieldType => ({ k: 'repeated', of });

/** Message name -> JSON field name -> type (oneof members listed as ordinary fields; at most one may be set). */
export const OTLP_MESSAGES: Record<string, Record<string, FieldType>> = {
  ExportTraceServiceRequest: { resourceSpans: rep(msg('ResourceSpans')) },
  ResourceSpans: { resource: msg('Resource'), scopeSpans: rep(msg('ScopeSpans')), schemaUrl: s },
  Resource: { attributes: rep(msg('KeyValue')), droppedAttributesCount: u32, entityRefs: rep(msg('EntityRef')) },
  EntityRef: { schemaUrl: s, type: s, idKeys: rep(s), descriptionKeys: rep(s) },
  ScopeSpans: { scope: msg('InstrumentationScope'), spans: rep(msg('Span')), schemaUrl: s },
  InstrumentationScope: { name: s, version: s, attributes: rep(msg('KeyValue')), droppedAttributesCount: u32 },
  Span: {
    traceId: { k: 'hexid', len: 16 }, spanId: { k: 'hexid', len: 8 }, traceState: s,
    parentSpanId: { k: 'hexid', len: 8 }, flags: { k: 'fixed32' }, name: s,
    kind: { k: 'enum', values: [0, 1, 2, 3, 4, 5] },
    startTimeUnixNano: { k: 'fixed64' }, endTimeUnixNano: { k: 'fixed64' },
    attributes: rep(msg('KeyValue')), droppedAttributesCount: u32,
    events: rep(msg('Event')), droppedEventsCount: u32, links: rep(msg('Link')), droppedLinksCount: u32,
    status: msg('Status'),
  },
  Event: { timeUnixNano: { k: 'fixed64' }, name: s, attributes: rep(msg('KeyValue')), droppedAttributesCount: u32 },
  Link: {
    traceId: { k: 'hexid', len: 16 }, spanId: { k: 'hexid', len: 8 }, traceState: s,
    attributes: rep(msg('KeyValue')), droppedAttributesCount: u32, flags: { k: 'fixed32' },
  },
  Status: { message: s, code: { k: 'enum', values: [0, 1, 2] } },
  KeyValue: { key: s, value: msg('AnyValue'), keyStrindex: { k: 'int32' } },
  AnyValue: {
    stringValue: s, boolValue: { k: 'bool' }, intValue: { k: 'int64' }, doubleValue: { k: 'double' },
    arrayValue: msg('ArrayValue'), kvlistValue: msg('KeyValueList'), bytesValue: { k: 'bytes' },
    stringValueStrindex: { k: 'int32' },
  },
  ArrayValue: { values: rep(msg('AnyValue')) },
  KeyValueList: { values: rep(msg('KeyValue')) },
};
const ONEOF: Record<string, string[]> = {
  AnyValue: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue', 'stringValueStrindex'],
};

export class OtlpError extends Error {}

function check(v: unknown, t: FieldType, where: string): void {
  const bad = (what: string) => new OtlpError(`${where}: ${what}: ${JSON.stringify(v)?.slice(0, 80)}`);
  switch (t.k) {
    case 'string': if (typeof v !== 'string') throw bad('not a string'); return;
    case 'bool': if (typeof v !== 'boolean') throw bad('not a bool'); return;
    case 'uint32': case 'fixed32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw bad(`not a ${t.k}`); return;
    case 'int32': if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw bad('not an int32'); return;
    case 'int64': case 'fixed64': {
      // proto3 JSON: decimal string (what a writer should produce for 64-bit values), number accepted.
      if (typeof v !== 'string') throw bad(`${t.k} is not a decimal string`);
      if (!(t.k === 'int64' ? /^-?(0|[1-9]\d*)$/ : /^(0|[1-9]\d*)$/).test(v)) throw bad(`not a decimal ${t.k}`);
      const b = BigInt(v);
      if (t.k === 'fixed64' ? b >= 2n ** 64n : b >= 2n ** 63n || b < -(2n ** 63n)) throw bad(`${t.k} out of range`);
      return;
    }
    case 'double': if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('not a finite double'); return;
    case 'bytes': if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw bad('not base64'); return;
    case 'hexid':
      if (typeof v !== 'string' || !new RegExp(`^[0-9a-fA-F]{${2 * t.len}}$`).test(v)) throw bad(`not ${2 * t.len} hex digits`);
      if (/^0+$/.test(v)) throw bad('an all-zero id is invalid');
      return;
    case 'enum': if (typeof v !== 'number' || !t.values.includes(v)) throw bad('not an integer enum value'); return;
    case 'repeated':
      if (!Array.isArray(v)) throw bad('not an array');
      v.forEach((x, i) => check(x, t.of, `${where}[${i}]`));
      return;
    case 'msg': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`not a ${t.name} object`);
      const fields = OTLP_MESSAGES[t.name];
      for (const [key, val] of Object.entries(v)) {
        const ft = fields[key];
        if (!ft) throw new OtlpError(`${where}: ${t.name} has no field "${key}"`);
        check(val, ft, `${where}.${key}`);
      }
      const one = ONEOF[t.name];
      if (one && Object.keys(v).filter((k) => one.includes(k)).length !== 1) throw bad(`${t.name} must set exactly one value`);
    }
  }
}

export type Attr = string | number | boolean | bigint;

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  attrs: Record<string, Attr>;
  events: { name: string; time: bigint; attrs: Record<string, Attr> }[];
  status: { code: number; message: string };
}

export interface OtlpDoc {
  resource: Record<string, Attr>;
  scope: { name: string; version: string };
  spans: OtlpSpan[];
}

function attrsOf(kvs: { key: string; value: Record<string, unknown> }[] | undefined, where: string): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  for (const kv of kvs ?? []) {
    if (kv.key in out) throw new OtlpError(`${where}: attribute ${kv.key} twice`);
    const v = kv.value;
    out[kv.key] = 'stringValue' in v ? (v.stringValue as string) : 'boolValue' in v ? (v.boolValue as boolean)
      : 'intValue' in v ? BigInt(v.intValue as string) : (v.doubleValue as number);
  }
  return out;
}

/** Parse and check one batch file; throws OtlpError naming the first rule broken. */
export function decodeOtlpJson(text: string): OtlpDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new OtlpError(`not JSON: ${(e as Error).message}`);
  }
  check(raw, msg('ExportTraceServiceRequest'), 'request');
  const r = raw as { resourceSpans: { resource: { attributes: never }; scopeSpans: { scope: { name: string; version: string }; spans: Record<string, never>[] }[] }[] };
  if (r.resourceSpans.length !== 1 || r.resourceSpans[0].scopeSpans.length !== 1) throw new OtlpError('want one resource and one scope');
  const rs = r.resourceSpans[0];
  const spans = rs.scopeSpans[0].spans.map((sp: Record<string, any>, i: number): OtlpSpan => ({
    traceId: sp.traceId, spanId: sp.spanId, parentSpanId: sp.parentSpanId ?? null, name: sp.name, kind: sp.kind ?? 0,
    start: BigInt(sp.startTimeUnixNano ?? '0'), end: BigInt(sp.endTimeUnixNano ?? '0'),
    attrs: attrsOf(sp.attributes, `span ${i}`),
    events: (sp.events ?? []).map((e: Record<string, any>) => ({ name: e.name, time: BigInt(e.timeUnixNano ?? '0'), attrs: attrsOf(e.attributes, `span ${i} event`) })),
    status: { code: sp.status?.code ?? 0, message: sp.status?.message ?? '' },
  }));
  return { resource: attrsOf(rs.resource.attributes, 'resource'), scope: rs.scopeSpans[0].scope, spans };
}

/** sis.features.f32: 7 IEEE single-precision values as 8 hex digits each. */
export function featuresOf(hex: string): Float32Array {
  if (!/^[0-9a-f]{56}$/.test(hex)) throw new OtlpError(`sis.features.f32 ${hex}`);
  const out = new Float32Array(7);
  const dv = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < 7; i++) {
    dv.setUint32(0, parseInt(hex.slice(8 * i, 8 * i + 8), 16));
    out[i] = dv.getFloat32(0);
  }
  return out;
}
