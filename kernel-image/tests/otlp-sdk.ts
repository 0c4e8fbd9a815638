// The kernel's OTLP/JSON compared with what the OpenTelemetry JS SDK writes
// for the same spans: each decoded kernel span becomes an SDK ReadableSpan
// (@opentelemetry/sdk-trace-base's interface, a @opentelemetry/resources
// Resource) with the same ids, names, kinds, times, attributes, events and
// status, which @opentelemetry/otlp-transformer's JsonTraceSerializer (the
// serializer the SDK's OTLP/HTTP JSON exporter uses) turns into its
// ExportTraceServiceRequest JSON. The two documents must be the same
// message; the only differences allowed are the ones listed in TOLERATED.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { AttributeValue, Attributes, HrTime } from '@opentelemetry/api';
import { Resource } from '@opentelemetry/resources';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeOtlpProto, OtlpProtoError } from './otlp-proto.ts';

/** Every difference between the kernel's and the SDK's JSON that is not an error, and why. */
export const TOLERATED = {
  'member order': 'JSON objects are unordered; members are compared by name',
  'default member': 'a member holding its proto3 default (0, "", false, [], or a message of defaults) written by one side only; '
    + 'proto3 JSON lets a writer omit default values (the SDK always writes droppedAttributesCount, droppedEventsCount, '
    + 'droppedLinksCount, links and event attributes, the kernel leaves empty ones out)',
  'intValue as a number': 'the SDK writes an int64 attribute as a JSON number, the kernel as a decimal string; '
    + 'proto3 JSON accepts both and OTLP/JSON says 64-bit integers are decimal strings, so the kernel\'s form is the stricter',
  'integral doubleValue': 'JS has one number type, so the SDK writes a double attribute with an integral value as intValue; '
    + 'the kernel keeps the proto type (doubleValue)',
} as const;
export type Tolerated = keyof typeof TOLERATED;

type Json = Record<string, unknown>;
type AnyValue = { stringValue?: string; boolValue?: boolean; intValue?: string; doubleValue?: number; arrayValue?: { values?: AnyValue[] } };

const hr = (ns: string): HrTime => {
  const b = BigInt(ns);
  return [Number(b / 1_000_000_000n), Number(b % 1_000_000_000n)];
};

function jsValue(v: AnyValue, where: string): AttributeValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    if (!Number.isSafeInteger(n)) throw new OtlpProtoError(`${where}: intValue ${v.intValue} has no exact JS number for the SDK`);
    return n;
  }
  if (v.arrayValue) return (v.arrayValue.values ?? []).map((x, i) => jsValue(x, `${where}[${i}]`)) as AttributeValue;
  throw new OtlpProtoError(`${where}: ${JSON.stringify(v)} is no SDK attribute value`);
}

function attrs(kvs: unknown, where: string): Attributes {
  const out: Attributes = {};
  for (const kv of (kvs ?? []) as { key: string; value: AnyValue }[]) out[kv.key] = jsValue(kv.value ?? {}, `${where}.${kv.key}`);
  return out;
}

/** The kernel's spans (a decoded request) as SDK ReadableSpans. */
export function readableSpans(request: Json): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  for (const rs of (request.resourceSpans ?? []) as Json[]) {
    const resource = new Resource(attrs((rs.resource as Json | undefined)?.attributes, 'resource'));
    for (const ss of (rs.scopeSpans ?? []) as Json[]) {
      const scope = (ss.scope ?? {}) as { name?: string; version?: string };
      const library = { name: scope.name ?? '', version: scope.version, schemaUrl: ss.schemaUrl as string | undefined };
      for (const sp of (ss.spans ?? []) as Json[]) {
        const st = (sp.status ?? {}) as { code?: number; message?: string };
        const start = hr((sp.startTimeUnixNano as string) ?? '0'), end = hr((sp.endTimeUnixNano as string) ?? '0');
        const dns = BigInt((sp.endTimeUnixNano as string) ?? '0') - BigInt((sp.startTimeUnixNano as string) ?? '0');
        const kind = (sp.kind as number | undefined) ?? 0;
        if (kind === 0) throw new OtlpProtoError(`span ${sp.spanId}: SPAN_KIND_UNSPECIFIED has no SDK SpanKind`);
        out.push({
          name: (sp.name as string) ?? '',
          kind: kind - 1,               // the API's SpanKind has no UNSPECIFIED: INTERNAL is 0 there, 1 in OTLP
          spanContext: () => ({
            traceId: sp.traceId as string, spanId: sp.spanId as string, traceFlags: 1,
            traceState: sp.traceState === undefined ? undefined : new TraceState(sp.traceState as string),
          }),
          parentSpanId: sp.parentSpanId as string | undefined,
          startTime: start,
          endTime: end,
          status: { code: st.code ?? 0, message: st.message },
          attributes: attrs(sp.attributes, `span ${sp.spanId}`),
          links: [],
          events: ((sp.events ?? []) as Json[]).map((e) => ({
            name: (e.name as string) ?? '', time: hr((e.timeUnixNano as string) ?? '0'),
            attributes: attrs(e.attributes, `span ${sp.spanId} event`),
            droppedAttributesCount: (e.droppedAttributesCount as number) ?? 0,
          })),
          duration: hr(String(dns < 0n ? 0n : dns)),
          ended: true,
          resource,
          instrumentationLibrary: library,
          droppedAttributesCount: (sp.droppedAttributesCount as number) ?? 0,
          droppedEventsCount: (sp.droppedEventsCount as number) ?? 0,
          droppedLinksCount: (sp.droppedLinksCount as number) ?? 0,
        });
        if (((sp.links ?? []) as unknown[]).length) throw new OtlpProtoError(`span ${sp.spanId}: links are not compared`);
      }
    }
  }
  return out;
}

