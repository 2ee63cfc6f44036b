/* Fixtures for the git and workspace unit tests: real repositories made
 * with the git command line in a temp dir (the library itself never
 * runs git; the tests use it to build and to check from the outside). */
#ifndef DA_TEST_GITFIX_H
#define DA_TEST_GITFIX_H

#include "unit.h"

#include <stdarg.h>

/* Run a shell command built like printf; fail the test when it fails. */
static inline void fx_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void fx_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "fixture command failed: %s\n", cmd);
		fail();
	}
}

/* The command's stdout, last newline removed. Caller frees. */
static inline char *fx_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *fx_out(const char *fmt, ...)
{
	char cmd[4096];
	char *buf = calloc(1, 65536);
	size_t n;
	FILE *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p || !buf)
		abort();
	n = fread(buf, 1, 65535, p);
	buf[n] = '\0';
	if (pclose(p) != 0) {
		fprintf(stderr, "fixture command failed: %s\n", cmd);
		free(buf);
		fail();
		return NULL; /* not reached: fail() jumps out of the test */
	}
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

/* git on the command line with a fixed identity and no user config. */
#define FX_GIT "GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent git -c user.name=fixture " \
	       "-c user.email=fixture@test -c init.defaultBranch=main -c advice.detachedHead=false"

/* Write a file from a printf format. */
static inline void fx_write(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void fx_write(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	va_list ap;

	if (!f)
		fail();
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* A file of `n` lines "line 1".."line n", with line `changed` (0 = none)
 * replaced by `text`. */
static inline void fx_lines(const char *path, int n, int changed, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fail();
	for (int i = 1; i <= n; i++) {
		if (i == changed)
			fprintf(f, "%s\n", text ? text : "");
		else
			fprintf(f, "line %d\n", i);
	}
	fclose(f);
}

/* <tmp>/origin.git: a bare repo whose main has one commit "initial"
 * with a.txt (30 lines), README and a .gitignore ignoring *.log. */
static inline void fx_make_origin(const char *tmp)
{
	char path[600];

	fx_sh(FX_GIT " init -q %s/seed", tmp);
	snprintf(path, sizeof path, "%s/seed/a.txt", tmp);
	fx_lines(path, 30, 0, NULL);
	snprintf(path, sizeof path, "%s/seed/README", tmp);
	fx_write(path, "readme\n");
	snprintf(path, sizeof path, "%s/seed/.gitignore", tmp);
	fx_write(path, "*.log\n");
	fx_sh("cd %s/seed && " FX_GIT " add -A && " FX_GIT " commit -qm initial", tmp);
	fx_sh(FX_GIT " clone -q --bare %s/seed %s/origin.git", tmp, tmp);
}

/* Push a commit to origin's main from a side clone <tmp>/other: line
 * `line` of a.txt becomes `text`, plus the file `extra` when not NULL. */
static inline void fx_advance_main(const char *tmp, int line, const char *text, const char *extra)
{
	char path[600];

	fx_sh("rm -rf %s/other && " FX_GIT " clone -q %s/origin.git %s/other", tmp, tmp, tmp);
	snprintf(path, sizeof path, "%s/other/a.txt", tmp);
	fx_lines(path, 30, line, text);
	if (extra) {
		snprintf(path, sizeof path, "%s/other/%s", tmp, extra);
		fx_write(path, "from main\n");
	}
	fx_sh("cd %s/other && " FX_GIT " add -A && " FX_GIT " commit -qm 'main moves' && "
	      FX_GIT " push -q origin main", tmp);
}

/* ---- a clone of origin.git to work in ---- */

#include "git.h"

static const struct da_git_ident bot = { "dev-agents", "dev-agents@localhost" };

/* A temp dir with origin.git and a clone of it at <tmp>/w on `branch`. */
struct fx {
	char *tmp;
	char origin[600];
	char work[600];
	struct da_git *g;
};

static inline void fx_setup(struct fx *f, const char *branch)
{
	char *def = NULL;

	memset(f, 0, sizeof *f);
	f->tmp = unit_tmpdir();
	fx_make_origin(f->tmp);
	snprintf(f->origin, sizeof f->origin, "%s/origin.git", f->tmp);
	snprintf(f->work, sizeof f->work, "%s/w", f->tmp);
	assert_int_equal(da_git_clone(f->origin, f->work, NULL, NULL, &f->g), 0);
	assert_int_equal(da_git_default_branch(f->g, NULL, &def), 0);
	assert_string_equal(def, "main");
	free(def);
	if (branch)
		assert_int_equal(da_git_checkout_branch(f->g, branch, "main"), 0);
}

static inline void fx_teardown(struct fx *f)
{
	da_git_free(f->g);
	unit_rmtree(f->tmp);
}

/* Write a file inside the working clone. */
static inline void wfile(struct fx *f, const char *name, const char *text)
{
	char path[700];

	snprintf(path, sizeof path, "%s/%s", f->work, name);
	fx_write(path, "%s", text);
}

static inline void commit(struct fx *f, const char *msg)
{
	bool committed = false;

	assert_int_equal(da_git_commit_all(f->g, msg, &bot, NULL, &committed), 0);
	assert_true(committed);
}

#endif
