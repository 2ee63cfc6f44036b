/* http: JSON over HTTPS for the forges, the only other place (with the
 * forge backends) that includes <curl/curl.h>.
 *
 * One handle per forge identity: a base URL and an Authorization value.
 * Every request is retried with exponential backoff on connection
 * errors, timeouts and 5xx; rate limits (403/429 with retry-after, or
 * x-ratelimit-remaining: 0 + x-ratelimit-reset) are waited out when the
 * wait is short and turned into DA_ETEMP with a not_before when it is
 * long. Each attempt is appended to the run log as
 * "<utc> http <METHOD> <path> <status> <ms>ms" -- never a header, never
 * a body, so the token cannot leak there.
 *
 * A POST is repeated like any request, except one that adds a marked
 * comment or review (da_http_request_guarded): its repeat first looks
 * for the item it may already have added.
 *
 * A completed exchange returns 0 whatever its status (404 and 422 are
 * answers the forge code interprets); errors are transport failures
 * after the last retry (DA_ERUNTIME) and long rate limits (DA_ETEMP).
 *
 * Environment (for tests and slow links): DA_HTTP_BACKOFF_MS (base
 * retry delay, default 1000), DA_HTTP_TIMEOUT_MS (per attempt, default
 * 30000), DA_HTTP_MAX_WAIT (longest rate-limit wait in seconds, default
 * 60), DA_HTTP_ATTEMPTS (default 4). */
#ifndef DA_HTTP_H
#define DA_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum da_http_flavour {
	DA_HTTP_GITHUB,		/* vnd.github+json, X-GitHub-Api-Version */
	DA_HTTP_PLAIN,		/* application/json (Gitea) */
};

struct da_http_opts {
	const char *base_url;	/* no trailing slash needed */
	const char *auth;	/* whole Authorization value ("Bearer t"); copied,
				 * wiped on free; NULL = anonymous */
	const char *log_path;	/* run log, appended; NULL = none */
	enum da_http_flavour flavour;
};

struct da_http;

int da_http_new(const struct da_http_opts *opts, struct da_http **out);
void da_http_free(struct da_http *h);

struct da_http_resp {
	long status;
	char *body;		/* NUL-terminated */
	size_t len;
	json_t *json;		/* parsed body, NULL when empty or not JSON */
	char *next;		/* Link rel="next", NULL when last page */
	time_t not_before;	/* set with DA_ETEMP */
};
void da_http_resp_clear(struct da_http_resp *r);

/* method "GET" etc.; path relative to the base ("/repos/o/r") or an
 * absolute URL on the same origin (a Link next page; other origins are
 * refused so the token never goes elsewhere). body may be NULL. */
int da_http_request(struct da_http *h, const char *method, const char *path,
		    const json_t *body, struct da_http_resp *resp);

/* A POST that adds an item to a list (a comment, a review) and whose
 * body carries a marker no other item has. When its answer is lost (a
 * timeout, a broken connection, a 5xx) the forge may have added the item
 * all the same, and sending it again would add a second. So before each
 * repeat the list at list_path is read; an item whose "body" holds the
 * marker is taken as the POST's own answer (resp->status = status,
 * resp->json = that item) and nothing is sent again. */
struct da_http_guard {
	const char *list_path;
	const char *marker;
	long status;
};
/* da_http_request, with the guard above for its repeats (NULL: none). */
int da_http_request_guarded(struct da_http *h, const char *method, const char *path,
			    const json_t *body, const struct da_http_guard *guard,
			    struct da_http_resp *resp);

/* GET every page of a list endpoint, concatenating the JSON arrays.
 * A non-2xx page ends it with DA_ERUNTIME naming the status (resp, when
 * not NULL, keeps that last response for the caller). */
int da_http_get_all(struct da_http *h, const char *path, json_t **array_out,
		    struct da_http_resp *resp);

/* The last not_before after DA_ETEMP (0 otherwise). */
time_t da_http_not_before(const struct da_http *h);

/* ---- pure helpers, exposed for the unit tests ---- */

/* The rel="next" URL of a Link header, or NULL. Caller frees. */
char *da_http_link_next(const char *link);

/* Seconds to wait for a rate-limited response, or -1 when the response
 * is not a rate limit. Header values may be NULL. */
long da_http_ratelimit_wait(long status, const char *retry_after, const char *remaining,
			    const char *reset, time_t now);

/* "/repos/o/r/issues?page=2" from an absolute URL under base; NULL when
 * the URL is on another origin. Caller frees. */
char *da_http_relative(const char *base_url, const char *url);

#endif
