/*
 * mock_internal.h - the mock's state shared by its files (handler, admin API, HTTP adapter).
 * Nothing outside mock/ includes this; others use cbkit/mock.h.
 */
#ifndef CBK_MOCK_INTERNAL_H
#define CBK_MOCK_INTERNAL_H

#include "core/setup.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/rand.h"
#include "cbkit/mock.h"
#include "cbkit/validate.h"
#include "cbkit/service.h"
#include "mock/journal.h"

#include <pthread.h>
#include <stdatomic.h>

struct cbk_httpd;
struct cbk_sigv4_key;
struct cbk_forwarder;
struct cbk_scenario;
struct cbk_redactor;

/* The mock clock: real time plus an offset, or a virtual time that moves only when told. */
struct cbk_mock_clock {
    bool is_virtual;
    atomic_int_fast64_t virtual_ms; /* virtual: the current time */
    atomic_int_fast64_t offset_ms;  /* real: added to the wall clock */
};

/* A behaviour instance (cbkit/service.h) the mock made. */
struct cbk_behaviour {
    const struct cbk_service *def;
    struct cbk_svc *inst;
};

/* A spec the mock serves, routed to by its target prefix. */
struct cbk_served {
    const struct cbk_spec *spec;
    const char *name;   /* serviceId, else the target prefix: journal, reports, admin API */
    const char *prefix; /* targetPrefix */
    /* its sensitive members, redacted from what the journal shows and from findings */
    struct cbk_redactor *redactor;
    struct cbk_behaviour *beh; /* what answers its operations; NULL: generated answers */
};

struct cbk_mock {
    struct cbk_mock_config cfg; /* strings below are owned copies */
    char *host, *region, *account, *admin_token;
    const struct cbk_spec *spec; /* the first served: cassettes and --record-missing use it */
    struct cbk_served *served;   /* in the order given; served[0].spec == spec */
    size_t nserved;
    const struct cbk_spec **specs; /* the served specs, for scenarios */
    struct cbk_behaviour *behs;    /* one instance per behaviour that answers a served spec */
    size_t nbehs;
    const struct cbk_service **services; /* every behaviour given, for scenarios' keys */
    size_t nservices;
    atomic_int world; /* enum cbk_world in effect: --world, or the last scenario naming one */
    struct cbk_journal journal;
    struct cbk_mock_clock clock;
    uint64_t seed;
    atomic_uint_fast64_t seq; /* API requests seen: seeds each request's generator */
    pthread_key_t tls_report; /* a validation report per thread */
    int64_t started_ms;
    /* scenarios (mock/scenario_run.c), in load order, under scen_mu */
    pthread_mutex_t scen_mu;
    struct cbk_scenario *scenarios;
    uint64_t scen_ids;        /* ids given to behaviours for loaded scenarios (under scen_mu) */
    atomic_size_t nscenarios; /* read without the lock: no scenarios, no locking */
    atomic_uint_fast64_t admin_refused; /* admin requests refused (peer, Host, Origin, token) */
    /* signatures */
    struct cbk_sigv4_key *keys;
    size_t nkeys;
    char *key_text; /* the strings the keys point into */
    /* replay and recording */
    struct cbk_cassette *cassette;
    bool replay_latency;
    struct cbk_forwarder *fwd;
    /* HTTP */
    struct cbk_httpd *httpd;
    unsigned port;
};

/* The served spec whose operations 'op' is one of (never NULL for an operation of the mock). */
const struct cbk_served *cbk__mock_served_of(const struct cbk_mock *m,
                                             const struct cbk_operation *op);
/* The account of a request: the access key id of its Authorization header when that is 12
 * digits (as LocalStack and moto do), else the mock's --account. Borrowed from 'req' or 'm'. */
const char *cbk__mock_account(const struct cbk_mock *m, const struct cbk_http_req *req,
                              struct cbk_arena *a);

/* Mock clock, epoch milliseconds. */
int64_t cbk__mock_now_ms(struct cbk_mock *m);
/* Move the clock forward by 'ms' >= 0 unless it is, or would end, outside 0..max_ms; the check
 * and the move are one atomic step (concurrent moves cannot pass it together). Returns whether
 * the clock moved. */
bool cbk__mock_clock_advance(struct cbk_mock *m, int64_t ms, int64_t max_ms);
void cbk__mock_clock_set(struct cbk_mock *m, int64_t epoch_ms);
bool cbk__mock_clock_is_virtual(struct cbk_mock *m);

/* Header value by case-insensitive name, or NULL. */
const char *cbk__http_header(const struct cbk_http_req *req, const char *name);
/* Query parameter value (the query is "k=v&k2=v2", already decoded), copied into 'a'. */
const char *cbk__http_query(const struct cbk_http_req *req, const char *name, struct cbk_arena *a);

/* Set a JSON answer: status, body (copied into 'a'), Content-Type application/json. */
void cbk__answer_json(struct cbk_http_answer *ans, struct cbk_arena *a, int status,
                      const char *body, size_t len);
/* Add a header to an answer (strings must live in 'a' or be static). */
void cbk__answer_header(struct cbk_http_answer *ans, const char *name, const char *value);
/* An AWS error answer: status, {"__type","message"}, x-amzn-ErrorType, Content-Type. */
void cbk__answer_aws_error(const struct cbk_spec *spec, struct cbk_http_answer *ans,
                           struct cbk_arena *a, int status, const char *type, const char *message);

/* The admin API: requests under /__cbkit/. */
void cbk__mock_admin(struct cbk_mock *m, const struct cbk_http_req *req,
                     struct cbk_http_answer *ans, struct cbk_arena *a);

#endif
