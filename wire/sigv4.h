/*
 * sigv4.h - AWS Signature Version 4 for AWS JSON requests: computing a signature (the
 * canonical request, the string to sign, the signing key) and checking an incoming request
 * the way AWS does, with AWS's error codes and messages. HMAC-SHA256 and SHA-256 come from
 * OpenSSL's libcrypto, loaded on first use (core/crypto.h): these functions abort when it
 * cannot be loaded, so a caller that can report that calls cbk_crypto_load() first.
 * Reference: ../shared/reference/aws-json-protocol.md §1.3.
 */
#ifndef CBK_SIGV4_H
#define CBK_SIGV4_H

#include "core/setup.h"
#include "core/buf.h"
#include "cbkit/http.h"

/* Lowercase hex SHA-256 of data into out[65]. */
void cbk_sha256_hex(const void *data, size_t len, char out[65]);

/*
 * The signature of a request: method, path, query, headers (all of them; the ones named in
 * 'signed_headers' — lowercase, ';'-separated, sorted — are signed), body, X-Amz-Date value
 * 'amz_date' (YYYYMMDDTHHMMSSZ), region, service and secret key. Writes the lowercase hex
 * signature into sig[65]; when 'canonical' is not NULL, the canonical request is appended
 * to it (for diagnostics and tests).
 */
void cbk_sigv4_signature(const struct cbk_http_req *req, const char *signed_headers,
                         const char *amz_date, const char *region, const char *service,
                         const char *secret, char sig[65], struct cbk_buf *canonical);

/* Credentials a server accepts. */
struct cbk_sigv4_key {
    const char *access_key, *secret_key, *session_token; /* token NULL: none required */
};

/* The outcome of checking a request, as AWS answers it. */
struct cbk_sigv4_verdict {
    bool ok;
    int status;       /* 400 or 403 */
    const char *code; /* MissingAuthenticationToken, IncompleteSignature, ... (static) */
    char message[768];
};

/*
 * Check the SigV4 signature of 'req' against the keys, for 'region' and 'service', at time
 * 'now_ms' (requests dated more than 15 minutes away are expired). Fills 'v'.
 */
void cbk_sigv4_verify(const struct cbk_http_req *req, const struct cbk_sigv4_key *keys,
                      size_t nkeys, const char *region, const char *service, int64_t now_ms,
                      struct cbk_sigv4_verdict *v);

/* Format epoch milliseconds as YYYYMMDDTHHMMSSZ into out[17]. */
void cbk_amz_date(int64_t ms, char out[17]);

#endif
