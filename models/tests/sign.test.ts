// Signatures: checked with @noble/ed25519 directly and Node's crypto (independent of our code
// path), bound to the name, both files and the kind; key ids and key files.
import * as ed from '@noble/ed25519';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KIND_GOLDEN, KIND_MODEL, decodeSig, encodeGolden, encodeSig, signedMessage } from '../src/format.ts';
import {
  DEV_PUBLIC, DEV_SECRET, DEV_WARNING, UNTRUSTED_PUBLIC, UNTRUSTED_SECRET, formatPublicKey, formatSecretKey, generateKey,
  keyId, loadPublicKey, loadSecretKey, parsePublicKey, parseSecretKey, verifySignature,
} from '../src/keys.ts';
import { encodeManifest, signFiles, verifyPackage } from '../src/package.ts';
import { packageGolden, packageModel } from '../src/samples.ts';
import { buildGolden } from '../src/data.ts';
import { randomModel } from './helpers.ts';
import { readFileSync } from 'node:fs';

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const dev = loadSecretKey(DEV_SECRET);
const devPub = loadPublicKey(DEV_PUBLIC);
const untrusted = loadSecretKey(UNTRUSTED_SECRET);
const training = { seed: 0, samples: 0, epochs: 0, policy: 'reference', golden_accuracy: 0 };
const pkg = packageModel('v9.0.0', '2026-11-01T00:00:00Z', 'test', randomModel(), training, dev);

/** Node's own Ed25519 (OpenSSL) as a second oracle: SPKI = fixed prefix || 32-byte key. */
function nodeEd25519Verify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(pub)]);
  return nodeVerify(null, msg, createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig);
}

describe('keys', () => {
  it('the key id is the first 8 bytes of SHA-256(public key), as 16 hex digits', () => {
    expect(dev.id).toBe(createHash('sha256').update(dev.publicKey).digest('hex').slice(0, 16));
    expect(dev.id).toBe('0ee8dd0c6caa834f');
    expect(untrusted.id).toBe('aba67ed50781f02d');
    expect(devPub.id).toBe(dev.id);
    expect(Buffer.from(ed.getPublicKey(dev.secret)).equals(Buffer.from(dev.publicKey))).toBe(true);
  });
  it('the committed development keys say DEVELOPMENT ONLY', () => {
    for (const f of [DEV_SECRET, DEV_PUBLIC, UNTRUSTED_SECRET, UNTRUSTED_PUBLIC]) expect(readFileSync(f, 'utf8')).toContain(DEV_WARNING);
  });
  it('key files round-trip and refuse mismatched or malformed content', () => {
    const k = generateKey('alice', 'test key');
    const back = parseSecretKey(formatSecretKey(k));
    expect(back.id).toBe(k.id);
    expect(parsePublicKey(formatPublicKey(k)).id).toBe(k.id);
    expect(() => parseSecretKey(formatPublicKey(k))).toThrow(/public key/);
    expect(() => parsePublicKey(formatPublicKey(k).replace(`id: ${k.id}`, 'id: 0000000000000000'))).toThrow(/does not match/);
    expect(() => parseSecretKey(formatSecretKey(k).replace(/secret: [0-9a-f]+/, 'secret: abcd'))).toThrow(/2 bytes, expected 32/);
    expect(() => parseSecretKey(formatSecretKey(k).replace(/secret: [0-9a-f]+/, 'secret: XYZ'))).toThrow(/hex/);
    expect(() => parsePublicKey('kind: something-else\npublic: 00\n')).toThrow(/unknown key kind/);
    expect(() => parsePublicKey('just text\n')).toThrow(/name: value/);
  });
});

