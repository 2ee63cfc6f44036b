#include "workflow.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "yamlutil.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#define WORKFLOW_MAX_BYTES (256 * 1024)

static const char *const roles[] = { "lead", "implementer", "qa", "reviewer", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; s && list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

const char *da_stage_kind_name(int kind)
{
	return kind == DA_STAGE_AGENT ? "agent" : kind == DA_STAGE_GATE ? "gate" : "commit";
}

static void stage_free(struct da_stage *s)
{
	free(s->name);
	free(s->role);
	free(s->prompt);
	free(s->prompt_path);
	free(s->writes);
	free(s->fix_role);
	free(s->fix_prompt);
	free(s->fix_prompt_path);
	free(s->message);
}

void da_workflow_free(struct da_workflow *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_stages; i++)
		stage_free(&w->stages[i]);
	free(w->stages);
	free(w->type);
	free(w->path);
	free(w);
}

int da_workflow_stage_index(const struct da_workflow *w, const char *name)
{
	for (size_t i = 0; i < w->n_stages; i++)
		if (!strcmp(w->stages[i].name, name))
			return (int)i;
	return -1;
}

/* A prompt name -> its file: project override, the workflow's own
 * prompts/ folder, the shipped prompts. Caller frees *out. */
static int resolve_prompt(const char *wf_path, const struct da_project *p, const char *prompt, char **out)
{
	const char *over = da_project_prompt_override(p, prompt);
	char path[DA_PATH_MAX], dir[DA_PATH_MAX];
	int rc;

	snprintf(dir, sizeof dir, "%s", wf_path);
	if (over)
		rc = over[0] == '/' ? da_pathf(path, sizeof path, "%s", over)
				    : da_pathf(path, sizeof path, "%s/workflows/prompts/%s", da_home(), over);
	else if ((rc = da_pathf(path, sizeof path, "%s/prompts/%s.md", dirname(dir), prompt)) == 0 &&
		 !da_path_exists(path))
		rc = da_pathf(path, sizeof path, "%s/prompts/%s.md", da_workflows_dir(), prompt);
	if (rc < 0)
		return rc;
	if (!da_path_exists(path))
		return da_errf(DA_EUSAGE, "prompt file %s does not exist", path);
	if (!(*out = strdup(path)))
		return da_errf(DA_ERUNTIME, "out of memory");
	/* render once with no values: an unknown placeholder fails the load,
	 * not a stage an hour into the run */
	char *text = NULL;

	rc = da_template_render_file(path, NULL, 0, &text);
	free(text);
	return rc;
}

static int read_agent(struct da_yaml_doc *d, yaml_node_t *n, struct da_stage *s)
{
	char *session = NULL;
	int rc;

	if ((rc = da_yaml_get_str(d, n, "role", &s->role)) < 0 || (rc = da_yaml_get_str(d, n, "prompt", &s->prompt)) < 0 ||
	    (rc = da_yaml_get_str(d, n, "session", &session)) < 0 || (rc = da_yaml_get_str(d, n, "writes", &s->writes)) < 0)
		goto out;
	if (!s->role)
		rc = da_yaml_errat(d, n, "stage %s: role missing", s->name);
	else if (!in_list(s->role, roles))
		rc = da_yaml_errat(d, da_yaml_get(d, n, "role"), "stage %s: unknown role \"%s\"", s->name, s->role);
	else if (!s->prompt)
		rc = da_yaml_errat(d, n, "stage %s: prompt missing", s->name);
	else if (session && !strcmp(session, "lead"))
		s->session = DA_SESSION_LEAD;
	else if (session && strcmp(session, "fresh"))
		rc = da_yaml_errat(d, da_yaml_get(d, n, "session"), "stage %s: session \"%s\" is not lead or fresh",
				   s->name, session);
out:
	free(session);
	return rc;
}

static int read_stage(struct da_yaml_doc *d, yaml_node_t *n, struct da_stage *s)
{
	char *kind = NULL;
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return da_yaml_errat(d, n, "a stage is a mapping (name, kind, ...)");
	if ((rc = da_yaml_get_str(d, n, "name", &s->name)) < 0 || (rc = da_yaml_get_str(d, n, "kind", &kind)) < 0)
		goto out;
	if (!s->name || !s->name[0] || strspn(s->name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s->name)) {
		rc = da_yaml_errat(d, n, "a stage needs a name of [a-z0-9_-]");
	} else if (!kind) {
		rc = da_yaml_errat(d, n, "stage %s: kind missing (agent, gate or commit)", s->name);
	} else if (!strcmp(kind, "agent")) {
		s->kind = DA_STAGE_AGENT;
		rc = read_agent(d, n, s);
	} else if (!strcmp(kind, "gate")) {
		s->kind = DA_STAGE_GATE;
		if ((rc = da_yaml_get_str(d, n, "fix_role", &s->fix_role)) == 0 &&
		    (rc = da_yaml_get_str(d, n, "fix_prompt", &s->fix_prompt)) == 0) {
			if (s->fix_role && !in_list(s->fix_role, roles))
				rc = da_yaml_errat(d, n, "stage %s: unknown role \"%s\"", s->name, s->fix_role);
			else if (!s->fix_role != !s->fix_prompt)
				rc = da_yaml_errat(d, n, "stage %s: fix_role and fix_prompt go together", s->name);
		}
	} else if (!strcmp(kind, "commit")) {
		s->kind = DA_STAGE_COMMIT;
		if ((rc = da_yaml_get_str(d, n, "message", &s->message)) == 0 && !s->message)
			rc = da_yaml_errat(d, n, "stage %s: message missing", s->name);
	} else {
		rc = da_yaml_errat(d, da_yaml_get(d, n, "kind"), "stage %s: unknown stage kind \"%s\"", s->name, kind);
	}
out:
	free(kind);
	return rc;
}

