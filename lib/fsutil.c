#include "fsutil.h"
#include "err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int da_pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return da_errf(DA_ERUNTIME, "path too long: %.80s...", buf);
	return 0;
}

bool da_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int da_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return da_errf(DA_ERUNTIME, "open %s: %s", dir, strerror(errno));
	if (fsync(fd) < 0) {
		int saved = errno;

		close(fd);
		return da_errf(DA_ERUNTIME, "fsync %s: %s", dir, strerror(saved));
	}
	close(fd);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A temp name unique across processes and hosts sharing the dir:
 * pid plus a counter plus clock noise, created with O_EXCL anyway. */
static int open_temp(const char *dir, char *tmp_path, size_t size)
{
	static unsigned counter;
	struct timespec ts;

	for (int attempt = 0; attempt < 100; attempt++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		if (da_pathf(tmp_path, size, "%s/" DA_TEMP_PREFIX "%ld-%u-%lx", dir, (long)getpid(),
			     counter++, (unsigned long)ts.tv_nsec) < 0)
			return -1;
		int fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd >= 0)
			return fd;
		if (errno != EEXIST) {
			da_errf(DA_ERUNTIME, "create %s: %s", tmp_path, strerror(errno));
			return -1;
		}
	}
	da_errf(DA_ERUNTIME, "create temp file in %s: too many collisions", dir);
	return -1;
}

int da_write_atomic(const char *dir, const char *name, const void *data, size_t len,
		    int flags, bool *exists)
{
	char tmp_path[4096], final_path[4096];
	int fd, rc = DA_ERUNTIME;

	if (exists)
		*exists = false;
	if (da_pathf(final_path, sizeof final_path, "%s/%s", dir, name) < 0)
		return DA_ERUNTIME;
	fd = open_temp(dir, tmp_path, sizeof tmp_path);
	if (fd < 0)
		return DA_ERUNTIME;
	if (write_all(fd, data, len) < 0) {
		da_errf(DA_ERUNTIME, "write %s: %s", final_path, strerror(errno));
		goto fail;
	}
	if (fsync(fd) < 0) {
		da_errf(DA_ERUNTIME, "fsync %s: %s", final_path, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		da_errf(DA_ERUNTIME, "close %s: %s", final_path, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (flags & DA_WRITE_NOREPLACE) {
		if (renameat2(AT_FDCWD, tmp_path, AT_FDCWD, final_path, RENAME_NOREPLACE) < 0) {
			if (errno == EEXIST) {
				if (exists)
					*exists = true;
				da_errf(DA_EUSAGE, "%s already exists", final_path);
				rc = DA_EUSAGE;
			} else {
				da_errf(DA_ERUNTIME, "rename to %s: %s", final_path, strerror(errno));
			}
			goto fail;
		}
	} else if (rename(tmp_path, final_path) < 0) {
		da_errf(DA_ERUNTIME, "rename to %s: %s", final_path, strerror(errno));
		goto fail;
	}
	if (!(flags & DA_WRITE_NO_DIRSYNC) && da_fsync_dir(dir) < 0)
		return DA_ERUNTIME;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp_path);
	return rc;
}

int da_move(const char *dir_from, const char *dir_to, const char *name, bool *exists)
{
	char from[4096], to[4096];

	if (exists)
		*exists = false;
	if (da_pathf(from, sizeof from, "%s/%s", dir_from, name) < 0 ||
	    da_pathf(to, sizeof to, "%s/%s", dir_to, name) < 0)
		return DA_ERUNTIME;
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST) {
			if (exists)
				*exists = true;
			return da_errf(DA_EUSAGE, "%s already exists", to);
		}
		if (errno == EXDEV)
			return da_errf(DA_ERUNTIME, "move %s to %s: queue folders are on different filesystems",
				       from, dir_to);
		return da_errf(DA_ERUNTIME, "move %s to %s: %s", from, dir_to, strerror(errno));
	}
	/* The new entry first: after a crash the file may stand in both dirs
	 * at worst only if the source dir's removal was not persisted; never in
	 * neither. */
	if (da_fsync_dir(dir_to) < 0 || da_fsync_dir(dir_from) < 0)
		return DA_ERUNTIME;
	return 0;
}

int da_mkdirs(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof buf)
		return da_errf(DA_ERUNTIME, "bad directory path '%s'", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(buf, 0755) == 0) {
			char *slash = strrchr(buf, '/');

			if (slash && slash != buf) {
				*slash = '\0';
				int rc = da_fsync_dir(buf);

				*slash = '/';
				if (rc < 0)
					return rc;
			}
		} else if (errno != EEXIST) {
			return da_errf(DA_ERUNTIME, "mkdir %s: %s", buf, strerror(errno));
		} else {
			struct stat st;

			if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
				return da_errf(DA_ERUNTIME, "%s exists and is not a directory", buf);
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

int da_read_file(const char *path, size_t max_len, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t used = 0, cap;
	int rc = DA_ERUNTIME;

	*out = NULL;
	if (fd < 0)
		return da_errf(DA_ERUNTIME, "open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		da_errf(DA_ERUNTIME, "stat %s: %s", path, strerror(errno));
		goto fail;
	}
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	if (cap > max_len + 1)
		cap = max_len + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		da_errf(DA_ERUNTIME, "read %s: out of memory", path);
		goto fail;
	}
	for (;;) {
		if (used == cap) {
			if (cap > max_len) {
				rc = da_errf(DA_EUSAGE, "%s is larger than %zu bytes", path, max_len);
				goto fail;
			}
			size_t ncap = cap * 2 > max_len + 1 ? max_len + 1 : cap * 2;
			char *nbuf = realloc(buf, ncap + 1);

			if (!nbuf) {
				da_errf(DA_ERUNTIME, "read %s: out of memory", path);
				goto fail;
			}
			buf = nbuf;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + used, cap - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			da_errf(DA_ERUNTIME, "read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max_len) {
		rc = da_errf(DA_EUSAGE, "%s is larger than %zu bytes", path, max_len);
		goto fail;
	}
	close(fd);
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return 0;
fail:
	free(buf);
	close(fd);
	return rc;
}

int da_clean_temps(const char *dir, int min_age_sec)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);

	if (!d)
		return errno == ENOENT ? 0 : da_errf(DA_ERUNTIME, "open %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strncmp(de->d_name, DA_TEMP_PREFIX, strlen(DA_TEMP_PREFIX)) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		/* A young temp file may be another process's write in progress. */
		if (now - st.st_mtime < min_age_sec)
			continue;
		unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return 0;
}

int da_same_fs(const char *a, const char *b, bool *same)
{
	struct stat sa, sb;

	if (stat(a, &sa) < 0)
		return da_errf(DA_ERUNTIME, "stat %s: %s", a, strerror(errno));
	if (stat(b, &sb) < 0)
		return da_errf(DA_ERUNTIME, "stat %s: %s", b, strerror(errno));
	*same = sa.st_dev == sb.st_dev;
	return 0;
}
