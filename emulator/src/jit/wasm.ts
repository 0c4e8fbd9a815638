// A small WebAssembly binary encoder (WebAssembly Core Specification 2.0, section 5
// "Binary format"): LEB128 numbers, the module preamble, the type, import, function,
// export and code sections, and a function-body builder with the instructions the
// A64 translator emits. Nothing here knows about A64.

export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;
export const VOID = 0x40; // empty block type

export const Op = {
  unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, return: 0x0f, call: 0x10, return_call: 0x12, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i64_load8_u: 0x31, i64_load16_u: 0x33, i64_load32_u: 0x35,
  i64_store: 0x37, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_u: 0x49, i32_le_u: 0x4d,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_u: 0x56,
  i64_le_u: 0x58, i64_ge_u: 0x5a, i64_gt_s: 0x55, i64_ge_s: 0x59, i32_gt_s: 0x4a, i32_ge_s: 0x4e,
  i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76,
  i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88,
  i64_rotr: 0x8a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e,
  f64_eq: 0x61, f64_lt: 0x63, f64_gt: 0x64, f64_le: 0x65, f64_ge: 0x66, f64_add: 0xa0, f64_sub: 0xa1, f64_mul: 0xa2, f64_div: 0xa3,
  f64_convert_i32_s: 0xb7, f64_convert_i32_u: 0xb8, f64_convert_i64_s: 0xb9, f64_convert_i64_u: 0xba,
  i64_reinterpret_f64: 0xbd, f64_reinterpret_i64: 0xbf,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

/** A growable byte buffer with LEB128 writers. */
export class Bytes {
  buf: Uint8Array;
  len = 0;
  constructor(capacity = 256) { this.buf = new Uint8Array(Math.max(capacity, 1)); }
  byte(b: number): void {
    if (this.len === this.buf.length) {
      const n = new Uint8Array(this.buf.length * 2);
      n.set(this.buf);
      this.buf = n;
    }
    this.buf[this.len++] = b;
  }
  bytes(b: ArrayLike<number>): void {
    if (b instanceof Uint8Array && b.length > 16) {
      let cap = this.buf.length;
      while (cap < this.len + b.length) cap *= 2;
      if (cap !== this.buf.length) {
        const n = new Uint8Array(cap);
        n.set(this.buf.subarray(0, this.len));
        this.buf = n;
      }
      this.buf.set(b, this.len);
      this.len += b.length;
      return;
    }
    for (let i = 0; i < b.length; i++) this.byte(b[i]);
  }
  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }
  s64(v: bigint): void {
    v = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }
  name(s: string): void {
    const e = new TextEncoder().encode(s);
    this.u32(e.length);
    this.bytes(e);
  }
  /** Appends `inner` prefixed by its length. */
  sized(inner: Bytes): void {
    this.u32(inner.len);
    this.bytes(inner.buf.subarray(0, inner.len));
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A function body under construction. */
export class Code extends Bytes {
  /** Structured blocks open now (if/block/loop minus end), for branch depths. */
  depth = 0;
  op(o: number): this { this.byte(o); return this; }
  i32(v: number): this { this.byte(Op.i32_const); this.s32(v); return this; }
  i64(v: bigint | number): this {
    this.byte(Op.i64_const);
    // the same (shortest) LEB128 whichever writer: the 32-bit one where the value fits, no BigInt
    // arithmetic for any value below 2^53 in magnitude
    if (typeof v === 'bigint' && v >= -MAX_SAFE && v <= MAX_SAFE) v = Number(v);
    if (typeof v === 'number' && (v | 0) === v) this.s32(v);
    else if (typeof v === 'number' && Number.isSafeInteger(v)) this.sNum(v);
    else this.s64(BigInt(v));
    return this;
  }
  /** Signed LEB128 of a safe integer without BigInt. */
  private sNum(v: number): void {
    for (;;) {
      const b = ((v % 128) + 128) % 128;
      v = Math.floor(v / 128);
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }
  get(l: number): this { this.byte(Op.local_get); this.u32(l); return this; }
  set(l: number): this { this.byte(Op.local_set); this.u32(l); return this; }
  tee(l: number): this { this.byte(Op.local_tee); this.u32(l); return this; }
  gget(g: number): this { this.byte(Op.global_get); this.u32(g); return this; }
  gset(g: number): this { this.byte(Op.global_set); this.u32(g); return this; }
  call(f: number): this { this.byte(Op.call); this.u32(f); return this; }
  /** load/store with memarg (alignment hint 0: never traps, any address). */
  mem(o: number, offset = 0): this { this.byte(o); this.u32(0); this.u32(offset); return this; }
  if(type: number = VOID): this { this.byte(Op.if); this.byte(type); this.depth++; return this; }
  else(): this { this.byte(Op.else); return this; }
  end(): this { this.byte(Op.end); this.depth--; return this; }
  loop(): this { this.byte(Op.loop); this.byte(VOID); this.depth++; return this; }
  block(): this { this.byte(Op.block); this.byte(VOID); this.depth++; return this; }
  br(depth: number): this { this.byte(Op.br); this.u32(depth); return this; }
  br_if(depth: number): this { this.byte(Op.br_if); this.u32(depth); return this; }
}

export interface FuncType { params: ValType[]; results: ValType[] }
export type Import =
  | { module: string; name: string; kind: 'func'; type: number }
  | { module: string; name: string; kind: 'memory'; min: number }
  | { module: string; name: string; kind: 'global'; type: ValType; mutable: boolean };

/**
 * A module template: everything but the code section is fixed (types, imports, one
 * function of type `type` exported as `exportName`), encoded once; `module(body)` appends
 * the code section for one body. Translated blocks all share one template.
 */
export class OneFunctionModule {
  private readonly prefix: Uint8Array;
  private readonly localsBytes: Uint8Array;
  constructor(types: FuncType[], imports: Import[], type: number, exportName: string, locals: [number, ValType][]) {
    const full = encodeModule(types, imports, [{ type, export: exportName, locals: [], body: new Code() }]);
    // the code section is the last one: id 10, size, count 1, body size, 0 locals, end
    this.prefix = full.subarray(0, full.length - 6).slice();
    const l = new Bytes();
    l.u32(locals.length);
    for (const [n, t] of locals) { l.u32(n); l.byte(t); }
    this.localsBytes = l.done();
  }
  module(body: Code): Uint8Array {
    const bodyLen = this.localsBytes.length + body.len + 1;
    const sec = new Bytes();
    sec.u32(1);
    sec.u32(bodyLen);
    const secLen = sec.len + bodyLen;
    const head = new Bytes();
    head.byte(10);
    head.u32(secLen);
    const out = new Uint8Array(this.prefix.length + head.len + sec.len + bodyLen);
    let o = 0;
    out.set(this.prefix, o); o += this.prefix.length;
    out.set(head.buf.subarray(0, head.len), o); o += head.len;
    out.set(sec.buf.subarray(0, sec.len), o); o += sec.len;
    out.set(this.localsBytes, o); o += this.localsBytes.length;
    out.set(body.buf.subarray(0, body.len), o); o += body.len;
    out[o] = Op.end;
    return out;
  }
}

const headCache = new Map<FuncType[], Map<Import[], Uint8Array>>();
const localsCache = new Map<[number, ValType][], Uint8Array>();

/** One module: imports, one defined function per entry of `funcs` (all exported by name). */
export function encodeModule(
  types: FuncType[],
  imports: Import[],
  funcs: { type: number; export: string; locals: [number, ValType][]; body: Code }[],
): Uint8Array {
  const out = new Bytes();
  const section = (id: number, fill: (s: Bytes) => void) => {
    const s = new Bytes(id === 10 ? 4096 : 256);
    fill(s);
    out.byte(id);
    out.sized(s);
  };
  // preamble, type and import sections: the same for every module of one (types, imports) pair
  let head = headCache.get(types)?.get(imports);
  if (!head) {
    const h = new Bytes();
    h.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const sec = (id: number, fill: (s: Bytes) => void) => { const s = new Bytes(); fill(s); h.byte(id); h.sized(s); };
    sec(1, (s) => {
      s.u32(types.length);
      for (const t of types) {
        s.byte(0x60);
        s.u32(t.params.length); s.bytes(t.params);
        s.u32(t.results.length); s.bytes(t.results);
      }
    });
    sec(2, (s) => {
      s.u32(imports.length);
      for (const im of imports) {
        s.name(im.module); s.name(im.name);
        if (im.kind === 'func') { s.byte(0); s.u32(im.type); }
        else if (im.kind === 'memory') { s.byte(2); s.byte(0); s.u32(im.min); }
        else { s.byte(3); s.byte(im.type); s.byte(im.mutable ? 1 : 0); }
      }
    });
    head = h.done();
    if (!headCache.has(types)) headCache.set(types, new Map());
    headCache.get(types)!.set(imports, head);
  }
  out.bytes(head);
  const nImportedFuncs = imports.filter((i) => i.kind === 'func').length;
  section(3, (s) => {
    s.u32(funcs.length);
    for (const f of funcs) s.u32(f.type);
  });
  section(7, (s) => {
    s.u32(funcs.length);
    funcs.forEach((f, i) => { s.name(f.export); s.byte(0); s.u32(nImportedFuncs + i); });
  });
  section(10, (s) => {
    s.u32(funcs.length);
    for (const f of funcs) {
      // size, locals, the body's bytes, end: written in place
      let locals = localsCache.get(f.locals);
      if (!locals) {
        const l = new Bytes(64);
        l.u32(f.locals.length);
        for (const [n, t] of f.locals) { l.u32(n); l.byte(t); }
        locals = l.done();
        localsCache.set(f.locals, locals);
      }
      s.u32(locals.length + f.body.len + 1);
      s.bytes(locals);
      s.bytes(f.body.buf.subarray(0, f.body.len));
      s.byte(Op.end);
    }
  });
  return out.done();
}

/**
 * A Code that keeps no bytes: for a planning pass that only needs what the emitters note on the
 * side (extent, registers, flags) and the block depth.
 */
export class PlanCode extends Code {
  override byte(_b: number): void {}
  override bytes(_b: ArrayLike<number>): void {}
  override u32(_v: number): void {}
  override s32(_v: number): void {}
  override s64(_v: bigint): void {}
  override i64(_v: bigint | number): this { return this; }
}