/** What the SDK's JSON serializer writes for these spans, parsed. */
export function sdkJson(spans: ReadableSpan[]): Json {
  return JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)));
}

const isDefault = (v: unknown): boolean =>
  v === 0 || v === '' || v === false || v === '0' || (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isDefault));

function compare(k: unknown, s: unknown, where: string, seen: Set<Tolerated>, defaults: Set<string>): void {
  const bad = (why: string) => new OtlpProtoError(`${where}: kernel ${JSON.stringify(k)?.slice(0, 70)}, SDK ${JSON.stringify(s)?.slice(0, 70)}: ${why}`);
  if (Array.isArray(k) || Array.isArray(s)) {
    if (!Array.isArray(k) || !Array.isArray(s) || k.length !== s.length) throw bad('arrays differ');
    k.forEach((x, i) => compare(x, s[i], `${where}[${i}]`, seen, defaults));
    return;
  }
  if (typeof k === 'object' && k !== null && typeof s === 'object' && s !== null) {
    const ko = k as Json, so = s as Json;
    // AnyValue: the two typing differences of JS numbers.
    if ('intValue' in ko && 'intValue' in so && typeof so.intValue === 'number' && typeof ko.intValue === 'string') {
      if (String(so.intValue) !== ko.intValue) throw bad('different integers');
      seen.add('intValue as a number');
      return;
    }
    if ('doubleValue' in ko && 'intValue' in so) {
      if (!Number.isInteger(ko.doubleValue) || so.intValue !== ko.doubleValue) throw bad('different numbers');
      seen.add('integral doubleValue');
      return;
    }
    const keysK = Object.keys(ko), keysS = Object.keys(so);
    const common = keysK.filter((x) => x in so);
    if (common.join() !== keysS.filter((x) => x in ko).join()) seen.add('member order');
    for (const key of new Set([...keysK, ...keysS])) {
      const at = `${where}.${key}`;
      if (!(key in ko) || !(key in so)) {
        const v = key in ko ? ko[key] : so[key];
        if (!isDefault(v)) throw new OtlpProtoError(`${at}: only the ${key in ko ? 'kernel' : 'SDK'} writes ${JSON.stringify(v)?.slice(0, 70)}`);
        seen.add('default member');
        defaults.add(`${key in ko ? 'kernel' : 'SDK'} ${at.replace(/\[\d+\]/g, '[]')}`);
        continue;
      }
      compare(ko[key], so[key], at, seen, defaults);
    }
    return;
  }
  if (!Object.is(k, s)) throw bad('values differ');
}

/**
 * Decode one kernel batch with the proto definitions, rebuild its spans in
 * the SDK, serialize them with the SDK's JSON serializer and compare. Throws
 * OtlpProtoError at the first difference not in TOLERATED; returns the
 * tolerated differences that occurred, the default-valued members written by
 * one side only ("kernel|SDK path", array indices as []), and the SDK's document.
 */
export function compareWithSdk(text: string): { tolerated: Tolerated[]; defaults: string[]; sdk: Json; spans: number } {
  decodeOtlpProto(text);
  // Compared as the kernel wrote it (not the decoder's normalised form), so its own spelling is what is checked.
  const kernel = JSON.parse(text) as Json;
  const spans = readableSpans(kernel);
  const sdk = sdkJson(spans);
  // The SDK's document must itself be a valid OTLP/JSON request under the same decoder.
  decodeOtlpProto(JSON.stringify(sdk));
  const seen = new Set<Tolerated>(), defaults = new Set<string>();
  compare(kernel, sdk, 'request', seen, defaults);
  return { tolerated: [...seen].sort(), defaults: [...defaults].sort(), sdk, spans: spans.length };
}
