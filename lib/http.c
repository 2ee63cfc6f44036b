#include "http.h"
#include "clock.h"
#include "err.h"
#include "version.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct da_http {
	char *base;
	char *auth_header;	/* "Authorization: ..." -- wiped on free */
	char *log_path;
	enum da_http_flavour flavour;
	long backoff_ms, timeout_ms, max_wait_s;
	int attempts;
	time_t not_before;
};

/* Headers we act on, captured per attempt. */
struct hdrs {
	char *link, *retry_after, *remaining, *reset;
};

struct buf {
	char *data;
	size_t len, cap;
};

static long env_long(const char *name, long dflt, long min)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min)
		return dflt;
	return n;
}

int da_http_new(const struct da_http_opts *opts, struct da_http **out)
{
	struct da_http *h = calloc(1, sizeof *h);
	size_t blen;

	*out = NULL;
	if (!h)
		return da_errf(DA_ERUNTIME, "out of memory");
	h->base = strdup(opts->base_url ? opts->base_url : "");
	h->log_path = opts->log_path ? strdup(opts->log_path) : NULL;
	if (!h->base || (opts->log_path && !h->log_path))
		goto oom;
	blen = strlen(h->base);
	while (blen > 0 && h->base[blen - 1] == '/')
		h->base[--blen] = '\0';
	if (opts->auth && asprintf(&h->auth_header, "Authorization: %s", opts->auth) < 0) {
		h->auth_header = NULL;
		goto oom;
	}
	h->flavour = opts->flavour;
	h->backoff_ms = env_long("DA_HTTP_BACKOFF_MS", 1000, 0);
	h->timeout_ms = env_long("DA_HTTP_TIMEOUT_MS", 30000, 1);
	h->max_wait_s = env_long("DA_HTTP_MAX_WAIT", 60, 0);
	h->attempts = (int)env_long("DA_HTTP_ATTEMPTS", 4, 1);
	*out = h;
	return 0;
oom:
	da_http_free(h);
	return da_errf(DA_ERUNTIME, "out of memory");
}

void da_http_free(struct da_http *h)
{
	if (!h)
		return;
	if (h->auth_header) {
		explicit_bzero(h->auth_header, strlen(h->auth_header));
		free(h->auth_header);
	}
	free(h->base);
	free(h->log_path);
	free(h);
}

void da_http_resp_clear(struct da_http_resp *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->next);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

time_t da_http_not_before(const struct da_http *h)
{
	return h ? h->not_before : 0;
}

/* ---- pure helpers ---- */

