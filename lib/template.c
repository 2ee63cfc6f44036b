/* template: {{placeholder}} substitution for prompt templates and
 * commit messages. Values are inserted as they are, never re-scanned,
 * so an issue body containing "{{spec}}" stays literal text. */
#include "workflow.h"
#include "err.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_MAX_BYTES (256 * 1024)

static const char *const known[] = {
	"issue_number", "issue_title", "issue_body", "spec", "failure_memory", "gate_output",
	"steering", "review_findings", "branch", "repo", "commit_type", NULL,
};

bool da_placeholder_known(const char *name, size_t len)
{
	for (size_t i = 0; known[i]; i++)
		if (strlen(known[i]) == len && !strncmp(known[i], name, len))
			return true;
	return false;
}

static const char *value_of(const struct da_tmpl_var *vars, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i].name) == len && !strncmp(vars[i].name, name, len))
			return vars[i].value ? vars[i].value : "";
	return "";
}

static size_t line_at(const char *start, const char *p)
{
	size_t line = 1;

	for (; start < p; start++)
		line += *start == '\n';
	return line;
}

int da_template_render(const char *name, const char *tmpl, const struct da_tmpl_var *vars, size_t n_vars,
		       char **out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *p = tmpl;
	int rc = 0;

	*out = NULL;
	if (!f)
		return da_errf(DA_ERUNTIME, "out of memory");
	while (*p) {
		const char *open = strstr(p, "{{"), *close;

		if (!open) {
			fputs(p, f);
			break;
		}
		fwrite(p, 1, (size_t)(open - p), f);
		close = strstr(open + 2, "}}");
		const char *nm = open + 2;

		while (close && *nm == ' ')
			nm++;
		size_t nl = close ? (size_t)(close - nm) : 0;

		while (nl && nm[nl - 1] == ' ')
			nl--;
		if (!close || !da_placeholder_known(nm, nl)) {
			rc = da_errf(DA_EUSAGE, "%s:%zu: unknown placeholder {{%.*s}}", name, line_at(tmpl, open),
				     close ? (int)nl : 20, nm);
			break;
		}
		fputs(value_of(vars, n_vars, nm, nl), f);
		p = close + 2;
	}
	if (fclose(f) != 0 && rc == 0)
		rc = da_errf(DA_ERUNTIME, "out of memory");
	if (rc < 0)
		free(text);
	else
		*out = text;
	return rc;
}

int da_template_render_file(const char *path, const struct da_tmpl_var *vars, size_t n_vars, char **out)
{
	char *tmpl;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = da_read_file(path, TEMPLATE_MAX_BYTES, &tmpl, &len)) < 0)
		return rc;
	rc = da_template_render(path, tmpl, vars, n_vars, out);
	free(tmpl);
	return rc;
}
