/* onboard: the six steps (see onboard.h). Every step looks before it
 * writes, so a re-run on an onboarded repository changes nothing and says
 * "already done" six times. */
#include "onboard.h"

#include "err.h"
#include "forge_impl.h"	/* da_forge_env_token: the one reader of token variables */
#include "fsutil.h"
#include "git.h"
#include "paths.h"
#include "yamlutil.h"

#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STEPS 6

struct ctx {
	const struct da_onboard_opts *o;
	FILE *out;
	char tmp[DA_PATH_MAX];		/* the clone's parent, removed at the end */
	char projects[DA_PATH_MAX];	/* $DA_HOME/projects */
	const char *name;
	char *remote;
	char *default_branch;
	char *runner;
	char *dev_agents_repo;		/* the option, or derived from $DA_HOME's origin */
	struct da_detect *det;
	struct da_forge *forge;
};

static void report(struct ctx *c, int step, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(struct ctx *c, int step, const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->out, "%d/%d %s: ", step, STEPS, what);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
	fflush(c->out);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *default_remote(const struct da_onboard_opts *o)
{
	char *s = NULL;

	if (o->forge == DA_FORGE_GITEA && o->api_url)
		return asprintf(&s, "%s/%s.git", o->api_url, o->repo) < 0 ? NULL : s;
	return asprintf(&s, "https://github.com/%s.git", o->repo) < 0 ? NULL : s;
}

/* ---- 1 clone, 2 detect ---- */

static int step_clone_and_detect(struct ctx *c)
{
	struct da_git_creds creds = { 0 };
	struct da_git *g = NULL;
	char dir[DA_PATH_MAX];
	int rc;

	if (c->o->forge != DA_FORGE_LOCAL)
		creds.token = da_forge_env_token(DA_FORGE_WRITER);
	snprintf(c->tmp, sizeof c->tmp, "%s/da-onboard-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(c->tmp)) {
		c->tmp[0] = '\0';
		return da_errf(DA_ERUNTIME, "temporary directory: %s", strerror(errno));
	}
	if ((rc = da_pathf(dir, sizeof dir, "%s/repo", c->tmp)) < 0)
		return rc;
	rc = da_git_clone(c->remote, dir, NULL, &creds, &g);
	if (rc == 0)
		rc = da_git_default_branch(g, &creds, &c->default_branch);
	da_git_free(g);
	if (rc < 0)
		return da_errctx(rc, "step 1 clone %s", c->remote);
	report(c, 1, "clone", "done (%s, default branch %s; removed after)", c->remote, c->default_branch);
	if ((rc = da_detect_tree(dir, &c->det)) < 0)
		return da_errctx(rc, "step 2 detect");
	if (!c->det->detected) {
		report(c, 2, "detect", "done: NOT detected (%s); the config gets commented commands to fill in",
		       c->det->reason);
		return 0;
	}
	fprintf(c->out, "2/%d detect: done (%s, %s)", STEPS, c->det->language, c->det->package_manager);
	for (int k = 0; k < DA_CMD_N; k++)
		fprintf(c->out, "%s %s: %s", k ? ";" : "", da_cmd_name(k), c->det->cmd[k] ? c->det->cmd[k] : "none");
	fputc('\n', c->out);
	return 0;
}

/* ---- 3 config ---- */

static int existing_config(struct ctx *c, char **text)
{
	char path[DA_PATH_MAX];
	size_t len;

	*text = NULL;
	if (da_pathf(path, sizeof path, "%s/%s.yaml", c->projects, c->name) < 0)
		return DA_ERUNTIME;
	if (!da_path_exists(path))
		return 0;
	return da_read_file(path, 256 * 1024, text, &len);
}

/* The runner label: the option, else the one the user's config names. */
static int pick_runner(struct ctx *c, const char *old)
{
	struct da_yaml_doc d = { 0 };
	char *r = NULL;
	int rc = 0;

	if (c->o->runner)
		r = strdup(c->o->runner);
	else if (old && (rc = da_yaml_load(&d, c->name, old, strlen(old))) == 0 && da_yaml_root(&d))
		rc = da_yaml_get_str(&d, da_yaml_root(&d), "runner", &r);
	da_yaml_free(&d);
	if (rc < 0)
		return rc;
	if (!r)
		r = strdup(DA_ONBOARD_DEFAULT_RUNNER);
	if (!r)
		return da_errf(DA_ERUNTIME, "out of memory");
	c->runner = r;
	return da_onboard_check_label(r);
}

static int step_config(struct ctx *c)
{
	struct da_onboard_config cfg = { c->o->repo, da_forge_kind_name(c->o->forge), c->o->api_url,
					 c->remote, c->default_branch, NULL };
	char *old = NULL, *text = NULL, *diff = NULL, file[DA_PATH_MAX];
	int rc;

	if ((rc = existing_config(c, &old)) < 0 || (rc = pick_runner(c, old)) < 0)
		goto out;
	cfg.runner = c->runner;
	if ((rc = da_onboard_config_text(&cfg, c->det, &text)) < 0 ||
	    (rc = da_pathf(file, sizeof file, "%s/%s.yaml", c->projects, c->name)) < 0)
		goto out;
	if (old && !strcmp(old, text)) {
		report(c, 3, "config", "already done (%s)", file);
	} else if (old && !c->o->force) {
		if ((rc = da_onboard_config_diff(file, old, text, &diff)) < 0)
			goto out;
		report(c, 3, "config", "already done (kept your %s%s)\n%s", file,
		       *diff ? "; it differs from a fresh one in:" : "", diff);
	} else if (c->o->dry_run) {
		report(c, 3, "config", "would %s %s", old ? "replace (--force)" : "write", file);
	} else {
		if ((rc = da_mkdirs(c->projects)) < 0)
			goto out;
		char name[256];

		snprintf(name, sizeof name, "%s.yaml", c->name);
		if ((rc = da_write_atomic(c->projects, name, text, strlen(text), DA_WRITE_REPLACE, NULL)) < 0)
			goto out;
		report(c, 3, "config", "done (%s %s)", old ? "replaced" : "wrote", file);
	}
out:
	free(old);
	free(text);
	free(diff);
	return rc < 0 ? da_errctx(rc, "step 3 config") : 0;
}

/* ---- 4 labels ---- */

static const struct {
	const char *name, *color, *description;
} labels[] = {
	{ "dev-agents", "5319e7", "Hand this issue to dev-agents" },
	{ "pipeline-failed", "b60205", "dev-agents could not finish: see the draft PR" },
};

static int step_labels(struct ctx *c)
{
	char done[128] = "";
	int rc = 0;

	for (size_t i = 0; i < sizeof labels / sizeof labels[0] && rc == 0; i++) {
		bool created = false;

		if (c->o->dry_run) {
			struct da_forge_label *all = NULL;
			size_t n = 0;

			if ((rc = da_forge_list_labels(c->forge, &all, &n)) < 0)
				break;
			created = true;
			for (size_t j = 0; j < n; j++)
				if (!strcasecmp(all[j].name, labels[i].name))
					created = false;
			da_forge_labels_free(all, n);
		} else {
			rc = da_forge_ensure_label(c->forge, labels[i].name, labels[i].color,
						   labels[i].description, &created);
		}
		if (rc == 0 && created)
			snprintf(done + strlen(done), sizeof done - strlen(done), "%s%s", *done ? ", " : "",
				 labels[i].name);
	}
	if (rc < 0)
		return da_errctx(rc, "step 4 labels");
	if (!*done)
		report(c, 4, "labels", "already done (dev-agents, pipeline-failed exist)");
	else
		report(c, 4, "labels", "%s (%s %s)", c->o->dry_run ? "would do" : "done",
		       c->o->dry_run ? "would create" : "created", done);
	return 0;
}

/* ---- 5 workflow ---- */

static int step_workflow(struct ctx *c)
{
	char tpl_path[DA_PATH_MAX], *tpl = NULL, *text = NULL;
	struct da_forge_file *cur = NULL;
	size_t len;
	int rc;

	if (c->o->template_path)
		snprintf(tpl_path, sizeof tpl_path, "%s", c->o->template_path);
	else if ((rc = da_pathf(tpl_path, sizeof tpl_path, "%s/gha/dispatch.yml", da_home())) < 0)
		return rc;
	if ((rc = da_read_file(tpl_path, 64 * 1024, &tpl, &len)) < 0 ||
	    (rc = da_onboard_render_dispatch(tpl, c->dev_agents_repo, c->runner, &text)) < 0 ||
	    (rc = da_forge_get_file(c->forge, DA_ONBOARD_WORKFLOW_PATH, c->default_branch, &cur)) < 0)
		goto out;
	if (cur && cur->len == strlen(text) && !memcmp(cur->content, text, cur->len)) {
		report(c, 5, "workflow", "already done (%s up to date)", DA_ONBOARD_WORKFLOW_PATH);
	} else if (c->o->dry_run) {
		report(c, 5, "workflow", "would %s %s on %s", cur ? "update" : "create",
		       DA_ONBOARD_WORKFLOW_PATH, c->default_branch);
	} else {
		rc = da_forge_put_file(c->forge, DA_ONBOARD_WORKFLOW_PATH, c->default_branch,
				       cur ? "dev-agents: update the dispatch workflow"
					   : "dev-agents: add the dispatch workflow",
				       text, strlen(text), cur ? cur->sha : NULL);
		if (rc == 0)
			report(c, 5, "workflow", "done (%s %s on %s, dispatching to %s, runner %s)",
			       cur ? "updated" : "created", DA_ONBOARD_WORKFLOW_PATH, c->default_branch,
			       c->dev_agents_repo, c->runner);
	}
out:
	free(tpl);
	free(text);
	da_forge_file_free(cur);
	return rc < 0 ? da_errctx(rc, "step 5 workflow") : 0;
}

/* ---- 6 secret ---- */

/* A keyed hash of the PAT that was set, so a re-run with the same PAT
 * can say "already done": the forge never shows a secret back. */
static int pat_marker(struct ctx *c, char *hex, size_t size)
{
	unsigned char h[32];
	crypto_generichash_state st;

	if (sodium_init() < 0)
		return da_errf(DA_ERUNTIME, "libsodium failed to initialise");
	crypto_generichash_init(&st, (const unsigned char *)"dev-agents-onboard-pat", 22, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)c->o->repo, strlen(c->o->repo) + 1);
	crypto_generichash_update(&st, (const unsigned char *)c->o->pat, strlen(c->o->pat));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(hex, size, h, sizeof h);
	return 0;
}

