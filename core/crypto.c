/*
 * crypto.c - libcrypto loaded on first use (see crypto.h).
 */
#include "core/setup.h"
#include "core/crypto.h"
#include "core/dl.h"

#include <stddef.h>
#include <pthread.h>

#ifndef CBK_CRYPTO_SONAME
#define CBK_CRYPTO_SONAME "libcrypto.so.3"
#endif

static struct cbk_crypto table;
static bool loaded;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SYM(name, field)                                                                           \
    {                                                                                              \
        name, offsetof(struct cbk_crypto, field)                                                   \
    }
static const struct cbk_dl_sym syms[] = {
    SYM("SHA256", sha256),         SYM("HMAC", hmac),
    SYM("EVP_sha256", evp_sha256), SYM("OPENSSL_cleanse", cleanse),
    SYM("CRYPTO_memcmp", memcmp),  SYM("OpenSSL_version", version),
};

static void load(void)
{
    struct cbk_crypto t;
    if (cbk_dl_load("libcrypto", CBK_CRYPTO_SONAME, syms, CBK_ARRAY_SIZE(syms), &t, load_error,
                    sizeof load_error)) {
        table = t;
        loaded = true;
    }
}

const struct cbk_crypto *cbk_crypto_load(char *why, size_t whylen)
{
    pthread_once(&once, load);
    if (loaded)
        return &table;
    if (why && whylen)
        snprintf(why, whylen, "%s", load_error);
    return NULL;
}

const struct cbk_crypto *cbk_crypto(void)
{
    const struct cbk_crypto *c = cbk_crypto_load(NULL, 0);
    if (!c)
        abort(); /* callers that can report it call cbk_crypto_load() first (the mock does) */
    return c;
}
