#include "failures.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "spawn.h"
#include "yamlutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAILURES_TAIL_BYTES (256 * 1024)	/* how much of a log the readers look at */

int da_failures_path(const char *project, char *buf, size_t size)
{
	return da_pathf(buf, size, "%s/data/failures/%s.log", da_home(), project);
}

static int emit_record(const struct da_failure *f, char **out, size_t *len)
{
	struct da_yaml_out w;
	char date[40], task[256], error[8192];
	time_t now = time(NULL);
	struct tm tm;
	int rc = DA_ERUNTIME;
	size_t tl;

	if (!f->date) {
		gmtime_r(&now, &tm);
		strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	} else {
		snprintf(date, sizeof date, "%s", f->date);
	}
	snprintf(task, sizeof task, "%s", f->task ? f->task : "");
	tl = strlen(task);
	if (tl > 5 && !strcmp(task + tl - 5, ".yaml"))
		task[tl - 5] = '\0';
	/* A trailing newline makes the emitter write a block literal, which is
	 * what the record format promises for error. */
	snprintf(error, sizeof error, "%s", f->error && f->error[0] ? f->error : "(no output)");
	tl = strlen(error);
	if (tl + 1 < sizeof error && error[tl - 1] != '\n') {
		error[tl] = '\n';
		error[tl + 1] = '\0';
	}
	*out = NULL;
	if (da_yw_begin(&w) < 0 || da_yw_kv(&w, "date", date) < 0 || da_yw_kv(&w, "task", task) < 0 ||
	    da_yw_kv(&w, "title", f->title ? f->title : "") < 0 || da_yw_kv(&w, "type", f->type ? f->type : "") < 0 ||
	    da_yw_kv_long(&w, "exit_code", f->exit_code) < 0 || da_yw_kv(&w, "error", error) < 0 ||
	    da_yw_end(&w) < 0)
		goto out;
	*out = malloc(w.len + 5);
	if (!*out) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	memcpy(*out, "---\n", 4);
	memcpy(*out + 4, w.buf, w.len);
	*len = w.len + 4;
	(*out)[*len] = '\0';
	rc = 0;
out:
	da_yw_free(&w);
	return rc;
}

int da_failures_lock(const char *path, int flags, int *fd)
{
	/* Pruning replaces the log with a rename; a writer that waited on the
	 * old file's lock would write into a file nobody reads any more. So
	 * once locked, check the path still names the file we hold, else try
	 * again on the new one. */
	for (int attempt = 0; attempt < 100; attempt++) {
		struct stat held, named;

		*fd = open(path, flags | O_CLOEXEC, 0644);
		if (*fd < 0)
			return errno == ENOENT && !(flags & O_CREAT)
				       ? 0
				       : da_errf(DA_ERUNTIME, "open %s: %s", path, strerror(errno));
		while (flock(*fd, LOCK_EX) < 0)
			if (errno != EINTR) {
				int saved = errno;

				close(*fd);
				*fd = -1;
				return da_errf(DA_ERUNTIME, "lock %s: %s", path, strerror(saved));
			}
		if (fstat(*fd, &held) == 0 && stat(path, &named) == 0 && held.st_ino == named.st_ino &&
		    held.st_dev == named.st_dev)
			return 0;
		close(*fd);
		*fd = -1;
	}
	return da_errf(DA_ERUNTIME, "lock %s: the file keeps being replaced", path);
}

