/* config: the global configuration, $DA_HOME/config.yaml.
 *
 * Every key is optional; a missing file means all defaults. Environment
 * variables named below win over the file. Per-project settings live in
 * projects/<p>.yaml (project.h). Format:
 *
 *   queue:
 *     max_parallel: 2          # projects running at once, machine-wide
 *     stale_hours: 4           # a runner alive longer is stopped, task retried
 *     max_attempts: 3          # recoveries before a task goes to failed/
 *     pause_grace_seconds: 600 # a paused runner gets this long to stop itself
 *   runner: da-run             # DA_RUNNER wins
 *   type_labels:               # label -> type; first match in hotfix, bugfix order
 *     hotfix: [hotfix]
 *     bugfix: [bug]
 */
#ifndef DA_CONFIG_H
#define DA_CONFIG_H

#include <stddef.h>

struct da_config {
	long max_parallel;
	double stale_hours;
	long max_attempts;
	long pause_grace_seconds;
	char *runner;		/* command, split on spaces when run */
	char **hotfix_labels;	/* NULL-terminated */
	char **bugfix_labels;
};

/* Load $DA_HOME/config.yaml (or defaults). DA_EUSAGE names file:line. */
int da_config_load(struct da_config **out);
void da_config_free(struct da_config *c);

/* Type for a set of labels: "hotfix", "bugfix" or "feature". */
const char *da_config_type_for_labels(const struct da_config *c, char *const *labels, size_t n);

#endif
