// The OTLP/JSON checker (otlp-json.ts) must itself refuse what the OTLP/JSON
// rules forbid, or the ops tests that rely on it prove nothing.
import { describe, expect, it } from 'vitest';
import { decodeOtlpJson, featuresOf } from './otlp-json.ts';

const span = (over: Record<string, unknown> = {}) => ({
  traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'autonomous_decision', kind: 1,
  startTimeUnixNano: '1796169600000000000', endTimeUnixNano: '1796169600000083520',
  attributes: [{ key: 'sis.trace_id', value: { intValue: '7' } }, { key: 'x', value: { doubleValue: 0.25 } }],
  events: [{ timeUnixNano: '1796169600000001000', name: 'policy_check.rate_limit', attributes: [{ key: 'passed', value: { boolValue: true } }] }],
  status: { code: 1 }, ...over,
});
const doc = (sp: unknown) => JSON.stringify({
  resourceSpans: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'sis-kernel' } }] },
    scopeSpans: [{ scope: { name: 'sis.autonomy', version: '0.1.0' }, spans: [sp] }],
  }],
});

describe('OTLP/JSON checker', () => {
  it('accepts a well-formed request and decodes ids, times and attributes', () => {
    const d = decodeOtlpJson(doc(span()));
    expect(d.spans).toHaveLength(1);
    expect(d.spans[0].end - d.spans[0].start).toBe(83520n);
    expect(d.spans[0].attrs['sis.trace_id']).toBe(7n);
    expect(d.spans[0].events[0].attrs.passed).toBe(true);
    expect(d.resource['service.name']).toBe('sis-kernel');
  });
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['base64 trace id', { traceId: 'W47/95gDgQPSabYzgT/GDA==' }, /32 hex digits/],
    ['short span id', { spanId: 'eee19b7e' }, /16 hex digits/],
    ['all-zero span id', { spanId: '0000000000000000' }, /all-zero/],
    ['enum as a name', { kind: 'SPAN_KIND_INTERNAL' }, /integer enum/],
    ['unknown enum value', { kind: 9 }, /integer enum/],
    ['time as a number', { startTimeUnixNano: 1796169600000000000 }, /decimal string/],
    ['time with a sign', { endTimeUnixNano: '-1' }, /decimal fixed64/],
    ['snake_case key', { start_time_unix_nano: '1' }, /no field "start_time_unix_nano"/],
    ['status code as a name', { status: { code: 'STATUS_CODE_OK' } }, /integer enum/],
    ['two values in one AnyValue', { attributes: [{ key: 'k', value: { stringValue: 'a', intValue: '1' } }] }, /exactly one value/],
    ['intValue as a number', { attributes: [{ key: 'k', value: { intValue: 1 } }] }, /decimal string/],
  ];
  for (const [what, over, why] of bad) {
    it(`refuses ${what}`, () => expect(() => decodeOtlpJson(doc(span(over)))).toThrow(why));
  }
  it('reads sis.features.f32 as IEEE single-precision bits', () => {
    const f = featuresOf('3f800000' + '3e800000' + '00000000'.repeat(5));
    expect([...f.slice(0, 3)]).toEqual([1, 0.25, 0]);
    expect(() => featuresOf('3f80')).toThrow();
  });
});
