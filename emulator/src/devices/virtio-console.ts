// virtio-console backend (virtio 1.2 section 5.3), one port, no multiport:
// queue 0 (receiveq) carries host -> guest bytes in buffers the driver
// posts, queue 1 (transmitq) guest -> host bytes. QEMU: `-device
// virtio-serial-device -device virtconsole,chardev=c`. The architecture uses
// it for the kernel's JSON Lines event stream.
//
// Host input that finds no posted receive buffer waits in a queue and goes
// out as soon as the driver posts one (on its notify), so nothing is dropped.

import type { VirtioBackend, VirtioContext } from './virtio-mmio.ts';
import type { Virtqueue } from './virtqueue.ts';

export const VIRTIO_ID_CONSOLE = 3;
const RX = 0;
const TX = 1;

export class VirtioConsole implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly features: number[] = []; // no SIZE, MULTIPORT or EMERG_WRITE
  readonly queueCount = 2;
  readonly queueMaxSize = 128;
  private ctx: VirtioContext | null = null;
  private pending: Uint8Array[] = [];

  constructor(private readonly onOutput: (bytes: Uint8Array) => void) {}

  attach(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  configRead(offset: number, size: number): number {
    void offset;
    void size;
    return 0; // cols, rows, max_nr_ports, emerg_wr: all 0 without the features
  }

  configWrite(): void {}

  reset(): void {
    this.pending = [];
  }

  /** Bytes the guest has not taken yet. */
  get pendingBytes(): number {
    return this.pending.reduce((n, b) => n + b.length, 0);
  }

  /** Host -> guest. */
  input(bytes: Uint8Array): void {
    if (bytes.length) this.pending.push(bytes.slice());
    this.deliver();
  }

  private deliver(): void {
    const vq = this.ctx?.queue(RX);
    if (!vq || !this.pending.length) return;
    let any = false;
    while (this.pending.length) {
      const c = vq.pop();
      if (!c) break;
      let written = 0;
      const room = c.writable.reduce((n, s) => n + s.len, 0);
      while (this.pending.length && written < room) {
        const head = this.pending[0];
        const n = vq.writeAt(c, written, head.subarray(0, room - written));
        written += n;
        if (n === head.length) this.pending.shift();
        else this.pending[0] = head.subarray(n);
      }
      vq.push(c.head, written);
      any = true;
    }
    if (any) this.ctx!.used(RX);
  }

  notify(q: number, vq: Virtqueue, ctx: VirtioContext): void {
    if (q === RX) {
      this.deliver();
      return;
    }
    if (q !== TX) return;
    let any = false;
    for (let c = vq.pop(); c; c = vq.pop()) {
      const data = vq.read(c);
      if (data.length) this.onOutput(data);
      vq.push(c.head, 0);
      any = true;
    }
    if (any) ctx.used(TX);
  }
}
