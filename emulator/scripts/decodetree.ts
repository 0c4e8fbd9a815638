// The A64 decoding table's parser and code generator (emulator/decode/a64.decode; format in
// docs/EMULATOR.md, "The decoding table"). One table, two outputs:
// - AssemblyScript for the interpreter (emulator/assembly/decode.gen.ts): a 4096-entry
//   first-level table on bits 31:20 whose entry selects either a handler directly (when bits
//   31:20 decide the encoding and bits 19:0 hold only fields) or a generated decision tree on
//   the remaining bits; every leaf calls the handler named after its pattern, every miss
//   calls undefinedInsn - the one place an unallocated encoding becomes UNDEFINED.
// - TypeScript for the translator's front end (emulator/src/jit/decode.gen.ts): the same
//   tree returning a pattern id, the ids as constants and one extractor per named field.
// The table is rejected, with a message naming the line, when a line is not 32 bits wide,
// a field is redefined differently or leaves bits unexplained, or two patterns outside one
// `{ }` group match the same encoding (the message gives one such encoding).

export interface FieldPart { pos: number; len: number }
export interface Field { name: string; parts: FieldPart[]; signed: boolean; line: number }
export interface Pattern {
  name: string; // handler name; UNALLOC = a declared unallocated encoding
  mask: number; // fixed bits
  value: number;
  fields: string[]; // named fields this pattern's handler reads
  asm: string[] | null; // llvm-mc mnemonics this pattern may disassemble as (globs with *)
  group: number; // -1 outside groups, else the group's index
  line: number;
  order: number;
}
export interface Table { fields: Map<string, Field>; patterns: Pattern[]; names: string[] }

export class DecodeError extends Error {}

const UNALLOC = 'UNALLOC';

function fail(line: number, msg: string): never {
  throw new DecodeError(`a64.decode:${line}: ${msg}`);
}

function fieldDef(f: Field): string {
  return f.parts.map((p, i) => `${p.pos}:${f.signed && i === 0 ? 's' : ''}${p.len}`).join(' ');
}

const hex = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

