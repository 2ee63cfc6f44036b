#include "runrec.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "yamlutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNREC_MAX_BYTES (1024 * 1024)

static const char *const status_names[] = { "pending", "running", "done", "failed" };

const char *da_stage_status_name(int status)
{
	return status >= DA_ST_PENDING && status <= DA_ST_FAILED ? status_names[status] : "pending";
}

static bool name_ok(const char *s, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

	if (len == 0 || len > 200 || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(ok, s[i]))
			return false;
	return true;
}

/* "<project>/<task>", or a bare "<task>": one slash at most, and each
 * part a plain name, so a key never leaves $DA_HOME/data/runs. */
static int check_key(const char *key)
{
	const char *slash = key ? strchr(key, '/') : NULL;
	bool ok = key && (slash ? name_ok(key, (size_t)(slash - key)) && name_ok(slash + 1, strlen(slash + 1))
			       : name_ok(key, strlen(key)));

	if (!ok)
		return da_errf(DA_EUSAGE, "run key \"%.60s\" is not [project/]task of [A-Za-z0-9._-]",
			       key ? key : "");
	return 0;
}

int da_run_key(const char *project, const char *task, char *buf, size_t size)
{
	int rc = da_pathf(buf, size, "%s/%s", project, task);

	return rc < 0 ? rc : check_key(buf);
}

int da_run_dir(const char *task, char *buf, size_t size)
{
	int rc = check_key(task);

	return rc < 0 ? rc : da_pathf(buf, size, "%s/data/runs/%s", da_home(), task);
}

int da_run_file(const char *task, size_t index, const char *stage, const char *suffix, char *buf, size_t size)
{
	char dir[DA_PATH_MAX];
	int rc = da_run_dir(task, dir, sizeof dir);

	return rc < 0 ? rc : da_pathf(buf, size, "%s/%02zu-%s%s", dir, index + 1, stage, suffix);
}

int da_run_write(const char *task, const char *name, const char *data, size_t len)
{
	char dir[DA_PATH_MAX];
	int rc;

	if ((rc = da_run_dir(task, dir, sizeof dir)) < 0 || (rc = da_mkdirs(dir)) < 0)
		return rc;
	return da_write_atomic(dir, name, data, len, DA_WRITE_REPLACE, NULL);
}

int da_run_save_prompt(const char *task, size_t index, const char *stage, long attempt, const char *prompt)
{
	char name[300];
	int rc = attempt > 1 ? da_pathf(name, sizeof name, "%02zu-%s-%ld.prompt.md", index + 1, stage, attempt)
			     : da_pathf(name, sizeof name, "%02zu-%s.prompt.md", index + 1, stage);

	return rc < 0 ? rc : da_run_write(task, name, prompt, strlen(prompt));
}

/* --- state.yaml --- */

void da_run_state_free(struct da_run_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_stages; i++) {
		free(s->stages[i].name);
		free(s->stages[i].session_id);
		free(s->stages[i].error);
	}
	free(s->stages);
	free(s->task);
	free(s->lead_session);
	free(s->workspace);
	free(s->branch);
	free(s);
}

int da_run_state_set_str(char **field, const char *value)
{
	char *copy = value ? strdup(value) : NULL;

	if (value && !copy)
		return da_errf(DA_ERUNTIME, "out of memory");
	free(*field);
	*field = copy;
	return 0;
}

struct da_stage_state *da_run_state_stage(struct da_run_state *s, const char *name)
{
	for (size_t i = 0; i < s->n_stages; i++)
		if (!strcmp(s->stages[i].name, name))
			return &s->stages[i];
	struct da_stage_state *grown = realloc(s->stages, (s->n_stages + 1) * sizeof *grown);

	if (!grown)
		return NULL;
	s->stages = grown;
	memset(&grown[s->n_stages], 0, sizeof *grown);
	if (!(grown[s->n_stages].name = strdup(name)))
		return NULL;
	return &grown[s->n_stages++];
}

int da_run_state_mark(struct da_run_state *s, const char *name, int status, const char *session_id,
		      const char *error)
{
	struct da_stage_state *st = da_run_state_stage(s, name);

	if (!st)
		return da_errf(DA_ERUNTIME, "out of memory");
	if (status == DA_ST_RUNNING)
		st->attempts++;
	st->status = status;
	if (session_id && da_run_state_set_str(&st->session_id, session_id) < 0)
		return DA_ERUNTIME;
	if (status == DA_ST_DONE)
		return da_run_state_set_str(&st->error, NULL);
	return error ? da_run_state_set_str(&st->error, error) : 0;
}

size_t da_run_state_resume_point(const struct da_run_state *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool done = false;

		for (size_t j = 0; s && j < s->n_stages; j++)
			if (!strcmp(s->stages[j].name, names[i]))
				done = s->stages[j].status == DA_ST_DONE;
		if (!done)
			return i;
	}
	return n;
}

