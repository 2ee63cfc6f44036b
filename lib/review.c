/* review: the pre-push review as one call (see review.h). */
#include "review.h"

#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REVIEW_RUN_NAME "review"
#define DEFAULT_OUT ".dev-agents/review"

static const char *const base_candidates[] = {
	"origin/HEAD", "origin/main", "origin/master", "main", "master", NULL,
};

int da_review_default_base(struct da_git *g, char **out)
{
	char oid[DA_GIT_OID_HEXSZ], head[DA_GIT_OID_HEXSZ];
	int rc;

	*out = NULL;
	if ((rc = da_git_resolve(g, "HEAD", head)) < 0)
		return da_errctx(rc, "HEAD");
	for (int i = 0; base_candidates[i]; i++) {
		if (da_git_resolve(g, base_candidates[i], oid) < 0)
			continue;
		if (da_git_merge_base(g, "HEAD", base_candidates[i], oid) < 0)
			continue;
		da_errclear();
		return (*out = strdup(oid)) ? 0 : da_errf(DA_ERUNTIME, "out of memory");
	}
	return da_errf(DA_EUSAGE, "no default branch to review against (origin/HEAD, origin/main, "
		       "main, ...); pass --base");
}

/* ./.dev-agents/review, with a .gitignore of "*" in .dev-agents so that a
 * review in a working clone never dirties it (da_git_commit_all adds
 * everything that is not ignored). */
static int default_out_dir(char **out)
{
	const char *ignore = "# dev-agents run files; never committed\n*\n";
	char path[DA_PATH_MAX];
	int rc;

	if ((rc = da_mkdirs(DEFAULT_OUT)) < 0)
		return rc;
	if ((rc = da_pathf(path, sizeof path, ".dev-agents/.gitignore")) < 0)
		return rc;
	if (!da_path_exists(path) &&
	    (rc = da_write_atomic(".dev-agents", ".gitignore", ignore, strlen(ignore),
				  DA_WRITE_NOREPLACE, NULL)) < 0)
		return rc;
	return (*out = strdup(DEFAULT_OUT)) ? 0 : da_errf(DA_ERUNTIME, "out of memory");
}

static void add_usage(struct da_review *r, const struct da_agent_result *res)
{
	r->turns += res->turns;
	r->input_tokens += res->input_tokens;
	r->output_tokens += res->output_tokens;
	r->cost_usd += res->cost_usd;
	r->agent_runs++;
	if (res->session_id) {
		free(r->session_id);
		r->session_id = strdup(res->session_id);
	}
}

struct ctx {
	const struct da_review_opts *o;
	const struct da_agent_roles *roles;
	const struct da_agent_role *role;
	struct da_agent_budget *budget;
	const char *cwd;
	struct da_review *r;
};

/* One agent run. 0: *usable says whether the answer parsed (else `why`
 * holds the reason and `session` the id to resume, if any). <0: the agent
 * failed for a reason a reminder cannot fix. */
static int ask(struct ctx *c, const char *prompt, const char *resume, bool *usable,
	       char *why, size_t why_size, char **session)
{
	struct da_agent_request req = {
		.cfg = c->roles, .role = c->role, .prompt = prompt, .cwd = c->cwd,
		.resume_id = resume, .run_dir = c->r->out_dir, .name = REVIEW_RUN_NAME,
		.budget = c->budget,
	};
	struct da_agent_result res = { 0 };
	int rc = da_agent_run(&req, &res);

	*usable = false;
	add_usage(c->r, &res);
	/* the caller waits for the window like an agent stage does (not_before) */
	if (rc == DA_ETEMP && c->o->reset_at)
		*c->o->reset_at = res.reset_at;
	if (rc < 0 && res.error_kind != DA_AGENT_MALFORMED)
		goto out;
	if (rc == 0 && (rc = da_review_parse(res.final_text, c->r)) == 0) {
		*usable = true;
		goto out;
	}
	if (rc == DA_ERUNTIME && res.error_kind != DA_AGENT_MALFORMED)
		goto out;	/* out of memory */
	snprintf(why, why_size, "%s", res.ok ? da_errmsg() : "your run ended without a final result");
	free(*session);
	*session = res.session_id ? strdup(res.session_id) : NULL;
	da_errclear();
	rc = 0;
out:
	da_agent_result_free(&res);
	return rc;
}

/* The agent, and once more with a reminder when its answer is unusable:
 * in the same session when there is one (it has the diff already), else
 * a fresh run that gets the whole prompt again. */
static int ask_with_retry(struct ctx *c, const char *prompt)
{
	char why[300] = "", *session = NULL, *reminder = NULL, *again = NULL;
	bool usable;
	int rc;

	if ((rc = ask(c, prompt, NULL, &usable, why, sizeof why, &session)) < 0 || usable)
		goto out;
	da_warn("the reviewer's answer was unusable (%s); asking once more", why);
	if (!(reminder = da_review_reminder(why)))
		goto oom;
	if (!session) {
		size_t n = strlen(prompt) + strlen(reminder) + 3;

		if (!(again = malloc(n)))
			goto oom;
		snprintf(again, n, "%s\n\n%s", prompt, reminder);
	}
	char why2[300] = "";

	if ((rc = ask(c, session ? reminder : again, session, &usable, why2, sizeof why2, &session)) < 0)
		goto out;
	if (!usable)
		rc = da_errf(DA_EUSAGE, "the reviewer's answer was unusable twice: %s", why2);
	goto out;
oom:
	rc = da_errf(DA_ERUNTIME, "out of memory");
out:
	free(session);
	free(reminder);
	free(again);
	return rc;
}

