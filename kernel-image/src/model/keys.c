/*
 * keys.c - the Ed25519 public keys the kernel trusts, compiled in.
 *
 * A package names its signer by key id (the first 8 bytes of SHA-256 of the
 * 32-byte public key, docs/MODEL-FORMAT.md); a key id not in this table is
 * refused by name ("signed by untrusted key ID"). The table is generated
 * from models/keys/ (*.pub files) (see docs/MODELS.md); the host test
 * model-keys.test.ts checks that it equals those files. The development key
 * is labelled DEVELOPMENT ONLY everywhere it appears, here and in
 * `modelctl keys`.
 */
#include "../defs.h"

#include "trusted_keys.h"

#ifdef CONFIG_MODEL_LIFECYCLE

const struct trusted_key *keys_get(size_t i, uint8_t id[8])
{
    if (i >= ARRAY_SIZE(trusted_keys) || !trusted_keys[i].name)
        return NULL;
    struct sha256 s;
    uint8_t d[32];
    sha256_init(&s);
    sha256_update(&s, trusted_keys[i].pub, 32);
    sha256_final(&s, d);
    memcpy(id, d, 8);
    return &trusted_keys[i];
}

const struct trusted_key *keys_find(const uint8_t id[8])
{
    uint8_t k[8];
    const struct trusted_key *t;
    for (size_t i = 0; (t = keys_get(i, k)); i++)
        if (memcmp(k, id, 8) == 0)
            return t;
    return NULL;
}

#endif /* CONFIG_MODEL_LIFECYCLE */
