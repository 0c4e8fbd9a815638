// The kernel's compiled-in trusted keys (kernel-image/src/model/trusted_keys.h)
// are exactly the public keys in models/keys/ that are meant to be trusted:
// the file is what `npm run models -- keys --c` generates from them, byte for
// byte, and the untrusted test key is not in it. `modelctl keys` printing
// these ids and keys is checked by the model table (model-cases.ts).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYS_DIR, keyId, loadPublicKey, trustedKeysC, UNTRUSTED_PUBLIC } from '../../models/src/keys.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HEADER = path.resolve(HERE, '../src/model/trusted_keys.h');

describe('compiled-in model signing keys', () => {
  const header = readFileSync(HEADER, 'utf8');
  const pubs = readdirSync(KEYS_DIR).filter((f) => f.endsWith('.pub')).map((f) => path.join(KEYS_DIR, f));
  const trusted = pubs.filter((p) => p !== UNTRUSTED_PUBLIC).map(loadPublicKey);

  it('trusted_keys.h is generated from models/keys/*.pub (all but the untrusted test key)', () => {
    expect(trusted.map((k) => k.name)).toEqual(['dev']);
    expect(header).toBe(trustedKeysC(trusted));
  });

  it('every entry carries its key id and public key; the untrusted key is absent', () => {
    for (const k of trusted) {
      expect(header).toContain(`/* id ${keyId(k.publicKey)} */`);
      expect(header).toContain(`/* ${k.note} */`);
    }
    const untrusted = loadPublicKey(UNTRUSTED_PUBLIC);
    expect(header).not.toContain(keyId(untrusted.publicKey));
    const firstBytes = Array.from(untrusted.publicKey.subarray(0, 4), (b) => '0x' + b.toString(16).padStart(2, '0')).join(', ');
    expect(header).not.toContain(firstBytes);
  });
});