char *da_http_link_next(const char *link)
{
	const char *p = link;

	/* Link: <url>; rel="next", <url>; rel="last" */
	while (p && *p) {
		const char *lt = strchr(p, '<'), *gt, *end;

		if (!lt || !(gt = strchr(lt, '>')))
			return NULL;
		end = strchr(gt, ',');
		if (!end)
			end = gt + strlen(gt);
		/* the params of this entry are gt..end */
		const char *rel = gt;

		while ((rel = strstr(rel, "rel=")) && rel < end) {
			rel += 4;
			if (*rel == '"')
				rel++;
			if (!strncmp(rel, "next", 4) && (rel[4] == '"' || rel[4] == ';' ||
							 rel[4] == ',' || rel[4] == ' ' || !rel[4]))
				return strndup(lt + 1, (size_t)(gt - lt - 1));
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

long da_http_ratelimit_wait(long status, const char *retry_after, const char *remaining,
			    const char *reset, time_t now)
{
	if (status != 403 && status != 429)
		return -1;
	if (retry_after && *retry_after) {
		long s = strtol(retry_after, NULL, 10);

		return s < 0 ? 0 : s;
	}
	if (remaining && !strcmp(remaining, "0") && reset && *reset) {
		long long r = strtoll(reset, NULL, 10);

		return r > (long long)now ? (long)(r - (long long)now) : 0;
	}
	/* GitHub: a secondary limit without headers means "wait at least a
	 * minute"; a bare 403 is a permission answer, not a limit. */
	return status == 429 ? 60 : -1;
}

char *da_http_relative(const char *base_url, const char *url)
{
	size_t n = strlen(base_url);

	if (strncmp(url, base_url, n) != 0 || (url[n] && url[n] != '/' && url[n] != '?'))
		return NULL;
	return strdup(url[n] ? url + n : "/");
}

/* ---- transport ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t n = size * nmemb;

	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return 0;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static void hdrs_clear(struct hdrs *h)
{
	free(h->link);
	free(h->retry_after);
	free(h->remaining);
	free(h->reset);
	memset(h, 0, sizeof *h);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct hdrs *h = ud;
	size_t n = size * nmemb, klen;
	const char *colon = memchr(data, ':', n), *v;
	char **slot = NULL;

	if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
		hdrs_clear(h);	/* a new response (after a redirect) */
		return n;
	}
	if (!colon)
		return n;
	klen = (size_t)(colon - data);
	if (klen == 4 && !strncasecmp(data, "link", 4))
		slot = &h->link;
	else if (klen == 11 && !strncasecmp(data, "retry-after", 11))
		slot = &h->retry_after;
	else if (klen == 21 && !strncasecmp(data, "x-ratelimit-remaining", 21))
		slot = &h->remaining;
	else if (klen == 17 && !strncasecmp(data, "x-ratelimit-reset", 17))
		slot = &h->reset;
	if (!slot)
		return n;
	v = colon + 1;
	while (v < data + n && (*v == ' ' || *v == '\t'))
		v++;
	size_t vlen = (size_t)(data + n - v);

	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	free(*slot);
	*slot = strndup(v, vlen);
	return n;
}

/* One line per attempt. Only method, path, status and duration: headers
 * and bodies carry tokens and secrets. */
static void log_request(const struct da_http *h, const char *method, const char *path,
			long status, const char *note, int64_t ms)
{
	char stamp[32], line[1024];
	int fd, n;

	if (!h->log_path)
		return;
	da_utc_iso(time(NULL), stamp, sizeof stamp);
	n = snprintf(line, sizeof line, "%s http %s %s %ld %lldms%s%s\n", stamp, method, path,
		     status, (long long)ms, note ? " " : "", note ? note : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	fd = open(h->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;	/* the log is best effort; the request's result is what counts */
	if (write(fd, line, (size_t)n) < 0) {
		/* same: nothing useful to do */
	}
	close(fd);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct curl_slist *make_headers(const struct da_http *h, bool has_body)
{
	struct curl_slist *l = NULL, *t;
	const char *lines[] = {
		h->flavour == DA_HTTP_GITHUB ? "Accept: application/vnd.github+json"
					     : "Accept: application/json",
		h->flavour == DA_HTTP_GITHUB ? "X-GitHub-Api-Version: 2022-11-28" : NULL,
		"User-Agent: dev-agents/" DA_VERSION,
		has_body ? "Content-Type: application/json" : NULL,
		"Expect:",	/* no 100-continue round trip */
		h->auth_header,
	};

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		if (!lines[i])
			continue;
		t = curl_slist_append(l, lines[i]);
		if (!t) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

/* One attempt. Returns the curl code; status and body filled. */
static CURLcode perform(struct da_http *h, const char *method, const char *url,
			const char *payload, struct buf *body, struct hdrs *hd, long *status)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl;
	CURLcode rc;

	*status = 0;
	if (!c)
		return CURLE_OUT_OF_MEMORY;
	hl = make_headers(h, payload != NULL);
	if (!hl) {
		curl_easy_cleanup(c);
		return CURLE_OUT_OF_MEMORY;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms < 10000 ? h->timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* GitHub answers a renamed repository with 301/307; curl keeps the
	 * method (CUSTOMREQUEST) and drops our Authorization header if the
	 * redirect leaves the host (CURLOPT_UNRESTRICTED_AUTH stays off). */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, hd);
	if (payload) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return rc;
}

/* Failures a later attempt may not meet: the network, the server, DNS
 * (a Pi's resolver is often not up yet right after boot). */
static bool transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static int fill_resp(struct da_http_resp *resp, long status, struct buf *body, struct hdrs *hd)
{
	resp->status = status;
	resp->body = body->data ? body->data : strdup("");
	resp->len = body->len;
	body->data = NULL;
	if (!resp->body)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (resp->len > 0)
		resp->json = json_loadb(resp->body, resp->len, JSON_DECODE_ANY, NULL);
	resp->next = hd->link ? da_http_link_next(hd->link) : NULL;
	return 0;
}

/* The guarded POST's item, already on the list: it becomes the answer. */
static bool landed(struct da_http *h, const struct da_http_guard *g, struct da_http_resp *resp)
{
	json_t *all = NULL, *item;
	size_t i;
	bool found = false;

	if (da_http_get_all(h, g->list_path, &all, NULL) < 0) {
		da_errclear();	/* not known to be there: the POST is repeated */
		return false;
	}
	json_array_foreach(all, i, item) {
		const char *b = json_string_value(json_object_get(item, "body"));

		if (b && strstr(b, g->marker) && (resp->body = json_dumps(item, JSON_COMPACT))) {
			resp->status = g->status;
			resp->len = strlen(resp->body);
			resp->json = json_incref(item);
			found = true;
			break;
		}
	}
	json_decref(all);
	return found;
}

int da_http_request(struct da_http *h, const char *method, const char *path,
		    const json_t *body, struct da_http_resp *resp)
{
	return da_http_request_guarded(h, method, path, body, NULL, resp);
}

int da_http_request_guarded(struct da_http *h, const char *method, const char *path,
			    const json_t *body, const struct da_http_guard *guard,
			    struct da_http_resp *resp)
{
	char *url = NULL, *rel = NULL, *payload = NULL;
	struct hdrs hd = { 0 };
	struct buf b = { 0 };
	int ret = DA_ERUNTIME, tries = 0, waits = 0;
	long status = 0;

	memset(resp, 0, sizeof *resp);
	h->not_before = 0;
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8)) {
		rel = da_http_relative(h->base, path);
		if (!rel)
			return da_errf(DA_ERUNTIME, "refusing to follow %s outside %s", path, h->base);
		url = strdup(path);
	} else {
		rel = strdup(path);
		if (asprintf(&url, "%s%s", h->base, path) < 0)
			url = NULL;
	}
	if (!url || !rel)
		goto oom;
	if (body && !(payload = json_dumps(body, JSON_COMPACT)))
		goto oom;
	for (;;) {
		int64_t t0 = da_monotonic_ms();
		CURLcode rc;
		long wait;

		free(b.data);
		memset(&b, 0, sizeof b);
		hdrs_clear(&hd);
		rc = perform(h, method, url, payload, &b, &hd, &status);
		tries++;
		log_request(h, method, rel, status, rc == CURLE_OK ? NULL : curl_easy_strerror(rc),
			    da_monotonic_ms() - t0);
		if (rc == CURLE_OUT_OF_MEMORY)
			goto oom;
		if ((rc != CURLE_OK && transient(rc)) || status >= 500) {
			/* the forge may have acted on it all the same */
			if (guard && !strcmp(method, "POST") && landed(h, guard, resp)) {
				ret = 0;
				goto out;
			}
			if (tries >= h->attempts) {
				resp->status = status;
				ret = rc != CURLE_OK
					? da_errf(DA_ERUNTIME, "%s %s: %s (after %d attempts)", method,
						  rel, curl_easy_strerror(rc), tries)
					: da_errf(DA_ERUNTIME, "%s %s: HTTP %ld (after %d attempts)",
						  method, rel, status, tries);
				goto out;
			}
			sleep_ms(h->backoff_ms << (tries - 1));
			continue;
		}
		if (rc != CURLE_OK) {	/* a bad URL or certificate: retrying cannot help */
			ret = da_errf(DA_ERUNTIME, "%s %s: %s", method, rel, curl_easy_strerror(rc));
			goto out;
		}
		wait = da_http_ratelimit_wait(status, hd.retry_after, hd.remaining, hd.reset,
					      time(NULL));
		/* GitHub: a secondary limit may come as a bare 403 whose
		 * message says so; its docs say wait at least a minute */
		if (wait < 0 && status == 403 && b.data && strstr(b.data, "secondary rate limit"))
			wait = 60;
		if (wait >= 0) {
			if (wait > h->max_wait_s || waits >= 3) {
				h->not_before = time(NULL) + (wait > 0 ? wait : 60);
				resp->not_before = h->not_before;
				ret = da_errf(DA_ETEMP, "%s %s: rate limited (HTTP %ld) for %lds",
					      method, rel, status, wait);
				goto out;
			}
			waits++;
			/* at least a second: reset times are whole seconds */
			sleep_ms(wait > 0 ? wait * 1000 : 1000);
			continue;
		}
		ret = fill_resp(resp, status, &b, &hd);
		goto out;
	}
oom:
	ret = da_errf(DA_ERUNTIME, "out of memory");
out:
	free(b.data);
	hdrs_clear(&hd);
	free(url);
	free(rel);
	free(payload);
	return ret;
}

int da_http_get_all(struct da_http *h, const char *path, json_t **array_out,
		    struct da_http_resp *last)
{
	json_t *all = json_array();
	char *next = strdup(path);
	struct da_http_resp r = { 0 };
	int ret = 0, pages = 0;

	*array_out = NULL;
	if (!all || !next) {
		ret = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	while (next) {
		/* a server that links in a loop must not keep us forever */
		if (++pages > 1000) {
			ret = da_errf(DA_ERUNTIME, "GET %s: more than 1000 pages", path);
			goto out;
		}
		da_http_resp_clear(&r);
		ret = da_http_request(h, "GET", next, NULL, &r);
		free(next);
		next = NULL;
		if (ret < 0)
			goto out;
		if (r.status / 100 != 2 || !json_is_array(r.json)) {
			ret = da_errf(DA_ERUNTIME, "GET %s: HTTP %ld%s", path, r.status,
				      r.status / 100 == 2 ? ": not a JSON array" : "");
			goto out;
		}
		json_array_extend(all, r.json);
		if (r.next && !(next = strdup(r.next))) {
			ret = da_errf(DA_ERUNTIME, "out of memory");
			goto out;
		}
	}
	*array_out = all;
	all = NULL;
out:
	free(next);
	json_decref(all);
	if (last)
		*last = r;
	else
		da_http_resp_clear(&r);
	return ret;
}
