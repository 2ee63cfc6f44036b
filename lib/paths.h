/* paths: where the queue and the home live, and what a safe name is.
 *
 * Queue root: $DA_QUEUE, else $HOME/dev-agents-queue.
 * Home: $DA_HOME; else the folder that holds the running program's bin/
 * when that folder has workflows/ (a checkout); else
 * $XDG_DATA_HOME/dev-agents or $HOME/.local/share/dev-agents.
 * Shipped workflows: $DA_HOME/workflows if present, else
 * <prefix>/share/dev-agents/workflows next to an installed bin/. */
#ifndef DA_PATHS_H
#define DA_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#define DA_PATH_MAX 4096

/* Both return a static string valid for the life of the process. */
const char *da_queue_root(void);
const char *da_home(void);
const char *da_workflows_dir(void);

/* Directory of the running executable (static string), "" if unknown. */
const char *da_exe_dir(void);

/* Forget cached values (tests change the environment between calls). */
void da_paths_reset(void);

/* [A-Za-z0-9._-]+, not starting with '.', at most 100 bytes. On failure
 * records a message naming the name and returns DA_EUSAGE. */
int da_check_project_name(const char *name);

/* A slug of `text` for file and branch names: lower-case ASCII letters and
 * digits, every run of anything else one '-', none leading or trailing,
 * at most `max` bytes (and size - 1); "task" when nothing is left. */
void da_slug(const char *text, size_t max, char *buf, size_t size);

/* $DA_HOME/data/.pause */
int da_pause_path(char *buf, size_t size);
bool da_paused(void);

#endif
