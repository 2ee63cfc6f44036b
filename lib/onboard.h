/* onboard: put a repository under dev-agents in six re-runnable steps.
 *
 *   1 clone    the repository into a temporary directory (removed after)
 *   2 detect   its verification commands (detect.h)
 *   3 config   $DA_HOME/projects/<name>.yaml, commented; an existing file
 *              is kept (its differences are shown) unless force
 *   4 labels   `dev-agents` and `pipeline-failed` on the repository
 *   5 workflow .github/workflows/dev-agents-dispatch.yml from
 *              gha/dispatch.yml, created or updated on the default branch
 *   6 secret   DEV_AGENTS_PAT, sealed by the forge layer; without a PAT
 *              the exact `gh secret set` command is printed instead
 *
 * Each step reports one line: "done", "already done" or "skipped (why)";
 * dry_run reports what it would do ("would ...") and changes nothing
 * (cloning into a temporary directory is not a change). The local forge
 * gets steps 1-3 only. */
#ifndef DA_ONBOARD_H
#define DA_ONBOARD_H

#include "detect.h"
#include "forge.h"

#include <stdbool.h>
#include <stdio.h>

#define DA_ONBOARD_WORKFLOW_PATH ".github/workflows/dev-agents-dispatch.yml"
#define DA_ONBOARD_DEFAULT_RUNNER "dev-agents"

struct da_onboard_opts {
	const char *repo;		/* owner/name */
	enum da_forge_kind forge;
	const char *api_url;		/* NULL: the forge's default */
	const char *remote;		/* clone URL or path; NULL: derived from repo */
	const char *name;		/* project name; NULL: the name part of repo */
	const char *runner;		/* NULL: the existing config's, else "dev-agents" */
	const char *dev_agents_repo;	/* owner/name the dispatch goes to (github/gitea);
					 * NULL: from the origin of the $DA_HOME checkout */
	const char *template_path;	/* NULL: $DA_HOME/gha/dispatch.yml */
	const char *pat;		/* DEV_AGENTS_PAT value, NULL when not given; never logged */
	bool dry_run;
	bool force;
};

/* Run the six steps, one report line each on `out`. Fails (and stops) on
 * the first step that fails; bad options are DA_EUSAGE. */
int da_onboard_run(const struct da_onboard_opts *o, FILE *out);

/* The commented projects/<name>.yaml text for a detection (onboard_config.c).
 * d may be NULL (nothing detected). Caller frees. */
struct da_onboard_config {
	const char *repo, *forge, *api_url, *remote, *default_branch, *runner;
};
int da_onboard_config_text(const struct da_onboard_config *c, const struct da_detect *d, char **out);

/* Lines "  key: yours X, onboarding would write Y" for the settings that
 * differ between an existing config and a new one (both YAML text);
 * "" when they agree. Caller frees. */
int da_onboard_config_diff(const char *name, const char *old_text, const char *new_text, char **out);

/* gha/dispatch.yml with __DEV_AGENTS_REPO__ and __RUNNER_LABEL__ filled in. */
int da_onboard_render_dispatch(const char *template_text, const char *dev_agents_repo,
			       const char *runner, char **out);

/* "owner/name" from a clone URL (https://host/owner/name.git,
 * git@host:owner/name.git, ssh://...): the last two path components.
 * DA_EUSAGE when they are not a valid owner/name. Caller frees. */
int da_onboard_repo_from_url(const char *url, char **out);

/* owner/name, each part [A-Za-z0-9._-] not starting with '.': DA_EUSAGE else. */
int da_onboard_check_repo(const char *repo);
/* A runner label: [A-Za-z0-9._-]+, at most 100 bytes. */
int da_onboard_check_label(const char *label);

#endif
