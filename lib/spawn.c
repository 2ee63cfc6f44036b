#include "spawn.h"
#include "clock.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A bounded buffer of the most recent output, for failure messages. */
struct tail_buf {
	char *data;
	size_t cap, len;
};

static void tail_add(struct tail_buf *t, const char *p, size_t n)
{
	if (n >= t->cap) {
		memcpy(t->data, p + n - t->cap, t->cap);
		t->len = t->cap;
		return;
	}
	if (t->len + n > t->cap) {
		size_t drop = t->len + n - t->cap;

		memmove(t->data, t->data + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->data + t->len, p, n);
	t->len += n;
}

/* Splits a byte stream into lines for the stdout callback. */
struct line_buf {
	char *data;
	size_t len, cap;
};

static void line_feed(struct line_buf *lb, const char *p, size_t n, da_line_fn fn, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (lb->len < lb->cap)
				lb->data[lb->len] = '\0';
			fn(lb->data, lb->len, ctx);
			lb->len = 0;
			continue;
		}
		if (lb->len + 1 >= lb->cap) {
			size_t ncap = lb->cap ? lb->cap * 2 : 4096;
			char *nd = realloc(lb->data, ncap);

			if (!nd)
				continue; /* drop the byte rather than abort the child */
			lb->data = nd;
			lb->cap = ncap;
		}
		lb->data[lb->len++] = p[i];
	}
}

static void close_other_fds(const struct da_spawn_opts *o, int exec_err_fd)
{
	int max = (int)sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++) {
		bool keep = fd == exec_err_fd;

		for (size_t i = 0; i < o->n_keep_fds && !keep; i++)
			keep = o->keep_fds[i] == fd;
		if (keep) {
			if (fd != exec_err_fd)
				fcntl(fd, F_SETFD, 0);
			continue;
		}
		close(fd);
	}
}

/* Runs in the child; never returns. */
static void child_exec(const struct da_spawn_opts *o, int out_fd, int err_fd, int exec_err_fd)
{
	sigset_t none;
	int in_fd;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	in_fd = open(o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY);
	if (in_fd < 0)
		goto fail;
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		goto fail;
	close_other_fds(o, exec_err_fd);
	if (o->cwd && chdir(o->cwd) < 0)
		goto fail;
	if (o->envp)
		execvpe(o->argv[0], (char *const *)o->argv, (char *const *)o->envp);
	else
		execvp(o->argv[0], (char *const *)o->argv);
fail: {
	int e = errno;
	ssize_t ignored = write(exec_err_fd, &e, sizeof e);

	(void)ignored;
	_exit(127);
}
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

struct run_state {
	const struct da_spawn_opts *o;
	struct da_spawn_result *res;
	pid_t pid;
	int pidfd;
	int pipes[2];		/* stdout, stderr read ends; -1 when closed/unused */
	int capture_fd;		/* output file in pipe mode */
	int64_t start, last_output, next_tick, kill_at;
	bool term_sent, kill_sent;
	struct tail_buf tail;
	struct line_buf line;
	off_t direct_size;
};

static void request_stop(struct run_state *s, int64_t now)
{
	if (s->term_sent)
		return;
	kill(-s->pid, SIGTERM);
	s->term_sent = true;
	s->kill_at = now + (s->o->term_grace_ms > 0 ? s->o->term_grace_ms : 5000);
}

static void read_pipe(struct run_state *s, int idx)
{
	char buf[16384];
	ssize_t n = read(s->pipes[idx], buf, sizeof buf);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(s->pipes[idx]);
		s->pipes[idx] = -1;
		return;
	}
	s->last_output = da_monotonic_ms();
	if (s->capture_fd >= 0) {
		ssize_t w = write(s->capture_fd, buf, (size_t)n);

		(void)w; /* a full disk must not wedge the child; the tail still has it */
	}
	tail_add(&s->tail, buf, (size_t)n);
	if (idx == 0 && s->o->on_stdout_line)
		line_feed(&s->line, buf, (size_t)n, s->o->on_stdout_line, s->o->line_ctx);
}

/* In direct mode the child writes the file; growth counts as output. */
static void watch_direct_output(struct run_state *s, int64_t now)
{
	struct stat st;

	if (!s->o->output_path || stat(s->o->output_path, &st) < 0)
		return;
	if (st.st_size != s->direct_size) {
		s->direct_size = st.st_size;
		s->last_output = now;
	}
}

static int64_t next_deadline(const struct run_state *s, int64_t now)
{
	int64_t d = s->next_tick;

	if (s->o->timeout_ms > 0 && !s->term_sent && s->start + s->o->timeout_ms < d)
		d = s->start + s->o->timeout_ms;
	if (s->o->hang_timeout_ms > 0 && !s->term_sent && s->last_output + s->o->hang_timeout_ms < d)
		d = s->last_output + s->o->hang_timeout_ms;
	if (s->term_sent && !s->kill_sent && s->kill_at < d)
		d = s->kill_at;
	return d < now ? now : d;
}