/** Parses the table text. Throws DecodeError with the line for every malformed or ambiguous entry. */
export function parseTable(text: string): Table {
  const fields = new Map<string, Field>();
  const formats = new Map<string, { bits: string; fields: string[] }>();
  const patterns: Pattern[] = [];
  let group = -1, groups = 0, groupLine = 0;
  const defineField = (f: Field) => {
    const old = fields.get(f.name);
    if (old && fieldDef(old) !== fieldDef(f)) {
      fail(f.line, `field ${f.name} redefined as ${fieldDef(f)} (line ${old.line} defines it as ${fieldDef(old)})`);
    }
    if (!old) fields.set(f.name, f);
  };
  // bit tokens -> 32 chars (index 0 = bit 31) and the inline fields they define
  const bitString = (tokens: string[], line: number): { bits: string; fields: string[]; rest: string[] } => {
    let bits = '';
    const used: string[] = [];
    const rest: string[] = [];
    for (const t of tokens) {
      let m: RegExpMatchArray | null;
      if (/^[01.-]+$/.test(t)) bits += t;
      else if ((m = t.match(/^([a-z][a-z0-9_]*):(s?)(\d+)$/))) {
        const len = Number(m[3]);
        if (len < 1 || len > 32) fail(line, `field ${m[1]} has width ${len}`);
        const pos = 32 - bits.length - len;
        if (pos < 0) fail(line, `field ${m[1]} runs past bit 0: the line is wider than 32 bits`);
        defineField({ name: m[1], parts: [{ pos, len }], signed: m[2] === 's', line });
        used.push(m[1]);
        bits += '.'.repeat(len);
      } else rest.push(t);
    }
    if (bits.length !== 32) fail(line, `the bit pattern is ${bits.length} bits wide, not 32`);
    return { bits, fields: used, rest };
  };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const s = raw.replace(/#.*/, '').trim();
    if (!s) return;
    if (s === '{') {
      if (group >= 0) fail(line, `nested group (the group opened on line ${groupLine} is still open)`);
      group = groups++; groupLine = line;
      return;
    }
    if (s === '}') {
      if (group < 0) fail(line, 'closing brace without an open group');
      group = -1;
      return;
    }
    const tokens = s.split(/\s+/);
    const head = tokens[0];
    if (head.startsWith('%')) { // %name [s]pos:len ... (first part most significant)
      const name = head.slice(1);
      if (!/^[a-z][a-z0-9_]*$/.test(name)) fail(line, `bad field name ${head}`);
      const parts: FieldPart[] = [];
      let signed = false;
      for (const t of tokens.slice(1)) {
        const m = t.match(/^(\d+):(s?)(\d+)$/);
        if (!m) fail(line, `field ${name}: bad part ${t} (want pos:len or pos:slen)`);
        if (m[2]) { if (parts.length) fail(line, `field ${name}: only the first part can be signed`); signed = true; }
        const pos = Number(m[1]), len = Number(m[3]);
        if (len < 1 || pos + len > 32) fail(line, `field ${name}: part ${t} is outside the 32-bit word`);
        parts.push({ pos, len });
      }
      if (!parts.length) fail(line, `field ${name} has no bits`);
      defineField({ name, parts, signed, line });
      return;
    }
    if (head.startsWith('@')) { // @format bits...
      const b = bitString(tokens.slice(1), line);
      if (b.rest.length) fail(line, `format ${head}: unexpected ${b.rest.join(' ')}`);
      formats.set(head.slice(1), { bits: b.bits, fields: b.fields });
      return;
    }
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(head)) fail(line, `expected a pattern name, field (%) or format (@), got ${head}`);
    const b = bitString(tokens.slice(1), line);
    let bits = b.bits;
    const used = [...b.fields];
    let asm: string[] | null = null;
    for (const t of b.rest) {
      if (t.startsWith('@')) {
        const f = formats.get(t.slice(1));
        if (!f) fail(line, `unknown format ${t}`);
        let merged = '';
        for (let k = 0; k < 32; k++) {
          const p = bits[k], q = f.bits[k];
          if (p === '.') merged += q;
          else if (q === '.' || q === p) merged += p;
          else fail(line, `bit ${31 - k} is ${p} in the pattern but ${q} in format ${t}`);
        }
        bits = merged;
        used.push(...f.fields);
      } else if (t.startsWith('%')) {
        if (!fields.has(t.slice(1))) fail(line, `unknown field ${t}`);
        used.push(t.slice(1));
      } else if (t.startsWith('asm=')) asm = t.slice(4).split(',');
      else fail(line, `unexpected token ${t}`);
    }
    let mask = 0, value = 0, covered = 0;
    for (const n of used) for (const p of fields.get(n)!.parts) covered |= (p.len === 32 ? -1 : ((1 << p.len) - 1) << p.pos);
    for (let k = 0; k < 32; k++) {
      const bit = 31 - k, c = bits[k];
      if (c === '0' || c === '1') { mask |= 1 << bit; if (c === '1') value |= 1 << bit; }
      else if (c === '.' && !(covered & (1 << bit))) fail(line, `bit ${bit} is '.' but no field of ${head} covers it`);
    }
    if (head === UNALLOC && (used.length || asm)) fail(line, 'an UNALLOC pattern has no fields or asm');
    if (head === UNALLOC && group < 0) fail(line, 'UNALLOC carves an unallocated encoding out of a pattern: it belongs in a { } group before that pattern');
    patterns.push({ name: head, mask: mask >>> 0, value: value >>> 0, fields: [...new Set(used)], asm, group, line, order: patterns.length });
  });
  if (group >= 0) fail(groupLine, 'group not closed');
  checkOverlaps(patterns);
  const names = [...new Set(patterns.filter((p) => p.name !== UNALLOC).map((p) => p.name))];
  return { fields, patterns, names };
}

const overlaps = (a: Pattern, b: Pattern) => (((a.value ^ b.value) & a.mask & b.mask) >>> 0) === 0;
/** An encoding both patterns match (their fixed bits merged, the rest zero). */
const witness = (a: Pattern, b: Pattern) => ((a.value | b.value) >>> 0);