describe('package signatures', () => {
  it('verify with @noble/ed25519 and Node crypto over the documented message', () => {
    const sig = decodeSig(pkg.sig);
    expect(Buffer.from(sig.keyId).toString('hex')).toBe(dev.id);
    const msg = signedMessage(KIND_MODEL, 'v9.0.0', sha(pkg.data), sha(pkg.manifest));
    expect(ed.verify(sig.signature, msg, dev.publicKey, { zip215: false })).toBe(true);
    expect(ed.verify(sig.signature, msg, dev.publicKey)).toBe(true);
    expect(nodeEd25519Verify(sig.signature, msg, dev.publicKey)).toBe(true);
    const v = verifyPackage(KIND_MODEL, { name: 'v9.0.0', ...pkg }, [devPub]);
    expect(v.ok).toBe(true);
  });

  const trusted = [devPub];
  const rule = (v: ReturnType<typeof verifyPackage>) => (v.ok ? 'ok' : v.rule);

  it('fails when the files are published under another version name (replay)', () => {
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.1', ...pkg }, trusted))).toBe('manifest version mismatch');
    // even with the manifest edited to the new name the signature does not verify
    const m = JSON.parse(new TextDecoder().decode(pkg.manifest));
    const manifest = encodeManifest({ ...m, version: 'v9.0.1' });
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.1', data: pkg.data, manifest, sig: pkg.sig }, trusted))).toBe('bad signature');
    // and the message itself differs only by the name
    const sig = decodeSig(pkg.sig).signature;
    expect(nodeEd25519Verify(sig, signedMessage(KIND_MODEL, 'v9.0.1', sha(pkg.data), sha(manifest)), dev.publicKey)).toBe(false);
  });

  it('fails when model.bin changes, even with a manifest that matches it', () => {
    const data = pkg.data.slice();
    data[data.length - 1] ^= 0x01; // last bias, still finite
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', data, manifest: pkg.manifest, sig: pkg.sig }, trusted))).toBe('sha256 mismatch');
    const m = JSON.parse(new TextDecoder().decode(pkg.manifest));
    const manifest = encodeManifest({ ...m, sha256: Buffer.from(sha(data)).toString('hex') });
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', data, manifest, sig: pkg.sig }, trusted))).toBe('bad signature');
  });

  it('fails when the manifest changes by one byte (a member the loader does not even read)', () => {
    const m = JSON.parse(new TextDecoder().decode(pkg.manifest));
    const manifest = encodeManifest({ ...m, description: 'test!' });
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', data: pkg.data, manifest, sig: pkg.sig }, trusted))).toBe('bad signature');
  });

  it('fails with an untrusted key, a mismatched signer, a flipped signature bit or a non-canonical S', () => {
    const u = packageModel('v9.0.0', '2026-11-01T00:00:00Z', 'test', randomModel(), training, untrusted);
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', ...u }, trusted))).toBe('untrusted key');
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', ...u }, [devPub, loadPublicKey(UNTRUSTED_PUBLIC)]))).toBe('ok');
    // dev-signed files with the untrusted key's manifest: signer mismatch
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', data: u.data, manifest: u.manifest, sig: pkg.sig }, trusted))).toBe('signer mismatch');
    for (const byte of [16, 40, 47, 48, 70, 79]) {
      const sig = pkg.sig.slice();
      sig[byte] ^= 0x04;
      expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', data: pkg.data, manifest: pkg.manifest, sig }, trusted)), `byte ${byte}`).toBe('bad signature');
    }
    // S + L: the same point equation, but S is not canonical: refused (by noble, both modes, and by us)
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const s0 = decodeSig(pkg.sig);
    let S = 0n;
    for (let i = 31; i >= 0; i--) S = (S << 8n) | BigInt(s0.signature[32 + i]);
    const S2 = S + L;
    expect(S2 < 2n ** 256n).toBe(true);
    const sig2 = s0.signature.slice();
    for (let i = 0; i < 32; i++) sig2[32 + i] = Number((S2 >> BigInt(8 * i)) & 0xffn);
    const msg = signedMessage(KIND_MODEL, 'v9.0.0', sha(pkg.data), sha(pkg.manifest));
    expect(ed.verify(sig2, msg, dev.publicKey, { zip215: false })).toBe(false);
    expect(ed.verify(sig2, msg, dev.publicKey)).toBe(false);
    expect(verifySignature(sig2, msg, dev.publicKey)).toBe(false);
    const bad = encodeSig({ keyId: s0.keyId, signature: sig2 });
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', data: pkg.data, manifest: pkg.manifest, sig: bad }, trusted))).toBe('bad signature');
  });

  it('a golden set is not accepted as a model, nor a model as a golden set (kind byte and magic)', () => {
    const g = packageGolden(buildGolden(1, 2), dev);
    // the golden files presented as a model package named "golden": the manifest lacks model members
    expect(rule(verifyPackage(KIND_MODEL, { name: 'golden', ...g }, trusted))).toBe('invalid name');
    // a golden-set signature (kind 2) over model files does not verify as a model signature (kind 1)
    const asGoldenSig = signFiles(KIND_GOLDEN, 'v9.0.0', pkg.data, pkg.manifest, dev);
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', data: pkg.data, manifest: pkg.manifest, sig: asGoldenSig }, trusted))).toBe('bad signature');
    // and the reverse: a model signature over golden files
    const asModelSig = signFiles(KIND_MODEL, 'golden', g.data, g.manifest, dev);
    expect(rule(verifyPackage(KIND_GOLDEN, { name: 'golden', data: g.data, manifest: g.manifest, sig: asModelSig }, trusted))).toBe('bad signature');
    expect(rule(verifyPackage(KIND_GOLDEN, { name: 'golden', ...g }, trusted))).toBe('ok');
    // golden.bin validly signed as a model under a model name: refused by the model format (magic)
    const m = JSON.parse(new TextDecoder().decode(pkg.manifest));
    const manifest = encodeManifest({ ...m, size: g.data.length, sha256: Buffer.from(sha(g.data)).toString('hex') });
    const sig = signFiles(KIND_MODEL, 'v9.0.0', g.data, manifest, dev);
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', data: g.data, manifest, sig }, trusted))).toBe('bad magic');
  });

  it('a golden set whose manifest counts disagree with golden.bin is refused', () => {
    const set = buildGolden(1, 2);
    const g = packageGolden(set, dev);
    const m = JSON.parse(new TextDecoder().decode(g.manifest));
    const manifest = encodeManifest({ ...m, count: 11 });
    const sig = signFiles(KIND_GOLDEN, 'golden', g.data, manifest, dev);
    expect(rule(verifyPackage(KIND_GOLDEN, { name: 'golden', data: g.data, manifest, sig }, trusted))).toBe('manifest member mismatch');
    expect(encodeGolden(set).length).toBe(16 + 10 * 32);
  });

  it('refuses bad manifests by name', () => {
    const withManifest = (text: string) => ({ name: 'v9.0.0', data: pkg.data, manifest: new TextEncoder().encode(text), sig: pkg.sig });
    expect(rule(verifyPackage(KIND_MODEL, withManifest('{'), trusted))).toBe('manifest not JSON');
    expect(rule(verifyPackage(KIND_MODEL, withManifest('[1]'), trusted))).toBe('manifest not an object');
    expect(rule(verifyPackage(KIND_MODEL, withManifest('{"format":1}'), trusted))).toBe('manifest member missing');
    const m = JSON.parse(new TextDecoder().decode(pkg.manifest));
    expect(rule(verifyPackage(KIND_MODEL, withManifest(JSON.stringify({ ...m, format: 2 })), trusted))).toBe('manifest member invalid');
    expect(rule(verifyPackage(KIND_MODEL, withManifest(JSON.stringify({ ...m, signer: 'ABC' })), trusted))).toBe('manifest member invalid');
    expect(rule(verifyPackage(KIND_MODEL, withManifest(JSON.stringify({ ...m, pad: 'x'.repeat(4096) })), trusted))).toBe('manifest too large');
    const badUtf8 = { name: 'v9.0.0', data: pkg.data, manifest: Uint8Array.of(0x7b, 0xff, 0x7d), sig: pkg.sig };
    expect(rule(verifyPackage(KIND_MODEL, badUtf8, trusted))).toBe('manifest not UTF-8');
    // unknown members are ignored (but signed)
    const extra = encodeManifest({ ...m, future: { x: 1 } });
    const sig = signFiles(KIND_MODEL, 'v9.0.0', pkg.data, extra, dev);
    expect(rule(verifyPackage(KIND_MODEL, { name: 'v9.0.0', data: pkg.data, manifest: extra, sig }, trusted))).toBe('ok');
  });

  it('refuses hostile package names before reading anything else', () => {
    for (const name of ['../v9.0.0', 'a/b', 'active', '', 'x'.repeat(33)]) {
      expect(rule(verifyPackage(KIND_MODEL, { name, ...pkg }, trusted)), name).toBe('invalid name');
    }
  });
});
