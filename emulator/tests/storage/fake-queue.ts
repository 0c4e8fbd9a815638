// Guest-style virtio-blk requests through the real transport (TestDriver of
// the host tests): header, optional data out, optional data in, status.
import { TestDriver } from '../host/virtio-driver.ts';
import { VIRTIO_BLK_F_FLUSH, type VirtioBlk } from '../../src/devices/virtio-blk.ts';

export class FakeQueue {
  readonly d: TestDriver;
  constructor(blk: VirtioBlk) {
    this.d = new TestDriver(blk);
    if (!this.d.init([VIRTIO_BLK_F_FLUSH], 1)) throw new Error('virtio-blk refused the features');
  }

  request(type: number, sector: number, out?: Uint8Array, inLen = 0): { status: number; data: Uint8Array } {
    const h = new Uint8Array(16);
    const v = new DataView(h.buffer);
    v.setUint32(0, type, true);
    v.setBigUint64(8, BigInt(sector), true);
    const bufs = [{ data: h }, ...(out ? [{ data: out }] : []), ...(inLen ? [{ data: inLen }] : []), { data: 1 }];
    const addrs = this.d.post(0, bufs);
    this.d.notify(0);
    if (this.d.used(0).length !== 1) throw new Error('the request was not completed');
    return {
      status: this.d.bytes(addrs[addrs.length - 1], 1)[0],
      data: inLen ? this.d.bytes(addrs[addrs.length - 2], inLen) : new Uint8Array(0),
    };
  }
}
