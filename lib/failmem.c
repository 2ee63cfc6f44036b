#include "failmem.h"
#include "clock.h"
#include "err.h"
#include "failures.h"
#include "fsutil.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define FAILMEM_MAX_BYTES (64 * 1024 * 1024)

int da_failmem_prompt(const char *project, int lines, char **out)
{
	char *tail = NULL;
	int rc;

	*out = NULL;
	if ((rc = da_failures_tail(project, lines, &tail)) < 0)
		return rc;
	if (strspn(tail, " \t\r\n") == strlen(tail))
		rc = (*out = strdup("")) ? 0 : da_errf(DA_ERUNTIME, "out of memory");
	else if (asprintf(out, "%s\n\n%s", DA_FAILMEM_HEADER, tail) < 0)
		rc = da_errf(DA_ERUNTIME, "out of memory"), *out = NULL;
	free(tail);
	return rc;
}

/* The date of one record ("date: ..." line inside it), or 0 if none. */
static time_t record_date(const char *rec, size_t len)
{
	const char *end = rec + len;

	for (const char *p = rec; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (ll > 6 && !strncmp(p, "date:", 5)) {
			char buf[64];
			time_t t;
			const char *v = p + 5;

			while (*v == ' ' || *v == '\'' || *v == '"')
				v++;
			snprintf(buf, sizeof buf, "%.*s", (int)(ll - (size_t)(v - p)), v);
			buf[strcspn(buf, " \r'\"")] = '\0';
			return da_parse_utc(buf, &t) == 0 ? t : 0;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Start of the next record ("---" at the start of a line) after p. */
static const char *next_record(const char *text, const char *p)
{
	for (const char *q = strstr(p, "---"); q; q = strstr(q + 3, "---"))
		if ((q == text || q[-1] == '\n') && (q[3] == '\n' || q[3] == '\0' || q[3] == ' '))
			return q;
	return NULL;
}

int da_failmem_prune_text(const char *text, time_t cutoff, char **out, size_t *removed)
{
	size_t n = strlen(text), kept_len = 0;
	char *kept = malloc(n + 1);
	const char *p = text;

	*removed = 0;
	*out = NULL;
	if (!kept)
		return da_errf(DA_ERUNTIME, "out of memory");
	while (*p) {
		const char *start = p;
		const char *next = next_record(text, start + (strncmp(start, "---", 3) ? 0 : 3));
		size_t len = next ? (size_t)(next - start) : strlen(start);
		time_t t = record_date(start, len);

		if (t && t < cutoff)
			(*removed)++;
		else {
			memcpy(kept + kept_len, start, len);
			kept_len += len;
		}
		p = start + len;
	}
	kept[kept_len] = '\0';
	*out = kept;
	return 0;
}

int da_failmem_prune(const char *project, time_t now, int max_age_days, size_t *removed)
{
	char path[DA_PATH_MAX], dir[DA_PATH_MAX];
	char *text = NULL, *kept = NULL;
	size_t len, count = 0;
	int fd = -1, rc;

	if (removed)
		*removed = 0;
	if ((rc = da_failures_path(project, path, sizeof path)) < 0 || (rc = da_failures_lock(path, O_RDONLY, &fd)) < 0)
		goto out;
	if (fd < 0)
		goto out; /* no log, nothing to prune */
	if ((rc = da_read_file(path, FAILMEM_MAX_BYTES, &text, &len)) < 0 ||
	    (rc = da_failmem_prune_text(text, now - (time_t)max_age_days * 86400, &kept, &count)) < 0)
		goto out;
	if (count > 0) {
		snprintf(dir, sizeof dir, "%s", path);
		const char *base = strrchr(path, '/') + 1;

		rc = da_write_atomic(dirname(dir), base, kept, strlen(kept), DA_WRITE_REPLACE, NULL);
	}
	if (rc == 0 && removed)
		*removed = count;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(kept);
	return rc;
}
