#include "yamlutil.h"
#include "err.h"
#include "fsutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int da_yaml_load(struct da_yaml_doc *d, const char *name, const char *text, size_t len)
{
	yaml_parser_t parser;
	int rc = 0;

	memset(d, 0, sizeof *d);
	d->name = strdup(name ? name : "<yaml>");
	if (!d->name)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (!yaml_parser_initialize(&parser))
		return da_errf(DA_ERUNTIME, "yaml parser: out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &d->doc)) {
		rc = da_errf(DA_EUSAGE, "%s:%zu: %s%s%s", d->name, parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "invalid YAML",
			     parser.context ? " " : "", parser.context ? parser.context : "");
	} else {
		d->loaded = true;
	}
	yaml_parser_delete(&parser);
	return rc;
}

int da_yaml_load_file(struct da_yaml_doc *d, const char *path, size_t max_len)
{
	char *text;
	size_t len;
	int rc = da_read_file(path, max_len, &text, &len);

	if (rc < 0) {
		memset(d, 0, sizeof *d);
		return rc;
	}
	rc = da_yaml_load(d, path, text, len);
	free(text);
	return rc;
}

void da_yaml_free(struct da_yaml_doc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	free(d->name);
	memset(d, 0, sizeof *d);
}

yaml_node_t *da_yaml_root(struct da_yaml_doc *d)
{
	return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

const char *da_yaml_scalar(yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

size_t da_yaml_line(yaml_node_t *node)
{
	return node ? node->start_mark.line + 1 : 0;
}

yaml_node_t *da_yaml_get(struct da_yaml_doc *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = da_yaml_scalar(yaml_document_get_node(&d->doc, p->key));

		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(&d->doc, p->value);
	}
	return NULL;
}

int da_yaml_errat(struct da_yaml_doc *d, yaml_node_t *node, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return da_errf(DA_EUSAGE, "%s:%zu: %s", d->name, da_yaml_line(node), msg);
}

static bool is_null_scalar(const char *s)
{
	return strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || s[0] == '\0';
}

int da_yaml_get_str(struct da_yaml_doc *d, yaml_node_t *map, const char *key, char **out)
{
	yaml_node_t *n = da_yaml_get(d, map, key);
	const char *s;

	if (!n)
		return 0;
	s = da_yaml_scalar(n);
	if (!s)
		return da_yaml_errat(d, n, "%s: expected text", key);
	/* a plain null stays NULL; a quoted "" or "null" is text */
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && is_null_scalar(s))
		return 0;
	char *copy = strdup(s);

	if (!copy)
		return da_errf(DA_ERUNTIME, "out of memory");
	free(*out);
	*out = copy;
	return 0;
}

int da_yaml_get_long(struct da_yaml_doc *d, yaml_node_t *map, const char *key, long *out)
{
	yaml_node_t *n = da_yaml_get(d, map, key);
	const char *s;
	char *end;
	long v;

	if (!n)
		return 0;
	s = da_yaml_scalar(n);
	if (!s || !s[0])
		return da_yaml_errat(d, n, "%s: expected a whole number", key);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return da_yaml_errat(d, n, "%s: \"%s\" is not a whole number", key, s);
	*out = v;
	return 0;
}

int da_yaml_get_double(struct da_yaml_doc *d, yaml_node_t *map, const char *key, double *out)
{
	yaml_node_t *n = da_yaml_get(d, map, key);
	const char *s;
	char *end;
	double v;

	if (!n)
		return 0;
	s = da_yaml_scalar(n);
	if (!s || !s[0])
		return da_yaml_errat(d, n, "%s: expected a number", key);
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end)
		return da_yaml_errat(d, n, "%s: \"%s\" is not a number", key, s);
	*out = v;
	return 0;
}

