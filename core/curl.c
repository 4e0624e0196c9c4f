/*
 * curl.c - libcurl loaded on first use (see curl.h).
 */
#include "core/setup.h"
#include "core/curl.h"
#include "core/dl.h"

#include <stddef.h>
#include <pthread.h>

#ifndef CBK_CURL_SONAME
#define CBK_CURL_SONAME "libcurl.so.4"
#endif

static struct cbk_curl table;
static bool loaded;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SYM(name, field)                                                                           \
    {                                                                                              \
        "curl_" name, offsetof(struct cbk_curl, field)                                             \
    }
static const struct cbk_dl_sym syms[] = {
    SYM("global_init", global_init),
    SYM("easy_init", easy_init),
    SYM("easy_cleanup", easy_cleanup),
    SYM("easy_reset", easy_reset),
    SYM("easy_setopt", easy_setopt),
    SYM("easy_perform", easy_perform),
    SYM("easy_getinfo", easy_getinfo),
    SYM("easy_strerror", easy_strerror),
    SYM("free", free),
    SYM("url", url),
    SYM("url_cleanup", url_cleanup),
    SYM("url_get", url_get),
    SYM("url_set", url_set),
    SYM("url_strerror", url_strerror),
    SYM("slist_append", slist_append),
    SYM("slist_free_all", slist_free_all),
    SYM("version_info", version_info),
};

static void load(void)
{
    struct cbk_curl t;
    if (!cbk_dl_load("libcurl", CBK_CURL_SONAME, syms, CBK_ARRAY_SIZE(syms), &t, load_error,
                     sizeof load_error))
        return;
    if (t.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "cannot load libcurl (%s): curl_global_init failed",
                 CBK_CURL_SONAME);
        return;
    }
    table = t;
    loaded = true;
}

const struct cbk_curl *cbk_curl_load(char *why, size_t whylen)
{
    pthread_once(&once, load);
    if (loaded)
        return &table;
    if (why && whylen)
        snprintf(why, whylen, "%s", load_error);
    return NULL;
}