function checkOverlaps(ps: Pattern[]): void {
  for (let i = 0; i < ps.length; i++) {
    for (let j = i + 1; j < ps.length; j++) {
      const a = ps[i], b = ps[j];
      if (!overlaps(a, b)) continue;
      if (a.group >= 0 && a.group === b.group) {
        // b never matches if a's fixed bits are a subset of b's... i.e. a covers b entirely
        if (((a.mask & ~b.mask) >>> 0) === 0 && b.name !== UNALLOC) {
          throw new DecodeError(`a64.decode:${b.line}: ${b.name} never matches: ${a.name} (line ${a.line}) comes first in the group and matches all of it`);
        }
        continue;
      }
      throw new DecodeError(
        `a64.decode:${b.line}: ${b.name} overlaps ${a.name} (line ${a.line}), e.g. on ${hex(witness(a, b))}; ` +
        'put both in one { } group, more specific pattern first, or make them disjoint');
    }
  }
}

// ---- decision trees ------------------------------------------------------------------------

type Node =
  | { k: 'undef' }
  | { k: 'leaf'; p: Pattern; mask: number; value: number } // check (insn & mask) == value, else undef
  | { k: 'split'; bit: number; zero: Node; one: Node };

/** The tree for the candidates (table order) given that the bits in `known` are already decided. */
function tree(cands: Pattern[], known: number): Node {
  if (!cands.length) return { k: 'undef' };
  const first = cands[0];
  const rest = (p: Pattern) => (p.mask & ~known) >>> 0;
  if (cands.length === 1 || cands.every((p) => rest(p) === 0)) {
    // one candidate (or several that all match: only group members, first wins)
    const m = rest(first);
    return first.name === UNALLOC && (m === 0 || cands.length === 1) ? { k: 'undef' } : { k: 'leaf', p: first, mask: m, value: (first.value & m) >>> 0 };
  }
  // the undecided bit fixed in most candidates (ties: the highest)
  let best = -1, bestCount = 0;
  for (let bit = 31; bit >= 0; bit--) {
    if (known & (1 << bit)) continue;
    let n = 0;
    for (const p of cands) if (p.mask & (1 << bit)) n++;
    if (n > bestCount) { best = bit; bestCount = n; }
  }
  const k2 = (known | (1 << best)) >>> 0;
  const side = (v: number) => cands.filter((p) => !(p.mask & (1 << best)) || ((p.value >>> best) & 1) === v);
  const zero = tree(side(0), k2), one = tree(side(1), k2);
  // both sides alike (e.g. both unallocated): the bit does not matter here
  if (nodeKey(zero) === nodeKey(one)) return zero;
  return { k: 'split', bit: best, zero, one };
}

/** Subtrees of at least this many leaves that occur more than once are emitted once (generateAS). */
const SHARE_LEAVES = 6;
const leaves = (n: Node): number => (n.k === 'split' ? leaves(n.zero) + leaves(n.one) : 1);

function nodeKey(n: Node): string {
  if (n.k === 'undef') return 'u';
  if (n.k === 'leaf') return `l${n.p.name}/${n.mask}/${n.value}`;
  return `s${n.bit}(${nodeKey(n.zero)},${nodeKey(n.one)})`;
}

interface Level1 { entries: number[]; nodes: Node[] } // entries[i] = node index for bits 31:20 = i

function level1(t: Table): Level1 {
  const nodes: Node[] = [{ k: 'undef' }];
  const index = new Map<string, number>([['u', 0]]);
  const entries: number[] = [];
  for (let i = 0; i < 4096; i++) {
    const hi = (i << 20) >>> 0;
    const cands = t.patterns.filter((p) => (((hi ^ p.value) & p.mask & 0xfff00000) >>> 0) === 0);
    const n = tree(cands, 0xfff00000);
    const key = nodeKey(n);
    let id = index.get(key);
    if (id === undefined) { id = nodes.length; nodes.push(n); index.set(key, id); }
    entries.push(id);
  }
  return { entries, nodes };
}

const HEADER = (what: string) =>
  `// GENERATED by emulator/scripts/gen-decode.ts from emulator/decode/a64.decode - do not edit.\n` +
  `// ${what}\n` +
  `// Change the table and run \`npx tsx emulator/scripts/gen-decode.ts\` (build:wasm runs it too).\n`;

function numbers(xs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; i += 32) out.push('  ' + xs.slice(i, i + 32).join(', ') + ',');
  return out.join('\n');
}

function cond(mask: number, value: number, v: string): string {
  return `(${v} & ${hex(mask)}) == ${hex(value)}`;
}

/** A sub-table: only the patterns `keep` selects (the others read as unallocated). */
export function subTable(t: Table, keep: (name: string) => boolean): Table {
  const patterns = t.patterns.filter((p) => p.name === UNALLOC || keep(p.name));
  return { fields: t.fields, patterns, names: t.names.filter(keep) };
}

