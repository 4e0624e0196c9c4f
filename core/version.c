/*
 * version.c - cbkit's version and the run-time versions of the libraries it links.
 */
#include "core/setup.h"
#include "cbkit/cbkit.h"
#include "cbk_version.h"

#include "core/crypto.h"
#include "core/curl.h"
#include <json-c/json.h>
#include <libfyaml.h>
#include <microhttpd.h>
#include <pthread.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

const char *cbk_version(void)
{
    return CBK_VERSION_STRING;
}

static struct cbk_libversion versions[6];
static char pcre2_version[64];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fill(void)
{
    pcre2_config(PCRE2_CONFIG_VERSION, pcre2_version);
    versions[0] = (struct cbk_libversion){"libfyaml", fy_library_version()};
    versions[1] = (struct cbk_libversion){"json-c", json_c_version()};
    versions[2] = (struct cbk_libversion){"PCRE2", pcre2_version};
    versions[3] = (struct cbk_libversion){"libmicrohttpd", MHD_get_version()};
    /* loads libcurl (core/curl.h): only `cbkit version` asks */
    const struct cbk_curl *curl = cbk_curl_load(NULL, 0);
    versions[4] = (struct cbk_libversion){
        "libcurl", curl ? curl->version_info(CURLVERSION_NOW)->version : "(cannot be loaded)"};
    const struct cbk_crypto *crypto = cbk_crypto_load(NULL, 0); /* loads libcrypto too */
    versions[5] = (struct cbk_libversion){"OpenSSL", crypto ? crypto->version(OPENSSL_VERSION)
                                                            : "(cannot be loaded)"};
}

const struct cbk_libversion *cbk_library_versions(size_t *n)
{
    pthread_once(&once, fill);
    *n = CBK_ARRAY_SIZE(versions);
    return versions;
}
