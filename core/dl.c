/*
 * dl.c - a library's functions loaded with dlopen()/dlsym() (see dl.h).
 */
#include "core/setup.h"
#include "core/dl.h"

#include <dlfcn.h>

bool cbk_dl_load(const char *what, const char *soname, const struct cbk_dl_sym *syms, size_t n,
                 void *table, char *err, size_t errlen)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib) {
        const char *e = dlerror();
        snprintf(err, errlen, "cannot load %s (%s): %s", what, soname, e ? e : "not found");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        void *p = dlsym(lib, syms[i].name);
        if (!p) {
            snprintf(err, errlen, "cannot load %s (%s): no symbol %s", what, soname, syms[i].name);
            return false; /* the library stays mapped (RTLD_NODELETE); nothing of it is called */
        }
        /* POSIX: a data pointer from dlsym() may be converted to a function pointer */
        memcpy((char *)table + syms[i].offset, &p, sizeof p);
    }
    return true;
}
