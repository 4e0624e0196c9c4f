/*
 * curl.h - libcurl, loaded when it is first needed rather than when cbkit starts.
 *
 * libcurl and the twenty libraries it brings (OpenSSL's libssl, Kerberos, LDAP, SSH, HTTP/2,
 * brotli, zstd, ...) took about 5 ms of every cbkit start, mapping and relocating them, for
 * the three uses that send requests to a live service (`cbkit record`, `cbkit replay`,
 * `cbkit mock --record-missing`) and `cbkit version`. Everything that talks to libcurl goes
 * through the table below, which the first cbk_curl_load() fills with dlopen()/dlsym() from
 * the library cbkit was built against (its soname, CBK_CURL_SONAME); nothing links against it.
 * See docs/internals.md, "Start-up".
 */
#ifndef CBK_CURL_H
#define CBK_CURL_H

#include "core/setup.h"

#include <curl/curl.h>

/* The libcurl functions cbkit uses, with libcurl's own prototypes. */
struct cbk_curl {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_reset) *easy_reset;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_free) *free;
    __typeof__(curl_url) *url;
    __typeof__(curl_url_cleanup) *url_cleanup;
    __typeof__(curl_url_get) *url_get;
    __typeof__(curl_url_set) *url_set;
    __typeof__(curl_url_strerror) *url_strerror;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
    __typeof__(curl_version_info) *version_info;
};

/*
 * libcurl, loaded and initialised (curl_global_init(CURL_GLOBAL_DEFAULT)) by the first call,
 * once, thread-safely; later calls return the same table at once. Returns NULL when the
 * library or one of its functions cannot be found, and writes "cannot load libcurl
 * (SONAME): REASON" to why[whylen] (when 'why' is not NULL); every later call fails the same
 * way. The table lives until the process ends.
 */
const struct cbk_curl *cbk_curl_load(char *why, size_t whylen);

#endif
