/* spawn: the one way to start a child process.
 *
 * The child gets its own process group, stdin from a file or /dev/null,
 * an environment the caller chose (see env.h), and only the file
 * descriptors named in keep_fds beyond 0-2. Output is captured to a file,
 * either through a pipe (lines can be watched, hang detection by silence)
 * or written by the child straight into the file (direct_output: the
 * child outlives us without a broken pipe). Wall-clock timeouts and hang
 * detection use the monotonic clock; stopping means SIGTERM to the whole
 * group, then SIGKILL after term_grace_ms. The child is reaped on every
 * path, and by default anything it left in its group is killed too. */
#ifndef DA_SPAWN_H
#define DA_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef bool (*da_tick_fn)(void *ctx);
typedef void (*da_line_fn)(const char *line, size_t len, void *ctx);
typedef void (*da_start_fn)(pid_t pid, void *ctx);

struct da_spawn_opts {
	const char *const *argv;	/* argv[0] is looked up on PATH if it has no '/' */
	const char *cwd;		/* NULL: the caller's */
	const char *const *envp;	/* NULL: inherit; else exactly these "K=V" */
	const char *stdin_path;		/* NULL: /dev/null */
	const char *output_path;	/* stdout+stderr appended here; NULL: discarded */
	bool direct_output;		/* child writes output_path itself (no pipe) */
	da_line_fn on_stdout_line;	/* each stdout line (pipe mode only); stderr only captured */
	void *line_ctx;
	int64_t timeout_ms;		/* 0: none */
	int64_t hang_timeout_ms;	/* 0: none; silence this long means hung */
	int64_t term_grace_ms;		/* 0: 5000 */
	const int *keep_fds;		/* descriptors the child inherits */
	size_t n_keep_fds;
	da_tick_fn tick;		/* called every tick_ms; true = stop the child */
	void *tick_ctx;
	int64_t tick_ms;		/* 0: 1000 */
	bool leave_group;		/* do not kill the group after the child exits */
	size_t tail_bytes;		/* how much output to keep for the result (0: 4096) */
	da_start_fn on_start;		/* called once the child runs (its pid), before waiting */
	void *start_ctx;
};

struct da_spawn_result {
	pid_t pid;
	int exit_code;		/* valid when term_signal == 0 */
	int term_signal;	/* signal that ended the child, or 0 */
	bool timed_out;		/* we stopped it: wall-clock timeout */
	bool hung;		/* we stopped it: no output for hang_timeout_ms */
	bool stopped;		/* we stopped it: tick asked */
	int64_t duration_ms;
	char *tail;		/* last output (at most tail_bytes, whole lines); owned */
};

/* Run a child to completion. Returns 0 when the child ran (whatever its
 * exit status; look at the result), DA_ERUNTIME when it could not be
 * started (the message names the program and why). */
int da_spawn_run(const struct da_spawn_opts *opts, struct da_spawn_result *res);
void da_spawn_result_free(struct da_spawn_result *res);

/* One line describing how the child ended: "exit 3", "killed by signal 9",
 * "timed out after 60 s", "no output for 600 s (hang)". */
void da_spawn_describe(const struct da_spawn_result *res, char *buf, size_t size);

/* Last `n` lines of `text` (pointer into text). */
const char *da_last_lines(const char *text, int n);

#endif
