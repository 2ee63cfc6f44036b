#include "event.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "yamlutil.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISPATCH_TYPE "dev-agents"

void da_event_free(struct da_event *e)
{
	if (!e)
		return;
	free(e->kind);
	free(e->action);
	free(e->project);
	free(e->repo);
	free(e->title);
	free(e->body);
	free(e->runner);
	da_strlist_free(e->labels);
	free(e);
}

/* An optional string field: absent or null leaves *out NULL. */
static int get_str(json_t *obj, const char *where, const char *key, char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return da_errf(DA_EUSAGE, "event: %s.%s is not a string", where, key);
	/* json_string_length counts an embedded NUL; the UTF-8 check catches it */
	if (!(*out = strndup(json_string_value(v), json_string_length(v))))
		return da_errf(DA_ERUNTIME, "out of memory");
	if (strlen(*out) != json_string_length(v))
		return da_errf(DA_EUSAGE, "event: %s.%s has a NUL character", where, key);
	return 0;
}

static int get_issue(json_t *obj, const char *where, long *out)
{
	json_t *v = json_object_get(obj, "issue");

	if (!v && !strcmp(where, "issue"))
		v = json_object_get(obj, "number");
	if (!v || json_is_null(v))
		return da_errf(DA_EUSAGE, "event: %s has no issue number", where);
	if (json_is_integer(v)) {
		if (json_integer_value(v) <= 0)
			return da_errf(DA_EUSAGE, "event: issue number %lld is not positive",
				       (long long)json_integer_value(v));
		if (json_integer_value(v) > 2147483647)
			return da_errf(DA_EUSAGE, "event: issue number is too large");
		*out = (long)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return da_parse_issue(json_string_value(v), out) < 0 ? da_errctx(DA_EUSAGE, "event") : 0;
	return da_errf(DA_EUSAGE, "event: %s issue number is not a number", where);
}

/* labels: an array of strings or of {name: ...} objects (as GitHub has them). */
static int get_labels(json_t *arr, const char *where, struct da_event *e)
{
	size_t i, n;
	json_t *v;

	if (!arr || json_is_null(arr))
		return 0;
	if (json_is_string(arr))
		return da_split_labels(json_string_value(arr), &e->labels, &n);
	if (!json_is_array(arr))
		return da_errf(DA_EUSAGE, "event: %s labels is not a list", where);
	n = json_array_size(arr);
	if (!(e->labels = calloc(n + 1, sizeof *e->labels)))
		return da_errf(DA_ERUNTIME, "out of memory");
	json_array_foreach(arr, i, v) {
		json_t *name = json_is_object(v) ? json_object_get(v, "name") : v;

		if (!json_is_string(name))
			return da_errf(DA_EUSAGE, "event: %s label %zu is not a string or {name}", where, i + 1);
		if (!(e->labels[i] = strdup(json_string_value(name))))
			return da_errf(DA_ERUNTIME, "out of memory");
	}
	return 0;
}

static int parse_dispatch(json_t *root, struct da_event *e)
{
	json_t *cp = json_object_get(root, "client_payload");
	int rc;

	if (!e->action || strcmp(e->action, DISPATCH_TYPE) != 0)
		return da_errf(DA_EUSAGE, "event type \"%.60s\" is not handled (repository_dispatch wants \"%s\")",
			       e->action ? e->action : "", DISPATCH_TYPE);
	if (!json_is_object(cp))
		return da_errf(DA_EUSAGE, "event: client_payload is not an object");
	if ((rc = get_str(cp, "client_payload", "repo", &e->repo)) < 0 ||
	    (rc = get_str(cp, "client_payload", "title", &e->title)) < 0 ||
	    (rc = get_str(cp, "client_payload", "body", &e->body)) < 0 ||
	    (rc = get_str(cp, "client_payload", "project", &e->project)) < 0 ||
	    (rc = get_str(cp, "client_payload", "runner", &e->runner)) < 0 ||
	    (rc = get_issue(cp, "client_payload", &e->req.issue)) < 0 ||
	    (rc = get_labels(json_object_get(cp, "labels"), "client_payload", e)) < 0)
		return rc;
	if (!e->repo) {
		json_t *r = json_object_get(root, "repository");

		if ((rc = get_str(json_is_object(r) ? r : NULL, "repository", "full_name", &e->repo)) < 0)
			return rc;
	}
	return 0;
}

static int parse_issues(json_t *root, struct da_event *e)
{
	json_t *issue = json_object_get(root, "issue"), *repo = json_object_get(root, "repository");
	int rc;

	if (!e->action || (strcmp(e->action, "opened") != 0 && strcmp(e->action, "labeled") != 0))
		return da_errf(DA_EUSAGE, "event type \"issues.%.40s\" is not handled (issues: opened or labeled)",
			       e->action ? e->action : "");
	if (!json_is_object(issue))
		return da_errf(DA_EUSAGE, "event: issue is not an object");
	if (!json_is_object(repo))
		return da_errf(DA_EUSAGE, "event: repository is missing");
	if ((rc = get_str(repo, "repository", "full_name", &e->repo)) < 0 ||
	    (rc = get_str(issue, "issue", "title", &e->title)) < 0 ||
	    (rc = get_str(issue, "issue", "body", &e->body)) < 0 ||
	    (rc = get_issue(issue, "issue", &e->req.issue)) < 0 ||
	    (rc = get_labels(json_object_get(issue, "labels"), "issue", e)) < 0)
		return rc;
	if (!e->repo)
		return da_errf(DA_EUSAGE, "event: repository.full_name is missing");
	return 0;
}

/* GitHub names the event in a header, not the payload: tell it by shape. */
static const char *event_kind(json_t *root)
{
	if (json_object_get(root, "client_payload"))
		return "repository_dispatch";
	if (json_object_get(root, "issue") && !json_object_get(root, "comment"))
		return "issues";
	if (json_object_get(root, "comment"))
		return "a comment event";
	if (json_object_get(root, "pull_request"))
		return "pull_request";
	if (json_object_get(root, "pusher") || json_object_get(root, "commits"))
		return "push";
	return NULL;
}

static int resolve_project(struct da_event *e)
{
	int rc;

	if (e->project)
		return 0;
	if (!e->repo)
		return da_errf(DA_EUSAGE, "event: neither project nor repo is given");
	if ((rc = da_check_repo(e->repo)) < 0)
		return da_errctx(DA_EUSAGE, "event");
	if ((rc = da_project_for_repo(e->repo, &e->project)) < 0)
		return rc;
	if (!e->project && !(e->project = strdup(strchr(e->repo, '/') + 1)))
		return da_errf(DA_ERUNTIME, "out of memory");
	return 0;
}

static int fill(json_t *root, struct da_event *e)
{
	const char *kind = event_kind(root);
	int rc;

	if (!kind)
		return da_errf(DA_EUSAGE, "event is not one this program handles (not repository_dispatch or issues)");
	if (!(e->kind = strdup(kind)))
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((rc = get_str(root, "event", "action", &e->action)) < 0)
		return rc;
	if (!strcmp(kind, "repository_dispatch"))
		rc = parse_dispatch(root, e);
	else if (!strcmp(kind, "issues"))
		rc = parse_issues(root, e);
	else
		rc = da_errf(DA_EUSAGE, "event type %s is not handled", kind);
	if (rc < 0 || (rc = resolve_project(e)) < 0)
		return rc;
	if (!e->labels && !(e->labels = calloc(1, sizeof *e->labels)))
		return da_errf(DA_ERUNTIME, "out of memory");
	e->req.project = e->project;
	e->req.repo = e->repo;
	e->req.title = e->title;
	e->req.body = e->body;
	e->req.body_len = e->body ? strlen(e->body) : 0;
	e->req.labels = e->labels;
	for (e->req.n_labels = 0; e->labels[e->req.n_labels]; e->req.n_labels++)
		;
	e->req.source = e->kind;
	return 0;
}

int da_event_parse(const char *text, size_t len, struct da_event **out)
{
	json_error_t jerr;
	json_t *root;
	struct da_event *e;
	int rc;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return da_errf(DA_EUSAGE, "event is not valid JSON: line %d column %d: %s", jerr.line, jerr.column,
			       jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return da_errf(DA_EUSAGE, "event is not a JSON object");
	}
	if (!(e = calloc(1, sizeof *e))) {
		json_decref(root);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	rc = fill(root, e);
	json_decref(root);
	if (rc < 0) {
		da_event_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

int da_event_read(const char *path, struct da_event **out)
{
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	rc = da_read_file(strcmp(path, "-") ? path : "/dev/stdin", DA_EVENT_MAX_BYTES, &text, &len);
	if (rc < 0)
		return rc;
	rc = da_event_parse(text, len, out);
	free(text);
	return rc;
}

static int repo_of(const char *dir, const char *file, char **repo)
{
	char path[DA_PATH_MAX];
	struct da_yaml_doc d;
	yaml_node_t *root;
	int rc;

	*repo = NULL;
	if (da_pathf(path, sizeof path, "%s/%s", dir, file) < 0)
		return DA_ERUNTIME;
	if ((rc = da_yaml_load_file(&d, path, 256 * 1024)) < 0)
		goto out;
	root = da_yaml_root(&d);
	if (root && root->type == YAML_MAPPING_NODE)
		rc = da_yaml_get_str(&d, root, "repo", repo);
out:
	da_yaml_free(&d);
	return rc;
}

int da_project_for_repo(const char *repo, char **project)
{
	char dir[DA_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*project = NULL;
	if (da_pathf(dir, sizeof dir, "%s/projects", da_home()) < 0)
		return DA_ERUNTIME;
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", dir, strerror(errno));
	/* Every file is read: two projects naming one repo is a config error
	 * to report, not a choice to make by directory order. */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *r = NULL;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		if ((rc = repo_of(dir, de->d_name, &r)) < 0)
			break;
		if (r && !strcmp(r, repo)) {
			if (*project)
				rc = da_errf(DA_EUSAGE, "repo %s is named by projects %s and %.*s; give the project",
					     repo, *project, (int)(len - 5), de->d_name);
			else if (!(*project = strndup(de->d_name, len - 5)))
				rc = da_errf(DA_ERUNTIME, "out of memory");
		}
		free(r);
	}
	closedir(d);
	if (rc < 0) {
		free(*project);
		*project = NULL;
	}
	return rc;
}
