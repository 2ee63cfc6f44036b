#include "project.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "yamlutil.h"

#include <stdlib.h>
#include <string.h>

static void pairs_free(struct da_name_value *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

void da_project_free(struct da_project *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->path);
	free(p->repo);
	free(p->forge);
	free(p->api_url);
	free(p->remote);
	free(p->default_branch);
	free(p->runner);
	for (int i = 0; i < DA_CMD_N; i++)
		free(p->commands[i]);
	pairs_free(p->workflows, p->n_workflows);
	pairs_free(p->prompts, p->n_prompts);
	free(p);
}

int da_project_path(const char *name, char *buf, size_t size)
{
	int rc = da_check_project_name(name);

	if (rc < 0)
		return rc;
	return da_pathf(buf, size, "%s/projects/%s.yaml", da_home(), name);
}

/* owner/name: two non-empty parts of safe characters */
static int repo_ok(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/'))
		return 0;
	for (const char *c = s; *c; c++)
		if (!(*c == '/' || *c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') ||
		      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return 0;
	return 1;
}

static int read_commands(struct da_yaml_doc *d, yaml_node_t *root, struct da_project *p)
{
	yaml_node_t *cmds = da_yaml_get(d, root, "commands");
	int rc;

	if (!cmds)
		return 0;
	if (cmds->type != YAML_MAPPING_NODE) {
		if (da_yaml_scalar(cmds) && !cmds->data.scalar.value[0])
			return 0; /* "commands:" with nothing under it */
		return da_yaml_errat(d, cmds, "commands: expected a mapping of gate: command");
	}
	for (yaml_node_pair_t *kv = cmds->data.mapping.pairs.start; kv < cmds->data.mapping.pairs.top; kv++) {
		yaml_node_t *k = yaml_document_get_node(&d->doc, kv->key);
		const char *key = da_yaml_scalar(k);
		int kind = -1;

		for (int i = 0; key && i < DA_CMD_N; i++)
			if (!strcmp(key, da_cmd_name(i)))
				kind = i;
		if (kind < 0)
			return da_yaml_errat(d, k, "commands: unknown gate \"%s\" (test, typecheck, build or lint)",
					     key ? key : "?");
		if ((rc = da_yaml_get_str(d, cmds, key, &p->commands[kind])) < 0)
			return rc;
		if (p->commands[kind] && strspn(p->commands[kind], " \t\n") == strlen(p->commands[kind]))
			return da_yaml_errat(d, k, "commands: %s is blank", key);
	}
	return 0;
}

static int read_pairs(struct da_yaml_doc *d, yaml_node_t *root, const char *key,
		      struct da_name_value **out, size_t *n)
{
	yaml_node_t *map = da_yaml_get(d, root, key);

	if (!map || (da_yaml_scalar(map) && !map->data.scalar.value[0]))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return da_yaml_errat(d, map, "%s: expected a mapping of name: file", key);
	size_t count = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);

	*out = calloc(count + 1, sizeof **out);
	if (!*out)
		return da_errf(DA_ERUNTIME, "out of memory");
	for (yaml_node_pair_t *kv = map->data.mapping.pairs.start; kv < map->data.mapping.pairs.top; kv++) {
		yaml_node_t *k = yaml_document_get_node(&d->doc, kv->key);
		yaml_node_t *v = yaml_document_get_node(&d->doc, kv->value);
		const char *name = da_yaml_scalar(k), *file = da_yaml_scalar(v);

		if (!name || !name[0] || !file || !file[0])
			return da_yaml_errat(d, k, "%s: each entry is name: file", key);
		struct da_name_value *nv = &(*out)[(*n)++];

		nv->name = strdup(name);
		nv->value = strdup(file);
		if (!nv->name || !nv->value)
			return da_errf(DA_ERUNTIME, "out of memory");
	}
	return 0;
}

static int check_range(struct da_yaml_doc *d, yaml_node_t *root, const char *key, long v, long lo, long hi)
{
	if (v < lo || v > hi)
		return da_yaml_errat(d, da_yaml_get(d, root, key) ? da_yaml_get(d, root, key) : root,
				     "%s must be between %ld and %ld", key, lo, hi);
	return 0;
}

static int read_scalars(struct da_yaml_doc *d, yaml_node_t *root, struct da_project *p)
{
	char *merge = NULL;
	int rc;

	if ((rc = da_yaml_get_str(d, root, "repo", &p->repo)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "forge", &p->forge)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "api_url", &p->api_url)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "remote", &p->remote)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "default_branch", &p->default_branch)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "runner", &p->runner)) < 0 ||
	    (rc = da_yaml_get_str(d, root, "merge", &merge)) < 0 ||
	    (rc = da_yaml_get_long(d, root, "gate_timeout_seconds", &p->gate_timeout_seconds)) < 0 ||
	    (rc = da_yaml_get_long(d, root, "fix_attempts", &p->fix_attempts)) < 0 ||
	    (rc = da_yaml_get_long(d, root, "review_rounds", &p->review_rounds)) < 0 ||
	    (rc = da_yaml_get_long(d, root, "keep_days", &p->keep_days)) < 0)
		goto out;
	if (merge && !strcmp(merge, "leave-open"))
		p->merge = DA_MERGE_LEAVE_OPEN;
	else if (merge && strcmp(merge, "auto"))
		rc = da_yaml_errat(d, da_yaml_get(d, root, "merge"),
				   "merge: \"%s\" is not auto or leave-open", merge);
