/* project: one project's settings, $DA_HOME/projects/<project>.yaml.
 *
 * Read once, validated at the edge, trusted inside. This module reads the
 * keys the pipeline needs; `agents:` and `budget:` belong to
 * agent_config.c and other top-level keys to their modules, so unknown
 * top-level keys are left alone. Inside `commands:` an unknown name is an
 * error: a typo there (`tests:`) would silently drop a gate.
 *
 *   repo: myorg/myapp              # required, owner/name
 *   forge: github                  # github | gitea | local (default github)
 *   api_url: https://...           # optional
 *   remote: <clone url or path>    # default https://github.com/<repo>.git for github
 *   default_branch: main           # default main
 *   runner: dev-agents             # optional runner label
 *   merge: auto                    # auto | leave-open (default auto)
 *   commands: { test:, typecheck:, build:, lint: }   # gates; each optional
 *   gate_timeout_seconds: 1800     # 1..86400
 *   fix_attempts: 2                # 0..20
 *   review_rounds: 2               # 0..20
 *   keep_days: 7                   # 0..3650
 *   workflows: { feature: my-feature.yaml }   # relative to $DA_HOME/workflows or absolute
 *   prompts: { implement: my-implement.md }   # relative to $DA_HOME/workflows/prompts or absolute */
#ifndef DA_PROJECT_H
#define DA_PROJECT_H

#include "detect.h"	/* enum da_cmd_kind, da_cmd_name(): the keys of commands: */

#include <stddef.h>

#define DA_PROJECT_MAX_BYTES (256 * 1024)

enum da_merge_mode { DA_MERGE_AUTO, DA_MERGE_LEAVE_OPEN };

struct da_name_value {
	char *name;
	char *value;
};

struct da_project {
	char *name;		/* the file name without .yaml */
	char *path;		/* the file it came from */
	char *repo;
	char *forge;		/* "github" | "gitea" | "local" */
	char *api_url;		/* NULL: the forge's default */
	char *remote;
	char *default_branch;
	char *runner;		/* NULL when unset */
	int merge;		/* enum da_merge_mode */
	char *commands[DA_CMD_N];	/* NULL: gate not configured */
	long gate_timeout_seconds;
	long fix_attempts;
	long review_rounds;
	long keep_days;
	struct da_name_value *workflows;	/* type -> file */
	size_t n_workflows;
	struct da_name_value *prompts;		/* prompt name -> file */
	size_t n_prompts;
};

/* Load $DA_HOME/projects/<name>.yaml. A missing file is DA_EUSAGE naming
 * the path; an invalid one DA_EUSAGE "file:line: reason". */
int da_project_load(const char *name, struct da_project **out);
/* Same from an explicit path (name is the project's name). */
int da_project_load_file(const char *name, const char *path, struct da_project **out);
void da_project_free(struct da_project *p);

/* $DA_HOME/projects/<name>.yaml into buf. */
int da_project_path(const char *name, char *buf, size_t size);

/* The override file named for a workflow type / prompt, or NULL. */
const char *da_project_workflow_override(const struct da_project *p, const char *type);
const char *da_project_prompt_override(const struct da_project *p, const char *prompt);

#endif
