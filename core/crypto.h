/*
 * crypto.h - OpenSSL's libcrypto, loaded when it is first needed rather than when cbkit
 * starts.
 *
 * Mapping and relocating libcrypto took 2 to 4 ms of every cbkit start (about 120 pages of a
 * 5 MB library; docs/internals.md, "Start-up") for the two uses that need it: checking SigV4
 * signatures (`cbkit mock --sigv4`) and comparing the admin token in constant time. Everything
 * that calls libcrypto goes through the table below, which the first cbk_crypto_load() fills
 * with dlopen()/dlsym() from the library cbkit was built against (its soname,
 * CBK_CRYPTO_SONAME); nothing links against it. The mock loads it when it is created with
 * --sigv4 or an admin token, so that a missing library is an error at start, never a request
 * that cannot be checked.
 */
#ifndef CBK_CRYPTO_H
#define CBK_CRYPTO_H

#include "core/setup.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

/* The libcrypto functions cbkit uses, with OpenSSL's own prototypes. */
struct cbk_crypto {
    __typeof__(SHA256) *sha256;
    __typeof__(HMAC) *hmac;
    __typeof__(EVP_sha256) *evp_sha256;
    __typeof__(OPENSSL_cleanse) *cleanse;
    __typeof__(CRYPTO_memcmp) *memcmp;
    __typeof__(OpenSSL_version) *version;
};

/*
 * libcrypto, loaded by the first call, once, thread-safely; later calls return the same table
 * at once. Returns NULL when the library or one of its functions cannot be found, and writes
 * "cannot load libcrypto (SONAME): REASON" to why[whylen] (when 'why' is not NULL); every
 * later call fails the same way. The table lives until the process ends.
 */
const struct cbk_crypto *cbk_crypto_load(char *why, size_t whylen);

/*
 * The loaded table, for code that runs only after a successful cbk_crypto_load() (or that
 * cannot go on without it): aborts when libcrypto cannot be loaded, a broken installation.
 */
const struct cbk_crypto *cbk_crypto(void);

#endif