static int step_secret(struct ctx *c)
{
	char dir[DA_PATH_MAX], path[DA_PATH_MAX], name[300], hex[65], *old = NULL;
	size_t len;
	int rc;

	if (!c->o->pat) {
		if (c->o->forge == DA_FORGE_GITHUB)
			report(c, 6, "secret", "skipped (no PAT given in DEV_AGENTS_PAT or on stdin); run:\n"
			       "  gh secret set DEV_AGENTS_PAT --repo %s", c->o->repo);
		else
			report(c, 6, "secret", "skipped (no PAT given); add the Actions secret "
			       "DEV_AGENTS_PAT in %s's settings", c->o->repo);
		return 0;
	}
	if ((rc = pat_marker(c, hex, sizeof hex)) < 0 ||
	    (rc = da_pathf(dir, sizeof dir, "%s/data/onboard", da_home())) < 0 ||
	    (rc = da_pathf(name, sizeof name, "%s.pat", c->name)) < 0 ||
	    (rc = da_pathf(path, sizeof path, "%s/%s", dir, name)) < 0)
		return rc;
	if (da_path_exists(path) && da_read_file(path, 1024, &old, &len) == 0 && !c->o->force &&
	    !strncmp(old, hex, 64)) {
		report(c, 6, "secret", "already done (this PAT was set by an earlier run; --force sets it again)");
	} else if (c->o->dry_run) {
		report(c, 6, "secret", "would set DEV_AGENTS_PAT on %s%s", c->o->repo,
		       c->o->forge == DA_FORGE_GITHUB ? " (sealed with its Actions public key)" : "");
	} else {
		if ((rc = da_forge_put_secret(c->forge, "DEV_AGENTS_PAT", c->o->pat)) < 0 ||
		    (rc = da_mkdirs(dir)) < 0 ||
		    (rc = da_write_atomic(dir, name, hex, strlen(hex), DA_WRITE_REPLACE, NULL)) < 0)
			goto out;
		report(c, 6, "secret", "done (DEV_AGENTS_PAT set on %s%s)", c->o->repo,
		       c->o->forge == DA_FORGE_GITHUB ? ", sealed with its Actions public key" : "");
	}
out:
	free(old);
	return rc < 0 ? da_errctx(rc, "step 6 secret") : 0;
}

