#include "enqueue.h"
#include "clock.h"
#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "task.h"
#include "yamlutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int da_parse_issue(const char *text, long *out)
{
	char *end;
	long v;

	if (!text || !text[0])
		return da_errf(DA_EUSAGE, "issue number is empty");
	if (text[0] == '-')
		return da_errf(DA_EUSAGE, "issue number \"%.40s\" is negative", text);
	for (const char *p = text; *p; p++)
		if (*p < '0' || *p > '9')
			return da_errf(DA_EUSAGE, "issue number \"%.40s\" is not a number", text);
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v > INT_MAX)
		return da_errf(DA_EUSAGE, "issue number \"%.40s\" is too large", text);
	if (v == 0)
		return da_errf(DA_EUSAGE, "issue number must be positive, not 0");
	*out = v;
	return 0;
}

int da_split_labels(const char *csv, char ***out, size_t *n)
{
	char **list = calloc(strlen(csv) / 2 + 2, sizeof *list);
	size_t count = 0;
	const char *p = csv;

	*out = NULL;
	*n = 0;
	if (!list)
		return da_errf(DA_ERUNTIME, "out of memory");
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *s = p;

		p += len + (end ? 1 : 0);
		while (len && (*s == ' ' || *s == '\t'))
			s++, len--;
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (!len)
			continue;
		if (!(list[count] = strndup(s, len))) {
			da_strlist_free(list);
			return da_errf(DA_ERUNTIME, "out of memory");
		}
		count++;
	}
	*out = list;
	*n = count;
	return 0;
}

