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
  '{"v":1,"t":"future_type","ts_us":9,"anything":1}',
  '{"v":1,"t":"abort","ts_us":10,"version":"v2.0.0-shifted","mode":"compare","reason":"r","compared":20,"divergences":20,"divergence_rate":1.000000,"threshold":20,"trace_id":20,"production":"v1.0.0","registry_updated":true}',
  '{"v":1,"t":"drift","ts_us":11,"metric":"psi","feature":"cpu_usage","band":"moderate","version":"v1.0.0","psi":0.105045,"window":100}',
  '{"v":1,"t":"otel_batch","ts_us":12,"ok":false,"spans":100,"error":"writing batch: ENOSPC","files":3,"duration_us":1,"duration_ticks":62,"dropped_total":100}',
];

// Real lines of the decision loop (docs/EVENTS.md).
const LOOP = [
  '{"v":1,"t":"decision","ts_us":7115536,"id":26,"model":"v1.0.0","action":"throttle_workload","confidence":999,"executed":"throttle_workload","overridden":false,"reason":null,"health":100,"prev_id":25,"prev_reward":-230,"missed":1,"total_ns":198496}',
  '{"v":1,"t":"decision","ts_us":7,"id":1,"model":"reference","action":"none","confidence":1000,"executed":"none","overridden":false,"reason":null,"health":1000,"missed":0,"total_ns":22480}',
  '{"v":1,"t":"decision","ts_us":8,"id":2,"model":"v1.0.0","action":"reclaim_caches","confidence":725,"executed":"","overridden":true,"reason":"safe_mode","health":467,"prev_id":1,"prev_reward":0,"missed":0,"total_ns":183856}',
  '{"v":1,"t":"safe_mode","ts_us":12011230,"on":true,"reason":"operator","pending":0}',
  '{"v":1,"t":"pending","ts_us":49238950,"id":889,"trace_id":908,"action":"reclaim_caches","confidence":726,"queued":16}',
  '{"v":1,"t":"approval","ts_us":49238879,"id":873,"trace_id":892,"action":"reclaim_caches","result":"expired"}',
  '{"v":1,"t":"incident","ts_us":4810632,"id":"INC-20261201-001","path":"/incidents/INC-20261201-001.json","traces":2,"bytes":9623,"result":"written","removed":0}',
  '{"v":1,"t":"incident","ts_us":5,"id":"INC-20261201-007","path":"/incidents/INC-20261201-007.json","traces":32,"bytes":0,"result":"dropped","error":"ENOSPC","removed":0}',
  // a decision with a shadow in compare mode (the kernel's own line)
  '{"v":1,"t":"decision","ts_us":3802983,"id":10,"model":"v1.0.0","action":"none","confidence":999,"executed":"none","overridden":false,"reason":null,"health":1000,"prev_id":9,"prev_reward":0,"missed":0,"total_ns":306192,"shadow":{"version":"v1.1.0","mode":"compare","action":"none","confidence":999,"diverged":false,"counted":true,"canary":false,"compared":1,"divergences":0}}',
];

