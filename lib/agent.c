/* One agent run with every safeguard: see agent.h. */
#include "agent.h"
#include "agent_backend.h"
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_CAP_MS (5L * 60 * 1000)

const struct da_agent_backend_ops *da_agent_ops(enum da_agent_backend b)
{
	switch (b) {
	case DA_BACKEND_CLAUDE: return &da_agent_claude_ops;
	case DA_BACKEND_CODEX: return &da_agent_codex_ops;
	case DA_BACKEND_GEMINI: return &da_agent_gemini_ops;
	case DA_BACKEND_OPENCODE: return &da_agent_opencode_ops;
	default: return NULL;
	}
}

long da_agent_backoff_ms(long base_ms, int n)
{
	long ms = base_ms;

	for (int i = 1; i < n && ms < BACKOFF_CAP_MS; i++)
		ms *= 2;
	return ms < BACKOFF_CAP_MS ? ms : BACKOFF_CAP_MS;
}

void da_agent_result_free(struct da_agent_result *res)
{
	if (!res)
		return;
	free(res->session_id);
	free(res->final_text);
	free(res->error);
	memset(res, 0, sizeof *res);
}

struct attempt {
	const struct da_agent_backend_ops *ops;
	struct da_agent_stream stream;
	struct da_agent_budget *budget;
	int events_fd;
	bool budget_stop;
};

/* Each stdout line: saved raw, parsed, and checked against the budget as
 * it arrives so a runaway loop is stopped mid-run. */
static void on_line(const char *line, size_t len, void *ctx)
{
	struct attempt *a = ctx;

	if (a->events_fd >= 0 && (write(a->events_fd, line, len) < 0 || write(a->events_fd, "\n", 1) < 0))
		da_warn("saving agent events: %s", strerror(errno));
	da_agent_stream_line(a->ops, &a->stream, line, len);
	if (da_agent_budget_exceeded(a->budget, a->stream.live_cost, a->stream.live_turns))
		a->budget_stop = true;
}

static bool on_tick(void *ctx)
{
	return ((struct attempt *)ctx)->budget_stop;
}

/* Resolve a command name on our PATH; NULL when it is not there. */
static char *find_command(const char *cmd)
{
	const char *path = getenv("PATH");
	char buf[DA_PATH_MAX];

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0 ? strdup(cmd) : NULL;
	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? path : ".", cmd);
		if (access(buf, X_OK) == 0)
			return strdup(buf);
		path += n + (path[n] == ':');
	}
	return NULL;
}