int da_failure_append(const struct da_failure *f)
{
	char path[DA_PATH_MAX], dir[DA_PATH_MAX];
	char *rec = NULL;
	size_t len = 0;
	int fd = -1, rc;

	if (da_pathf(dir, sizeof dir, "%s/data/failures", da_home()) < 0 ||
	    da_failures_path(f->project, path, sizeof path) < 0 || da_mkdirs(dir) < 0)
		return DA_ERUNTIME;
	if ((rc = emit_record(f, &rec, &len)) < 0)
		return rc;
	rc = DA_ERUNTIME;
	if ((rc = da_failures_lock(path, O_WRONLY | O_APPEND | O_CREAT, &fd)) < 0 || fd < 0) {
		rc = DA_ERUNTIME;
		goto out;
	}
	rc = DA_ERUNTIME;
	/* One writer at a time, one write per record: records never interleave. */
	ssize_t n = write(fd, rec, len);

	if (n != (ssize_t)len) {
		da_errf(DA_ERUNTIME, "write %s: %s", path, n < 0 ? strerror(errno) : "short write");
		goto out;
	}
	if (fsync(fd) < 0) {
		da_errf(DA_ERUNTIME, "fsync %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(rec);
	return rc;
}

/* The log's last FAILURES_TAIL_BYTES, starting at a record boundary. */
static int read_tail(const char *project, char **out, size_t *len)
{
	char path[DA_PATH_MAX];
	int fd;
	struct stat st;

	*out = NULL;
	*len = 0;
	if (da_failures_path(project, path, sizeof path) < 0)
		return DA_ERUNTIME;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return da_errf(DA_ERUNTIME, "stat %s: %s", path, strerror(errno));
	}
	off_t from = st.st_size > FAILURES_TAIL_BYTES ? st.st_size - FAILURES_TAIL_BYTES : 0;
	size_t want = (size_t)(st.st_size - from);
	char *buf = malloc(want + 1);

	if (!buf) {
		close(fd);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	ssize_t n = pread(fd, buf, want, from);

	close(fd);
	if (n < 0) {
		free(buf);
		return da_errf(DA_ERUNTIME, "read %s: %s", path, strerror(errno));
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

static void failure_clear(struct da_failure *f)
{
	free(f->date);
	free(f->project);
	free(f->task);
	free(f->title);
	free(f->type);
	free(f->error);
	memset(f, 0, sizeof *f);
}

void da_failures_free(struct da_failure *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		failure_clear(&list[i]);
	free(list);
}

static int parse_record(const char *project, const char *text, size_t len, struct da_failure *f)
{
	struct da_yaml_doc d;
	yaml_node_t *root;
	int rc;

	memset(f, 0, sizeof *f);
	f->exit_code = -1;
	if ((rc = da_yaml_load(&d, "failures", text, len)) < 0)
		goto out;
	root = da_yaml_root(&d);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = DA_EUSAGE;
		goto out;
	}
	if ((rc = da_yaml_get_str(&d, root, "date", &f->date)) < 0 ||
	    (rc = da_yaml_get_str(&d, root, "task", &f->task)) < 0 ||
	    (rc = da_yaml_get_str(&d, root, "title", &f->title)) < 0 ||
	    (rc = da_yaml_get_str(&d, root, "type", &f->type)) < 0 ||
	    (rc = da_yaml_get_long(&d, root, "exit_code", &f->exit_code)) < 0 ||
	    (rc = da_yaml_get_str(&d, root, "error", &f->error)) < 0)
		goto out;
	if (!(f->project = strdup(project)))
		rc = da_errf(DA_ERUNTIME, "out of memory");
out:
	da_yaml_free(&d);
	if (rc < 0)
		failure_clear(f);
	return rc;
}

/* Start of the next record ("---" at a line start) at or after p. */
static const char *next_record(const char *buf, const char *p, const char *end)
{
	for (; p < end; p++)
		if ((p == buf || p[-1] == '\n') && end - p >= 3 && !memcmp(p, "---", 3) &&
		    (p + 3 == end || p[3] == '\n' || p[3] == ' '))
			return p;
	return end;
}

int da_failures_last(const char *project, size_t max, struct da_failure **out, size_t *n)
{
	char *buf;
	size_t len, count = 0, total = 0;
	struct da_failure *list = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = read_tail(project, &buf, &len)) < 0 || !buf)
		return rc;
	const char *end = buf + len;

	for (const char *p = next_record(buf, buf, end); p < end; p = next_record(buf, p + 3, end))
		total++;
	list = calloc(max ? max : 1, sizeof *list);
	if (!list) {
		free(buf);
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	size_t skip = total > max ? total - max : 0;

	for (const char *p = next_record(buf, buf, end); p < end && count < max;) {
		const char *q = next_record(buf, p + 3, end);

		if (skip) {
			skip--;
		} else if (parse_record(project, p, (size_t)(q - p), &list[count]) == 0) {
			count++;
		}
		p = q;
	}
	da_errclear();	/* a record cut short by a crash is skipped, not an error */
	free(buf);
	*out = list;
	*n = count;
	return 0;
}

int da_failures_tail(const char *project, int lines, char **out)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = read_tail(project, &buf, &len)) < 0)
		return rc;
	if (!buf) {
		*out = strdup("");
		return *out ? 0 : da_errf(DA_ERUNTIME, "out of memory");
	}
	const char *p = da_last_lines(buf, lines);
	*out = strdup(p);
	free(buf);
	return *out ? 0 : da_errf(DA_ERUNTIME, "out of memory");
}