describe('event schema v1', () => {
  it('parses the kernel event types and keeps unknown types', () => {
    const ev = parseEvents(LINES.join('\n') + '\n\n');
    expect(ev.map((e) => e.t)).toEqual(['boot', 'health', 'registry', 'rollback', 'log', 'future_type', 'abort', 'drift', 'otel_batch']);
    const r = ev[2];
    expect(isEvent(r, 'registry') && r.registry.models[0].health?.test_accuracy).toBe(0.982);
  });

  it('parses the decision loop events', () => {
    const ev = parseEvents(LOOP.join('\n'));
    expect(ev.map((e) => e.t)).toEqual(['decision', 'decision', 'decision', 'safe_mode', 'pending', 'approval', 'incident', 'incident', 'decision']);
    const d = ev[0];
    expect(isEvent(d, 'decision') && d.prev_reward).toBe(-230);
    const i = ev[7];
    expect(isEvent(i, 'incident') && i.error).toBe('ENOSPC');
    const s = ev[8];
    expect(isEvent(s, 'decision') && s.shadow).toMatchObject({ version: 'v1.1.0', mode: 'compare', counted: true, compared: 1, divergences: 0 });
    expect(isEvent(d, 'decision') && d.shadow).toBeUndefined();
  });

  it('refuses malformed decision loop events', () => {
    const bad: [string, RegExp][] = [
      [LOOP[0].replace('"action":"throttle_workload"', '"action":"panic"'), /action "panic"/],
      [LOOP[0].replace('"executed":"throttle_workload"', '"executed":"x"'), /executed/],
      [LOOP[0].replace(',"prev_reward":-230', ''), /prev_id without prev_reward/],
      [LOOP[0].replace('"reason":null', '"reason":3'), /reason/],
      [LOOP[3].replace('"on":true', '"on":"yes"'), /member on/],
      [LOOP[4].replace('"trace_id":908', '"trace_id":"908"'), /trace_id/],
      [LOOP[5].replace('"result":"expired"', '"result":"later"'), /result/],
      [LOOP[7].replace(',"error":"ENOSPC"', ''), /member error/],
      [LOOP[6].replace('"result":"written"', '"result":"maybe"'), /result/],
      [LOOP[8].replace('"mode":"compare"', '"mode":"off"'), /shadow: mode "off"/],
      [LOOP[8].replace('"counted":true', '"counted":1'), /member counted/],
      [LOOP[8].replace(/"divergences":\d+/, '"divergences":999999'), /more divergences than comparisons/],
      [LOOP[8].replace(/"shadow":\{.*\}\}$/, '"shadow":null}'), /member shadow/],
    ];
    for (const [line, re] of bad) expect(() => parseEvent(line), line).toThrow(re);
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

// The answers of tracectl show --json / annotate / replay (docs/EVENTS.md).
const ANSWERS = [
  '{"v":1,"t":"trace","ts_us":9,"id":12,"ok":true,"trace":{"trace_id":12,"confidence":679}}',
  '{"v":1,"t":"trace","ts_us":9,"id":2000,"ok":false,"error":"tracectl: show: trace 2000 is not in the ring"}',
  '{"v":1,"t":"annotation","ts_us":9,"id":12,"ok":true,"label":"bad","note":"too late","path":"/feedback/annotations.jsonl","offset":0}',
  '{"v":1,"t":"replay","ts_us":9,"id":12,"ok":true,"version":"reference","hash":null,"recorded":{"model":"v1.0.0","action":"reclaim_caches","confidence":679},"replayed":{"action":"reclaim_caches","confidence":1000},"same":true}',
];

describe('answer events', () => {
  it('parses trace, annotation and replay answers, ok and refused', () => {
    const ev = parseEvents(ANSWERS.join('\n'));
    expect(ev.map((e) => e.t)).toEqual(['trace', 'trace', 'annotation', 'replay']);
    expect(isEvent(ev[0], 'trace') && ev[0].trace?.confidence).toBe(679);
    expect(isEvent(ev[1], 'trace') && ev[1].error).toMatch(/not in the ring/);
    expect(isEvent(ev[3], 'replay') && ev[3].replayed?.confidence).toBe(1000);
  });

  it('refuses malformed answers', () => {
    const bad: [string, RegExp][] = [
      [ANSWERS[0].replace('"trace_id":12', '"trace_id":13'), /trace 13 is not id 12/],
      [ANSWERS[0].replace(',"trace":{"trace_id":12,"confidence":679}', ''), /member trace/],
      [ANSWERS[1].replace(',"error":"tracectl: show: trace 2000 is not in the ring"', ''), /member error/],
      [ANSWERS[2].replace('"label":"bad"', '"label":"meh"'), /label "meh"/],
      [ANSWERS[2].replace('"offset":0', '"offset":"0"'), /member offset/],
      [ANSWERS[3].replace('"action":"reclaim_caches","confidence":1000', '"action":"x","confidence":1000'), /replayed: action "x"/],
      [ANSWERS[3].replace('"ok":true', '"ok":1'), /member ok/],
    ];
    for (const [line, re] of bad) expect(() => parseEvent(line), line).toThrow(re);
  });
});
