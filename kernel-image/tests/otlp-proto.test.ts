// The OpenTelemetry-package oracles (otlp-proto.ts: the opentelemetry-proto
// definitions as published in @opentelemetry/otlp-transformer; otlp-sdk.ts:
// the JS SDK's JSON serializer) on a fixed batch the kernel wrote in a real
// run, and on documents broken the ways OTLP/JSON forbids: each must fail.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeOtlpProto, ExportTraceServiceRequest, OtlpProtoError } from './otlp-proto.ts';
import { compareWithSdk, TOLERATED } from './otlp-sdk.ts';
import { decodeOtlpJson } from './otlp-json.ts';

// /otel/batch-NNNNNNNN.json as the kernel wrote it (QEMU virt, the "OTLP export" case of
// shadow-otel-cases.ts), byte for byte.
const KERNEL_BATCH = readFileSync(new URL('./fixtures/otel-batch.json', import.meta.url), 'utf8');

const span = (over: Record<string, unknown> = {}) => ({
  traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', parentSpanId: '1122334455667788',
  name: 'model_inference', kind: 1,
  startTimeUnixNano: '1796169600000000000', endTimeUnixNano: '1796169600000083520',
  attributes: [{ key: 'sis.trace_id', value: { intValue: '7' } }, { key: 'x', value: { doubleValue: 0.25 } }],
  events: [{ timeUnixNano: '1796169600000001000', name: 'policy_check.rate_limit', attributes: [{ key: 'passed', value: { boolValue: true } }] }],
  status: { code: 1 }, ...over,
});
const doc = (sp: unknown, top: Record<string, unknown> = {}) => JSON.stringify({
  resourceSpans: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'sis-kernel' } }] },
    scopeSpans: [{ scope: { name: 'sis.autonomy', version: '0.1.0' }, spans: [sp] }],
  }],
  ...top,
});

describe('OTLP/JSON decoded with the published opentelemetry-proto definitions', () => {
  it('decodes the kernel batch: every member survives verify/fromObject/encode/decode/toObject', () => {
    const d = decodeOtlpProto(KERNEL_BATCH);
    const raw = JSON.parse(KERNEL_BATCH);
    const spans = raw.resourceSpans[0].scopeSpans[0].spans;
    expect(spans.length).toBeGreaterThan(0);
    // The decoded message holds the ids as bytes of the proto's lengths, the times as 64-bit values.
    const m = d.message as { resourceSpans: { scopeSpans: { spans: { traceId: Uint8Array; spanId: Uint8Array; startTimeUnixNano: { toString(): string } }[] }[] }[] };
    const first = m.resourceSpans[0].scopeSpans[0].spans[0];
    expect(first.traceId).toHaveLength(16);
    expect(first.spanId).toHaveLength(8);
    expect(Buffer.from(first.traceId).toString('hex')).toBe(spans[0].traceId);
    expect(first.startTimeUnixNano.toString()).toBe(spans[0].startTimeUnixNano);
    // The binary form decodes to the same message again.
    expect(ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(d.binary), { longs: String }))
      .toEqual(ExportTraceServiceRequest.toObject(d.message, { longs: String }));
    // Both oracles agree on the span count.
    expect(decodeOtlpJson(KERNEL_BATCH).spans).toHaveLength(spans.length);
  });

  it('accepts what the mapping allows: upper-case hex ids, an empty parentSpanId, int64 as a safe JSON number', () => {
    expect(() => decodeOtlpProto(doc(span({ traceId: '5B8EFFF798038103D269B633813FC60C' })))).not.toThrow();
    expect(() => decodeOtlpProto(doc(span({ parentSpanId: '' })))).not.toThrow();
    const d = decodeOtlpProto(doc(span({ startTimeUnixNano: 1796169600 })));
    expect((d.object as any).resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano).toBe('1796169600');
  });

  const bad: [string, string, RegExp][] = [
    ['a base64 trace id', doc(span({ traceId: 'W47/95gDgQPSabYzgT/GDA==' })), /traceId: OTLP\/JSON wants 32 hex digits \(not base64\)/],
    ['a base64 span id', doc(span({ spanId: '7uGbfsPBsXQ=' })), /spanId: OTLP\/JSON wants 16 hex digits/],
    ['a base64 parent span id', doc(span({ parentSpanId: 'ESIzRFVmd4g=' })), /parentSpanId: OTLP\/JSON wants 16 hex digits/],
    ['a trace id of 8 bytes', doc(span({ traceId: 'eee19b7ec3c1b174' })), /32 hex digits/],
    ['a span kind given as its name', doc(span({ kind: 'SPAN_KIND_INTERNAL' })), /proto verify: .*kind: enum value expected/],
    ['a span kind the enum lacks', doc(span({ kind: 9 })), /kind: enum value expected/],
    ['a status code given as its name', doc(span({ status: { code: 'STATUS_CODE_OK' } })), /status\.code: enum value expected/],
    ['a fixed64 time as a number beyond 2^53', doc(span({ startTimeUnixNano: 1796169600000000000 })), /startTimeUnixNano: a 64-bit integer must be a decimal string/],
    ['a fixed64 time as a fraction', doc(span({ endTimeUnixNano: '1.5' })), /endTimeUnixNano: a 64-bit integer must be a decimal string/],
    ['a negative fixed64 time', doc(span({ endTimeUnixNano: '-1' })), /endTimeUnixNano: "-1" came back as "18446744073709551615" \(not of the proto's type\)/],
    ['a fixed64 time beyond 2^64', doc(span({ endTimeUnixNano: '18446744073709551616' })), /out of range/],
    ['an intValue beyond 2^53 as a number', doc(span({ attributes: [{ key: 'k', value: { intValue: 9007199254740993 } }] })), /intValue: a 64-bit integer/],
    ['a uint32 count as a string', doc(span({ droppedAttributesCount: '3' })), /droppedAttributesCount: integer expected/],
    ['a name that is not a string', doc(span({ name: 5 })), /name: string expected/],
    ['two values in one AnyValue', doc(span({ attributes: [{ key: 'k', value: { stringValue: 'a', intValue: '1' } }] })), /multiple values/],
    ['an unknown span member', doc(span({ bogus: 1 })), /spans\[0\]\.bogus: dropped by the proto round trip/],
    ['a snake_case key', doc(span({ start_time_unix_nano: '1' })), /start_time_unix_nano: dropped/],
    ['an unknown member in an AnyValue', doc(span({ attributes: [{ key: 'k', value: { stringValue: 'a', note: 'x' } }] })), /value\.note: dropped/],
    ['an unknown top-level member', doc(span(), { extra: [] }), /request\.extra: dropped/],
    ['spans that are not an array', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: {} }] }] }), /spans: array expected/],
    ['no JSON', '{"resourceSpans": [', /not JSON/],
  ];
  for (const [what, text, why] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => decodeOtlpProto(text)).toThrow(OtlpProtoError);
      expect(() => decodeOtlpProto(text)).toThrow(why);
    });
  }
  it('refuses an unknown member in the kernel batch itself', () => {
    const raw = JSON.parse(KERNEL_BATCH);
    raw.resourceSpans[0].scopeSpans[0].spans.at(-1).events = [{ name: 'x', timeUnixNano: '1', atributes: [] }];
    expect(() => decodeOtlpProto(JSON.stringify(raw))).toThrow(/events\[0\]\.atributes: dropped/);
  });
});

