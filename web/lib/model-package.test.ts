// Browser-side model packages, checked against the models/ CLI code and the
// kernel's rules: a bare model.bin signed here verifies with models/src's
// verifier and Node's crypto; the import disk grows by exactly one package
// (read back by GNU tar); bad input is refused with its reason.
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KIND_MODEL, decodeSig, signedMessage } from '../../models/src/format.ts';
import { DEV_PUBLIC, DEV_SECRET, UNTRUSTED_SECRET, generateKey, loadPublicKey, loadSecretKey, sha256 } from '../../models/src/keys.ts';
import { verifyPackage } from '../../models/src/package.ts';
import { readTar, writeTar } from '../../models/src/ustar.ts';
import { addToBundle, checkPackage, PackageError, signBareModel } from './model-package.ts';

const SEED = readFileSync(resolve(__dirname, '../../models/dist/seed-bundle.tar'));
const seed = readTar(new Uint8Array(SEED));
const file = (n: string) => seed.find((e) => e.name === n)!.data;
const dev = loadPublicKey(DEV_PUBLIC);
const work = mkdtempSync(join(tmpdir(), 'sis-pkg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('model packages in the browser', () => {
  it('signs a bare model.bin: models/src verifies it, and so does Node crypto over the signed message', () => {
    const key = generateKey('browser');
    const p = signBareModel(file('v1.0.0/model.bin'), 'v9.0.0-browser', key, { created: '2026-12-01T00:00:00Z' });
    const v = verifyPackage(KIND_MODEL, p, [key]);
    expect(v).toMatchObject({ ok: true, keyId: key.id });
    const sig = decodeSig(p.sig);
    const msg = signedMessage(KIND_MODEL, 'v9.0.0-browser', sha256(p.data), sha256(p.manifest));
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key.publicKey)]);
    expect(verify(null, msg, createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig.signature)).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(p.manifest))).toMatchObject({ version: 'v9.0.0-browser', signer: key.id, size: 3532 });
  });

  it('refuses what is not a model, and bad version names', () => {
    const key = generateKey('browser');
    expect(() => signBareModel(new TextEncoder().encode('hello, not a model'), 'v9.0.0', key, { fileName: 'notes.txt' })).toThrow(/notes\.txt is not a model\.bin/);
    expect(() => signBareModel(file('v1.0.3-corrupt/model.bin'), 'v9.0.0', key)).toThrow(PackageError);
    expect(() => signBareModel(file('v1.0.0/model.bin'), 'active', key)).toThrow(/version "active"/);
    expect(() => signBareModel(file('v1.0.0/model.bin'), 'a/b', key)).toThrow(/version "a\/b"/);
  });

  it('checks an uploaded package: good, bad signature, wrong files, unknown signer', () => {
    const three = (v: string) => ['model.bin', 'manifest.json', 'model.sig'].map((n) => ({ name: n, data: file(`${v}/${n}`) }));
    expect(checkPackage(three('v1.1.0'), [dev])).toMatchObject({ name: 'v1.1.0', keyId: dev.id, unknownSigner: false });
    expect(() => checkPackage(three('v1.0.1-badsig'), [dev])).toThrow(/bad signature/);
    expect(() => checkPackage(three('v1.0.3-corrupt'), [dev])).toThrow(/size mismatch/);
    // The replayed package under its folder name (a tar) is refused; as loose files it is simply v1.0.0 again.
    const replay = writeTar(three('v1.0.4-replay').map((f) => ({ name: `v1.0.4-replay/${f.name}`, data: f.data })));
    expect(() => checkPackage([{ name: 'replay.tar', data: replay }], [dev])).toThrow(/manifest version mismatch/);
    expect(checkPackage(three('v1.0.4-replay'), [dev]).name).toBe('v1.0.0');
    expect(checkPackage(three('v1.0.2-untrusted'), [dev])).toMatchObject({ unknownSigner: true, keyId: 'aba67ed50781f02d' });
    expect(() => checkPackage([{ name: 'photo.jpg', data: new Uint8Array([0xff, 0xd8, 0xff]) }], [dev])).toThrow(/not a model package: missing/);
    expect(() => checkPackage([{ name: 'model.bin', data: file('v1.0.0/model.bin') }], [dev])).toThrow(/bare model/);
    expect(() => checkPackage([{ name: 'x.tar', data: new Uint8Array(1024).fill(7) }], [dev])).toThrow(/not a ustar archive/);
    // A one-package tar, as `tar cf` of a package folder makes it.
    const tar = writeTar(three('v1.1.0').map((f) => ({ name: `v1.1.0/${f.name}`, data: f.data })));
    expect(checkPackage([{ name: 'v1.1.0.tar', data: tar }], [dev]).name).toBe('v1.1.0');
    // Signed with the untrusted test key but under its own known key list: verifies.
    const u = loadSecretKey(UNTRUSTED_SECRET);
    expect(checkPackage(three('v1.0.2-untrusted'), [dev], [u]).unknownSigner).toBe(false);
  });

  it('adds a package to the import disk: GNU tar lists it, bundle.json names it, nothing else changes', () => {
    const key = loadSecretKey(DEV_SECRET);
    const p = signBareModel(file('v1.0.0/model.bin'), 'v9.1.0-web', key, { created: '2026-12-01T00:00:00Z' });
    const next = addToBundle(new Uint8Array(SEED), p);
    const path = join(work, 'next.tar');
    writeFileSync(path, next);
    const listed = execFileSync('tar', ['tf', path], { encoding: 'utf8' }).trim().split('\n');
    expect(listed.slice(-3)).toEqual(['v9.1.0-web/model.bin', 'v9.1.0-web/manifest.json', 'v9.1.0-web/model.sig']);
    const entries = readTar(next);
    expect(entries).toHaveLength(seed.length + 3);
    const bundle = JSON.parse(new TextDecoder().decode(entries.find((e) => e.name === 'bundle.json')!.data));
    expect(bundle.packages.at(-1)).toBe('v9.1.0-web');
    for (const e of seed.filter((x) => x.name !== 'bundle.json')) expect(Buffer.from(entries.find((x) => x.name === e.name)!.data).equals(Buffer.from(e.data)), e.name).toBe(true);
    expect(execFileSync('tar', ['xOf', path, 'v9.1.0-web/model.sig']).equals(Buffer.from(p.sig))).toBe(true);
    expect(() => addToBundle(next, p)).toThrow(/already has a package named v9\.1\.0-web/);
    expect(() => addToBundle(writeTar([{ name: 'x', data: new Uint8Array(1) }]), p)).toThrow(/no bundle\.json/);
  });
});
