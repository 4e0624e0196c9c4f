/*
 * unit_spec.h - the bundled spec for a CMocka test group: include it once in a test file and
 * pass load_spec/free_spec as the group's setup and teardown. 'spec' is owned by the group
 * (loaded before the first test, freed after the last); a spec that does not load fails the
 * whole group.
 */
#ifndef CBK_UNIT_SPEC_H
#define CBK_UNIT_SPEC_H

#include "cbkit/cbkit.h"

static struct cbk_spec *spec;

static int load_spec(void **state)
{
    (void)state;
    struct cbk_diags d = CBK_DIAGS_INIT;
    enum cbk_code rc = cbk_spec_load_bundled(&spec, &d);
    cbk_diags_release(&d);
    return rc == CBK_OK ? 0 : -1;
}

static int free_spec(void **state)
{
    (void)state;
    cbk_spec_free(spec);
    spec = NULL;
    return 0;
}

#endif
