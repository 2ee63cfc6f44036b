/* fsutil: the one way to write a file that someone else reads.
 *
 * Every write that the queue, the run folders or the config depend on
 * goes through da_write_atomic(): temp file in the same directory,
 * write, fsync, rename, fsync the directory. A reader sees the old file
 * or the new one, never a partial one, and a crash at any line leaves at
 * most a ".tmp-" file that da_clean_temps() removes. A failed fsync is an
 * error, never retried (the page cache may already have dropped the data). */
#ifndef DA_FSUTIL_H
#define DA_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DA_TEMP_PREFIX ".tmp-"

enum da_write_flags {
	DA_WRITE_REPLACE = 0,		/* an existing file is replaced atomically */
	DA_WRITE_NOREPLACE = 1 << 0,	/* fail with DA_EEXIST-class if the name exists */
	DA_WRITE_NO_DIRSYNC = 1 << 1,	/* caller fsyncs the directory itself */
};

/* Write `len` bytes to dir/name atomically and durably (mode 0644).
 * With DA_WRITE_NOREPLACE and an existing name: returns DA_EUSAGE with
 * errno-like message "exists"; *exists (when not NULL) is set true. */
int da_write_atomic(const char *dir, const char *name, const void *data, size_t len,
		    int flags, bool *exists);

/* fsync a directory by path. */
int da_fsync_dir(const char *dir);

/* Move dir_from/name to dir_to/name without replacing anything there,
 * then fsync both directories. *exists set when the target name existed. */
int da_move(const char *dir_from, const char *dir_to, const char *name, bool *exists);

/* mkdir -p with mode 0755; each created directory's parent is fsynced. */
int da_mkdirs(const char *path);

/* Read a whole file (NUL-terminated; *len excludes the NUL). Refuses files
 * larger than max_len. Caller frees *out. */
int da_read_file(const char *path, size_t max_len, char **out, size_t *len);

/* Remove leftover ".tmp-*" files older than `min_age_sec` seconds in dir. */
int da_clean_temps(const char *dir, int min_age_sec);

/* true when both paths are on the same filesystem (st_dev equal). */
int da_same_fs(const char *a, const char *b, bool *same);

bool da_path_exists(const char *path);

/* snprintf into buf, failing with DA_ERUNTIME "path too long" on overflow. */
int da_pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