/* ---- the run ---- */

static int check_opts(const struct da_onboard_opts *o, const char **name)
{
	int rc;

	if ((rc = da_onboard_check_repo(o->repo)) < 0)
		return rc;
	*name = o->name ? o->name : strchr(o->repo, '/') + 1;
	if ((rc = da_check_project_name(*name)) < 0 || (o->runner && (rc = da_onboard_check_label(o->runner)) < 0))
		return rc;
	if (o->forge == DA_FORGE_LOCAL && !o->remote)
		return da_errf(DA_EUSAGE, "the local forge needs --remote (the bare repository's path)");
	if (o->forge != DA_FORGE_LOCAL && o->dev_agents_repo)
		return da_onboard_check_repo(o->dev_agents_repo);
	return 0;
}

/* Where dispatches go: the option, else the origin of the dev-agents
 * checkout that $DA_HOME is (the usual case on a runner). */
static int find_dev_agents_repo(struct ctx *c)
{
	struct da_git *g = NULL;
	char *url = NULL;
	int rc;

	if (c->o->forge == DA_FORGE_LOCAL)
		return 0;
	if (c->o->dev_agents_repo) {
		c->dev_agents_repo = strdup(c->o->dev_agents_repo);
		return c->dev_agents_repo ? 0 : da_errf(DA_ERUNTIME, "out of memory");
	}
	rc = da_git_open(da_home(), &g);
	if (rc == 0)
		rc = da_git_origin_url(g, &url);
	if (rc == 0)
		rc = da_onboard_repo_from_url(url, &c->dev_agents_repo);
	da_git_free(g);
	free(url);
	if (rc < 0)
		return da_errf(DA_EUSAGE, "the dispatch workflow needs the dev-agents repository and "
				       "%s has no usable origin: --dev-agents-repo OWNER/NAME or "
				       "DA_DEV_AGENTS_REPO", da_home());
	return 0;
}

