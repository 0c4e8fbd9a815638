// Ed25519 signing keys for model packages: key files, key ids, signing and verification.
//
// Key files are short text files ("name: value" lines, '#' comments) so a person can read which
// key a file holds. The secret file stores the 32-byte Ed25519 seed (RFC 8032 private key); the
// key id is the first 8 bytes of SHA-256 of the 32-byte public key, as 16 lowercase hex digits.
// Verification is @noble/ed25519's default verify (ZIP-215 rules), exactly the rules
// docs/MODEL-FORMAT.md "Ed25519 strictness" gives the kernel's ed25519_verify.

import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { fromHex, hex } from './format.ts';

ed.hashes.sha512 = sha512;

export const DEV_WARNING = 'DEVELOPMENT ONLY - never use for production';
export const KEYS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'keys');
export const DEV_SECRET = join(KEYS_DIR, 'dev.key');
export const DEV_PUBLIC = join(KEYS_DIR, 'dev.pub');
export const UNTRUSTED_SECRET = join(KEYS_DIR, 'untrusted-test.key');
export const UNTRUSTED_PUBLIC = join(KEYS_DIR, 'untrusted-test.pub');

export interface PublicKey {
  name: string;
  note: string;
  publicKey: Uint8Array; // 32 bytes
  id: string; // 16 hex
}
export interface SecretKey extends PublicKey {
  secret: Uint8Array; // 32-byte seed
}

export function keyIdBytes(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new Error(`an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
  return sha256(publicKey).slice(0, 8);
}
export function keyId(publicKey: Uint8Array): string {
  return hex(keyIdBytes(publicKey));
}

export function secretFromSeed(seed: Uint8Array, name: string, note = ''): SecretKey {
  if (seed.length !== 32) throw new Error(`an Ed25519 secret key is 32 bytes, got ${seed.length}`);
  const publicKey = ed.getPublicKey(seed);
  return { name, note, secret: seed, publicKey, id: keyId(publicKey) };
}

export function generateKey(name: string, note = ''): SecretKey {
  return secretFromSeed(ed.utils.randomSecretKey(), name, note);
}

function header(kind: string, k: PublicKey): string {
  const lines = [`# SIS AI-Ops model signing key (Ed25519, ${kind})`];
  if (k.note) lines.push(`# ${k.note}`);
  return lines.join('\n') + '\n';
}

export function formatSecretKey(k: SecretKey): string {
  return (
    header('secret: keep it private', k) +
    `kind: sis-model-secret-key-v1\nname: ${k.name}\n` +
    (k.note ? `note: ${k.note}\n` : '') +
    `id: ${k.id}\npublic: ${hex(k.publicKey)}\nsecret: ${hex(k.secret)}\n`
  );
}

export function formatPublicKey(k: PublicKey): string {
  return (
    header('public', k) +
    `kind: sis-model-public-key-v1\nname: ${k.name}\n` +
    (k.note ? `note: ${k.note}\n` : '') +
    `id: ${k.id}\npublic: ${hex(k.publicKey)}\n`
  );
}

function parseFields(text: string, path: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-z]+):\s*(.*)$/.exec(line);
    if (!m) throw new Error(`${path}:${n + 1}: expected "name: value"`);
    fields.set(m[1], m[2]);
  }
  return fields;
}

function need(fields: Map<string, string>, key: string, path: string): string {
  const v = fields.get(key);
  if (v === undefined) throw new Error(`${path}: no "${key}:" line`);
  return v;
}

export function parsePublicKey(text: string, path = 'key'): PublicKey {
  const f = parseFields(text, path);
  const kind = need(f, 'kind', path);
  if (kind !== 'sis-model-public-key-v1' && kind !== 'sis-model-secret-key-v1') throw new Error(`${path}: unknown key kind "${kind}"`);
  const publicKey = fromHexField(need(f, 'public', path), 32, `${path}: public`);
  const id = keyId(publicKey);
  const stated = f.get('id');
  if (stated !== undefined && stated !== id) throw new Error(`${path}: id ${stated} does not match the public key (its id is ${id})`);
  return { name: f.get('name') ?? '', note: f.get('note') ?? '', publicKey, id };
}

export function parseSecretKey(text: string, path = 'key'): SecretKey {
  const f = parseFields(text, path);
  const kind = need(f, 'kind', path);
  if (kind !== 'sis-model-secret-key-v1') {
    throw new Error(kind === 'sis-model-public-key-v1' ? `${path}: this is a public key; signing needs the secret key file` : `${path}: unknown key kind "${kind}"`);
  }
  const k = secretFromSeed(fromHexField(need(f, 'secret', path), 32, `${path}: secret`), f.get('name') ?? '', f.get('note') ?? '');
  const pub = f.get('public');
  if (pub !== undefined && pub !== hex(k.publicKey)) throw new Error(`${path}: the public line does not belong to this secret`);
  const stated = f.get('id');
  if (stated !== undefined && stated !== k.id) throw new Error(`${path}: id ${stated} does not match the key (its id is ${k.id})`);
  return k;
}

function fromHexField(v: string, len: number, what: string): Uint8Array {
  let b: Uint8Array;
  try {
    b = fromHex(v);
  } catch {
    throw new Error(`${what}: not lowercase hex`);
  }
  if (b.length !== len) throw new Error(`${what}: ${b.length} bytes, expected ${len}`);
  return b;
}

export function loadSecretKey(path: string): SecretKey {
  return parseSecretKey(readFileSync(path, 'utf8'), path);
}
export function loadPublicKey(path: string): PublicKey {
  return parsePublicKey(readFileSync(path, 'utf8'), path);
}

export function sign(message: Uint8Array, key: SecretKey): Uint8Array {
  return ed.sign(message, key.secret);
}

/** Ed25519 verification with the rules of MODEL-FORMAT.md (noble's default, ZIP-215). */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** The trusted-key table as C, for the kernel engineer to paste into the kernel's key list. */
export function trustedKeysC(keys: PublicKey[]): string {
  const out: string[] = [];
  out.push('/* Trusted model-signing keys, generated by `npm run models -- keys --c`.');
  out.push(' * id = first 8 bytes of SHA-256(public key) (docs/MODEL-FORMAT.md). */');
  out.push('struct model_trusted_key {');
  out.push('\tconst char *name;');
  out.push('\tunsigned char id[8];');
  out.push('\tunsigned char pub[32];');
  out.push('};');
  out.push('');
  out.push('static const struct model_trusted_key model_trusted_keys[] = {');
  for (const k of keys) {
    if (k.note) out.push(`\t/* ${k.note} */`);
    out.push(`\t{ "${k.name.replace(/[^A-Za-z0-9._+-]/g, '_')}", /* id ${k.id} */`);
    out.push(`\t  { ${cBytes(keyIdBytes(k.publicKey))} },`);
    out.push(`\t  { ${cBytes(k.publicKey.subarray(0, 16))},`);
    out.push(`\t    ${cBytes(k.publicKey.subarray(16))} } },`);
  }
  out.push('};');
  return out.join('\n') + '\n';
}

function cBytes(b: Uint8Array): string {
  return Array.from(b, (x) => '0x' + x.toString(16).padStart(2, '0')).join(', ');
}

export { sha256 };
