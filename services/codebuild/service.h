/*
 * service.h - CodeBuild's behaviour (services/codebuild/): the table the mock engine calls
 * (cbkit/service.h). Listed by cbk_services_builtin() (services/registry.c).
 */
#ifndef CBK_CB_SERVICE_H
#define CBK_CB_SERVICE_H

#include "cbkit/service.h"
#include "services/codebuild/outcomes.h"
#include "services/codebuild/store.h"

extern const struct cbk_service cbk_service_codebuild;

/* What its scenario keys parse to (the values a scenario keeps, in the order of the keys). */
enum { CB_KEY_PROJECTS, CB_KEY_BUILDS, CB_KEY_OUTCOMES };
struct cb_projects_value {
    char **names;
    size_t n;
};
struct cb_builds_value {
    struct cbk_cb_seed_build *v; /* strings owned */
    size_t n;
};

#endif