int da_yaml_get_bool(struct da_yaml_doc *d, yaml_node_t *map, const char *key, bool *out)
{
	yaml_node_t *n = da_yaml_get(d, map, key);
	const char *s;

	if (!n)
		return 0;
	s = da_yaml_scalar(n);
	if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")))
		*out = true;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")))
		*out = false;
	else
		return da_yaml_errat(d, n, "%s: expected true or false", key);
	return 0;
}

void da_strlist_free(char **list)
{
	if (!list)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

static int strlist_push(char ***list, size_t *n, const char *s, size_t len)
{
	char **nl = realloc(*list, (*n + 2) * sizeof *nl);

	if (!nl)
		return da_errf(DA_ERUNTIME, "out of memory");
	*list = nl;
	nl[*n] = strndup(s, len);
	if (!nl[*n])
		return da_errf(DA_ERUNTIME, "out of memory");
	nl[++*n] = NULL;
	return 0;
}

int da_yaml_get_strlist(struct da_yaml_doc *d, yaml_node_t *map, const char *key, char ***out, size_t *n)
{
	yaml_node_t *node = da_yaml_get(d, map, key);
	char **list = NULL;
	size_t count = 0;

	if (!node)
		return 0;
	list = calloc(1, sizeof *list);
	if (!list)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (node->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
			const char *s = da_yaml_scalar(yaml_document_get_node(&d->doc, *it));

			if (!s) {
				da_strlist_free(list);
				return da_yaml_errat(d, node, "%s: expected a list of text", key);
			}
			if (strlist_push(&list, &count, s, strlen(s)) < 0)
				goto oom;
		}
	} else if (da_yaml_scalar(node)) {
		const char *s = da_yaml_scalar(node);

		while (*s) {
			const char *comma = strchr(s, ',');
			size_t len = comma ? (size_t)(comma - s) : strlen(s);

			while (len && (*s == ' '))
				s++, len--;
			while (len && s[len - 1] == ' ')
				len--;
			if (len && strlist_push(&list, &count, s, len) < 0)
				goto oom;
			if (!comma)
				break;
			s = comma + 1;
		}
	} else {
		da_strlist_free(list);
		return da_yaml_errat(d, node, "%s: expected a list", key);
	}
	da_strlist_free(*out);
	*out = list;
	if (n)
		*n = count;
	return 0;
oom:
	da_strlist_free(list);
	return DA_ERUNTIME;
}

/* --- writer --- */

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct da_yaml_out *w = data;

	if (w->len + size + 1 > w->cap) {
		size_t ncap = (w->cap ? w->cap : 1024);

		while (ncap < w->len + size + 1)
			ncap *= 2;
		char *nb = realloc(w->buf, ncap);

		if (!nb)
			return 0;
		w->buf = nb;
		w->cap = ncap;
	}
	memcpy(w->buf + w->len, buffer, size);
	w->len += size;
	w->buf[w->len] = '\0';
	return 1;
}

static int emit(struct da_yaml_out *w, yaml_event_t *ev)
{
	if (w->failed) {
		yaml_event_delete(ev);
		return DA_ERUNTIME;
	}
	if (!yaml_emitter_emit(&w->em, ev)) {
		w->failed = true;
		return da_errf(DA_ERUNTIME, "yaml emitter: %s", w->em.problem ? w->em.problem : "failed");
	}
	return 0;
}

int da_yw_begin(struct da_yaml_out *w)
{
	yaml_event_t ev;

	memset(w, 0, sizeof *w);
	if (!yaml_emitter_initialize(&w->em))
		return da_errf(DA_ERUNTIME, "yaml emitter: out of memory");
	yaml_emitter_set_output(&w->em, write_handler, w);
	yaml_emitter_set_unicode(&w->em, 1);
	yaml_emitter_set_width(&w->em, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit(w, &ev) < 0)
		return DA_ERUNTIME;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (emit(w, &ev) < 0)
		return DA_ERUNTIME;
	return da_yw_map_start(w);
}

