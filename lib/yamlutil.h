/* yamlutil: reading YAML into typed values and writing it with libyaml.
 *
 * Reading loads a whole document (libyaml's document API) and offers
 * lookups by key; every error carries the file name and line. Writing
 * goes through an emitter into a growing memory buffer, which the caller
 * then hands to da_write_atomic(). */
#ifndef DA_YAMLUTIL_H
#define DA_YAMLUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

struct da_yaml_doc {
	yaml_document_t doc;
	char *name;	/* file name for messages; owned */
	bool loaded;
};

/* Parse text (len bytes). Empty text gives a document with no root. */
int da_yaml_load(struct da_yaml_doc *d, const char *name, const char *text, size_t len);
int da_yaml_load_file(struct da_yaml_doc *d, const char *path, size_t max_len);
void da_yaml_free(struct da_yaml_doc *d);

yaml_node_t *da_yaml_root(struct da_yaml_doc *d);
/* Value node for key in a mapping node, or NULL. */
yaml_node_t *da_yaml_get(struct da_yaml_doc *d, yaml_node_t *map, const char *key);
/* Scalar text (NUL-terminated by libyaml) or NULL when not a scalar. */
const char *da_yaml_scalar(yaml_node_t *node);
/* 1-based line of a node, for messages. */
size_t da_yaml_line(yaml_node_t *node);

/* Typed getters: DA_EUSAGE with "file:line: key: reason" on a wrong type.
 * Missing keys leave *out untouched and return 0. */
int da_yaml_get_str(struct da_yaml_doc *d, yaml_node_t *map, const char *key, char **out);
int da_yaml_get_long(struct da_yaml_doc *d, yaml_node_t *map, const char *key, long *out);
int da_yaml_get_double(struct da_yaml_doc *d, yaml_node_t *map, const char *key, double *out);
int da_yaml_get_bool(struct da_yaml_doc *d, yaml_node_t *map, const char *key, bool *out);
/* A sequence of scalars, or a comma-separated scalar. NULL-terminated. */
int da_yaml_get_strlist(struct da_yaml_doc *d, yaml_node_t *map, const char *key, char ***out, size_t *n);
/* Error at a node: "file:line: fmt". Returns DA_EUSAGE. */
int da_yaml_errat(struct da_yaml_doc *d, yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void da_strlist_free(char **list);

/* Writer */
struct da_yaml_out {
	yaml_emitter_t em;
	char *buf;
	size_t len, cap;
	bool failed;
};

int da_yw_begin(struct da_yaml_out *w);	/* stream + document + top mapping */
int da_yw_end(struct da_yaml_out *w);	/* closes mapping, document, stream */
void da_yw_free(struct da_yaml_out *w);	/* frees buf too */
int da_yw_str(struct da_yaml_out *w, const char *s);	/* a scalar; NULL gives null */
int da_yw_kv(struct da_yaml_out *w, const char *key, const char *value);
int da_yw_kv_long(struct da_yaml_out *w, const char *key, long value);
int da_yw_kv_double(struct da_yaml_out *w, const char *key, double value);
int da_yw_kv_bool(struct da_yaml_out *w, const char *key, bool value);
int da_yw_kv_list(struct da_yaml_out *w, const char *key, char *const *items, size_t n);
int da_yw_map_start(struct da_yaml_out *w);
int da_yw_map_end(struct da_yaml_out *w);
int da_yw_seq_start(struct da_yaml_out *w);
int da_yw_seq_end(struct da_yaml_out *w);

/* true when the bytes are valid UTF-8 with no NUL and no control
 * characters other than \t \n \r (when allow_newlines) */
bool da_text_ok(const char *s, size_t len, bool allow_newlines);

#endif