static int resolve_stage(struct da_yaml_doc *d, yaml_node_t *n, struct da_workflow *w, struct da_stage *s,
			 const struct da_project *p)
{
	char *text = NULL;
	int rc = 0;

	if (s->prompt)
		rc = resolve_prompt(w->path, p, s->prompt, &s->prompt_path);
	if (rc == 0 && s->fix_prompt)
		rc = resolve_prompt(w->path, p, s->fix_prompt, &s->fix_prompt_path);
	if (rc == 0 && s->message)
		rc = da_template_render(w->path, s->message, NULL, 0, &text);
	free(text);
	if (rc < 0)
		return da_errctx(rc, "%s:%zu: stage %s", d->name, da_yaml_line(n), s->name);
	return 0;
}

static int read_stages(struct da_yaml_doc *d, yaml_node_t *root, struct da_workflow *w, const struct da_project *p)
{
	yaml_node_t *seq = da_yaml_get(d, root, "stages");
	int rc = 0;

	if (!seq || seq->type != YAML_SEQUENCE_NODE || seq->data.sequence.items.top == seq->data.sequence.items.start)
		return da_yaml_errat(d, seq ? seq : root, "stages: expected a list of stages");
	size_t count = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);

	if (!(w->stages = calloc(count, sizeof *w->stages)))
		return da_errf(DA_ERUNTIME, "out of memory");
	for (size_t i = 0; i < count && rc == 0; i++) {
		yaml_node_t *n = yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
		struct da_stage *s = &w->stages[w->n_stages++];

		if ((rc = read_stage(d, n, s)) < 0)
			break;
		if (da_workflow_stage_index(w, s->name) != (int)i)
			rc = da_yaml_errat(d, n, "duplicate stage name \"%s\"", s->name);
		else
			rc = resolve_stage(d, n, w, s, p);
	}
	return rc;
}

int da_workflow_load_file(const char *type, const char *path, const struct da_project *p, struct da_workflow **out)
{
	struct da_workflow *w = calloc(1, sizeof *w);
	struct da_yaml_doc d;
	yaml_node_t *root;
	int rc;

	*out = NULL;
	memset(&d, 0, sizeof d);
	if (!w || !(w->type = strdup(type)) || !(w->path = strdup(path))) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	if (!da_path_exists(path)) {
		rc = da_errf(DA_EUSAGE, "workflow %s: no file %s", type, path);
		goto out;
	}
	if ((rc = da_yaml_load_file(&d, path, WORKFLOW_MAX_BYTES)) < 0)
		goto out;
	root = da_yaml_root(&d);
	if (!root || root->type != YAML_MAPPING_NODE)
		rc = da_errf(DA_EUSAGE, "%s:%zu: a workflow is a mapping with stages:", path, da_yaml_line(root) ? da_yaml_line(root) : 1);
	else
		rc = read_stages(&d, root, w, p);
out:
	da_yaml_free(&d);
	if (rc < 0)
		da_workflow_free(w);
	else
		*out = w;
	return rc;
}

int da_workflow_load(const char *type, const struct da_project *p, struct da_workflow **out)
{
	const char *over = da_project_workflow_override(p, type);
	char path[DA_PATH_MAX];
	int rc;

	*out = NULL;
	if (strcmp(type, "feature") && strcmp(type, "bugfix") && strcmp(type, "hotfix"))
		return da_errf(DA_EUSAGE, "unknown task type \"%s\" (feature, bugfix or hotfix)", type);
	if (over)
		rc = over[0] == '/' ? da_pathf(path, sizeof path, "%s", over)
				    : da_pathf(path, sizeof path, "%s/workflows/%s", da_home(), over);
	else
		rc = da_pathf(path, sizeof path, "%s/%s.yaml", da_workflows_dir(), type);
	if (rc < 0)
		return rc;
	return da_workflow_load_file(type, path, p, out);
}
