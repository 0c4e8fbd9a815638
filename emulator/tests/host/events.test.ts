// emulator/src/events.ts against real kernel lines and against malformed ones.
import { describe, expect, it } from 'vitest';
import { EventError, isEvent, parseEvent, parseEvents } from '../../src/events.ts';

const HEALTH = '"inference_latency_p99_us":23,"inference_latency_p99_ns":23984,"memory_footprint_bytes":4080,"test_accuracy":0.982000,"correct":491,"count":500,"inferences":500,"passed":true,"failed_gate":null,"checked_at":1796168009,"duration_us":6625';
const MODEL = `{"version":"v1.0.0","hash":"sha256:${'a'.repeat(64)}","signature":"ed25519:${'b'.repeat(128)}","signer":"0ee8dd0c6caa834f","status":"active","loaded_at":1,"health":{${HEALTH}}}`;
const LINES = [
  '{"v":1,"t":"boot","ts_us":124202,"version":"0.1.0","source":"x","features":["ai-ops"],"ram":134217728,"disks":[],"rootfs":{"mounted":false,"formatted":false,"reason":"no system disk (blk0)"}}',
  `{"v":1,"t":"health","ts_us":5,"version":"v1.0.0",${HEALTH}}`,
  `{"v":1,"t":"registry","ts_us":6,"op":"swap","registry":{"format":1,"models":[${MODEL}],"active":"v1.0.0","shadow":null,"rollback":null}}`,
  '{"v":1,"t":"rollback","ts_us":7,"from":"v1.1.0","to":null,"reason":"r"}',
  '{"v":1,"t":"log","ts_us":8,"level":"error","msg":"m"}',
  '{"v":1,"t":"decision","ts_us":9,"anything":1}',
];

describe('event schema v1', () => {
  it('parses the kernel event types and keeps unknown types', () => {
    const ev = parseEvents(LINES.join('\n') + '\n\n');
    expect(ev.map((e) => e.t)).toEqual(['boot', 'health', 'registry', 'rollback', 'log', 'decision']);
    const r = ev[2];
    expect(isEvent(r, 'registry') && r.registry.models[0].health?.test_accuracy).toBe(0.982);
  });

  it('refuses malformed events with the member that is wrong', () => {
    const bad: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[1]', /JSON object/],
      ['{"v":2,"t":"boot","ts_us":1}', /schema version 2/],
      ['{"v":1,"ts_us":1}', /member t/],
      ['{"v":1,"t":"log","ts_us":"1"}', /member ts_us/],
      [`{"v":1,"t":"health","ts_us":5,"version":"v",${HEALTH.replace('"passed":true', '"passed":1')}}`, /passed/],
      [`{"v":1,"t":"health","ts_us":5,"version":"v",${HEALTH.replace('"failed_gate":null', '"failed_gate":"speed"')}}`, /failed_gate/],
      [LINES[2].replace('"signer":"0ee8dd0c6caa834f"', '"signer":"0ee8"'), /signer/],
      [LINES[2].replace('"status":"active"', '"status":"on"'), /status/],
      [LINES[2].replace('"shadow":null', '"shadow":3'), /shadow/],
      [LINES[2].replace('"format":1', '"format":2'), /format/],
      ['{"v":1,"t":"rollback","ts_us":7,"from":"a","to":"b"}', /reason/],
    ];
    for (const [line, re] of bad) expect(() => parseEvent(line), line).toThrow(re);
    expect(() => parseEvent('{')).toThrow(EventError);
  });
});