static bool repo_part_ok(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int da_check_repo(const char *repo)
{
	const char *slash = strchr(repo, '/');

	if (strlen(repo) > 200 || !slash || !repo_part_ok(repo, (size_t)(slash - repo)) ||
	    !repo_part_ok(slash + 1, strlen(slash + 1)))
		return da_errf(DA_EUSAGE, "repo \"%.80s\" is not of the form owner/name", repo);
	return 0;
}

void da_title_slug(const char *title, char *buf, size_t size)
{
	da_slug(title, DA_SLUG_MAX, buf, size);
}

static int check_labels(const struct da_enqueue_req *req)
{
	if (req->n_labels > DA_LABELS_MAX)
		return da_errf(DA_EUSAGE, "more than %d labels", DA_LABELS_MAX);
	for (size_t i = 0; i < req->n_labels; i++) {
		const char *l = req->labels[i];
		size_t len = l ? strlen(l) : 0;

		if (!len)
			return da_errf(DA_EUSAGE, "label %zu is empty", i + 1);
		if (len > DA_LABEL_MAX_BYTES)
			return da_errf(DA_EUSAGE, "label %zu is longer than %d bytes", i + 1, DA_LABEL_MAX_BYTES);
		if (!da_text_ok(l, len, false))
			return da_errf(DA_EUSAGE, "label %zu is not valid UTF-8 text", i + 1);
	}
	return 0;
}

int da_enqueue_validate(const struct da_enqueue_req *req)
{
	int rc;

	if (!req->project || !req->project[0])
		return da_errf(DA_EUSAGE, "project is missing");
	if ((rc = da_check_project_name(req->project)) < 0)
		return rc;
	if (req->repo && (rc = da_check_repo(req->repo)) < 0)
		return rc;
	if (req->issue <= 0)
		return da_errf(DA_EUSAGE, "issue number must be positive");
	if (req->issue > INT_MAX)
		return da_errf(DA_EUSAGE, "issue number %ld is too large", req->issue);
	if (!req->title || !req->title[0])
		return da_errf(DA_EUSAGE, "title is missing");
	if (strlen(req->title) > DA_TITLE_MAX_BYTES)
		return da_errf(DA_EUSAGE, "title is longer than %d bytes", DA_TITLE_MAX_BYTES);
	if (!da_text_ok(req->title, strlen(req->title), false))
		return da_errf(DA_EUSAGE, "title is not valid UTF-8 text (or has control characters)");
	if (req->body_len > DA_BODY_MAX_BYTES)
		return da_errf(DA_EUSAGE, "body is %zu bytes, more than the %d allowed", req->body_len,
			       DA_BODY_MAX_BYTES);
	if (req->body && !da_text_ok(req->body, req->body_len, true))
		return da_errf(DA_EUSAGE, "body is not valid UTF-8 text (or has a NUL or control character)");
	if (req->type && !da_type_priority(req->type))
		return da_errf(DA_EUSAGE, "type \"%.40s\" is not feature, bugfix or hotfix", req->type);
	if (req->priority && (req->priority < 1 || req->priority > 3))
		return da_errf(DA_EUSAGE, "priority must be 1, 2 or 3");
	return check_labels(req);
}

/* Explicit type wins over labels; an explicit priority over the type's. */
static int resolve_type(const struct da_enqueue_req *req, const char **type, int *priority)
{
	struct da_config *cfg = NULL;
	int rc;

	if (req->type) {
		*type = req->type;
	} else {
		if ((rc = da_config_load(&cfg)) < 0)
			return rc;
		*type = da_config_type_for_labels(cfg, req->labels, req->n_labels);
		da_config_free(cfg);	/* the returned names are string literals */
	}
	*priority = req->priority ? req->priority : da_type_priority(*type);
	return 0;
}

static int build_task(const struct da_enqueue_req *req, time_t now, int *priority, char **text, size_t *len)
{
	struct da_task *t = da_task_new();
	const char *type;
	char at[32], why[64];
	int rc = DA_ERUNTIME;

	if (!t)
		return da_errf(DA_ERUNTIME, "out of memory");
	if ((rc = resolve_type(req, &type, &t->priority)) < 0)
		goto out;
	rc = DA_ERUNTIME;
	da_utc_iso(now, at, sizeof at);
	t->id = da_task_make_id(req->project, req->repo, req->issue);
	t->project = strdup(req->project);
	t->repo = req->repo ? strdup(req->repo) : NULL;
	t->issue = req->issue;
	t->title = strdup(req->title);
	t->body = strndup(req->body ? req->body : "", req->body ? req->body_len : 0);
	t->type = strdup(type);
	t->enqueued_at = strdup(at);
	t->source = strdup(req->source ? req->source : "cli");
	if (!t->id || !t->project || (req->repo && !t->repo) || !t->title || !t->body || !t->type ||
	    !t->enqueued_at || !t->source)
		goto oom;
	da_strlist_free(t->labels);
	if (!(t->labels = calloc(req->n_labels + 1, sizeof *t->labels)))
		goto oom;
	for (size_t i = 0; i < req->n_labels; i++, t->n_labels++)
		if (!(t->labels[i] = strdup(req->labels[i])))
			goto oom;
	snprintf(why, sizeof why, "enqueued (%s)", t->source);
	if ((rc = da_task_add_history(t, "new", "pending", why)) < 0 || (rc = da_task_serialize(t, text, len)) < 0)
		goto out;
	*priority = t->priority;
	rc = 0;
	goto out;
oom:
	rc = da_errf(DA_ERUNTIME, "out of memory");
out:
	da_task_free(t);
	return rc;
}

/* Under the queue lock: the id is queued when its index entry names a
 * file that stands in pending/ or active/. */
static int find_queued(const char *project, const char *entry, struct da_enqueue_result *res)
{
	char target[256], path[DA_PATH_MAX];
	ssize_t n = readlink(entry, target, sizeof target - 1);
	static const enum da_state live[] = { DA_PENDING, DA_ACTIVE };

	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		return da_errf(DA_ERUNTIME, "read index entry %s: %s", entry, strerror(errno));
	}
	target[n] = '\0';
	if (!da_is_task_name(target) || strchr(target, '/'))
		return 0;	/* not ours: replaced below */
	for (size_t i = 0; i < sizeof live / sizeof *live; i++) {
		if (da_task_path(live[i], project, target, path, sizeof path) < 0)
			return DA_ERUNTIME;
		if (da_path_exists(path)) {
			res->duplicate = true;
			res->state = live[i];
			snprintf(res->name, sizeof res->name, "%s", target);
			snprintf(res->path, sizeof res->path, "%s", path);
			return 1;
		}
	}
	return 0;
}

/* A name no task of the project has in any state; the lock keeps it so
 * until the task is written. */
static int choose_name(const char *project, const char *base, char *name, size_t size)
{
	char path[DA_PATH_MAX];

	for (int k = 1; k < 1000; k++) {
		bool taken = false;

		if (k == 1 ? da_pathf(name, size, "%s.yaml", base) < 0
			   : da_pathf(name, size, "%s-%d.yaml", base, k) < 0)
			return DA_ERUNTIME;
		for (int s = 0; s < DA_NSTATES && !taken; s++) {
			if (da_task_path((enum da_state)s, project, name, path, sizeof path) < 0)
				return DA_ERUNTIME;
			taken = da_path_exists(path);
		}
		if (!taken)
			return 0;
	}
	return da_errf(DA_ERUNTIME, "no free task file name for %s", base);
}

/* Point the index entry at `name`. The caller holds the queue lock and
 * only replaces an entry that names no live task, so unlink + symlink
 * needs no temp name: a crash between the two loses only a stale entry.
 * The entry lives in the pending folder, so the directory fsync that
 * makes the task durable covers it too; it is created first, and a crash
 * never leaves a task without its entry. */
