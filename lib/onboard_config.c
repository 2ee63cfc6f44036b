/* onboard_config: the texts onboarding writes. projects/<name>.yaml is
 * written as text rather than through the emitter because it carries
 * comments for the user (libyaml's emitter cannot write comments); every
 * value is either validated to a plain-safe charset or double-quoted with
 * escapes, and the result is parsed back before anyone writes it. */
#include "onboard.h"

#include "err.h"
#include "yamlutil.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *piece;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&piece, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->failed = true;
			free(piece);
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, piece, (size_t)n + 1);
	b->len += (size_t)n;
	free(piece);
}

/* A YAML double-quoted scalar. Callers pass text checked by da_text_ok
 * (no control characters), so only the backslash and the quote need escapes. */
static void bquoted(struct buf *b, const char *s)
{
	bprintf(b, "\"");
	for (; *s; s++)
		bprintf(b, "%s%c", (*s == '"' || *s == '\\') ? "\\" : "", *s);
	bprintf(b, "\"");
}

static bool safe_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static bool safe_part(const char *s, size_t len)
{
	if (len == 0 || len > 100 || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!safe_char(s[i]))
			return false;
	return true;
}

int da_onboard_check_repo(const char *repo)
{
	const char *slash = repo ? strchr(repo, '/') : NULL;

	if (!slash || !safe_part(repo, (size_t)(slash - repo)) || !safe_part(slash + 1, strlen(slash + 1)))
		return da_errf(DA_EUSAGE, "repository \"%s\" is not owner/name", repo ? repo : "");
	return 0;
}

int da_onboard_repo_from_url(const char *url, char **out)
{
	size_t len = url ? strlen(url) : 0;
	const char *end, *mid, *start;
	char *r;

	*out = NULL;
	/* a URL with a host (scheme:// or scp-like host:path); a local path
	 * names no forge repository */
	if (!url || !strchr(url, ':'))
		return da_errf(DA_EUSAGE, "cannot tell owner/name from \"%s\" (not a forge URL)",
			       url ? url : "");
	while (len > 0 && url[len - 1] == '/')
		len--;
	if (len > 4 && !strncmp(url + len - 4, ".git", 4))
		len -= 4;
	end = url + len;
	for (mid = end; mid > url && mid[-1] != '/' && mid[-1] != ':'; mid--)
		;
	if (mid <= url || mid[-1] != '/')
		return da_errf(DA_EUSAGE, "cannot tell owner/name from \"%s\"", url ? url : "");
	for (start = mid - 1; start > url && start[-1] != '/' && start[-1] != ':'; start--)
		;
	if (asprintf(&r, "%.*s", (int)(end - start), start) < 0)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (da_onboard_check_repo(r) < 0) {
		free(r);
		return da_errf(DA_EUSAGE, "cannot tell owner/name from \"%s\"", url);
	}
	*out = r;
	return 0;
}

int da_onboard_check_label(const char *label)
{
	if (!label || !safe_part(label, strlen(label)))
		return da_errf(DA_EUSAGE, "runner label \"%s\" is not [A-Za-z0-9._-]+", label ? label : "");
	return 0;
}

static void commands_part(struct buf *b, const struct da_detect *d)
{
	bool any = false;

	for (int k = 0; d && d->detected && k < DA_CMD_N; k++)
		any = any || d->cmd[k];
	if (!any) {
		bprintf(b, "# Commands were NOT detected: %s.\n",
			d && d->reason ? d->reason : "no detection ran");
		bprintf(b, "# Fill in the ones this project has (a gate without a command is skipped),\n"
			   "# then delete the `{}`. Examples, not detected facts:\n"
			   "commands: {}\n"
			   "#  test: make test\n#  typecheck: npx tsc --noEmit\n"
			   "#  build: make\n#  lint: make lint\n");
		return;
	}
	bprintf(b, "# Verification gates, run by da-run in a fresh checkout (never from the\n"
		   "# agent's workspace). Detected: %s, %s.%s%s\n", d->language, d->package_manager,
		d->reason ? " Note: " : "", d->reason ? d->reason : "");
	bprintf(b, "commands:\n");
	for (int k = 0; k < DA_CMD_N; k++) {
		if (d->cmd[k]) {
			bprintf(b, "  %s: ", da_cmd_name(k));
			bquoted(b, d->cmd[k]);
			bprintf(b, "   # from: %s\n", d->from[k]);
		} else {
			bprintf(b, "  # %s: not detected; add it if the project has one\n", da_cmd_name(k));
		}
	}
}