int da_yw_end(struct da_yaml_out *w)
{
	yaml_event_t ev;

	if (da_yw_map_end(w) < 0)
		return DA_ERUNTIME;
	yaml_document_end_event_initialize(&ev, 1);
	if (emit(w, &ev) < 0)
		return DA_ERUNTIME;
	yaml_stream_end_event_initialize(&ev);
	if (emit(w, &ev) < 0)
		return DA_ERUNTIME;
	if (!yaml_emitter_flush(&w->em) || !w->buf)
		return da_errf(DA_ERUNTIME, "yaml emitter: flush failed");
	return 0;
}

void da_yw_free(struct da_yaml_out *w)
{
	yaml_emitter_delete(&w->em);
	free(w->buf);
	w->buf = NULL;
}

int da_yw_str(struct da_yaml_out *w, const char *s)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (!s) {
		yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)"~", 1, 1, 1,
					     YAML_PLAIN_SCALAR_STYLE);
		return emit(w, &ev);
	}
	if (strchr(s, '\n'))
		style = YAML_LITERAL_SCALAR_STYLE;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, style))
		return da_errf(DA_ERUNTIME, "yaml emitter: out of memory");
	return emit(w, &ev);
}

static int plain(struct da_yaml_out *w, const char *s)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 0,
				     YAML_PLAIN_SCALAR_STYLE);
	return emit(w, &ev);
}

int da_yw_kv(struct da_yaml_out *w, const char *key, const char *value)
{
	if (da_yw_str(w, key) < 0)
		return DA_ERUNTIME;
	return da_yw_str(w, value);
}

int da_yw_kv_long(struct da_yaml_out *w, const char *key, long value)
{
	char num[32];

	snprintf(num, sizeof num, "%ld", value);
	if (da_yw_str(w, key) < 0)
		return DA_ERUNTIME;
	return plain(w, num);
}

int da_yw_kv_double(struct da_yaml_out *w, const char *key, double value)
{
	char num[64];

	snprintf(num, sizeof num, "%.6g", value);
	if (da_yw_str(w, key) < 0)
		return DA_ERUNTIME;
	return plain(w, num);
}

int da_yw_kv_bool(struct da_yaml_out *w, const char *key, bool value)
{
	if (da_yw_str(w, key) < 0)
		return DA_ERUNTIME;
	return plain(w, value ? "true" : "false");
}

int da_yw_kv_list(struct da_yaml_out *w, const char *key, char *const *items, size_t n)
{
	if (da_yw_str(w, key) < 0 || da_yw_seq_start(w) < 0)
		return DA_ERUNTIME;
	for (size_t i = 0; i < n; i++)
		if (da_yw_str(w, items[i]) < 0)
			return DA_ERUNTIME;
	return da_yw_seq_end(w);
}

int da_yw_map_start(struct da_yaml_out *w)
{
	yaml_event_t ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	return emit(w, &ev);
}

int da_yw_map_end(struct da_yaml_out *w)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	return emit(w, &ev);
}

int da_yw_seq_start(struct da_yaml_out *w)
{
	yaml_event_t ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	return emit(w, &ev);
}

int da_yw_seq_end(struct da_yaml_out *w)
{
	yaml_event_t ev;

	yaml_sequence_end_event_initialize(&ev);
	return emit(w, &ev);
}

bool da_text_ok(const char *s, size_t len, bool allow_newlines)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned char c = *p;
		int extra;
		unsigned cp;

		if (c < 0x80) {
			if (c == 0 || c == 0x7f)
				return false;
			if (c < 0x20 && !(allow_newlines && (c == '\n' || c == '\t' || c == '\r')))
				return false;
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			extra = 1, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			extra = 2, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			extra = 3, cp = c & 0x07;
		else
			return false;
		if (end - p <= extra)
			return false;
		for (int i = 1; i <= extra; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += extra + 1;
	}
	return true;
}
