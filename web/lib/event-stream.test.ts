import { describe, expect, it } from 'vitest';
import { EventStream, MAX_LINE } from './event-stream.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const boot = '{"v":1,"t":"boot","ts_us":5,"version":"0.1","source":"x","features":[],"ram":1,"disks":[],"rootfs":{"mounted":true,"formatted":false}}';
const log = '{"v":1,"t":"log","ts_us":7,"level":"info","msg":"h\u00e9"}';

describe('event stream parser', () => {
  it('joins lines split across chunks, even inside a UTF-8 sequence', () => {
    const s = new EventStream();
    const bytes = enc(`${boot}\n${log}\n`);
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of é
    const a = s.push(bytes.subarray(0, cut));
    expect(a.events.map((e) => e.t)).toEqual(['boot']);
    expect(s.pending.length).toBeGreaterThan(0);
    const b = s.push(bytes.subarray(cut));
    expect(b.events).toHaveLength(1);
    expect((b.events[0] as { msg: string }).msg).toBe('hé');
    expect(s.pending).toBe('');
  });

  it('reports a bad line with its reason and keeps the lines after it', () => {
    const s = new EventStream();
    const r = s.push(enc(`not json\n{"v":2,"t":"log","ts_us":1}\n{"v":1,"t":"log","ts_us":1,"level":"x"}\n${log}\r\n\n`));
    expect(r.events.map((e) => e.t)).toEqual(['log']);
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^not JSON/),
      expect.stringMatching(/schema version 2/),
      expect.stringMatching(/member msg is not a string/),
    ]);
  });

  it('keeps unknown event types (later kernels add types)', () => {
    const r = new EventStream().push(enc('{"v":1,"t":"decision","ts_us":3,"x":1}\n'));
    expect(r.errors).toEqual([]);
    expect(r.events[0].t).toBe('decision');
  });

  it('cuts a runaway line and says so', () => {
    const s = new EventStream();
    const r = s.push(enc('x'.repeat(MAX_LINE + 10)));
    expect(r.errors[0].message).toMatch(/longer than/);
    expect(s.pending).toBe('');
    expect(s.push(enc(`${log}\n`)).events).toHaveLength(1);
  });
});
