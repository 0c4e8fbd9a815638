// The translator's WebAssembly encoder (emulator/src/jit/wasm.ts): LEB128 against the
// published examples (DWARF 5 section 7.6 / the WebAssembly spec's LEB128 definition) and
// against a BigInt reference, and modules that WebAssembly.validate accepts and that run.
import { describe, expect, it } from 'vitest';
import { Bytes, Code, I64, Op, PlanCode, encodeModule } from '../../src/jit/wasm.ts';

const hex = (b: Bytes) => Buffer.from(b.done()).toString('hex');

describe('jit wasm encoder', () => {
  it('LEB128: the DWARF examples, unsigned and signed', () => {
    const u = (v: number) => { const b = new Bytes(); b.u32(v); return hex(b); };
    const s = (v: number) => { const b = new Bytes(); b.s32(v); return hex(b); };
    expect(u(2)).toBe('02'); expect(u(127)).toBe('7f'); expect(u(128)).toBe('8001');
    expect(u(129)).toBe('8101'); expect(u(130)).toBe('8201'); expect(u(12857)).toBe('b964');
    expect(u(624485)).toBe('e58e26'); expect(u(0xffffffff)).toBe('ffffffff0f');
    expect(s(2)).toBe('02'); expect(s(-2)).toBe('7e'); expect(s(127)).toBe('ff00'); expect(s(-127)).toBe('817f');
    expect(s(128)).toBe('8001'); expect(s(-128)).toBe('807f'); expect(s(129)).toBe('8101'); expect(s(-129)).toBe('ff7e');
    expect(s(-123456)).toBe('c0bb78');
  });

  it('i64 constants: the number path equals the BigInt path', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20000; i++) {
      const v = Math.floor((rnd() - 0.5) * 2 ** (rnd() * 54));
      const a = new Code(); a.i64(v);
      const b = new Code(); b.i64(BigInt(v));
      expect(hex(a), String(v)).toBe(hex(b));
    }
    const c = new Code(); c.i64(-(1n << 63n)); expect(hex(c)).toBe('42' + '8080808080808080807f');
  });

  it('i64 constants: numbers and BigInts around every writer boundary equal a plain BigInt LEB128', () => {
    // reference: signed LEB128 by the definition (7 bits at a time until the rest is the sign)
    const ref = (v: bigint) => {
      let x = BigInt.asIntN(64, v); const out: number[] = [0x42];
      for (;;) {
        const b = Number(x & 0x7fn); x >>= 7n;
        if ((x === 0n && !(b & 0x40)) || (x === -1n && (b & 0x40))) { out.push(b); break; }
        out.push(b | 0x80);
      }
      return Buffer.from(out).toString('hex');
    };
    const vals: bigint[] = [];
    for (const e of [6n, 7n, 13n, 14n, 20n, 21n, 27n, 28n, 31n, 32n, 34n, 35n, 41n, 42n, 48n, 49n, 52n, 53n, 55n, 56n, 62n, 63n]) {
      for (const d of [-2n, -1n, 0n, 1n]) { vals.push((1n << e) + d); vals.push(-(1n << e) + d); }
    }
    vals.push(0n, -1n, (1n << 64n) - 1n, 0x8000_0000_0000_0000n);
    for (const v of vals) {
      const b = new Code(); b.i64(v);
      expect(hex(b), String(v)).toBe(ref(v));
      if (v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n) { const n = new Code(); n.i64(Number(v)); expect(hex(n), String(v)).toBe(ref(v)); }
    }
  });

  it('PlanCode keeps no bytes but tracks the block depth like Code', () => {
    const p = new PlanCode(0), c = new Code();
    for (const x of [p, c]) x.block().loop().get(3).i64(1n << 60n).i64(5).op(Op.i64_add).i32(-7).if().end().mem(Op.i64_load, 24).end();
    expect(p.len).toBe(0);
    expect(p.depth).toBe(1);
    expect(c.depth).toBe(1);
    expect(c.len).toBeGreaterThan(10);
  });

  it('a module with an imported mutable global and a tail call validates and runs', () => {
    // f(n) = n == 0 ? g : (g += n, f(n - 1)) with return_call
    const body = new Code();
    body.get(0).op(Op.i64_eqz).if().gget(0).op(Op.return).end();
    body.gget(0).get(0).op(Op.i64_add).gset(0);
    body.get(0).i64(1).op(Op.i64_sub).op(Op.return_call); body.u32(0);
    const bytes = encodeModule([{ params: [I64], results: [I64] }],
      [{ module: 'm', name: 'g', kind: 'global', type: I64, mutable: true }],
      [{ type: 0, export: 'f', locals: [], body }]);
    expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);
    const g = new WebAssembly.Global({ value: 'i64', mutable: true }, 0n);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { m: { g } });
    expect((inst.exports.f as (n: bigint) => bigint)(100000n)).toBe(5000050000n);
  });
});
