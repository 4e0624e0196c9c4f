/*
 * service.h - CloudWatch Logs' behaviour (services/logs/): the log streams other behaviours
 * write (CodeBuild's build logs) read through GetLogEvents and FilterLogEvents, with the paging
 * tokens tailing clients rely on. Listed by cbk_services_builtin() (services/registry.c).
 */
#ifndef CBK_LOGS_SERVICE_H
#define CBK_LOGS_SERVICE_H

#include "cbkit/service.h"

extern const struct cbk_service cbk_service_logs;

#endif
