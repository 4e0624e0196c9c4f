/*
 * registry.c - the behaviours built into libcbkit (cbkit/services.h). Adding a service's
 * behaviour: write services/<name>/, give it a struct cbk_service, list it here.
 */
#include "core/setup.h"
#include "cbkit/services.h"
#include "services/codebuild/service.h"
#include "services/logs/service.h"

static const struct cbk_service *const builtin[] = {&cbk_service_codebuild, &cbk_service_logs};

const struct cbk_service *const *cbk_services_builtin(size_t *n)
{
    *n = CBK_ARRAY_SIZE(builtin);
    return builtin;
}