export interface ASOptions {
  /** The module undefinedInsn comes from, as imported by the output. */
  cpu: string;
  /** The exported function's name. */
  fn: string;
  what: string;
  /** Handler module path (relative to emulator/assembly) -> as imported by the output. */
  rel: (module: string) => string;
}
const CORE_AS: ASOptions = {
  cpu: './cpu', fn: 'decodeExec', rel: (m) => m,
  what: 'Interpreter dispatch: first level on bits 31:20, then decision trees; misses are UNDEFINED.',
};

/**
 * AssemblyScript dispatch. `modules` maps each handler name to the module (relative to
 * emulator/assembly) that exports it.
 */
export function generateAS(t: Table, modules: Map<string, string>, o: ASOptions = CORE_AS): string {
  const l1 = level1(t);
  const byModule = new Map<string, string[]>();
  for (const n of t.names) {
    const m = modules.get(n);
    if (!m) throw new DecodeError(`pattern ${n}: no handler \`export function ${n}(insn: u32): void\` in emulator/assembly`);
    if (!byModule.has(o.rel(m))) byModule.set(o.rel(m), []);
    byModule.get(o.rel(m))!.push(n);
  }
  const out: string[] = [HEADER(o.what)];
  out.push(`import { undefinedInsn } from "${o.cpu}";`);
  for (const [m, ns] of [...byModule].sort()) out.push(`import { ${ns.sort().join(', ')} } from "${m}";`);
  const wide = l1.nodes.length > 256;
  out.push('', `const L1: usize = memory.data<${wide ? 'u16' : 'u8'}>([`, numbers(l1.entries), ']);', '');
  // A subtree that occurs in several level-1 trees (which share only whole trees) and has at
  // least SHARE_LEAVES leaves becomes a function of its own (sN), called where it occurs, rather
  // than being emitted again in each: e.g. one Advanced SIMD tree for Rm bit 20 = 0 and 1, or
  // for Q = 0 and 1. Leaves merge by handler name (nodeKey), not by table line.
  const keys = new Map<Node, string>();
  const key = (n: Node): string => {
    let k = keys.get(n);
    if (k === undefined) { k = n.k === 'split' ? `s${n.bit}(${key(n.zero)},${key(n.one)})` : nodeKey(n); keys.set(n, k); }
    return k;
  };
  const uses = new Map<string, number>();
  const count = (n: Node): void => {
    if (n.k !== 'split') return;
    const k = key(n), c = (uses.get(k) ?? 0) + 1;
    uses.set(k, c);
    if (c === 1) { count(n.zero); count(n.one); } // inside a repeated subtree, only its own uses count
  };
  l1.nodes.forEach(count);
  const shared = new Map<string, number>(); // key -> N of sN
  const sharedNodes: Node[] = [];
  const pick = (n: Node): void => {
    if (n.k !== 'split') return;
    const k = key(n);
    if (uses.get(k)! > 1 && leaves(n) >= SHARE_LEAVES && !shared.has(k)) { shared.set(k, sharedNodes.length); sharedNodes.push(n); }
    pick(n.zero); pick(n.one);
  };
  l1.nodes.forEach(pick);
  const body = (n: Node, ind: string, self = ''): string[] => {
    if (n.k === 'undef') return [`${ind}undefinedInsn(insn);`];
    if (n.k === 'leaf') {
      const call = n.p.name === UNALLOC ? 'undefinedInsn(insn);' : `${n.p.name}(insn);`;
      if (!n.mask) return [`${ind}${call}`];
      return [`${ind}if (${cond(n.mask, n.value, 'insn')}) ${call}`, `${ind}else undefinedInsn(insn);`];
    }
    const k = key(n);
    if (k !== self && shared.has(k)) return [`${ind}s${shared.get(k)}(insn);`];
    return [`${ind}if ((insn & ${hex(1 << n.bit)}) == 0) {`, ...body(n.zero, ind + '  '), `${ind}} else {`, ...body(n.one, ind + '  '), `${ind}}`];
  };
  const cases: string[] = [];
  const fns: string[] = [];
  l1.nodes.forEach((n, i) => {
    if (n.k === 'leaf' && !n.mask) cases.push(`    case ${i}: ${n.p.name === UNALLOC ? 'undefinedInsn' : n.p.name}(insn); return;`);
    else if (n.k === 'undef') cases.push(`    case ${i}: undefinedInsn(insn); return;`);
    else if (shared.has(key(n))) cases.push(`    case ${i}: s${shared.get(key(n))}(insn); return;`);
    else {
      cases.push(`    case ${i}: d${i}(insn); return;`);
      fns.push(`function d${i}(insn: u32): void {`, ...body(n, '  '), '}');
    }
  });
  sharedNodes.forEach((n, i) => fns.push(`function s${i}(insn: u32): void {`, ...body(n, '  ', key(n)), '}'));
  out.push('// Execute one instruction: the handler its pattern names, or UNDEFINED.');
  out.push(`@inline export function ${o.fn}(insn: u32): void {`);
  out.push(`  switch (load<${wide ? 'u16' : 'u8'}>(L1 + (<usize>(insn >> 20) << ${wide ? 1 : 0}))) {`);
  out.push(...cases, '    default: undefinedInsn(insn);', '  }', '}', '', ...fns, '');
  return out.join('\n');
}

