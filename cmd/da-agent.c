/* da-agent: one agent run with every safeguard (budget, clocks, hang
 * detection, allow-listed environment, private agent home), the parsed
 * result printed. The same libda code the pipeline's agent stages use. */
#include "agent.h"
#include "clock.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROMPT_MAX (4 * 1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: da-agent --role R --prompt-file F [options]\n"
		"\n"
		"Run one coding agent headless and print what it did.\n"
		"  --role R          lead, implementer, qa or reviewer\n"
		"  --prompt-file F   the prompt (markdown)\n"
		"  --project P       overlay $DA_HOME/projects/P.yaml on the config\n"
		"  --cwd DIR         where the agent works (default: here)\n"
		"  --resume ID       continue this session\n"
		"  --session-id ID   start a new session with this id (claude, gemini)\n"
		"  --run-dir DIR     prompt, event stream, agent home (default: a new\n"
		"                    directory under $TMPDIR)\n"
		"  --json            the result as one JSON object\n"
		"  --help, --version\n"
		"\n"
		"Exit: 0 ok, 1 agent failed, 2 usage, 75 usage window exhausted (try\n"
		"after the printed reset time).\n");
}

static void print_human(const struct da_agent_result *r, const char *run_dir)
{
	char when[32];

	printf("ok: %s\n", r->ok ? "yes" : "no");
	printf("backend: %s\n", da_agent_backend_name(r->backend));
	if (!r->ok)
		printf("error: %s: %s\n", da_agent_error_name(r->error_kind), r->error ? r->error : "");
	printf("session: %s\n", r->session_id ? r->session_id : "-");
	printf("turns: %ld\n", r->turns);
	printf("tokens: input %ld, output %ld, cache read %ld, cache write %ld\n", r->input_tokens,
	       r->output_tokens, r->cache_read_tokens, r->cache_creation_tokens);
	printf("cost_usd: %.4f\n", r->cost_usd);
	if (r->reset_at) {
		da_utc_iso(r->reset_at, when, sizeof when);
		printf("reset_at: %s\n", when);
	}
	printf("exit: %s\n", r->exit_desc[0] ? r->exit_desc : "-");
	printf("attempts: %d\n", r->attempts);
	printf("run_dir: %s\n", run_dir);
	if (r->final_text)
		printf("final_text:\n%s\n", r->final_text);
}

struct args {
	const char *role, *prompt_file, *project, *cwd, *resume, *session, *run_dir;
	bool json;
};

/* parse_args: 0 go on, PARSE_DONE help/version printed, else an exit code */
#define PARSE_DONE (-100)

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "prompt-file", required_argument, NULL, 'f' },
		{ "project", required_argument, NULL, 'p' },
		{ "cwd", required_argument, NULL, 'C' },
		{ "resume", required_argument, NULL, 'R' },
		{ "session-id", required_argument, NULL, 'S' },
		{ "run-dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': a->role = optarg; break;
		case 'f': a->prompt_file = optarg; break;
		case 'p': a->project = optarg; break;
		case 'C': a->cwd = optarg; break;
		case 'R': a->resume = optarg; break;
		case 'S': a->session = optarg; break;
		case 'd': a->run_dir = optarg; break;
		case 'j': a->json = true; break;
		case 'h': usage(stdout); return PARSE_DONE;
		case 'V': da_print_version(); return PARSE_DONE;
		default: return da_bad_option(argv);
		}
	}
	if (optind < argc)
		return da_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (!a->role || !a->prompt_file)
		return da_usage_error("--role and --prompt-file are required");
	if (a->resume && a->session)
		return da_usage_error("--resume and --session-id exclude each other");
	if (a->cwd && access(a->cwd, X_OK) != 0)
		return da_usage_error("--cwd %s: not a directory we can enter", a->cwd);
	return 0;
}

static int make_run_dir(char *buf, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	if (da_pathf(buf, size, "%s/da-agent-XXXXXX", tmp && tmp[0] ? tmp : "/tmp") < 0)
		return DA_ERUNTIME;
	return mkdtemp(buf) ? 0 : da_errf(DA_ERUNTIME, "mkdtemp %s: failed", buf);
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct da_agent_roles *cfg = NULL;
	struct da_agent_budget budget;
	struct da_agent_result res = { 0 };
	char run_dir[DA_PATH_MAX], *prompt = NULL;
	size_t len;
	int rc;

	da_log_init(argv[0]);
	if ((rc = parse_args(argc, argv, &a)) == PARSE_DONE)
		return 0;
	if (rc != 0)
		return rc; /* an exit code: da_usage_error gave 2 */
	if ((rc = da_agent_roles_load(a.project, &cfg)) < 0)
		goto out;
	const struct da_agent_role *role = da_agent_role_find(cfg, a.role);

	if (!role) {
		da_agent_roles_free(cfg);
		return da_usage_error("unknown role \"%s\" (lead, implementer, qa or reviewer)", a.role);
	}
	if ((rc = da_read_file(a.prompt_file, PROMPT_MAX, &prompt, &len)) < 0) {
		rc = da_errctx(DA_EUSAGE, "--prompt-file");
		goto out;
	}
	if (a.run_dir)
		snprintf(run_dir, sizeof run_dir, "%s", a.run_dir);
	else if ((rc = make_run_dir(run_dir, sizeof run_dir)) < 0)
		goto out;
	da_agent_budget_init(&budget, cfg);
	struct da_agent_request req = {
		.cfg = cfg, .role = role, .prompt = prompt, .cwd = a.cwd,
		.resume_id = a.resume, .session_id = a.session, .run_dir = run_dir,
		.budget = &budget,
	};
	rc = da_agent_run(&req, &res);
	if (rc == 0 || res.attempts > 0) {
		if (a.json) {
			char *json = da_agent_result_json(&res);

			printf("%s\n", json ? json : "{}");
			free(json);
		} else {
			print_human(&res, run_dir);
		}
	}
out:
	da_agent_result_free(&res);
	da_agent_roles_free(cfg);
	free(prompt);
	return da_err_report(rc);
}