static int parse_status(struct da_yaml_doc *d, yaml_node_t *n, const char *text, int *out)
{
	for (int i = DA_ST_PENDING; i <= DA_ST_FAILED; i++)
		if (text && !strcmp(text, status_names[i])) {
			*out = i;
			return 0;
		}
	return da_yaml_errat(d, n, "status: \"%s\" is not pending, running, done or failed", text ? text : "");
}

static int read_state_stages(struct da_yaml_doc *d, yaml_node_t *root, struct da_run_state *s)
{
	yaml_node_t *seq = da_yaml_get(d, root, "stages");
	int rc = 0;

	if (!seq)
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return da_yaml_errat(d, seq, "stages: expected a list");
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top && !rc; it++) {
		yaml_node_t *n = yaml_document_get_node(&d->doc, *it);
		const char *name = da_yaml_scalar(da_yaml_get(d, n, "name"));
		struct da_stage_state *st;

		if (!name || !name[0])
			return da_yaml_errat(d, n, "a stage needs a name");
		if (!(st = da_run_state_stage(s, name)))
			return da_errf(DA_ERUNTIME, "out of memory");
		if ((rc = parse_status(d, n, da_yaml_scalar(da_yaml_get(d, n, "status")), &st->status)) < 0 ||
		    (rc = da_yaml_get_str(d, n, "session_id", &st->session_id)) < 0 ||
		    (rc = da_yaml_get_long(d, n, "attempts", &st->attempts)) < 0)
			return rc;
		rc = da_yaml_get_str(d, n, "error", &st->error);
	}
	return rc;
}

static int load_doc(const char *task, const char *file, struct da_yaml_doc *d, bool *found)
{
	char dir[DA_PATH_MAX], path[DA_PATH_MAX];
	int rc;

	*found = false;
	memset(d, 0, sizeof *d);
	if ((rc = da_run_dir(task, dir, sizeof dir)) < 0 || (rc = da_pathf(path, sizeof path, "%s/%s", dir, file)) < 0)
		return rc;
	if (!da_path_exists(path))
		return 0;
	*found = true;
	if ((rc = da_yaml_load_file(d, path, RUNREC_MAX_BYTES)) < 0)
		return rc;
	if (!da_yaml_root(d) || da_yaml_root(d)->type != YAML_MAPPING_NODE)
		return da_errf(DA_EUSAGE, "%s:1: expected a mapping", path);
	return 0;
}

int da_run_state_load(const char *task, struct da_run_state **out)
{
	struct da_run_state *s = calloc(1, sizeof *s);
	struct da_yaml_doc d;
	bool found;
	int rc;

	*out = NULL;
	if (!s)
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((rc = load_doc(task, "state.yaml", &d, &found)) == 0 && !(s->task = strdup(task)))
		rc = da_errf(DA_ERUNTIME, "out of memory");
	if (rc == 0 && found) {
		yaml_node_t *root = da_yaml_root(&d);

		if ((rc = da_yaml_get_str(&d, root, "lead_session", &s->lead_session)) == 0 &&
		    (rc = da_yaml_get_str(&d, root, "workspace", &s->workspace)) == 0 &&
		    (rc = da_yaml_get_str(&d, root, "branch", &s->branch)) == 0)
			rc = read_state_stages(&d, root, s);
	}
	da_yaml_free(&d);
	if (rc < 0)
		da_run_state_free(s);
	else
		*out = s;
	return rc;
}

int da_run_state_save(const struct da_run_state *s)
{
	struct da_yaml_out w;
	int rc;

	if ((rc = da_yw_begin(&w)) < 0)
		goto out;
	if (da_yw_kv(&w, "task", s->task) < 0 || da_yw_kv(&w, "lead_session", s->lead_session) < 0 ||
	    da_yw_kv(&w, "workspace", s->workspace) < 0 || da_yw_kv(&w, "branch", s->branch) < 0 ||
	    da_yw_str(&w, "stages") < 0 || da_yw_seq_start(&w) < 0)
		goto fail;
	for (size_t i = 0; i < s->n_stages; i++) {
		const struct da_stage_state *st = &s->stages[i];

		if (da_yw_map_start(&w) < 0 || da_yw_kv(&w, "name", st->name) < 0 ||
		    da_yw_kv(&w, "status", da_stage_status_name(st->status)) < 0 ||
		    da_yw_kv(&w, "session_id", st->session_id) < 0 || da_yw_kv_long(&w, "attempts", st->attempts) < 0 ||
		    da_yw_kv(&w, "error", st->error) < 0 || da_yw_map_end(&w) < 0)
			goto fail;
	}
	if (da_yw_seq_end(&w) < 0 || da_yw_end(&w) < 0)
		goto fail;
	rc = da_run_write(s->task, "state.yaml", w.buf, w.len);
	goto out;
fail:
	rc = DA_ERUNTIME;
out:
	da_yw_free(&w);
	return rc;
}
