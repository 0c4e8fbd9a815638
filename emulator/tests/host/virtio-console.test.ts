// virtio-console (one port) driven through the transport, both directions.
import { describe, expect, it } from 'vitest';
import { VirtioConsole } from '../../src/devices/virtio-console.ts';
import { REG } from '../../src/devices/virtio-mmio.ts';
import { TestDriver } from './virtio-driver.ts';

function setup() {
  const out: string[] = [];
  const con = new VirtioConsole((b) => out.push(new TextDecoder().decode(b)));
  const d = new TestDriver(con);
  expect(d.init([], 2)).toBe(true);
  return { con, d, out };
}

describe('virtio-console', () => {
  it('is device 3 with two queues', () => {
    const { d } = setup();
    expect(d.r(REG.DeviceID)).toBe(3);
    d.w(REG.QueueSel, 1);
    expect(d.r(REG.QueueNumMax)).toBe(128);
    d.w(REG.QueueSel, 2);
    expect(d.r(REG.QueueNumMax)).toBe(0);
  });

  it('hands guest output on the transmit queue to the host', () => {
    const { d, out } = setup();
    d.post(1, [{ data: new TextEncoder().encode('{"v":1,') }, { data: new TextEncoder().encode('"t":"boot"}\n') }]);
    d.notify(1);
    expect(out).toEqual(['{"v":1,"t":"boot"}\n']);
    expect(d.used(1)).toEqual([{ id: 0, len: 0 }]);
    expect(d.irq.level).toBe(true);
  });

  it('queues host input until the guest posts receive buffers, splitting as needed', () => {
    const { con, d } = setup();
    con.input(new TextEncoder().encode('hello, guest'));
    expect(con.pendingBytes).toBe(12);
    const [a] = d.post(0, [{ data: 5 }]);
    const [b] = d.post(0, [{ data: 64 }]);
    d.notify(0);
    expect(d.used(0)).toEqual([{ id: 0, len: 5 }, { id: 1, len: 7 }]);
    expect(new TextDecoder().decode(d.bytes(a, 5))).toBe('hello');
    expect(new TextDecoder().decode(d.bytes(b, 7))).toBe(', guest');
    expect(con.pendingBytes).toBe(0);
    // a buffer already posted takes input at once
    const [c] = d.post(0, [{ data: 8 }]);
    d.notify(0);
    con.input(new TextEncoder().encode('more'));
    expect(d.used(0)).toEqual([{ id: 2, len: 4 }]);
    expect(new TextDecoder().decode(d.bytes(c, 4))).toBe('more');
  });

  it('drops pending input on device reset', () => {
    const { con, d } = setup();
    con.input(new TextEncoder().encode('stale'));
    d.w(REG.Status, 0);
    expect(con.pendingBytes).toBe(0);
  });
});
