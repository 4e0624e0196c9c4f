/*
 * curl.c - libcurl loaded on first use (see curl.h).
 */
#include "core/setup.h"
#include "core/curl.h"

#include <dlfcn.h>
#include <pthread.h>

#ifndef CBK_CURL_SONAME
#define CBK_CURL_SONAME "libcurl.so.4"
#endif

static struct cbk_curl table;
static bool loaded;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* dlsym() into *slot; false (with the reason in load_error) when the symbol is missing. */
static bool sym(void *lib, const char *name, void *slot)
{
    void *p = dlsym(lib, name);
    if (!p) {
        snprintf(load_error, sizeof load_error, "cannot load libcurl (%s): no symbol %s",
                 CBK_CURL_SONAME, name);
        return false;
    }
    /* POSIX: a data pointer from dlsym() may be converted to a function pointer */
    memcpy(slot, &p, sizeof p);
    return true;
}

static void load(void)
{
    /* RTLD_NODELETE: the table is used until exit, even by threads still running then */
    void *lib = dlopen(CBK_CURL_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib) {
        const char *e = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load libcurl (%s): %s", CBK_CURL_SONAME,
                 e ? e : "not found");
        return;
    }
    struct cbk_curl t;
    bool ok = sym(lib, "curl_global_init", &t.global_init) &&
              sym(lib, "curl_easy_init", &t.easy_init) &&
              sym(lib, "curl_easy_cleanup", &t.easy_cleanup) &&
              sym(lib, "curl_easy_reset", &t.easy_reset) &&
              sym(lib, "curl_easy_setopt", &t.easy_setopt) &&
              sym(lib, "curl_easy_perform", &t.easy_perform) &&
              sym(lib, "curl_easy_getinfo", &t.easy_getinfo) &&
              sym(lib, "curl_easy_strerror", &t.easy_strerror) && sym(lib, "curl_free", &t.free) &&
              sym(lib, "curl_url", &t.url) && sym(lib, "curl_url_cleanup", &t.url_cleanup) &&
              sym(lib, "curl_url_get", &t.url_get) && sym(lib, "curl_url_set", &t.url_set) &&
              sym(lib, "curl_url_strerror", &t.url_strerror) &&
              sym(lib, "curl_slist_append", &t.slist_append) &&
              sym(lib, "curl_slist_free_all", &t.slist_free_all) &&
              sym(lib, "curl_version_info", &t.version_info);
    if (!ok)
        return; /* the library stays mapped (RTLD_NODELETE); nothing of it is called */
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
