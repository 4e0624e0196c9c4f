/*
 * crypto.c - libcrypto loaded on first use (see crypto.h).
 */
#include "core/setup.h"
#include "core/crypto.h"

#include <dlfcn.h>
#include <pthread.h>

#ifndef CBK_CRYPTO_SONAME
#define CBK_CRYPTO_SONAME "libcrypto.so.3"
#endif

static struct cbk_crypto table;
static bool loaded;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* dlsym() into *slot; false (with the reason in load_error) when the symbol is missing. */
static bool sym(void *lib, const char *name, void *slot)
{
    void *p = dlsym(lib, name);
    if (!p) {
        snprintf(load_error, sizeof load_error, "cannot load libcrypto (%s): no symbol %s",
                 CBK_CRYPTO_SONAME, name);
        return false;
    }
    /* POSIX: a data pointer from dlsym() may be converted to a function pointer */
    memcpy(slot, &p, sizeof p);
    return true;
}

static void load(void)
{
    /* RTLD_NODELETE: the table is used until exit, even by threads still running then */
    void *lib = dlopen(CBK_CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib) {
        const char *e = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load libcrypto (%s): %s", CBK_CRYPTO_SONAME,
                 e ? e : "not found");
        return;
    }
    struct cbk_crypto t;
    if (sym(lib, "SHA256", &t.sha256) && sym(lib, "HMAC", &t.hmac) &&
        sym(lib, "EVP_sha256", &t.evp_sha256) && sym(lib, "OPENSSL_cleanse", &t.cleanse) &&
        sym(lib, "CRYPTO_memcmp", &t.memcmp) && sym(lib, "OpenSSL_version", &t.version)) {
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
