/* review_parse: the reviewer's answer, read with jansson and validated
 * once, here at the edge. Agents wrap the object in prose or a ```json
 * fence, and sometimes quote the format before answering: the last
 * object that carries a "verdict" key is the answer. */
#include "review.h"

#include "err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ANSWER_WINDOW (64 * 1024)

const char *da_review_verdict_name(enum da_review_verdict v)
{
	switch (v) {
	case DA_REVIEW_APPROVE: return "APPROVE";
	case DA_REVIEW_REQUEST_CHANGES: return "REQUEST_CHANGES";
	default: return "NONE";
	}
}

const char *da_review_severity_name(enum da_review_severity s)
{
	switch (s) {
	case DA_REVIEW_CRITICAL: return "critical";
	case DA_REVIEW_MAJOR: return "major";
	default: return "minor";
	}
}

/* The last JSON object in text that has a "verdict" key; NULL if none.
 * Each '{' is tried as the start of a value; a parsed object is skipped
 * whole so its inner objects are not tried again. */
static json_t *find_answer(const char *text)
{
	size_t len = strlen(text);
	json_t *best = NULL;

	/* the answer ends the text; bound the work on a long ramble */
	for (size_t i = len > ANSWER_WINDOW ? len - ANSWER_WINDOW : 0; i < len; i++) {
		json_error_t err;
		json_t *v;

		if (text[i] != '{')
			continue;
		v = json_loadb(text + i, len - i, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &err);
		if (!v)
			continue;
		if (json_is_object(v) && json_object_get(v, "verdict")) {
			json_decref(best);
			best = v;
		} else {
			json_decref(v);
		}
		if (err.position > 1)
			i += (size_t)err.position - 1;
	}
	return best;
}

static int parse_verdict(json_t *v, enum da_review_verdict *out)
{
	const char *s = json_string_value(v);

	if (!s)
		return da_errf(DA_EUSAGE, "\"verdict\" is not a string");
	if (!strcmp(s, "APPROVE"))
		*out = DA_REVIEW_APPROVE;
	else if (!strcmp(s, "REQUEST_CHANGES"))
		*out = DA_REVIEW_REQUEST_CHANGES;
	else
		return da_errf(DA_EUSAGE, "unknown verdict \"%.40s\" (APPROVE or REQUEST_CHANGES)", s);
	return 0;
}

static int parse_severity(json_t *v, size_t i, enum da_review_severity *out)
{
	const char *s = json_string_value(v);

	if (s && !strcasecmp(s, "critical"))
		*out = DA_REVIEW_CRITICAL;
	else if (s && !strcasecmp(s, "major"))
		*out = DA_REVIEW_MAJOR;
	else if (s && !strcasecmp(s, "minor"))
		*out = DA_REVIEW_MINOR;
	else
		return da_errf(DA_EUSAGE, "finding %zu: severity must be critical, major or minor", i + 1);
	return 0;
}

static int parse_finding(json_t *o, size_t i, struct da_review_finding *f)
{
	json_t *line = json_object_get(o, "line");
	const char *file = json_string_value(json_object_get(o, "file"));
	const char *msg = json_string_value(json_object_get(o, "message"));
	int rc;

	if (!json_is_object(o))
		return da_errf(DA_EUSAGE, "finding %zu is not an object", i + 1);
	if ((rc = parse_severity(json_object_get(o, "severity"), i, &f->severity)) < 0)
		return rc;
	if (!file || !file[0])
		return da_errf(DA_EUSAGE, "finding %zu: \"file\" must be a non-empty string", i + 1);
	if (!msg || !msg[0])
		return da_errf(DA_EUSAGE, "finding %zu: \"message\" must be a non-empty string", i + 1);
	/* a whole-file remark may leave the line out or null */
	if (line && !json_is_null(line) && (!json_is_integer(line) || json_integer_value(line) < 0))
		return da_errf(DA_EUSAGE, "finding %zu: \"line\" must be a non-negative integer", i + 1);
	f->line = json_is_integer(line) ? (long)json_integer_value(line) : 0;
	f->file = strdup(file);
	f->message = strdup(msg);
	if (!f->file || !f->message)
		return da_errf(DA_ERUNTIME, "out of memory");
	return 0;
}

