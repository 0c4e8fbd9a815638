// model.bin / golden.bin / model.sig: round trips and every refusal rule of docs/MODEL-FORMAT.md.
import { describe, expect, it } from 'vitest';
import {
  FormatError, decodeGolden, decodeModel, decodeSig, encodeGolden, encodeModel, encodeSig, headerSize,
  signedMessage, versionNameProblem, KIND_GOLDEN, KIND_MODEL, type GoldenSet,
} from '../src/format.ts';
import { randomModel, randomModelBytes, setF32, setU16, setU32 } from './helpers.ts';

function refusedAs(fn: () => unknown, rule: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a refusal: ${rule}`).toBeInstanceOf(FormatError);
  expect((err as FormatError).rule).toBe(rule);
}

describe('model.bin', () => {
  it('round-trips every weight and bias bit for bit, with the documented header', () => {
    const m = randomModel();
    const bytes = encodeModel(m);
    const params = 6 * 7 + 6 + 4 * 6 + 4 + 5 * 4 + 5;
    expect(bytes.length).toBe(32 + 8 * 3 + 4 * params);
    const dv = new DataView(bytes.buffer);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('SISM');
    expect(dv.getUint16(4, true)).toBe(1);
    expect(dv.getUint16(6, true)).toBe(56);
    expect(dv.getUint32(8, true)).toBe(0);
    expect(dv.getUint16(12, true)).toBe(3);
    expect(dv.getUint16(14, true)).toBe(7);
    expect(dv.getUint32(16, true)).toBe(params);
    expect(dv.getUint32(20, true)).toBe(4 * params);
    // layer table entry 1: in 6, out 4, relu; payload starts with W0[0][0]
    expect([dv.getUint16(40, true), dv.getUint16(42, true), bytes[44]]).toEqual([6, 4, 1]);
    expect(bytes[32 + 16 + 4]).toBe(2);
    expect(dv.getFloat32(56, true)).toBe(m.layers[0].weights[0]);
    // biases of layer 0 follow its 42 weights
    expect(dv.getFloat32(56 + 4 * 42, true)).toBe(m.layers[0].biases[0]);
    const back = decodeModel(bytes, { task: true });
    expect(back.inputDim).toBe(7);
    back.layers.forEach((l, k) => {
      expect(Buffer.from(l.weights.buffer).equals(Buffer.from(m.layers[k].weights.buffer))).toBe(true);
      expect(Buffer.from(l.biases.buffer).equals(Buffer.from(m.layers[k].biases.buffer))).toBe(true);
      expect([l.in, l.out, l.activation]).toEqual([m.layers[k].in, m.layers[k].out, m.layers[k].activation]);
    });
    expect(encodeModel(back)).toEqual(bytes);
  });

  const good = randomModelBytes();
  const L = 3;
  const cases: [string, () => Uint8Array, string][] = [
    ['empty file', () => new Uint8Array(0), 'truncated header'],
    ['31 bytes', () => good.slice(0, 31), 'truncated header'],
    ['bad magic', () => { const b = good.slice(); b[3] = 0x4e; return b; }, 'bad magic'],
    ['golden magic', () => { const b = good.slice(); b.set([0x53, 0x49, 0x53, 0x44]); return b; }, 'bad magic'],
    ['format version 2', () => setU16(good, 4, 2), 'unsupported format version'],
    ['format version 0', () => setU16(good, 4, 0), 'unsupported format version'],
    ['unknown flags', () => setU32(good, 8, 1), 'unknown flags'],
    ['flags high bit', () => setU32(good, 8, 0x80000000), 'unknown flags'],
    ['0 layers', () => setU16(good, 12, 0), 'num_layers out of range'],
    ['9 layers', () => setU16(good, 12, 9), 'num_layers out of range'],
    ['larger header_size (a later version)', () => setU16(good, 6, headerSize(L) + 8), 'header_size mismatch'],
    ['smaller header_size', () => setU16(good, 6, 32), 'header_size mismatch'],
    ['reserved header byte 24', () => { const b = good.slice(); b[24] = 1; return b; }, 'reserved bytes not zero'],
    ['reserved header byte 31', () => { const b = good.slice(); b[31] = 0x80; return b; }, 'reserved bytes not zero'],
    ['input_dim 0', () => setU16(good, 14, 0), 'input_dim out of range'],
    ['input_dim 1025', () => setU16(good, 14, 1025), 'input_dim out of range'],
    ['layer table cut off', () => good.slice(0, 40), 'truncated header'],
    ['layer reserved byte', () => { const b = good.slice(); b[32 + 8 + 6] = 1; return b; }, 'reserved bytes not zero'],
    ['layer out 0', () => setU16(good, 32 + 2, 0), 'layer shape out of range'],
    ['layer in 1025', () => setU16(good, 40, 1025), 'layer shape out of range'],
    ['layer 0 in != input_dim', () => setU16(good, 32, 6), 'layer chain inconsistent'],
    ['layer 1 in != layer 0 out', () => setU16(good, 40, 5), 'layer chain inconsistent'],
    ['unknown activation 3', () => { const b = good.slice(); b[40 + 4] = 3; return b; }, 'unknown activation'],
    ['softmax in a hidden layer', () => { const b = good.slice(); b[32 + 4] = 2; return b; }, 'softmax not last'],
    ['last layer relu', () => { const b = good.slice(); b[48 + 4] = 1; return b; }, 'last layer not softmax'],
    ['last layer identity', () => { const b = good.slice(); b[48 + 4] = 0; return b; }, 'last layer not softmax'],
    ['param_count off by one', () => setU32(good, 16, 102), 'param_count mismatch'],
    ['payload_bytes off by four', () => setU32(good, 20, 4 * 101 + 4), 'payload_bytes mismatch'],
    ['truncated payload', () => good.slice(0, good.length - 1), 'file size mismatch'],
    ['trailing byte', () => { const b = new Uint8Array(good.length + 1); b.set(good); return b; }, 'file size mismatch'],
    ['NaN weight', () => setF32(good, 56 + 4 * 5, NaN), 'non-finite parameter'],
    ['+Inf bias', () => setF32(good, good.length - 4, Infinity), 'non-finite parameter'],
    ['-Inf weight', () => setF32(good, 56, -Infinity), 'non-finite parameter'],
  ];
  it('the fixture is valid and its param count is what the cases assume', () => {
    expect(new DataView(good.buffer).getUint32(16, true)).toBe(101);
    expect(() => decodeModel(good)).not.toThrow();
  });
  for (const [what, make, rule] of cases) {
    it(`refuses: ${what} (${rule})`, () => refusedAs(() => decodeModel(make()), rule));
  }

  it('a huge payload_bytes in a short file is refused before anything is allocated for it', () => {
    // header claims 8 layers of 1024x1024 but the file is only the header: size rule, no allocation
    const b = new Uint8Array(headerSize(8));
    const dv = new DataView(b.buffer);
    b.set([0x53, 0x49, 0x53, 0x4d]);
    dv.setUint16(4, 1, true);
    dv.setUint16(6, headerSize(8), true);
    dv.setUint16(12, 8, true);
    dv.setUint16(14, 1024, true);
    for (let k = 0; k < 8; k++) {
      dv.setUint16(32 + 8 * k, 1024, true);
      dv.setUint16(34 + 8 * k, 1024, true);
      b[36 + 8 * k] = k === 7 ? 2 : 1;
    }
    const params = 8 * (1024 * 1024 + 1024);
    dv.setUint32(16, params, true);
    dv.setUint32(20, 4 * params, true);
    refusedAs(() => decodeModel(b), 'file size mismatch');
  });

  it('a valid model of another task is a format-valid file but not a v1 task model', () => {
    const other = encodeModel(randomModel(3, [4, 3, 2]));
    expect(() => decodeModel(other)).not.toThrow();
    refusedAs(() => decodeModel(other, { task: true }), 'not a v1 task model');
  });

  it('the writer refuses what the reader would refuse', () => {
    const m = randomModel();
    m.layers[1].weights[0] = NaN;
    refusedAs(() => encodeModel(m), 'non-finite parameter');
  });
});

describe('golden.bin', () => {
  const set: GoldenSet = {
    inputDim: 7,
    numActions: 5,
    inputs: [Float32Array.of(0, 0.5, 1, 0.25, 0.125, 0.75, 1 / 3), Float32Array.of(1, 1, 1, 1, 1, 1, 1)],
    labels: [4, 0],
  };
  const good = encodeGolden(set);
  it('round-trips with the documented layout', () => {
    expect(good.length).toBe(16 + 2 * 32);
    expect(String.fromCharCode(...good.subarray(0, 4))).toBe('SISD');
    const dv = new DataView(good.buffer);
    expect([dv.getUint16(4, true), dv.getUint16(6, true), dv.getUint16(8, true), dv.getUint16(10, true), dv.getUint32(12, true)]).toEqual([1, 7, 5, 0, 2]);
    expect(dv.getFloat32(16 + 4, true)).toBe(0.5);
    expect(dv.getUint32(16 + 28, true)).toBe(4);
    const back = decodeGolden(good, { task: true });
    expect(back.labels).toEqual([4, 0]);
    expect(Array.from(back.inputs[0])).toEqual(Array.from(set.inputs[0]));
  });
  const cases: [string, () => Uint8Array, string][] = [
    ['15 bytes', () => good.slice(0, 15), 'truncated header'],
    ['a model file', () => randomModelBytes(), 'bad magic'],
    ['version 2', () => setU16(good, 4, 2), 'unsupported format version'],
    ['input_dim 0', () => setU16(good, 6, 0), 'input_dim out of range'],
    ['num_actions 0', () => setU16(good, 8, 0), 'num_actions out of range'],
    ['reserved', () => setU16(good, 10, 1), 'reserved bytes not zero'],
    ['count 0', () => setU32(good, 12, 0), 'count out of range'],
    ['count 65537', () => setU32(good, 12, 65537), 'count out of range'],
    ['count 3 for 2 records', () => setU32(good, 12, 3), 'file size mismatch'],
    ['truncated record', () => good.slice(0, good.length - 1), 'file size mismatch'],
    ['label 5', () => setU32(good, 16 + 28, 5), 'label out of range'],
    ['NaN feature', () => setF32(good, 16 + 32 + 8, NaN), 'non-finite feature'],
  ];
  for (const [what, make, rule] of cases) {
    it(`refuses: ${what} (${rule})`, () => refusedAs(() => decodeGolden(make()), rule));
  }
  it('refuses a set for another task when the v1 task is required', () => {
    refusedAs(() => decodeGolden(setU16(good, 8, 6), { task: true }), 'not a v1 task golden set');
  });
});

describe('model.sig and the signed message', () => {
  const sig = { keyId: Uint8Array.from({ length: 8 }, (_, i) => i + 1), signature: Uint8Array.from({ length: 64 }, (_, i) => 255 - i) };
  const good = encodeSig(sig);
  it('is 80 bytes: SISS, version 1, algorithm 1, key id, R||S', () => {
    expect(good.length).toBe(80);
    expect(Array.from(good.subarray(0, 8))).toEqual([0x53, 0x49, 0x53, 0x53, 1, 0, 1, 0]);
    expect(decodeSig(good)).toEqual(sig);
  });
  it('refuses a wrong size, magic, version or algorithm', () => {
    refusedAs(() => decodeSig(good.slice(0, 79)), 'signature file size');
    refusedAs(() => decodeSig(new Uint8Array(81)), 'signature file size');
    refusedAs(() => decodeSig(Object.assign(good.slice(), { 0: 0x54 })), 'bad magic');
    refusedAs(() => decodeSig(setU16(good, 4, 2)), 'unsupported format version');
    refusedAs(() => decodeSig(setU16(good, 6, 2)), 'unknown signature algorithm');
  });
  it('the message is domain || kind || L || name || sha256(data) || sha256(manifest)', () => {
    const d1 = new Uint8Array(32).fill(0xaa);
    const d2 = new Uint8Array(32).fill(0xbb);
    const msg = signedMessage(KIND_MODEL, 'v1.0.0', d1, d2);
    expect(Buffer.from(msg.subarray(0, 16)).toString('ascii')).toBe('SIS-MODEL-SIG-v1');
    expect([msg[16], msg[17]]).toEqual([1, 6]);
    expect(Buffer.from(msg.subarray(18, 24)).toString('ascii')).toBe('v1.0.0');
    expect(msg.subarray(24, 56)).toEqual(d1);
    expect(msg.subarray(56, 88)).toEqual(d2);
    expect(msg.length).toBe(88);
    expect(signedMessage(KIND_GOLDEN, 'v1.0.0', d1, d2)[16]).toBe(2);
    refusedAs(() => signedMessage(3, 'v1', d1, d2), 'signature kind');
    refusedAs(() => signedMessage(KIND_MODEL, '', d1, d2), 'name length');
    refusedAs(() => signedMessage(KIND_MODEL, 'x'.repeat(33), d1, d2), 'name length');
  });
});

describe('version names', () => {
  it('accepts the sample names and the edges of the rule', () => {
    for (const n of ['v1.0.0', 'v2.0.0-shifted', 'a', '9', 'A_b+c-d.e', 'x'.repeat(32)]) expect(versionNameProblem(n), n).toBeNull();
  });
  it('refuses hostile and malformed names', () => {
    for (const n of ['', 'x'.repeat(33), '../x', 'a/b', '..', 'a..b', '.hidden', '-x', '_x', 'a b', 'a\nb', 'a\0b', 'v1\u00e9',
      'active', 'shadow', 'rollback', 'golden', 'registry.json', 'history.jsonl']) {
      expect(versionNameProblem(n), JSON.stringify(n)).not.toBeNull();
    }
  });
});
