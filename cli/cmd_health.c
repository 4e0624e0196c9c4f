/*
 * cmd_health.c - `cbkit health`: ask a running mock whether it is healthy (GET
 * /__cbkit/health), for container HEALTHCHECKs and shell scripts in images without curl.
 * Exit 0 when it answers 200 {"status":"ok"}, else a one-line reason and a non-zero status.
 */
#include "core/setup.h"
#include "cli/cli.h"
#include "cli/cli_mock.h"
#include "core/buf.h"
#include "core/curl.h"

#include <ctype.h>
#include <getopt.h>
#include <json-c/json.h>

static const char usage[] =
    "usage: cbkit health [--url URL] [--timeout S]\n"
    "\n"
    "Ask the mock at URL whether it is healthy: GET URL/__cbkit/health must answer 200 with\n"
    "{\"status\":\"ok\"}. Prints 'ok: URL' and exits 0, or prints one line saying why not.\n"
    "For container HEALTHCHECKs and scripts (no curl needed). Never goes through a proxy.\n"
    "\n"
    "options:\n"
    "      --url URL      the mock, as its first line prints it: http://HOST:PORT (default:\n"
    "                     http://127.0.0.1:7766, or the port of CBKIT_PORT and the address of\n"
    "                     CBKIT_HOST unless it is a wildcard such as 0.0.0.0); a URL with a\n"
    "                     path other than / is requested as it is\n"
    "      --timeout S    give up after S seconds (decimals allowed; default 5)\n"
    "  -h, --help         show this help\n"
    "\n"
    "exit status: 0 healthy, 2 usage error, 4 no answer (refused, unreachable, timed out),\n"
    "             6 an answer that is not a healthy cbkit mock\n";

#define MAX_ANSWER (64 * 1024)

/* libcurl's write callback: keep at most MAX_ANSWER bytes in the cbk_buf, else stop. */
static size_t keep(char *data, size_t size, size_t n, void *ctx)
{
    struct cbk_buf *b = ctx;
    size_t len = size * n;
    if (cbk_buf_add(b, data, len) != CBK_OK)
        return 0; /* CURLE_WRITE_ERROR: the answer is too long for a health answer */
    return len;
}

/* Parse seconds "5", "0.5" into milliseconds (1 ms .. 1 hour); -1 when malformed. */
static int parse_timeout(const char *s, long *ms)
{
    char *end = NULL;
    errno = 0;
    if (!isdigit((unsigned char)s[0]))
        return -1;
    double v = strtod(s, &end);
    if (errno || *end || !(v * 1000 >= 1) || v > 3600)
        return -1;
    *ms = (long)(v * 1000);
    return 0;
}

/* The reason an answer is not healthy: its "error" member when it has one, else NULL. */
static char *answer_error(const char *body)
{
    json_object *doc = json_tokener_parse(body);
    json_object *err = NULL;
    char *why = NULL;
    if (doc && json_object_object_get_ex(doc, "error", &err) &&
        json_object_is_type(err, json_type_string))
        why = cli_printable(json_object_get_string(err));
    json_object_put(doc);
    return why;
}

/* Whether body is a JSON object whose "status" is "ok". */
static bool healthy(const char *body)
{
    json_object *doc = json_tokener_parse(body);
    json_object *st = NULL;
    bool ok = doc && json_object_is_type(doc, json_type_object) &&
              json_object_object_get_ex(doc, "status", &st) &&
              json_object_is_type(st, json_type_string) &&
              strcmp(json_object_get_string(st), "ok") == 0;
    json_object_put(doc);
    return ok;
}

/*
 * The URL to ask: 'base' with path /__cbkit/health when its path is empty or "/", else as it
 * is. Returns a curl_url_get() string (curl_free()), or NULL after a usage error.
 */
