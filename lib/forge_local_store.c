/* forge_local_store: the local forge's records on disk.
 *
 * Layout, under <state> ($DA_HOME/data/local-forge unless the project
 * says otherwise), one directory per repository label owner/name:
 *
 *   <state>/<owner>+<name>/lock              flock: numbering, appends, updates
 *   <state>/<owner>+<name>/issues/<n>.yaml   number, title, body, state, labels
 *   <state>/<owner>+<name>/prs/<n>.yaml      number, title, body, head, base,
 *                                            draft, state, merged, merge_sha, head_sha,
 *                                            labels
 *   <state>/<owner>+<name>/labels.yaml       labels: [{name, color, description}]
 *   <state>/<owner>+<name>/comments/<n>.log  one YAML document per comment
 *                                            (id, time, user, body)
 *   <state>/<owner>+<name>/reviews/<n>.log   one YAML document per review
 *                                            (id, time, user, verdict, commit,
 *                                            body, comments: [{path, line, body}])
 *
 * Every file is written with da_write_atomic. An append to a .log reads
 * the file, adds "---\n<document>" and rewrites it atomically, under the
 * lock: a crash mid-append leaves the old log, never a torn entry that
 * would make every later read fail (O_APPEND could leave half a document).
 * Logs stay small (a PR collects a handful of comments), so the rewrite
 * costs nothing that matters. Issues and PRs share one numbering, as on
 * GitHub: the next number is max(issue, PR) + 1, taken under the lock. */
#include "forge_local_impl.h"
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "yamlutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

void lf_pr_clear(struct lf_pr *p)
{
	free(p->title);
	free(p->body);
	free(p->head);
	free(p->base);
	free(p->state);
	free(p->merge_sha);
	free(p->head_sha);
	da_strlist_free(p->labels);
	memset(p, 0, sizeof *p);
}

int lf_lock(struct lf *l, int *fd)
{
	char path[PATH_MAX];
	int ret = da_pathf(path, sizeof path, "%s/lock", l->dir);

	*fd = -1;
	if (ret < 0)
		return ret;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		return da_errf(DA_ERUNTIME, "open %s: %s", path, strerror(errno));
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			ret = da_errf(DA_ERUNTIME, "lock %s: %s", path, strerror(errno));
			close(*fd);
			*fd = -1;
			return ret;
		}
	}
	return 0;
}

void lf_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the flock */
}

/* Highest "<n>.yaml" in dir (0 when none or no dir). */
static int max_number_in(const char *dir, long *max)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", dir,
						     strerror(errno));
	while ((e = readdir(d))) {
		char *end;
		long n = strtol(e->d_name, &end, 10);

		if (end != e->d_name && !strcmp(end, ".yaml") && n > *max)
			*max = n;
	}
	closedir(d);
	return 0;
}

int lf_next_number(struct lf *l, long *out)
{
	char path[PATH_MAX];
	long max = 0;
	int ret;

	if ((ret = da_pathf(path, sizeof path, "%s/issues", l->dir)) < 0 ||
	    (ret = max_number_in(path, &max)) < 0 ||
	    (ret = da_pathf(path, sizeof path, "%s/prs", l->dir)) < 0 ||
	    (ret = max_number_in(path, &max)) < 0)
		return ret;
	*out = max + 1;
	return 0;
}

/* Write a finished emitter buffer to <dir>/<sub>/<name>; `flags` as
 * da_write_atomic's. */
static int save(struct lf *l, const char *sub, const char *name, const char *data, size_t len,
		int flags)
{
	char dir[PATH_MAX];
	int ret = sub ? da_pathf(dir, sizeof dir, "%s/%s", l->dir, sub)
		      : da_pathf(dir, sizeof dir, "%s", l->dir);

	if (ret == 0)
		ret = da_mkdirs(dir);
	if (ret == 0)
		ret = da_write_atomic(dir, name, data, len, flags, NULL);
	return ret;
}

/* Load <dir>/<rel> when it exists: *found false and 0 otherwise. */
static int load(struct lf *l, const char *rel, struct da_yaml_doc *d, bool *found)
{
	char path[PATH_MAX];
	int ret = da_pathf(path, sizeof path, "%s/%s", l->dir, rel);

	memset(d, 0, sizeof *d);
	*found = false;
	if (ret < 0)
		return ret;
	if (!da_path_exists(path))
		return 0;
	ret = da_yaml_load_file(d, path, LF_MAX_RECORD);
	if (ret < 0)
		return ret;
	*found = true;
	if (!da_yaml_root(d) || da_yaml_root(d)->type != YAML_MAPPING_NODE)
		return da_errf(DA_ERUNTIME, "%s: not a mapping", path);
	return 0;
}

int lf_issue_read(struct lf *l, long n, struct da_forge_issue **out)
{
	struct da_yaml_doc d;
	struct da_forge_issue *i = NULL;
	yaml_node_t *root;
	char rel[64];
	bool found;
	int ret;

	*out = NULL;
	snprintf(rel, sizeof rel, "issues/%ld.yaml", n);
	ret = load(l, rel, &d, &found);
	if (ret < 0 || !found)
		goto out;
	root = da_yaml_root(&d);
	i = calloc(1, sizeof *i);
	if (!i) {
		ret = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	i->number = n;
	if ((ret = da_yaml_get_long(&d, root, "number", &i->number)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "title", &i->title)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "body", &i->body)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "state", &i->state)) < 0 ||
	    (ret = da_yaml_get_strlist(&d, root, "labels", &i->labels, &i->nlabels)) < 0)
		goto out;
	if (!i->title || i->number != n) {
		ret = da_yaml_errat(&d, root, "issue %ld: %s", n,
				    i->title ? "number differs from the file name" : "no title");
		goto out;
	}
	if (!i->body)
		i->body = strdup("");
	if (!i->state)
		i->state = strdup("open");
	if (!i->labels)
		i->labels = calloc(1, sizeof *i->labels);
	if (asprintf(&i->html_url, "file://%s/issues/%ld.yaml", l->dir, n) < 0)
		i->html_url = NULL;
	if (!i->body || !i->state || !i->labels || !i->html_url) {
		ret = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	*out = i;
	i = NULL;
out:
	da_forge_issue_free(i);
	da_yaml_free(&d);
	return ret;
}