int da_onboard_config_text(const struct da_onboard_config *c, const struct da_detect *d, char **out)
{
	struct buf b = { 0 };
	struct da_yaml_doc doc = { 0 };

	*out = NULL;
	bprintf(&b, "# dev-agents project %s, written by ./onboard.\n"
		    "# Edit freely: a re-run never overwrites this file (only --force does).\n",
		c->repo);
	bprintf(&b, "repo: %s\nforge: %s\n", c->repo, c->forge);
	if (c->api_url) {
		bprintf(&b, "api_url: ");
		bquoted(&b, c->api_url);
		bprintf(&b, "\n");
	}
	bprintf(&b, "remote: ");
	bquoted(&b, c->remote);
	bprintf(&b, "\ndefault_branch: ");
	bquoted(&b, c->default_branch);
	bprintf(&b, "\n# The self-hosted runner label this project is pinned to: its dispatches\n"
		    "# carry it, so its queue order and lock stay on one machine.\n"
		    "runner: %s\n"
		    "# auto: merge when every gate and the review pass; leave-open: stop at the PR\n"
		    "merge: auto\n"
		    "# Labels on the repository: `dev-agents` on an issue starts a task; adding\n"
		    "# `bug` makes it a bugfix, `hotfix` a hotfix (first in the queue). PRs of\n"
		    "# failed pipelines get `pipeline-failed`.\n",
		c->runner);
	commands_part(&b, d);
	bprintf(&b, "gate_timeout_seconds: 1800\n");
	if (b.failed) {
		free(b.s);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	/* the text must be YAML that says what we meant: parse it back */
	if (da_yaml_load(&doc, "generated config", b.s, b.len) < 0) {
		free(b.s);
		return da_errctx(DA_ERUNTIME, "onboarding wrote invalid YAML");
	}
	da_yaml_free(&doc);
	*out = b.s;
	return 0;
}

static const char *scalar_at(struct da_yaml_doc *d, const char *key, const char *sub)
{
	yaml_node_t *n = da_yaml_get(d, da_yaml_root(d), key);

	if (n && sub)
		n = n->type == YAML_MAPPING_NODE ? da_yaml_get(d, n, sub) : NULL;
	return n ? da_yaml_scalar(n) : NULL;
}

int da_onboard_config_diff(const char *name, const char *old_text, const char *new_text, char **out)
{
	static const char *const keys[] = { "repo", "forge", "api_url", "remote", "default_branch",
					    "runner", "merge" };
	struct da_yaml_doc a = { 0 }, b = { 0 };
	struct buf o = { 0 };
	int rc;

	*out = NULL;
	if ((rc = da_yaml_load(&a, name, old_text, strlen(old_text))) < 0 ||
	    (rc = da_yaml_load(&b, "new config", new_text, strlen(new_text))) < 0)
		goto done;
	bprintf(&o, "%s", "");
	for (size_t i = 0; i < sizeof keys / sizeof keys[0] + DA_CMD_N; i++) {
		bool cmd = i >= sizeof keys / sizeof keys[0];
		const char *key = cmd ? "commands" : keys[i];
		const char *sub = cmd ? da_cmd_name((int)(i - sizeof keys / sizeof keys[0])) : NULL;
		const char *x = scalar_at(&a, key, sub), *y = scalar_at(&b, key, sub);

		if ((x || y) && (!x || !y || strcmp(x, y)))
			bprintf(&o, "  %s%s%s: yours %s%s%s, onboarding would write %s%s%s\n", key,
				sub ? "." : "", sub ? sub : "", x ? "\"" : "", x ? x : "(none)",
				x ? "\"" : "", y ? "\"" : "", y ? y : "(none)", y ? "\"" : "");
	}
	if (o.failed)
		rc = da_errf(DA_ERUNTIME, "out of memory");
done:
	da_yaml_free(&a);
	da_yaml_free(&b);
	if (rc < 0)
		free(o.s);
	else
		*out = o.s;
	return rc;
}

static int replace_all(const char *text, const char *from, const char *to, char **out)
{
	struct buf b = { 0 };
	size_t fl = strlen(from);
	int count = 0;

	for (const char *p = text, *q; *p; p = q + fl) {
		q = strstr(p, from);
		if (!q) {
			bprintf(&b, "%s", p);
			break;
		}
		bprintf(&b, "%.*s%s", (int)(q - p), p, to);
		count++;
	}
	if (b.failed || !b.s) {
		free(b.s);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	*out = b.s;
	return count;
}

int da_onboard_render_dispatch(const char *template_text, const char *dev_agents_repo,
			       const char *runner, char **out)
{
	char *step = NULL;
	int n;

	*out = NULL;
	if (da_onboard_check_repo(dev_agents_repo) < 0 || da_onboard_check_label(runner) < 0)
		return DA_EUSAGE;
	if ((n = replace_all(template_text, "__DEV_AGENTS_REPO__", dev_agents_repo, &step)) < 0)
		return n;
	if (n == 0 || (n = replace_all(step, "__RUNNER_LABEL__", runner, out)) <= 0) {
		free(step);
		free(*out);
		*out = NULL;
		return n < 0 ? n : da_errf(DA_ERUNTIME, "dispatch template lacks its placeholders");
	}
	free(step);
	return 0;
}
