/*
 * keys.c - the Ed25519 public keys the kernel trusts, compiled in.
 *
 * A package names its signer by key id (the first 8 bytes of SHA-256 of the
 * 32-byte public key, docs/MODEL-FORMAT.md); a key id not in this table is
 * refused by name ("signed by untrusted key ID"). trusted_keys.h is
 * generated, never edited: `npm run models -- keys --c >
 * kernel-image/src/model/trusted_keys.h` (from models/keys/dev.pub by
 * default, or --trust FILE for your own keys). The key named "dev" is the
 * repository's development key, whose secret is public: it is labelled
 * DEVELOPMENT ONLY wherever it appears (`modelctl keys`, `modelctl load`).
 * kernel-image/tests/model-keys.test.ts checks the table against
 * models/keys/ and the id of every entry against its public key.
 */
#include "../defs.h"

#ifdef CONFIG_MODEL_LIFECYCLE

#include "trusted_keys.h"

static struct trusted_key keys[ARRAY_SIZE(model_trusted_keys)];
static bool ready;

static void init(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(model_trusted_keys); i++) {
        const struct model_trusted_key *k = &model_trusted_keys[i];
        struct sha256 s;
        uint8_t d[32];
        sha256_init(&s);
        sha256_update(&s, k->pub, 32);
        sha256_final(&s, d);
        keys[i].name = k->name;
        memcpy(keys[i].pub, k->pub, 32);
        memcpy(keys[i].id, d, 8);
        /* An id that does not match its key would make the table lie: drop it. */
        keys[i].valid = memcmp(d, k->id, 8) == 0;
        keys[i].development = strcmp(k->name, "dev") == 0;
        keys[i].label = keys[i].development ? "DEVELOPMENT ONLY - never use for production"
                                            : "trusted at build time";
    }
    ready = true;
}

const struct trusted_key *keys_get(size_t i)
{
    if (!ready)
        init();
    return i < ARRAY_SIZE(keys) ? &keys[i] : NULL;
}

const struct trusted_key *keys_find(const uint8_t id[8])
{
    const struct trusted_key *t;
    for (size_t i = 0; (t = keys_get(i)); i++)
        if (t->valid && memcmp(t->id, id, 8) == 0)
            return t;
    return NULL;
}

#endif /* CONFIG_MODEL_LIFECYCLE */