int lf_issue_write(struct lf *l, const struct da_forge_issue *i)
{
	struct da_yaml_out w;
	char name[48];
	int ret;

	if (da_yw_begin(&w) < 0 || da_yw_kv_long(&w, "number", i->number) < 0 ||
	    da_yw_kv(&w, "title", i->title) < 0 || da_yw_kv(&w, "body", i->body) < 0 ||
	    da_yw_kv(&w, "state", i->state) < 0 ||
	    da_yw_kv_list(&w, "labels", i->labels, i->nlabels) < 0 || da_yw_end(&w) < 0) {
		da_yw_free(&w);
		return da_errf(DA_ERUNTIME, "issue %ld: could not write YAML", i->number);
	}
	snprintf(name, sizeof name, "%ld.yaml", i->number);
	ret = save(l, "issues", name, w.buf, w.len, DA_WRITE_REPLACE);
	da_yw_free(&w);
	return ret;
}

int lf_pr_read(struct lf *l, long n, struct lf_pr *p, bool *found)
{
	struct da_yaml_doc d;
	yaml_node_t *root;
	char rel[64];
	int ret;

	memset(p, 0, sizeof *p);
	snprintf(rel, sizeof rel, "prs/%ld.yaml", n);
	ret = load(l, rel, &d, found);
	if (ret < 0 || !*found)
		goto out;
	root = da_yaml_root(&d);
	p->number = n;
	if ((ret = da_yaml_get_long(&d, root, "number", &p->number)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "title", &p->title)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "body", &p->body)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "head", &p->head)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "base", &p->base)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "state", &p->state)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "merge_sha", &p->merge_sha)) < 0 ||
	    (ret = da_yaml_get_str(&d, root, "head_sha", &p->head_sha)) < 0 ||
	    (ret = da_yaml_get_bool(&d, root, "draft", &p->draft)) < 0 ||
	    (ret = da_yaml_get_bool(&d, root, "merged", &p->merged)) < 0 ||
	    (ret = da_yaml_get_strlist(&d, root, "labels", &p->labels, &p->nlabels)) < 0)
		goto out;
	if (!p->title || !p->head || !p->base || !p->state || p->number != n)
		ret = da_yaml_errat(&d, root, "PR %ld needs title, head, base, state and its "
				    "own number", n);
	else if (!p->body && !(p->body = strdup("")))
		ret = da_errf(DA_ERUNTIME, "out of memory");
out:
	if (ret < 0)
		lf_pr_clear(p);
	da_yaml_free(&d);
	return ret;
}

int lf_pr_write(struct lf *l, const struct lf_pr *p, bool create)
{
	struct da_yaml_out w;
	char name[48];
	int ret;

	if (da_yw_begin(&w) < 0 || da_yw_kv_long(&w, "number", p->number) < 0 ||
	    da_yw_kv(&w, "title", p->title) < 0 || da_yw_kv(&w, "body", p->body) < 0 ||
	    da_yw_kv(&w, "head", p->head) < 0 || da_yw_kv(&w, "base", p->base) < 0 ||
	    da_yw_kv_bool(&w, "draft", p->draft) < 0 || da_yw_kv(&w, "state", p->state) < 0 ||
	    da_yw_kv_bool(&w, "merged", p->merged) < 0 ||
	    da_yw_kv(&w, "merge_sha", p->merge_sha) < 0 ||
	    da_yw_kv(&w, "head_sha", p->head_sha) < 0 ||
	    da_yw_kv_list(&w, "labels", p->labels, p->nlabels) < 0 || da_yw_end(&w) < 0) {
		da_yw_free(&w);
		return da_errf(DA_ERUNTIME, "PR %ld: could not write YAML", p->number);
	}
	snprintf(name, sizeof name, "%ld.yaml", p->number);
	/* a new number must be new: were the lock ever not to hold (a
	 * filesystem without flock), two PRs fail loudly rather than one
	 * silently replacing the other */
	ret = save(l, "prs", name, w.buf, w.len, create ? DA_WRITE_NOREPLACE : DA_WRITE_REPLACE);
	da_yw_free(&w);
	return ret;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int lf_pr_numbers(struct lf *l, long **out, size_t *n)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *e;
	long *v = NULL;
	size_t cap = 0;
	int ret = da_pathf(path, sizeof path, "%s/prs", l->dir);

	*out = NULL;
	*n = 0;
	if (ret < 0)
		return ret;
	if (!(d = opendir(path)))
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", path,
						     strerror(errno));
	while ((e = readdir(d))) {
		char *end;
		long num = strtol(e->d_name, &end, 10);

		if (end == e->d_name || strcmp(end, ".yaml") || num <= 0)
			continue;
		if (*n == cap) {
			long *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);

			if (!nv) {
				closedir(d);
				free(v);
				*n = 0;
				return da_errf(DA_ERUNTIME, "out of memory");
			}
			v = nv;
		}
		v[(*n)++] = num;
	}
	closedir(d);
	if (v)
		qsort(v, *n, sizeof *v, cmp_long);
	*out = v;
	return 0;
}