static int run_steps(struct ctx *c)
{
	const struct da_onboard_opts *o = c->o;
	int rc;

	if ((rc = step_clone_and_detect(c)) < 0 || (rc = step_config(c)) < 0)
		return rc;
	if (o->forge == DA_FORGE_LOCAL) {
		report(c, 4, "labels", "skipped (local forge: no server)");
		report(c, 5, "workflow", "skipped (local forge: no Actions; enqueue with da-enqueue)");
		report(c, 6, "secret", "skipped (local forge: no Actions)");
		return 0;
	}
	struct da_forge_opts fo = { .kind = o->forge, .identity = DA_FORGE_WRITER, .repo = o->repo,
				    .api_url = o->api_url, .default_branch = c->default_branch };

	if ((rc = da_forge_open(&fo, &c->forge)) < 0)
		return da_errctx(rc, "step 4 labels");
	if ((rc = step_labels(c)) < 0 || (rc = step_workflow(c)) < 0 || (rc = step_secret(c)) < 0)
		return rc;
	return 0;
}

int da_onboard_run(const struct da_onboard_opts *o, FILE *out)
{
	struct ctx c = { .o = o, .out = out };
	int rc;

	if ((rc = check_opts(o, &c.name)) < 0 || (rc = find_dev_agents_repo(&c)) < 0)
		goto out;
	if ((rc = da_pathf(c.projects, sizeof c.projects, "%s/projects", da_home())) < 0)
		goto out;
	c.remote = o->remote ? strdup(o->remote) : default_remote(o);
	if (!c.remote) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	if (o->dry_run)
		fprintf(out, "dry run: nothing is changed; each step says what it would do\n");
	rc = run_steps(&c);
out:
	if (c.tmp[0])
		nftw(c.tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	da_forge_free(c.forge);
	da_detect_free(c.det);
	free(c.remote);
	free(c.default_branch);
	free(c.runner);
	free(c.dev_agents_repo);
	return rc;
}
