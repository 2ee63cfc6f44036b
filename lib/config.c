#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "yamlutil.h"

#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_BYTES (256 * 1024)

static char **single(const char *s)
{
	char **list = calloc(2, sizeof *list);

	if (list && !(list[0] = strdup(s))) {
		free(list);
		return NULL;
	}
	return list;
}

static int set_defaults(struct da_config *c)
{
	c->max_parallel = 2;
	c->stale_hours = 4;
	c->max_attempts = 3;
	c->pause_grace_seconds = 600;
	c->runner = strdup("da-run");
	c->hotfix_labels = single("hotfix");
	c->bugfix_labels = single("bug");
	if (!c->runner || !c->hotfix_labels || !c->bugfix_labels)
		return da_errf(DA_ERUNTIME, "out of memory");
	return 0;
}

static int read_file(struct da_config *c, const char *path)
{
	struct da_yaml_doc d;
	yaml_node_t *root, *queue, *types;
	int rc;

	if ((rc = da_yaml_load_file(&d, path, CONFIG_MAX_BYTES)) < 0)
		goto out;
	root = da_yaml_root(&d);
	if (!root)
		goto out; /* an empty file is all defaults */
	if (root->type != YAML_MAPPING_NODE) {
		rc = da_yaml_errat(&d, root, "the config is a mapping of settings");
		goto out;
	}
	queue = da_yaml_get(&d, root, "queue");
	types = da_yaml_get(&d, root, "type_labels");
	if ((rc = da_yaml_get_long(&d, queue, "max_parallel", &c->max_parallel)) < 0 ||
	    (rc = da_yaml_get_double(&d, queue, "stale_hours", &c->stale_hours)) < 0 ||
	    (rc = da_yaml_get_long(&d, queue, "max_attempts", &c->max_attempts)) < 0 ||
	    (rc = da_yaml_get_long(&d, queue, "pause_grace_seconds", &c->pause_grace_seconds)) < 0 ||
	    (rc = da_yaml_get_str(&d, root, "runner", &c->runner)) < 0 ||
	    (rc = da_yaml_get_strlist(&d, types, "hotfix", &c->hotfix_labels, NULL)) < 0 ||
	    (rc = da_yaml_get_strlist(&d, types, "bugfix", &c->bugfix_labels, NULL)) < 0)
		goto out;
	if (c->max_parallel < 1 || c->max_parallel > 64)
		rc = da_yaml_errat(&d, queue, "max_parallel must be between 1 and 64");
	else if (c->stale_hours <= 0)
		rc = da_yaml_errat(&d, queue, "stale_hours must be more than 0");
	else if (c->max_attempts < 1)
		rc = da_yaml_errat(&d, queue, "max_attempts must be at least 1");
	else if (c->pause_grace_seconds < 0)
		rc = da_yaml_errat(&d, queue, "pause_grace_seconds must not be negative");
	else if (!c->runner || !c->runner[0])
		rc = da_yaml_errat(&d, root, "runner must name a command");
out:
	da_yaml_free(&d);
	return rc;
}

int da_config_load(struct da_config **out)
{
	struct da_config *c = calloc(1, sizeof *c);
	char path[DA_PATH_MAX];
	const char *runner = getenv("DA_RUNNER");
	int rc;

	*out = NULL;
	if (!c)
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((rc = set_defaults(c)) < 0)
		goto fail;
	if ((rc = da_pathf(path, sizeof path, "%s/config.yaml", da_home())) < 0)
		goto fail;
	if (da_path_exists(path) && (rc = read_file(c, path)) < 0)
		goto fail;
	if (runner && runner[0]) {
		free(c->runner);
		if (!(c->runner = strdup(runner))) {
			rc = da_errf(DA_ERUNTIME, "out of memory");
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	da_config_free(c);
	return rc;
}

void da_config_free(struct da_config *c)
{
	if (!c)
		return;
	free(c->runner);
	da_strlist_free(c->hotfix_labels);
	da_strlist_free(c->bugfix_labels);
	free(c);
}

static int has_any(char *const *labels, size_t n, char *const *wanted)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; wanted && wanted[j]; j++)
			if (strcmp(labels[i], wanted[j]) == 0)
				return 1;
	return 0;
}

const char *da_config_type_for_labels(const struct da_config *c, char *const *labels, size_t n)
{
	if (has_any(labels, n, c->hotfix_labels))
		return "hotfix";
	if (has_any(labels, n, c->bugfix_labels))
		return "bugfix";
	return "feature";
}