static int set_index(const char *ids_dir, const char *key, const char *name)
{
	char entry[DA_PATH_MAX];

	if (da_pathf(entry, sizeof entry, "%s/%s", ids_dir, key) < 0)
		return DA_ERUNTIME;
	if (unlink(entry) < 0 && errno != ENOENT)
		return da_errf(DA_ERUNTIME, "remove index entry %s: %s", entry, strerror(errno));
	if (symlink(name, entry) < 0)
		return da_errf(DA_ERUNTIME, "create index entry %s: %s", entry, strerror(errno));
	return 0;
}

/* The common case costs 10 stats: every folder this enqueue touches
 * exists and sits on the root's filesystem. Anything else (first use, a
 * mount inside the queue) takes the full check, which creates what is
 * missing and refuses a queue spread over filesystems. */
static bool queue_ready(const char *project)
{
	static const char *const fmts[] = { "%s/locks", "%s/pending", "%s/pending/%s",
					    "%s/active", "%s/active/%s", "%s/completed", "%s/completed/%s",
					    "%s/failed", "%s/failed/%s" };
	const char *root = da_queue_root();
	char path[DA_PATH_MAX];
	struct stat rst, st;

	if (stat(root, &rst) < 0)
		return false;
	for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
		/* the format takes the project only when it has a second %s */
		if (da_pathf(path, sizeof path, fmts[i], root, project) < 0 || stat(path, &st) < 0 ||
		    !S_ISDIR(st.st_mode) || st.st_dev != rst.st_dev)
			return false;
	}
	return true;
}

static int write_locked(const struct da_enqueue_req *req, const char *base, const char *text, size_t len,
			struct da_enqueue_result *res)
{
	char ids_dir[DA_PATH_MAX], key[DA_ID_MAX], entry[DA_PATH_MAX], pending[DA_PATH_MAX];
	bool exists = false;
	int rc;

	if (da_ids_dir(req->project, ids_dir, sizeof ids_dir) < 0 || da_id_key(res->id, key, sizeof key) < 0 ||
	    da_pathf(entry, sizeof entry, "%s/%s", ids_dir, key) < 0 ||
	    da_state_dir(DA_PENDING, req->project, pending, sizeof pending) < 0)
		return DA_ERUNTIME;
	if ((rc = find_queued(req->project, entry, res)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = choose_name(req->project, base, res->name, sizeof res->name)) < 0 ||
	    (rc = set_index(ids_dir, key, res->name)) < 0)
		return rc;
	rc = da_write_atomic(pending, res->name, text, len, DA_WRITE_NOREPLACE, &exists);
	if (rc < 0)
		return exists ? da_errf(DA_ERUNTIME, "%s appeared while the queue was locked", res->name) : rc;
	res->state = DA_PENDING;
	if (da_pathf(res->path, sizeof res->path, "%s/%s", pending, res->name) < 0)
		return DA_ERUNTIME;
	return 0;
}

int da_enqueue(const struct da_enqueue_req *req, struct da_enqueue_result *res)
{
	char slug[DA_SLUG_MAX + 1], stamp[32], base[200];
	char *text = NULL, *id = NULL;
	size_t len = 0;
	time_t now = req->now ? req->now : time(NULL);
	int lock = -1, priority = 0, rc;

	memset(res, 0, sizeof *res);
	if ((rc = da_enqueue_validate(req)) < 0)
		return rc;
	if (!(id = da_task_make_id(req->project, req->repo, req->issue)))
		return da_errf(DA_ERUNTIME, "out of memory");
	snprintf(res->id, sizeof res->id, "%s", id);
	snprintf(res->project, sizeof res->project, "%s", req->project);
	free(id);
	/* Everything that can fail on input or config happens before the
	 * queue is touched, and the lock is held only for the short part. */
	if ((rc = build_task(req, now, &priority, &text, &len)) < 0)
		return rc;
	da_title_slug(req->title, slug, sizeof slug);
	da_utc_compact(now, stamp, sizeof stamp);
	snprintf(base, sizeof base, "%d-%s-%ld-%s", priority, stamp, req->issue, slug);
	if (!queue_ready(req->project) &&
	    ((rc = da_queue_check_root()) < 0 || (rc = da_queue_prepare_project(req->project)) < 0))
		goto out;
	if ((rc = da_queue_lock(req->project, &lock)) < 0)
		goto out;
	rc = write_locked(req, base, text, len, res);
	da_lock_release(lock);
	res->paused = da_paused();
out:
	free(text);
	return rc;
}
