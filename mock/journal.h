/*
 * journal.h - the mock's bounded request journal. Every API request gets an entry (time,
 * operation, verdict and violations, what answered it, fault, status, latency); the journal
 * keeps the newest 'cap' entries and counts everything, so counts are never lost when old
 * entries are evicted. Thread-safe.
 */
#ifndef CBK_JOURNAL_H
#define CBK_JOURNAL_H

#include "core/setup.h"
#include "core/arena.h"
#include "core/buf.h"
#include "cbkit/mock.h"

#include <pthread.h>

struct cbk_jviol {
    const char *path, *rule, *message;
    const char *aws; /* AWS's wording of this finding (wire/wire.h), redacted like 'message' */
};

enum cbk_verdict { CBK_VERDICT_VALID, CBK_VERDICT_INVALID, CBK_VERDICT_REJECTED };
const char *cbk_verdict_name(enum cbk_verdict v);

/* One journal entry. Strings live in 'block' (one allocation per entry). */
struct cbk_jentry {
    uint64_t id;
    int64_t time_ms;                       /* mock clock when the request arrived */
    int64_t latency_us;                    /* -1 until the answer was sent */
    const char *op;                        /* "" when unknown */
    const struct cbk_operation *operation; /* NULL when unknown (lives as long as its spec) */
    const char *service; /* the served spec's name ("CodeBuild"), "" when unknown (static) */
    const char *account; /* the account of the request (its access key, else --account) */
    const char *target;  /* X-Amz-Target as sent, "" if none */
    enum cbk_verdict verdict;
    const char *error_type;  /* __type of an error answer, "" on success */
    const char *answered_by; /* "generated", "state", "scenario <file>#<rule>", "validator", ... */
    const char *fault;       /* "" or the fault injected ("reset", "latency 200ms", ...) */
    const char *request_id;
    const char *invocation_id; /* amz-sdk-invocation-id, "" if none */
    const char *attempt;       /* amz-sdk-request, "" if none */
    const char *user_agent;
    const char *note; /* e.g. the near-miss report of an unmatched replay, "" if none */
    const char *body; /* request body, at most journal_body_max bytes */
    size_t body_len;
    bool body_truncated;
    int status;      /* status decided */
    int status_sent; /* status actually sent (0 = none: reset, close, stall) */
    size_t nviol;    /* violations kept (at most 50) */
    size_t viol_total;
    struct cbk_jviol *viol;
    char *block;
};

struct cbk_redactor;

struct cbk_journal {
    pthread_mutex_t mu;
    /* entries are shown (journal listings, reports) with the members the spec marks sensitive
     * in their operation's input redacted by the redactor of the operation's spec; NULL: shown
     * as received */
    const struct cbk_redactor *(*redactor_for)(const void *ctx, const struct cbk_operation *op);
    const void *redactor_ctx;
    struct cbk_jentry *ring;
    size_t cap, count; /* entries kept: the newest 'count' ids */
    uint64_t next_id;  /* ids start at 1 */
    size_t body_max;
    struct cbk_mock_stats stats;
};

void cbk_journal_init(struct cbk_journal *j, size_t cap, size_t body_max);
void cbk_journal_release(struct cbk_journal *j);
/* Forget all entries and zero the counts. */
void cbk_journal_reset(struct cbk_journal *j);

/*
 * Append a copy of 'e' (its strings are copied; e->id/block are ignored) and count it.
 * Returns the new entry's id.
 */
uint64_t cbk_journal_add(struct cbk_journal *j, const struct cbk_jentry *e);
/* Record what was sent for entry 'id' (ignored when it was evicted already). */
void cbk_journal_complete(struct cbk_journal *j, uint64_t id, int status_sent, int64_t latency_us);
void cbk_journal_stats(struct cbk_journal *j, struct cbk_mock_stats *out);
/* Count one fault answer. */
void cbk_journal_count_fault(struct cbk_journal *j);

/* Filter for listings: NULL fields match everything. */
struct cbk_jfilter {
    const char *op;
    const char *service; /* the served spec's name (struct cbk_served), or NULL for any */
    int verdict;         /* -1 = any */
    uint64_t since_id;
    size_t limit; /* 0 = no limit */
};
/* Append a JSON array of the matching entries (oldest first) to 'out'. */
void cbk_journal_json(struct cbk_journal *j, const struct cbk_jfilter *f, struct cbk_buf *out);
/* Append a JSON array of every kept violation: {id, op, path, rule, message}. */
void cbk_journal_violations_json(struct cbk_journal *j, struct cbk_buf *out);
/* Call 'fn' for each kept entry, oldest first, under the journal lock. */
void cbk_journal_each(struct cbk_journal *j, void (*fn)(const struct cbk_jentry *e, void *arg),
                      void *arg);
/* Write one entry of 'j' as a JSON object to 'out' (its body as cbk_journal_body_shown()). */
void cbk_journal_entry_json(const struct cbk_journal *j, const struct cbk_jentry *e,
                            struct cbk_buf *out);
/*
 * The body of entry 'e' as it may be shown: with j->redactor, what the spec marks sensitive in
 * the input of e->op is [REDACTED] (and a body cut short by the journal's limit, or not JSON,
 * loses everything from where it stops being JSON). e->body itself when nothing is redacted,
 * else a copy in 'a'. *len gets its length. Done when shown, not when journaled: requests pay
 * nothing for it.
 */
const char *cbk_journal_body_shown(const struct cbk_journal *j, const struct cbk_jentry *e,
                                   size_t *len, struct cbk_arena *a);

#endif