describe('the kernel batch against the OpenTelemetry JS SDK JSON serializer', () => {
  it('writes the same message as the SDK does for the same spans, differing only as TOLERATED lists', () => {
    const r = compareWithSdk(KERNEL_BATCH);
    expect(r.spans).toBe(JSON.parse(KERNEL_BATCH).resourceSpans[0].scopeSpans[0].spans.length);
    for (const t of r.tolerated) expect(Object.keys(TOLERATED)).toContain(t);
    // Each tolerated difference, explicitly: int64 attributes (kernel: strings, SDK: numbers), an
    // integral double (policy-check values and thresholds such as 200.000) that the SDK writes as intValue, event members
    // in another order, and these default-valued members that the SDK writes and the kernel leaves out.
    expect(r.tolerated).toEqual(['default member', 'intValue as a number', 'integral doubleValue', 'member order']);
    expect(r.defaults).toEqual([
      'SDK request.resourceSpans[].resource.droppedAttributesCount',
      'SDK request.resourceSpans[].scopeSpans[].spans[].droppedAttributesCount',
      'SDK request.resourceSpans[].scopeSpans[].spans[].droppedEventsCount',
      'SDK request.resourceSpans[].scopeSpans[].spans[].droppedLinksCount',
      'SDK request.resourceSpans[].scopeSpans[].spans[].events[].droppedAttributesCount',
      'SDK request.resourceSpans[].scopeSpans[].spans[].links',
      'SDK request.resourceSpans[].scopeSpans[].spans[].status.code',
    ]);
    // The SDK's own document passes the proto decoder too, and holds the kernel's ids and times.
    const sdkSpan = (r.sdk as any).resourceSpans[0].scopeSpans[0].spans[0];
    const kSpan = JSON.parse(KERNEL_BATCH).resourceSpans[0].scopeSpans[0].spans[0];
    expect([sdkSpan.traceId, sdkSpan.spanId, sdkSpan.parentSpanId, sdkSpan.startTimeUnixNano, sdkSpan.endTimeUnixNano])
      .toEqual([kSpan.traceId, kSpan.spanId, kSpan.parentSpanId, kSpan.startTimeUnixNano, kSpan.endTimeUnixNano]);
  });
  const change = (f: (sp: any, raw: any) => void): string => {
    const raw = JSON.parse(KERNEL_BATCH);
    f(raw.resourceSpans[0].scopeSpans[0].spans[0], raw);
    return JSON.stringify(raw);
  };
  it('notices a kernel span whose kind is not the SDK kind it claims', () => {
    // The SDK writes kind + 1 of its API SpanKind: a valid OTLP kind of 0 (UNSPECIFIED) has no SDK span.
    expect(() => compareWithSdk(change((sp) => { sp.kind = 0; }))).toThrow(/SPAN_KIND_UNSPECIFIED/);
  });
  it('notices what the SDK cannot write the same: a resource schemaUrl, a resource droppedAttributesCount', () => {
    // The SDK's transformer never writes a ResourceSpans schemaUrl and always writes the resource's
    // droppedAttributesCount as 0: a kernel document with either is not what the SDK writes.
    expect(() => compareWithSdk(change((_sp, r) => { r.resourceSpans[0].schemaUrl = 'https://opentelemetry.io/schemas/1.26.0'; })))
      .toThrow(/schemaUrl: only the kernel writes/);
    expect(() => compareWithSdk(change((_sp, r) => { r.resourceSpans[0].resource.droppedAttributesCount = 2; })))
      .toThrow(/resource\.droppedAttributesCount: kernel 2, SDK 0/);
  });
  it('carries a traceState through the SDK unchanged', () => {
    expect(() => compareWithSdk(change((sp) => { sp.traceState = 'sis=1'; }))).not.toThrow();
  });
  it('refuses an int64 attribute the SDK cannot hold exactly', () => {
    expect(() => compareWithSdk(change((_sp, r) => { r.resourceSpans[0].resource.attributes.push({ key: 'n', value: { intValue: '18446744073709551' } }); })))
      .toThrow(/no exact JS number/);
  });
});