static char *health_url(const struct cbk_curl *C, const char *base)
{
    CURLU *u = C->url();
    char *scheme = NULL, *path = NULL, *out = NULL;
    if (!u)
        return NULL;
    CURLUcode uc = C->url_set(u, CURLUPART_URL, base, 0);
    if (uc == CURLUE_OK)
        uc = C->url_get(u, CURLUPART_SCHEME, &scheme, 0);
    char *pb = cli_printable(base);
    if (uc != CURLUE_OK) {
        cli_usage_error("health", "--url wants http://HOST:PORT, not '%s' (%s)", pb,
                        C->url_strerror(uc));
    } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        cli_usage_error("health", "--url wants an http:// or https:// URL, not '%s'", pb);
    } else {
        if (C->url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || strcmp(path, "/") == 0)
            C->url_set(u, CURLUPART_PATH, "/__cbkit/health", 0);
        if (C->url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
            cli_usage_error("health", "--url '%s' cannot be used", pb);
    }
    free(pb);
    C->free(scheme);
    C->free(path);
    C->url_cleanup(u);
    return out;
}

int cmd_health(int argc, char **argv)
{
    enum { OPT_URL = 256, OPT_TIMEOUT };
    static const struct option longopts[] = {
        {"url", required_argument, NULL, OPT_URL},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *url_opt = NULL;
    long timeout_ms = 5000;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return CLI_OK;
        case OPT_URL:
            url_opt = optarg;
            break;
        case OPT_TIMEOUT:
            if (parse_timeout(optarg, &timeout_ms) != 0) {
                char *p = cli_printable(optarg);
                cli_usage_error("health", "--timeout wants seconds (0.001 to 3600), not '%s'", p);
                free(p);
                return CLI_USAGE;
            }
            break;
        default:
            return cli_usage_error("health", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("health", "unexpected argument '%s'", argv[optind]);
    char env_url[600];
    if (!url_opt) {
        if (cli_mock_env_url(env_url, sizeof env_url) != CLI_OK)
            return CLI_USAGE;
        url_opt = env_url;
    }
    char load_error[300];
    const struct cbk_curl *C = cbk_curl_load(load_error, sizeof load_error);
    if (!C) {
        cli_error("%s", load_error);
        return CLI_INTERNAL;
    }
    char *url = health_url(C, url_opt);
    if (!url)
        return CLI_USAGE;
    CURL *h = C->easy_init();
    if (!h) {
        cli_error("cannot initialise libcurl");
        C->free(url);
        return CLI_INTERNAL;
    }
    struct cbk_buf body = CBK_BUF_INIT(MAX_ANSWER);
    C->easy_setopt(h, CURLOPT_URL, url);
    C->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    C->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    C->easy_setopt(h, CURLOPT_NOPROXY, "*");
    C->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    C->easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    C->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    C->easy_setopt(h, CURLOPT_USERAGENT, "cbkit-health");
    C->easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
    C->easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode cc = C->easy_perform(h);
    long status = 0;
    C->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char *purl = cli_printable(url);
    int rc = CLI_OK;
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        cli_error("%s: no answer within %g s", purl, (double)timeout_ms / 1000);
        rc = CLI_IO;
    } else if (cc == CURLE_WRITE_ERROR) {
        cli_error("%s: answered more than %d bytes: not a cbkit health answer", purl, MAX_ANSWER);
        rc = CLI_UNHEALTHY;
    } else if (cc != CURLE_OK) {
        cli_error("%s: no answer: %s", purl, C->easy_strerror(cc));
        rc = CLI_IO;
    } else if (status != 200) {
        char *why = answer_error(cbk_buf_str(&body));
        cli_error("%s: answered %ld%s%s", purl, status, why ? ": " : "", why ? why : "");
        free(why);
        rc = CLI_UNHEALTHY;
    } else if (!healthy(cbk_buf_str(&body))) {
        cli_error("%s: answered 200 without {\"status\":\"ok\"}: not a healthy cbkit mock", purl);
        rc = CLI_UNHEALTHY;
    } else {
        printf("ok: %s\n", purl);
    }
    free(purl);
    cbk_buf_release(&body);
    C->easy_cleanup(h);
    C->free(url);
    return rc;
}