static void findings_free(struct da_review_finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].file);
		free(f[i].message);
	}
	free(f);
}

static int parse_findings(json_t *arr, struct da_review_finding **out, size_t *n)
{
	size_t count = json_array_size(arr);
	struct da_review_finding *f;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (arr && !json_is_array(arr))
		return da_errf(DA_EUSAGE, "\"findings\" is not an array");
	if (!count)
		return 0;
	if (!(f = calloc(count, sizeof *f)))
		return da_errf(DA_ERUNTIME, "out of memory");
	for (size_t i = 0; i < count && rc == 0; i++)
		rc = parse_finding(json_array_get(arr, i), i, &f[i]);
	if (rc < 0) {
		findings_free(f, count);
		return rc;
	}
	*out = f;
	*n = count;
	return 0;
}

/* Never a silent approve: a critical finding outweighs the word. */
static int apply_downgrade(struct da_review *r)
{
	size_t critical = 0;

	for (size_t i = 0; i < r->nfindings; i++)
		critical += r->findings[i].severity == DA_REVIEW_CRITICAL;
	r->verdict = r->agent_verdict;
	if (r->agent_verdict != DA_REVIEW_APPROVE || !critical)
		return 0;
	r->verdict = DA_REVIEW_REQUEST_CHANGES;
	char why[160];

	snprintf(why, sizeof why, "the reviewer answered APPROVE with %zu critical finding%s; a "
		 "critical finding always requests changes", critical, critical == 1 ? "" : "s");
	return (r->downgrade_reason = strdup(why)) ? 0 : da_errf(DA_ERUNTIME, "out of memory");
}

int da_review_parse(const char *final_text, struct da_review *r)
{
	struct da_review_finding *findings = NULL;
	enum da_review_verdict verdict = DA_REVIEW_NONE;
	const char *summary;
	size_t n = 0;
	json_t *root;
	int rc;

	if (!final_text || !final_text[strspn(final_text, " \t\r\n")])
		return da_errf(DA_EUSAGE, "the reviewer gave no final text");
	if (!(root = find_answer(final_text)))
		return da_errf(DA_EUSAGE, "no JSON object with a \"verdict\" in the reviewer's answer");
	if ((rc = parse_verdict(json_object_get(root, "verdict"), &verdict)) < 0)
		goto out;
	summary = json_string_value(json_object_get(root, "summary"));
	if (json_object_get(root, "summary") && !summary) {
		rc = da_errf(DA_EUSAGE, "\"summary\" is not a string");
		goto out;
	}
	if ((rc = parse_findings(json_object_get(root, "findings"), &findings, &n)) < 0)
		goto out;
	char *sum = strdup(summary ? summary : "");

	if (!sum) {
		findings_free(findings, n);
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	free(r->summary);
	findings_free(r->findings, r->nfindings);
	free(r->downgrade_reason);
	r->downgrade_reason = NULL;
	r->summary = sum;
	r->findings = findings;
	r->nfindings = n;
	r->agent_verdict = verdict;
	rc = apply_downgrade(r);
out:
	json_decref(root);
	return rc;
}

static const char *strip_prefix(const char *file)
{
	if (!strncmp(file, "a/", 2) || !strncmp(file, "b/", 2) || !strncmp(file, "./", 2))
		return file + 2;
	return file;
}

void da_review_classify(struct da_review *r, const struct da_git_diff *d)
{
	for (size_t i = 0; i < r->nfindings; i++) {
		struct da_review_finding *f = &r->findings[i];

		if (!da_git_diff_file(d, f->file) && da_git_diff_file(d, strip_prefix(f->file))) {
			/* the agent copied a/ b/ from the diff header */
			memmove(f->file, strip_prefix(f->file), strlen(strip_prefix(f->file)) + 1);
		}
		f->inline_ok = f->line > 0 && da_git_diff_has_line(d, f->file, f->line);
	}
}

int da_review_inline_findings(const struct da_review *r, const struct da_review_finding ***out,
			      size_t *n)
{
	const struct da_review_finding **list;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!r || !r->nfindings)
		return 0;
	if (!(list = calloc(r->nfindings, sizeof *list)))
		return da_errf(DA_ERUNTIME, "out of memory");
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].inline_ok)
			list[k++] = &r->findings[i];
	*out = list;
	*n = k;
	return 0;
}
