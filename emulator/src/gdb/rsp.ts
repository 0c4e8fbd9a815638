// GDB Remote Serial Protocol framing (GDB manual, "Remote Protocol" ->
// "Overview"): `$data#cc` packets with a modulo-256 checksum, `+`/`-`
// acknowledgements (until QStartNoAckMode), 0x03 as an out-of-band
// interrupt, `}` escapes (byte ^ 0x20) in binary data. Packet data is
// handled as latin1 strings so binary payloads (the X packet) survive.

export function checksum(data: string): number {
  let c = 0;
  for (let i = 0; i < data.length; i++) c = (c + data.charCodeAt(i)) & 0xff;
  return c;
}

/** Frames `data` as a packet, escaping the characters the protocol reserves. */
export function framePacket(data: string): string {
  let out = '';
  for (const ch of data) {
    if (ch === '$' || ch === '#' || ch === '}' || ch === '*') out += '}' + String.fromCharCode(ch.charCodeAt(0) ^ 0x20);
    else out += ch;
  }
  return `$${out}#${checksum(out).toString(16).padStart(2, '0')}`;
}

/** Undoes `}` escapes (binary data in X packets). */
export function unescapeBinary(data: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c === 0x7d && i + 1 < data.length) out.push(data.charCodeAt(++i) ^ 0x20);
    else out.push(c & 0xff);
  }
  return Uint8Array.from(out);
}

export type RspEvent = { kind: 'packet'; data: string } | { kind: 'interrupt' } | { kind: 'bad'; data: string };

/** Incremental decoder for the byte stream from GDB. */
export class RspDecoder {
  private buf = '';

  /** Feeds bytes; returns the complete events found (acks are dropped). */
  push(bytes: Uint8Array): RspEvent[] {
    this.buf += Buffer.from(bytes).toString('latin1');
    const out: RspEvent[] = [];
    for (;;) {
      // skip acks and noise before a packet; 0x03 is an interrupt wherever it appears between packets
      let i = 0;
      while (i < this.buf.length && this.buf[i] !== '$') {
        if (this.buf.charCodeAt(i) === 0x03) out.push({ kind: 'interrupt' });
        i++;
      }
      this.buf = this.buf.slice(i);
      if (!this.buf.length) break;
      const hash = this.buf.indexOf('#');
      if (hash < 0 || hash + 2 >= this.buf.length) break; // incomplete
      const data = this.buf.slice(1, hash);
      const sum = parseInt(this.buf.slice(hash + 1, hash + 3), 16);
      this.buf = this.buf.slice(hash + 3);
      out.push(sum === checksum(data) ? { kind: 'packet', data } : { kind: 'bad', data });
    }
    return out;
  }
}

export const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const bytesOfHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

/** A 64-bit value as 8 little-endian bytes in hex (GDB's register encoding). */
export function le64(v: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b.toString('hex');
}
export function le32(v: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b.toString('hex');
}
export function parseLe(hex: string): bigint {
  const b = Buffer.from(hex, 'hex');
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}