/** TypeScript decoder: pattern ids, decode() and field extractors. */
export function generateTS(t: Table): string {
  const l1 = level1(t);
  const id = new Map<string, number>();
  t.names.forEach((n, i) => id.set(n, i + 1));
  const out: string[] = [HEADER('Translator front end: decode(insn) gives the pattern id (0: unallocated), F.* the fields.')];
  out.push('/* eslint-disable */', '');
  out.push('export const UNDEF = 0;');
  for (const n of t.names) out.push(`export const ${n} = ${id.get(n)};`);
  out.push('', `/** Pattern names by id (index 0: unallocated). */`);
  out.push(`export const PATTERN_NAMES: readonly string[] = ['UNDEF', ${t.names.map((n) => `'${n}'`).join(', ')}];`, '');
  out.push(`const L1 = new ${l1.nodes.length > 256 ? 'Uint16Array' : 'Uint8Array'}([`, numbers(l1.entries), ']);', '');
  const pid = (p: Pattern) => (p.name === UNALLOC ? 'UNDEF' : p.name);
  const body = (n: Node, ind: string): string[] => {
    if (n.k === 'undef') return [`${ind}return UNDEF;`];
    if (n.k === 'leaf') {
      if (!n.mask) return [`${ind}return ${pid(n.p)};`];
      return [`${ind}return (insn & ${hex(n.mask)}) >>> 0 === ${hex(n.value)} ? ${pid(n.p)} : UNDEF;`];
    }
    return [`${ind}if ((insn & ${hex(1 << n.bit)}) === 0) {`, ...body(n.zero, ind + '  '), `${ind}}`, ...body(n.one, ind)];
  };
  const cases: string[] = [];
  const fns: string[] = [];
  l1.nodes.forEach((n, i) => {
    if (n.k === 'undef') return;
    if (n.k === 'leaf' && !n.mask) cases.push(`    case ${i}: return ${pid(n.p)};`);
    else {
      cases.push(`    case ${i}: return d${i}(insn);`);
      fns.push(`function d${i}(insn: number): number {`, ...body(n, '  '), '}');
    }
  });
  out.push('/** The pattern id of an instruction word (UNDEF: unallocated). */');
  out.push('export function decode(insn: number): number {');
  out.push('  switch (L1[insn >>> 20]) {', ...cases, '    default: return UNDEF;', '  }', '}', '', ...fns, '');
  out.push('/** Field extractors (the table\'s named fields; signed fields sign-extended). */');
  out.push('export const F = {');
  for (const f of [...t.fields.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    let width = 0;
    const terms: string[] = [];
    for (const p of [...f.parts].reverse()) {
      const m = p.len === 32 ? 'insn' : `((insn >>> ${p.pos}) & ${hex(p.len === 32 ? -1 : (2 ** p.len) - 1)})`;
      terms.push(width ? `(${m} << ${width})` : m);
      width += p.len;
    }
    let e = terms.join(' | ');
    if (f.signed) e = `((${e}) << ${32 - width}) >> ${32 - width}`;
    else if (width === 32) e = `(${e}) >>> 0`;
    out.push(`  ${f.name}: (insn: number): number => ${e},`);
  }
  out.push('} as const;', '');
  return out.join('\n');
}