static int take_omissions(struct da_review *r, struct da_review_prompt *p)
{
	r->omitted = p->omitted;
	r->nomitted = p->nomitted;
	p->omitted = NULL;
	p->nomitted = 0;
	return 0;
}

static int review_diff(struct ctx *c, const struct da_git_diff *d)
{
	struct da_review_prompt p = { 0 };
	int rc;

	if (!d->nfiles) {
		rc = da_errf(DA_EUSAGE, "nothing to review: %.12s and %.12s have the same tree",
			     d->base_oid, d->head_oid);
		goto out;
	}
	if ((rc = da_review_build_prompt(d, &c->o->limits, c->o->context, &p)) < 0)
		goto out;
	take_omissions(c->r, &p);
	if ((rc = da_mkdirs(c->r->out_dir)) < 0 ||
	    (rc = da_write_atomic(c->r->out_dir, "prompt.md", p.text, p.len, DA_WRITE_REPLACE,
				  NULL)) < 0)
		goto out;
	if ((rc = ask_with_retry(c, p.text)) < 0)
		goto out;
	da_review_classify(c->r, d);
	rc = da_review_write(c->r);
out:
	da_review_prompt_clear(&p);
	return rc;
}

static int open_and_diff(const struct da_review_opts *o, struct da_git **g, struct da_git_diff **d,
			 struct da_review *r)
{
	char *base = NULL;
	int rc;

	if ((rc = da_git_open(o->repo ? o->repo : ".", g)) < 0)
		return da_errctx(DA_EUSAGE, "--repo");
	if (da_git_is_bare(*g))
		return da_errf(DA_EUSAGE, "%s is a bare repository; review a working clone",
			       o->repo ? o->repo : ".");
	bool dirty = false;

	/* a review of HEAD that silently ignored edits would mislead */
	if (da_git_is_dirty(*g, &dirty) == 0 && dirty)
		da_warn("%s has uncommitted changes; only commits up to HEAD are reviewed",
			o->repo ? o->repo : ".");
	da_errclear();
	if (!o->base && (rc = da_review_default_base(*g, &base)) < 0)
		return rc;
	rc = da_git_diff(*g, o->base ? o->base : base, o->head ? o->head : "HEAD", d);
	if (rc < 0 && o->base)
		rc = da_errctx(DA_EUSAGE, "--base %s", o->base);
	free(base);
	if (rc == 0) {
		memcpy(r->base_oid, (*d)->base_oid, sizeof r->base_oid);
		memcpy(r->head_oid, (*d)->head_oid, sizeof r->head_oid);
	}
	return rc;
}

int da_review_run(const struct da_review_opts *o, struct da_review **out)
{
	struct da_agent_roles *loaded = NULL;
	struct da_agent_budget own;
	struct da_git *g = NULL;
	struct da_git_diff *d = NULL;
	struct da_review *r = calloc(1, sizeof *r);
	struct ctx c = { .o = o, .r = r, .roles = o->roles, .budget = o->budget };
	int rc;

	*out = NULL;
	if (!r)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (!c.roles && (rc = da_agent_roles_load(o->project, &loaded)) < 0)
		goto out;
	if (loaded)
		c.roles = loaded;
	if (!(c.role = da_agent_role_find(c.roles, "reviewer"))) {
		rc = da_errf(DA_EUSAGE, "no reviewer role in the agent config");
		goto out;
	}
	if (!c.budget) {
		da_agent_budget_init(&own, c.roles);
		c.budget = &own;
	}
	if ((rc = open_and_diff(o, &g, &d, r)) < 0)
		goto out;
	c.cwd = da_git_workdir(g);
	if (o->out_dir)
		r->out_dir = strdup(o->out_dir);
	else if ((rc = default_out_dir(&r->out_dir)) < 0)
		goto out;
	if (!r->out_dir) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	rc = review_diff(&c, d);
out:
	da_git_diff_free(d);
	da_git_free(g);
	da_agent_roles_free(loaded);
	if (rc < 0) {
		da_review_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void da_review_free(struct da_review *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfindings; i++) {
		free(r->findings[i].file);
		free(r->findings[i].message);
	}
	for (size_t i = 0; i < r->nomitted; i++) {
		free(r->omitted[i].path);
		free(r->omitted[i].reason);
	}
	free(r->findings);
	free(r->omitted);
	free(r->downgrade_reason);
	free(r->summary);
	free(r->session_id);
	free(r->out_dir);
	free(r->yaml_path);
	free(r->md_path);
	free(r);
}