static void check_deadlines(struct run_state *s, int64_t now)
{
	const struct da_spawn_opts *o = s->o;

	if (o->direct_output)
		watch_direct_output(s, now);
	if (o->timeout_ms > 0 && !s->term_sent && now - s->start >= o->timeout_ms) {
		s->res->timed_out = true;
		request_stop(s, now);
	}
	if (o->hang_timeout_ms > 0 && !s->term_sent && now - s->last_output >= o->hang_timeout_ms) {
		s->res->hung = true;
		request_stop(s, now);
	}
	if (now >= s->next_tick) {
		s->next_tick = now + (o->tick_ms > 0 ? o->tick_ms : 1000);
		if (o->tick && !s->term_sent && o->tick(o->tick_ctx)) {
			s->res->stopped = true;
			request_stop(s, now);
		}
	}
	if (s->term_sent && !s->kill_sent && now >= s->kill_at) {
		kill(-s->pid, SIGKILL);
		s->kill_sent = true;
	}
}

/* Returns true once the child has been reaped. */
static bool try_reap(struct run_state *s)
{
	int status;
	pid_t r = waitpid(s->pid, &status, WNOHANG);

	if (r != s->pid)
		return false;
	if (WIFSIGNALED(status))
		s->res->term_signal = WTERMSIG(status);
	else
		s->res->exit_code = WEXITSTATUS(status);
	return true;
}

