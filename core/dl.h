/*
 * dl.h - a library loaded with dlopen() into a table of its functions (core/curl.h and
 * core/crypto.h use it: libraries loaded when first needed, not at every start).
 */
#ifndef CBK_DL_H
#define CBK_DL_H

#include "core/setup.h"

/* One function of the table: its symbol and where its pointer goes (offsetof the table). */
struct cbk_dl_sym {
    const char *name;
    size_t offset;
};

/*
 * dlopen() 'soname' (RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE: the table stays usable until the
 * process ends, even by threads still running then) and fill 'table' with the 'n' symbols of
 * 'syms'. Returns true; or false with "cannot load WHAT (SONAME): REASON" in err[errlen] (the
 * library missing, or one of its symbols), 'table' then partly filled and not to be used.
 * Not thread-safe by itself: callers call it once (pthread_once).
 */
bool cbk_dl_load(const char *what, const char *soname, const struct cbk_dl_sym *syms, size_t n,
                 void *table, char *err, size_t errlen);

#endif