static const char *last_line(const char *tail, char *buf, size_t size)
{
	const char *p = tail ? da_last_lines(tail, 1) : "";

	snprintf(buf, size, "%s", p);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static void budget_reason(const struct attempt *a, const char *name, char *buf, size_t size)
{
	const struct da_agent_budget *b = a->budget;

	if (b->max_turns > 0 && b->spent_turns + a->stream.live_turns > b->max_turns)
		snprintf(buf, size, "task budget crossed: %ld turns of %ld; stopped %s",
			 b->spent_turns + a->stream.live_turns, b->max_turns, name);
	else
		snprintf(buf, size, "task budget crossed: %.2f USD of %.2f; stopped %s",
			 b->spent_cost_usd + a->stream.live_cost, b->max_cost_usd, name);
}

/* What the process and the stream say together. */
static void classify(struct attempt *a, const struct da_spawn_result *sr, const char *name)
{
	struct da_agent_result *r = a->stream.res;
	char line[512], msg[700];

	if (sr->term_signal == 0)
		a->ops->on_exit(&a->stream, sr->exit_code);
	if (sr->timed_out || sr->hung || a->budget_stop) {
		r->ok = false;
		r->error_kind = DA_AGENT_OK;	/* our stop explains everything after it */
		if (a->budget_stop)
			budget_reason(a, name, msg, sizeof msg);
		else
			snprintf(msg, sizeof msg, "%s", r->exit_desc);
		da_agent_fail(r, a->budget_stop ? DA_AGENT_BUDGET :
			      sr->timed_out ? DA_AGENT_TIMEOUT : DA_AGENT_HANG, msg);
		return;
	}
	if (r->ok || r->error_kind != DA_AGENT_OK)
		return;
	last_line(sr->tail, line, sizeof line);
	if (sr->exit_code == 0 && sr->term_signal == 0 && !a->stream.saw_final) {
		da_agent_fail(r, DA_AGENT_MALFORMED, "the agent ended without a final result event");
		return;
	}
	if (strstr(line, "root/sudo"))	/* claude refuses the bypass as root */
		snprintf(msg, sizeof msg, "%s (run as a non-root user, or set IS_SANDBOX=1 inside a sandbox)", line);
	else
		snprintf(msg, sizeof msg, "%s: %s", r->exit_desc, line[0] ? line : "no output");
	da_agent_fail(r, da_agent_classify_text(line, DA_AGENT_EXECUTION, &r->reset_at), msg);
}

static int open_events(const char *run_dir, const char *name, int *fd)
{
	char path[DA_PATH_MAX];

	if (da_pathf(path, sizeof path, "%s/%s.events.jsonl", run_dir, name) < 0)
		return DA_ERUNTIME;
	/* an append-only log of raw lines, never rewritten */
	*fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return *fd < 0 ? da_errf(DA_ERUNTIME, "open %s: %s", path, strerror(errno)) : 0;
}

struct run_args {
	const struct da_agent_request *req;
	const char *name;
	const char *prompt_path;
	enum da_agent_backend backend;
	const char *resume_id, *session_id;
	char run_dir[DA_PATH_MAX];	/* absolute: the child runs elsewhere */
};

static int spawn_once(const struct run_args *ra, const char *command, struct attempt *a,
		      struct da_spawn_result *sr)
{
	const struct da_agent_request *req = ra->req;
	const struct da_agent_budget *b = req->budget;
	struct da_agent_call call = {
		.command = command, .prompt = req->prompt,
		/* a fallback CLI does not know the primary's model names */
		.model = ra->backend == req->role->backend ? req->role->model : NULL,
		.max_turns = req->role->max_turns, .resume_id = ra->resume_id,
		.session_id = ra->session_id, .append_system_prompt = req->append_system_prompt,
		.cwd = req->cwd,
	};
	struct da_argv argv = { 0 };
	struct da_env *env = NULL;
	char home[DA_PATH_MAX], out[DA_PATH_MAX];
	int rc;

	if (b && b->max_cost_usd > 0)
		call.max_budget_usd = b->max_cost_usd - b->spent_cost_usd;
	/* one home per role and run dir: the lead's later stages resume the
	 * session its earlier ones left there */
	if ((rc = da_pathf(home, sizeof home, "%s/agent-home/%s", ra->run_dir, ra->name)) < 0 ||
	    (rc = da_pathf(out, sizeof out, "%s/%s.output.log", ra->run_dir, ra->name)) < 0)
		return rc;
	if (a->ops->build_argv(&call, &argv) < 0) {
		rc = da_errf(DA_ERUNTIME, "out of memory");
		goto out;
	}
	if ((rc = da_agent_build_env(req->cfg, a->ops, home, &env)) < 0)
		goto out;
	struct da_spawn_opts o = {
		.argv = (const char *const *)argv.v,
		.cwd = req->cwd,
		.envp = da_env_strings(env),
		.stdin_path = a->ops->prompt_on_stdin ? ra->prompt_path : NULL,
		.output_path = out,
		.on_stdout_line = on_line,
		.line_ctx = a,
		.timeout_ms = req->role->timeout_seconds * 1000,
		.hang_timeout_ms = req->role->hang_timeout_seconds * 1000,
		.tick = on_tick,
		.tick_ctx = a,
		.tick_ms = 100,
	};
	rc = da_spawn_run(&o, sr);
out:
	da_argv_free(&argv);
	da_env_free(env);
	return rc;
}

static bool budget_spent(const struct da_agent_budget *b)
{
	return b && ((b->max_cost_usd > 0 && b->spent_cost_usd >= b->max_cost_usd) ||
		     (b->max_turns > 0 && b->spent_turns >= b->max_turns));
}

/* One process of one backend. */
static int attempt_once(const struct run_args *ra, struct da_agent_result *res)
{
	struct attempt a = { .ops = da_agent_ops(ra->backend), .budget = ra->req->budget, .events_fd = -1 };
	struct da_spawn_result sr = { 0 };
	char *command;
	int rc;

	res->backend = ra->backend;
	res->attempts++;
	if (budget_spent(a.budget)) {
		da_agent_fail(res, DA_AGENT_BUDGET, "task budget already spent; not starting the agent");
		return 0;
	}
	command = find_command(da_agent_command(ra->req->cfg, ra->req->role, ra->backend));
	if (!command) {
		char msg[DA_PATH_MAX + 64];

		snprintf(msg, sizeof msg, "%s: command not found",
			 da_agent_command(ra->req->cfg, ra->req->role, ra->backend));
		da_agent_fail(res, DA_AGENT_NOT_FOUND, msg);
		return 0;
	}
	da_agent_stream_init(&a.stream, res);
	if ((rc = open_events(ra->run_dir, ra->name, &a.events_fd)) == 0 &&
	    (rc = spawn_once(ra, command, &a, &sr)) == 0) {
		da_spawn_describe(&sr, res->exit_desc, sizeof res->exit_desc);
		classify(&a, &sr, ra->name);
		if (!res->turns)
			res->turns = a.stream.live_turns;
		if (!res->final_text && a.stream.text)
			da_agent_set_str(&res->final_text, a.stream.text);
		if (a.budget) {
			a.budget->spent_cost_usd += res->cost_usd;
			a.budget->spent_turns += res->turns;
		}
	} else if (rc < 0) {
		/* the CLI never ran (a broken install, exec refused): a failed
		 * attempt like any other, so the fallback backend gets its turn */
		da_agent_fail(res, DA_AGENT_EXECUTION, da_errmsg());
		da_errclear();
		rc = 0;
	}
	if (a.events_fd >= 0)
		close(a.events_fd);
	da_agent_stream_free(&a.stream);
	da_spawn_result_free(&sr);
	free(command);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void add_totals(struct da_agent_result *to, const struct da_agent_result *from)
{
	to->turns += from->turns;
	to->input_tokens += from->input_tokens;
	to->output_tokens += from->output_tokens;
	to->cache_read_tokens += from->cache_read_tokens;
	to->cache_creation_tokens += from->cache_creation_tokens;
	to->cost_usd += from->cost_usd;
	to->attempts += from->attempts;
}

/* A backend with its rate-limit retries; res holds the last attempt with
 * the counts of all attempts summed. */
static int run_backend(struct run_args *ra, struct da_agent_result *res)
{
	const struct da_agent_roles *cfg = ra->req->cfg;
	struct da_agent_result sum = { 0 };
	char *resume = NULL;
	int rc = 0;

	for (int n = 1;; n++) {
		add_totals(&sum, res);
		da_agent_result_free(res);
		if ((rc = attempt_once(ra, res)) < 0 || res->error_kind != DA_AGENT_RATE_LIMIT ||
		    n > cfg->retries)
			break;
		long ms = da_agent_backoff_ms(cfg->backoff_ms, n);

		da_warn("%s (%s): rate limited: %s; retry %d of %ld in %ld ms", ra->name,
			da_agent_backend_name(ra->backend), res->error ? res->error : "", n, cfg->retries, ms);
		/* continue the conversation the limited attempt began */
		if (res->session_id) {
			free(resume);
			resume = strdup(res->session_id);
			ra->resume_id = resume;
			ra->session_id = NULL;
		}
		sleep_ms(ms);
	}
	add_totals(res, &sum);
	if (ra->resume_id == resume)
		ra->resume_id = NULL;
	free(resume);
	return rc;
}

static bool fallback_worthy(enum da_agent_error k)
{
	/* budget, clocks and turn limits would bind the fallback just the same */
	return k == DA_AGENT_NOT_FOUND || k == DA_AGENT_AUTH || k == DA_AGENT_EXECUTION ||
	       k == DA_AGENT_MALFORMED || k == DA_AGENT_RATE_LIMIT || k == DA_AGENT_USAGE_WINDOW;
}

static int check_request(const struct da_agent_request *req)
{
	if (!req->cfg || !req->role || !req->prompt || !req->run_dir)
		return da_errf(DA_EUSAGE, "agent request needs a config, a role, a prompt and a run dir");
	if (!da_agent_ops(req->role->backend))
		return da_errf(DA_EUSAGE, "role %s has no backend", req->role->name);
	if (!req->prompt[0])
		return da_errf(DA_EUSAGE, "the prompt is empty");
	return 0;
}

static int finish(const struct da_agent_request *req, struct da_agent_result *res)
{
	if (res->ok)
		return 0;
	if (!res->error_kind)
		da_agent_fail(res, DA_AGENT_EXECUTION, "the agent failed");
	if (res->error_kind == DA_AGENT_USAGE_WINDOW) {
		char when[32] = "unknown";

		if (res->reset_at)
			da_utc_iso(res->reset_at, when, sizeof when);
		return da_errf(DA_ETEMP, "%s agent (%s): usage window exhausted, resets at %s: %s",
			       req->role->name, da_agent_backend_name(res->backend), when, res->error);
	}
	return da_errf(DA_ERUNTIME, "%s agent (%s): %s: %s", req->role->name,
		       da_agent_backend_name(res->backend), da_agent_error_name(res->error_kind), res->error);
}

int da_agent_run(const struct da_agent_request *req, struct da_agent_result *res)
{
	char prompt_file[300], prompt_path[DA_PATH_MAX];
	struct run_args ra = { .req = req };
	int rc;

	memset(res, 0, sizeof *res);
	if ((rc = check_request(req)) < 0)
		return rc;
	ra.name = req->name ? req->name : req->role->name;
	snprintf(prompt_file, sizeof prompt_file, "%s.prompt.md", ra.name);
	if ((rc = da_mkdirs(req->run_dir)) < 0 ||
	    (rc = da_pathf(prompt_path, sizeof prompt_path, "%s/%s", req->run_dir, prompt_file)) < 0 ||
	    (rc = da_write_atomic(req->run_dir, prompt_file, req->prompt, strlen(req->prompt),
				  DA_WRITE_REPLACE, NULL)) < 0)
		return rc;
	if (!realpath(req->run_dir, ra.run_dir))
		return da_errf(DA_ERUNTIME, "resolve %s: %s", req->run_dir, strerror(errno));
	ra.prompt_path = prompt_path;
	ra.backend = req->role->backend;
	ra.resume_id = req->resume_id;
	ra.session_id = req->session_id;
	if ((rc = run_backend(&ra, res)) < 0)
		return rc;
	if (!res->ok && req->role->fallback != DA_BACKEND_NONE && fallback_worthy(res->error_kind)) {
		struct da_agent_result first = *res;

		da_warn("%s (%s) failed (%s: %s); falling back to %s", ra.name,
			da_agent_backend_name(ra.backend), da_agent_error_name(res->error_kind),
			res->error ? res->error : "", da_agent_backend_name(req->role->fallback));
		memset(res, 0, sizeof *res);
		res->attempts = first.attempts;
		da_agent_result_free(&first);
		ra.backend = req->role->fallback;
		ra.resume_id = ra.session_id = NULL;	/* sessions belong to one CLI */
		if ((rc = run_backend(&ra, res)) < 0)
			return rc;
	}
	return finish(req, res);
}