static void supervise(struct run_state *s)
{
	bool reaped = false;

	for (;;) {
		struct pollfd pfd[3];
		int n = 0, idx_of[3];
		int64_t now = da_monotonic_ms();

		check_deadlines(s, now);
		if (!reaped)
			reaped = try_reap(s);
		/* After the child is gone, keep reading only what is already
		 * buffered: a grandchild holding the pipe must not keep us here. */
		if (reaped && s->pipes[0] < 0 && s->pipes[1] < 0)
			break;
		for (int i = 0; i < 2; i++)
			if (s->pipes[i] >= 0) {
				pfd[n].fd = s->pipes[i];
				pfd[n].events = POLLIN;
				idx_of[n++] = i;
			}
		if (!reaped) {
			pfd[n].fd = s->pidfd;
			pfd[n].events = POLLIN;
			idx_of[n++] = -1;
		}
		int64_t wait_ms = reaped ? 0 : next_deadline(s, now) - now;

		if (wait_ms > 1000)
			wait_ms = 1000;
		int r = poll(pfd, (nfds_t)n, (int)wait_ms);

		if (r < 0 && errno != EINTR)
			break;
		if (r == 0 && reaped)
			break; /* pipes idle and child gone: the rest is a grandchild's */
		for (int i = 0; r > 0 && i < n; i++)
			if (idx_of[i] >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				read_pipe(s, idx_of[i]);
	}
	if (!reaped) {
		int status;

		kill(-s->pid, SIGKILL);
		if (waitpid(s->pid, &status, 0) == s->pid) {
			if (WIFSIGNALED(status))
				s->res->term_signal = WTERMSIG(status);
			else
				s->res->exit_code = WEXITSTATUS(status);
		}
	}
}

static void finish_tail(struct run_state *s)
{
	const struct da_spawn_opts *o = s->o;

	if (o->direct_output && o->output_path) {
		int fd = open(o->output_path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			struct stat st;

			if (fstat(fd, &st) == 0) {
				off_t from = st.st_size > (off_t)s->tail.cap ? st.st_size - (off_t)s->tail.cap : 0;
				ssize_t n = pread(fd, s->tail.data, s->tail.cap, from);

				s->tail.len = n > 0 ? (size_t)n : 0;
			}
			close(fd);
		}
	}
	/* Start at a line boundary so the tail reads cleanly. */
	size_t start = 0;

	if (s->tail.len == s->tail.cap) {
		char *nl = memchr(s->tail.data, '\n', s->tail.len);

		if (nl)
			start = (size_t)(nl - s->tail.data) + 1;
	}
	s->res->tail = malloc(s->tail.len - start + 1);
	if (s->res->tail) {
		memcpy(s->res->tail, s->tail.data + start, s->tail.len - start);
		s->res->tail[s->tail.len - start] = '\0';
	}
}

static int open_output(const struct da_spawn_opts *o)
{
	int fd;

	if (!o->output_path)
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	fd = open(o->output_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		da_errf(DA_ERUNTIME, "open %s: %s", o->output_path, strerror(errno));
	return fd;
}

static int start_child(struct run_state *s, int *child_out, int *child_err)
{
	const struct da_spawn_opts *o = s->o;
	int exec_pipe[2];

	if (pipe2(exec_pipe, O_CLOEXEC) < 0)
		return da_errf(DA_ERUNTIME, "pipe: %s", strerror(errno));
	s->pid = fork();
	if (s->pid < 0) {
		close(exec_pipe[0]);
		close(exec_pipe[1]);
		return da_errf(DA_ERUNTIME, "fork: %s", strerror(errno));
	}
	if (s->pid == 0) {
		close(exec_pipe[0]);
		child_exec(o, child_out[1], child_err[1], exec_pipe[1]);
	}
	/* Both sides set the group so a kill right after fork reaches it. */
	setpgid(s->pid, s->pid);
	close(exec_pipe[1]);
	int child_errno = 0;
	ssize_t n;

	do
		n = read(exec_pipe[0], &child_errno, sizeof child_errno);
	while (n < 0 && errno == EINTR);
	close(exec_pipe[0]);
	if (n == (ssize_t)sizeof child_errno) {
		waitpid(s->pid, NULL, 0);
		return da_errf(DA_ERUNTIME, "cannot run %s: %s", o->argv[0], strerror(child_errno));
	}
	return 0;
}

int da_spawn_run(const struct da_spawn_opts *o, struct da_spawn_result *res)
{
	struct run_state s = { .o = o, .res = res, .pidfd = -1, .pipes = { -1, -1 }, .capture_fd = -1 };
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	int rc = DA_ERUNTIME;

	memset(res, 0, sizeof *res);
	s.tail.cap = o->tail_bytes ? o->tail_bytes : 4096;
	s.tail.data = malloc(s.tail.cap);
	if (!s.tail.data)
		return da_errf(DA_ERUNTIME, "spawn: out of memory");
	if (o->direct_output) {
		int fd = open_output(o);

		if (fd < 0)
			goto out;
		out_pipe[1] = fd;
		err_pipe[1] = dup(fd);
	} else {
		s.capture_fd = o->output_path ? open_output(o) : -1;
		if (o->output_path && s.capture_fd < 0)
			goto out;
		if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
			da_errf(DA_ERUNTIME, "pipe: %s", strerror(errno));
			goto out;
		}
	}
	s.start = s.last_output = da_monotonic_ms();
	s.next_tick = s.start + (o->tick_ms > 0 ? o->tick_ms : 1000);
	if (start_child(&s, out_pipe, err_pipe) < 0)
		goto out;
	res->pid = s.pid;
	if (o->on_start)
		o->on_start(s.pid, o->start_ctx);
	s.pidfd = pidfd_open_(s.pid);
	if (!o->direct_output) {
		s.pipes[0] = out_pipe[0];
		s.pipes[1] = err_pipe[0];
		out_pipe[0] = err_pipe[0] = -1;
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	supervise(&s);
	if (!o->leave_group)
		kill(-s.pid, SIGKILL); /* nothing the child started outlives it */
	if (s.line.len && o->on_stdout_line)
		o->on_stdout_line(s.line.data, s.line.len, o->line_ctx);
	res->duration_ms = da_monotonic_ms() - s.start;
	finish_tail(&s);
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
		if (s.pipes[i] >= 0)
			close(s.pipes[i]);
	}
	if (s.pidfd >= 0)
		close(s.pidfd);
	if (s.capture_fd >= 0)
		close(s.capture_fd);
	free(s.tail.data);
	free(s.line.data);
	return rc;
}

void da_spawn_result_free(struct da_spawn_result *res)
{
	if (!res)
		return;
	free(res->tail);
	res->tail = NULL;
}

void da_spawn_describe(const struct da_spawn_result *res, char *buf, size_t size)
{
	if (res->timed_out)
		snprintf(buf, size, "timed out after %lld s", (long long)(res->duration_ms / 1000));
	else if (res->hung)
		snprintf(buf, size, "no output for too long (hang), stopped after %lld s",
			 (long long)(res->duration_ms / 1000));
	else if (res->stopped)
		snprintf(buf, size, "stopped on request");
	else if (res->term_signal)
		snprintf(buf, size, "killed by signal %d (%s)", res->term_signal, strsignal(res->term_signal));
	else
		snprintf(buf, size, "exit %d", res->exit_code);
}

const char *da_last_lines(const char *text, int n)
{
	size_t len = strlen(text);
	const char *p = text + len;

	/* skip a trailing newline so it does not count as an empty line */
	if (p > text && p[-1] == '\n')
		p--;
	while (p > text) {
		if (p[-1] == '\n' && --n == 0)
			break;
		p--;
	}
	return p;
}
