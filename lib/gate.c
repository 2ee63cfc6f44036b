#include "gate.h"
#include "env.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "spawn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GATE_LOG_MAX (16 * 1024 * 1024)

/* What a build or test tool needs; never a token or key. */
static const char *const gate_env_allowed[] = {
	"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_*", "TZ", "TMPDIR", "SHELL", "TERM",
	"GOPATH", "GOCACHE", "GOMODCACHE", "GOFLAGS", "CARGO_HOME", "RUSTUP_HOME",
	"VIRTUAL_ENV", "PYTHONPATH", "NODE_PATH", "JAVA_HOME", NULL,
};

static void result_free(struct da_gate_result *g)
{
	free(g->command);
	free(g->log_path);
	free(g->reason);
	free(g->tail);
}

void da_gate_report_free(struct da_gate_report *rep)
{
	if (!rep)
		return;
	for (int i = 0; i < DA_CMD_N; i++)
		result_free(&rep->gates[i]);
	free(rep->reason);
	memset(rep, 0, sizeof *rep);
}

static struct da_env *gate_env(void)
{
	struct da_env *env = da_env_new();

	if (!env || da_env_copy_allowed(env, gate_env_allowed) < 0 ||
	    da_env_set(env, "CI", "true") < 0 || da_env_set(env, "NO_COLOR", "1") < 0 ||
	    da_env_set(env, "FORCE_COLOR", "0") < 0) {
		da_env_free(env);
		return NULL;
	}
	return env;
}

/* Judge a finished gate: exit status first, then for tests the evidence. */
static int judge(struct da_gate_result *g, const struct da_spawn_result *r, const char *output)
{
	char how[128], why[200];

	da_spawn_describe(r, how, sizeof how);
	g->exit_code = r->term_signal || r->timed_out ? -1 : r->exit_code;
	g->passed = g->exit_code == 0;
	if (g->kind == DA_CMD_TEST) {
		g->evidence = da_test_evidence(output, g->exit_code, why, sizeof why);
		if (g->passed && g->evidence == DA_TESTS_NONE) {
			g->passed = false;
			return asprintf(&g->reason, "%s but no tests ran (%s)", how, why);
		}
		return asprintf(&g->reason, "%s (%s)", how, why);
	}
	return asprintf(&g->reason, "%s", how);
}

static int run_one(struct da_gate_result *g, const struct da_gate_opts *o, struct da_env *env,
		   int64_t timeout_ms)
{
	char tmp[DA_PATH_MAX], name[256];
	const char *argv[] = { "/bin/sh", "-c", g->command, NULL };
	struct da_spawn_opts so = {
		.argv = argv, .cwd = o->cwd, .envp = da_env_strings(env),
		.timeout_ms = timeout_ms, .tail_bytes = 64 * 1024,
	};
	struct da_spawn_result r = { 0 };
	char *output = NULL;
	size_t len;
	int rc;

	if ((rc = da_pathf(name, sizeof name, "%s%s.log", o->prefix ? o->prefix : "",
			   da_cmd_name(g->kind))) < 0 ||
	    (rc = da_pathf(tmp, sizeof tmp, "%s/" DA_TEMP_PREFIX "%s", o->out_dir, name)) < 0)
		return rc;
	if (asprintf(&g->log_path, "%s/%s", o->out_dir, name) < 0) {
		g->log_path = NULL;
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	/* captured under a temp name, renamed when complete: a reader never
	 * sees half a log, nor the previous attempt's output appended to */
	(void)unlink(tmp);
	so.output_path = tmp;
	if ((rc = da_spawn_run(&so, &r)) < 0)
		return da_errctx(rc, "gate %s", da_cmd_name(g->kind));
	g->ran = true;
	g->duration_ms = r.duration_ms;
	if (rename(tmp, g->log_path) < 0) {
		rc = da_errf(DA_ERUNTIME, "rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((rc = da_fsync_dir(o->out_dir)) < 0)
		goto out;
	/* the whole log for the recognisers (go lists packages first); the
	 * tail is the fallback for a log too big to read */
	if (da_read_file(g->log_path, GATE_LOG_MAX, &output, &len) < 0) {
		da_errclear();
		output = NULL;
	}
	if (judge(g, &r, output ? output : (r.tail ? r.tail : "")) < 0) {
		g->reason = NULL;
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	g->tail = strdup(r.tail ? da_last_lines(r.tail, 40) : "");
out:
	free(output);
	da_spawn_result_free(&r);
	return rc;
}

static int check_cwd(const char *cwd)
{
	struct stat st;

	if (stat(cwd, &st) < 0 || !S_ISDIR(st.st_mode))
		return da_errf(DA_EUSAGE, "workspace %s is not a directory", cwd);
	return 0;
}

static int fail_reason(struct da_gate_report *rep, const char *fmt, const char *a, const char *b)
{
	if (rep->reason)
		return 0;
	if (asprintf(&rep->reason, fmt, a, b) < 0) {
		rep->reason = NULL;
		return da_errf(DA_ERUNTIME, "out of memory");
	}
	return 0;
}

int da_gate_run(const struct da_project *p, const struct da_gate_opts *o, struct da_gate_report *rep)
{
	int64_t timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : p->gate_timeout_seconds * 1000;
	struct da_env *env = NULL;
	int rc;

	memset(rep, 0, sizeof *rep);
	rep->passed = true;
	if ((rc = check_cwd(o->cwd ? o->cwd : ".")) < 0 || (rc = da_mkdirs(o->out_dir)) < 0)
		return rc;
	if (!(env = gate_env()))
		return da_errf(DA_ERUNTIME, "gate environment: out of memory");
	if (!p->commands[DA_CMD_TEST]) {
		rep->passed = false;
		rc = fail_reason(rep, "no test gate configured (commands: test: in %s)%s", p->path, "");
	}
	for (int k = 0; k < DA_CMD_N && rc == 0; k++) {
		struct da_gate_result *g = &rep->gates[k];

		g->kind = k;
		g->exit_code = -1;
		g->configured = p->commands[k] != NULL;
		if (!g->configured || (o->stop_early && !rep->passed))
			continue;
		if (!(g->command = strdup(p->commands[k]))) {
			rc = da_errf(DA_ERUNTIME, "out of memory");
			break;
		}
		if ((rc = run_one(g, o, env, timeout_ms)) < 0)
			break;
		if (!g->passed) {
			rep->passed = false;
			rc = fail_reason(rep, "gate %s failed: %s", da_cmd_name(k), g->reason);
		}
	}
	da_env_free(env);
	return rc;
}

char *da_gate_failure_text(const struct da_gate_report *rep, int max_lines)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (rep->reason)
		fprintf(f, "%s\n", rep->reason);
	for (int k = 0; k < DA_CMD_N; k++) {
		const struct da_gate_result *g = &rep->gates[k];

		if (!g->ran || g->passed)
			continue;
		fprintf(f, "\n## gate %s: `%s`\n%s\n\n```\n%s\n```\n", da_cmd_name(k), g->command,
			g->reason ? g->reason : "", g->tail ? da_last_lines(g->tail, max_lines) : "");
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