out:
	free(merge);
	return rc;
}

static int validate(struct da_yaml_doc *d, yaml_node_t *root, struct da_project *p)
{
	int rc;

	if (!p->repo)
		return da_yaml_errat(d, root, "repo: missing (owner/name)");
	if (!repo_ok(p->repo))
		return da_yaml_errat(d, da_yaml_get(d, root, "repo"), "repo: \"%s\" is not owner/name", p->repo);
	if (!p->forge && !(p->forge = strdup("github")))
		return da_errf(DA_ERUNTIME, "out of memory");
	if (strcmp(p->forge, "github") && strcmp(p->forge, "gitea") && strcmp(p->forge, "local"))
		return da_yaml_errat(d, da_yaml_get(d, root, "forge"),
				     "forge: \"%s\" is not github, gitea or local", p->forge);
	if (!p->remote) {
		if (strcmp(p->forge, "github"))
			return da_yaml_errat(d, root, "remote: missing (required for forge %s)", p->forge);
		if (asprintf(&p->remote, "https://github.com/%s.git", p->repo) < 0) {
			p->remote = NULL;
			return da_errf(DA_ERUNTIME, "out of memory");
		}
	}
	if (!p->default_branch && !(p->default_branch = strdup("main")))
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((rc = check_range(d, root, "gate_timeout_seconds", p->gate_timeout_seconds, 1, 86400)) < 0 ||
	    (rc = check_range(d, root, "fix_attempts", p->fix_attempts, 0, 20)) < 0 ||
	    (rc = check_range(d, root, "review_rounds", p->review_rounds, 0, 20)) < 0 ||
	    (rc = check_range(d, root, "keep_days", p->keep_days, 0, 3650)) < 0)
		return rc;
	for (size_t i = 0; i < p->n_workflows; i++)
		if (strcmp(p->workflows[i].name, "feature") && strcmp(p->workflows[i].name, "bugfix") &&
		    strcmp(p->workflows[i].name, "hotfix"))
			return da_yaml_errat(d, da_yaml_get(d, root, "workflows"),
					     "workflows: \"%s\" is not feature, bugfix or hotfix",
					     p->workflows[i].name);
	return 0;
}

int da_project_load_file(const char *name, const char *path, struct da_project **out)
{
	struct da_project *p = calloc(1, sizeof *p);
	struct da_yaml_doc d;
	yaml_node_t *root;
	int rc;

	*out = NULL;
	memset(&d, 0, sizeof d);
	if (!p)
		return da_errf(DA_ERUNTIME, "out of memory");
	p->gate_timeout_seconds = 1800;
	p->fix_attempts = 2;
	p->review_rounds = 2;
	p->keep_days = 7;
	if (!(p->name = strdup(name)) || !(p->path = strdup(path))) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	if (!da_path_exists(path)) {
		rc = da_errf(DA_EUSAGE, "project %s: no project file %s", name, path);
		goto out;
	}
	if ((rc = da_yaml_load_file(&d, path, DA_PROJECT_MAX_BYTES)) < 0)
		goto out;
	root = da_yaml_root(&d);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = root ? da_yaml_errat(&d, root, "a project file is a mapping of settings")
			  : da_errf(DA_EUSAGE, "%s:1: the project file is empty", path);
		goto out;
	}
	if ((rc = read_scalars(&d, root, p)) < 0 || (rc = read_commands(&d, root, p)) < 0 ||
	    (rc = read_pairs(&d, root, "workflows", &p->workflows, &p->n_workflows)) < 0 ||
	    (rc = read_pairs(&d, root, "prompts", &p->prompts, &p->n_prompts)) < 0 ||
	    (rc = validate(&d, root, p)) < 0)
		goto out;
out:
	da_yaml_free(&d);
	if (rc < 0)
		da_project_free(p);
	else
		*out = p;
	return rc;
}

int da_project_load(const char *name, struct da_project **out)
{
	char path[DA_PATH_MAX];
	int rc;

	*out = NULL;
	if ((rc = da_project_path(name, path, sizeof path)) < 0)
		return rc;
	return da_project_load_file(name, path, out);
}

static const char *lookup(const struct da_name_value *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return v[i].value;
	return NULL;
}

const char *da_project_workflow_override(const struct da_project *p, const char *type)
{
	return p ? lookup(p->workflows, p->n_workflows, type) : NULL;
}

const char *da_project_prompt_override(const struct da_project *p, const char *prompt)
{
	return p ? lookup(p->prompts, p->n_prompts, prompt) : NULL;
}
