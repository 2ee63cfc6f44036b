/* workspace: one clone per task, $DA_HOME/data/work/<project>/<task>/.
 *
 * The clone is made under a temporary name (.clone-<task>) and renamed
 * into place when it is complete, so <task>/ is always either a whole
 * clone on the task branch or something left by an older version or a
 * person. A later run reuses an intact workspace as it is. Anything else
 * is never deleted: uncommitted work in it is committed as a salvage
 * commit, the folder is moved aside as <task>.broken-<stamp>, its task
 * branch is carried into the fresh clone, and the kept folder is pruned
 * after keep_days like any failed task's workspace.
 *
 * After success the workspace is removed; after failure it is kept and a
 * marker <task>.kept beside it is written, whose mtime (wall clock: days
 * survive reboots where monotonic time does not) decides pruning. */
#ifndef DA_WORKSPACE_H
#define DA_WORKSPACE_H

#include "git.h"

#include <stdbool.h>
#include <stddef.h>

struct da_workspace_opts {
	const char *root;		/* NULL = $DA_HOME/data/work */
	const char *project;		/* a safe name (da_check_project_name) */
	const char *task;		/* task file name without .yaml (same rules) */
	const char *remote;		/* clone URL, or a bare repository's path */
	const char *default_branch;	/* the task branch starts from origin/<this> */
	const char *branch;		/* the task branch, dev-agents/<issue>-<slug> */
	const struct da_git_creds *creds;	/* NULL = anonymous */
	const struct da_git_ident *ident;	/* salvage commits; NULL = dev-agents */
};

enum da_workspace_how {
	DA_WORKSPACE_CREATED,	/* a fresh clone */
	DA_WORKSPACE_REUSED,	/* an intact clone on the task branch, fetched */
	DA_WORKSPACE_RECOVERED,	/* the old folder was unusable: moved aside, recloned */
};

/* `root`, or $DA_HOME/data/work when NULL, into buf. */
int da_workspace_root(const char *root, char *buf, size_t size);
/* <root>/<project>/<task> into buf. DA_EUSAGE for unsafe names. */
int da_workspace_path(const struct da_workspace_opts *o, char *buf, size_t size);

/* Make the workspace ready on the task branch and open it. `how` may be
 * NULL. A fetch failure of an intact workspace is an error (the network,
 * not the workspace, is broken: nothing is moved). */
int da_workspace_prepare(const struct da_workspace_opts *o, struct da_git **out,
			 enum da_workspace_how *how);

/* After success. A workspace with uncommitted changes (or one that is not
 * a repository) is not removed: the changes are salvaged, the folder is
 * kept and marked, and *kept (may be NULL) says so. Missing: 0. */
int da_workspace_remove(const struct da_workspace_opts *o, bool *kept);

/* After failure: keep the folder and stamp its marker now. */
int da_workspace_keep(const struct da_workspace_opts *o);

/* Remove kept workspaces (and moved-aside ones) whose marker is at least
 * keep_days old, and leftovers of interrupted removals, under `project`
 * (NULL = every project, since keep_days is per project) of `root`
 * (NULL = $DA_HOME/data/work). *pruned (may be NULL) counts the
 * workspaces removed. */
int da_workspace_prune(const char *root, const char *project, int keep_days, int *pruned);

#endif
