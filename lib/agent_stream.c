/* Shared parts of the event-stream parsers: line handling, error
 * classification by message text, small jansson accessors. */
#include "agent_backend.h"
#include "clock.h"
#include "err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int da_argv_push(struct da_argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		char **v = realloc(a->v, cap * sizeof *v);

		if (!v)
			return da_errf(DA_ERUNTIME, "out of memory");
		a->v = v;
		a->cap = cap;
	}
	if (!(a->v[a->n] = strdup(s)))
		return da_errf(DA_ERUNTIME, "out of memory");
	a->v[++a->n] = NULL;
	return 0;
}

void da_argv_free(struct da_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

void da_agent_set_str(char **dst, const char *src)
{
	char *copy;

	if (!src)
		return;
	copy = strdup(src);
	if (!copy)
		return;
	free(*dst);
	*dst = copy;
}

void da_agent_stream_init(struct da_agent_stream *s, struct da_agent_result *res)
{
	memset(s, 0, sizeof *s);
	s->res = res;
}

void da_agent_stream_free(struct da_agent_stream *s)
{
	free(s->last_msg_id);
	free(s->text);
	s->last_msg_id = s->text = NULL;
}

void da_agent_append_text(struct da_agent_stream *s, const char *text)
{
	size_t old = s->text ? strlen(s->text) : 0, add = strlen(text);
	char *p = realloc(s->text, old + add + 1);

	if (!p)
		return;
	memcpy(p + old, text, add + 1);
	s->text = p;
}

long da_json_long(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_real(v))
		return (long)json_real_value(v);
	return 0;
}

double da_json_double(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : 0.0;
}

const char *da_json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

void da_agent_stream_line(const struct da_agent_backend_ops *ops, struct da_agent_stream *s,
			  const char *line, size_t len)
{
	json_error_t jerr;
	json_t *ev;

	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (!len)
		return;
	ev = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "type"))) {
		s->bad_lines++;	/* CLIs print the odd warning on stdout */
		json_decref(ev);
		return;
	}
	ops->on_event(s, ev);
	json_decref(ev);
}

static bool specific(enum da_agent_error k)
{
	return k != DA_AGENT_OK && k != DA_AGENT_EXECUTION && k != DA_AGENT_MALFORMED;
}

void da_agent_fail(struct da_agent_result *res, enum da_agent_error kind, const char *msg)
{
	char line[512];
	size_t i;

	if (res->error_kind != DA_AGENT_OK && (specific(res->error_kind) || !specific(kind)))
		return;
	res->ok = false;
	res->error_kind = kind;
	snprintf(line, sizeof line, "%s", msg && msg[0] ? msg : da_agent_error_name(kind));
	for (i = 0; line[i]; i++)
		if (line[i] == '\n' || line[i] == '\r' || line[i] == '\t')
			line[i] = ' ';
	free(res->error);
	res->error = strdup(line);
}

static bool has(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* "…|1735689600" (claude's old usage-limit text), "resets_at":N,
 * "resetsAt":N or "reset_at":N: seconds since the epoch. */
static time_t reset_from_text(const char *msg)
{
	static const char *const keys[] = { "resets_at", "resetsAt", "reset_at", "resetAt", NULL };
	const char *p = strrchr(msg, '|');

	if (p && isdigit((unsigned char)p[1]))
		return (time_t)strtoll(p + 1, NULL, 10);
	for (size_t i = 0; keys[i]; i++) {
		p = strstr(msg, keys[i]);
		if (!p)
			continue;
		p += strlen(keys[i]);
		while (*p && !isdigit((unsigned char)*p) && strchr("\"': =", *p))
			p++;
		if (isdigit((unsigned char)*p))
			return (time_t)strtoll(p, NULL, 10);
	}
	return 0;
}

enum da_agent_error da_agent_classify_text(const char *msg, enum da_agent_error fallback,
					   time_t *reset_at)
{
	if (!msg)
		return fallback;
	/* A used-up subscription window or daily quota: retrying soon is pointless. */
	if (has(msg, "usage limit") || has(msg, "limit reached") || has(msg, "quota exceeded") ||
	    has(msg, "exhausted your") || has(msg, "resource_exhausted") || has(msg, "usage_limit") ||
	    (has(msg, "hit your") && has(msg, "limit"))) {	/* claude: "You've hit your 5-hour limit" */
		if (reset_at)
			*reset_at = reset_from_text(msg);
		return DA_AGENT_USAGE_WINDOW;
	}
	if (has(msg, "rate limit") || has(msg, "rate_limit") || has(msg, "429") ||
	    has(msg, "too many requests") || has(msg, "overloaded"))
		return DA_AGENT_RATE_LIMIT;
	if (has(msg, "invalid api key") || has(msg, "not logged in") || has(msg, "/login") ||
	    has(msg, "authentication") || has(msg, "unauthorized") || has(msg, "401") ||
	    has(msg, "api key") || has(msg, "oauth token"))
		return DA_AGENT_AUTH;
	return fallback;
}

char *da_agent_result_json(const struct da_agent_result *r)
{
	json_t *o = json_object();
	char when[32];
	char *text;

	if (!o)
		return NULL;
	json_object_set_new(o, "ok", json_boolean(r->ok));
	json_object_set_new(o, "error_kind", json_string(da_agent_error_name(r->error_kind)));
	json_object_set_new(o, "backend", json_string(da_agent_backend_name(r->backend)));
	json_object_set_new(o, "session_id", r->session_id ? json_string(r->session_id) : json_null());
	json_object_set_new(o, "turns", json_integer(r->turns));
	json_object_set_new(o, "input_tokens", json_integer(r->input_tokens));
	json_object_set_new(o, "output_tokens", json_integer(r->output_tokens));
	json_object_set_new(o, "cache_read_tokens", json_integer(r->cache_read_tokens));
	json_object_set_new(o, "cache_creation_tokens", json_integer(r->cache_creation_tokens));
	json_object_set_new(o, "cost_usd", json_real(r->cost_usd));
	json_object_set_new(o, "final_text", r->final_text ? json_string(r->final_text) : json_null());
	if (r->reset_at) {
		da_utc_iso(r->reset_at, when, sizeof when);
		json_object_set_new(o, "reset_at", json_string(when));
	} else {
		json_object_set_new(o, "reset_at", json_null());
	}
	json_object_set_new(o, "error", r->error ? json_string(r->error) : json_null());
	json_object_set_new(o, "exit", json_string(r->exit_desc));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return text;
}
