/*
 * cassette_internal.h - shared by the cassette reader, index and writer (cassette/).
 */
#ifndef CBK_CASSETTE_INTERNAL_H
#define CBK_CASSETTE_INTERNAL_H

#include "core/setup.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/hmap.h"
#include "cbkit/cassette.h"
#include "spec/pointers.h"

#include <pthread.h>

#define CBK_CASSETTE_VERSION 1
/* A document that a crashed writer left without its end marker gets this line when a later
 * writer appends, so that it reads as "ignored" and nothing already written is rewritten. */
#define CBK_CASSETTE_INCOMPLETE_MARK "... # cbkit: the exchange above is incomplete and ignored"

/* Exchanges recorded for one request key, replayed in order. */
struct cbk_seq {
    struct cbk_exchange *one;   /* the first recording (most requests have only one) */
    struct cbk_exchange **more; /* all recordings, once there is more than one */
    size_t n, alloc, next;
};

struct cbk_cassette {
    struct cbk_arena arena; /* all exchange strings */
    char *file;
    const struct cbk_spec *spec;
    struct cbk_exchange **x; /* each in the arena: pointers stay valid while it grows */
    size_t n, alloc;
    /* exchange documents in the file, the ignored ones and a cut tail included: an exchange's
     * number (cbk_exchange.index) is its document's place, so the next one appended is
     * documents + 1 */
    size_t documents;
    /* index */
    pthread_mutex_t mu;
    struct cbk_hmap index;   /* "Op\n" canonical body -> struct cbk_seq */
    struct cbk_hmap ignores; /* operation name -> struct cbk_ptrpats (spec-derived) */
    bool indexed;
    bool repeat_last;
    struct cbk_ptrpats user_ignore;
};

/*
 * Test seam of the writer: the system calls it makes to write a document, make it durable and
 * roll a failed one back, so that a test can fail them as a full disk or a broken device
 * does (tests/unit/test_cassette.c). Each returns what the system call would, errno set.
 */
struct cbk__writer_io {
    ssize_t (*write)(void *ctx, int fd, const void *p, size_t n);
    int (*fdatasync)(void *ctx, int fd);
    int (*ftruncate)(void *ctx, int fd, off_t len);
    void *ctx;
};
/* Use 'io' for the writer's next appends (NULL, or NULL members: the system's own calls). */
void cbk__cassette_writer_set_io(struct cbk_cassette_writer *w, const struct cbk__writer_io *io);

#endif
