/* da-enqueue: put one task into the queue, from flags or from a GitHub
 * webhook payload. Enqueueing while paused is allowed (work just does not
 * start); the output says so. */
#include "enqueue.h"
#include "err.h"
#include "event.h"
#include "fsutil.h"
#include "log.h"
#include "yamlutil.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: da-enqueue --project P --issue N --title T [--repo owner/name]\n"
		"                  [--labels a,b] [--body-file F|-] [--priority 1|2|3]\n"
		"                  [--type feature|bugfix|hotfix] [--json]\n"
		"       da-enqueue --event FILE|- [--json]\n"
		"\n"
		"Queue a task for an issue, once: the same id already pending or active\n"
		"is a duplicate (exit 0, nothing written).\n"
		"  --event F    a GitHub webhook payload (repository_dispatch \"dev-agents\",\n"
		"               issues opened/labeled); - reads stdin\n"
		"  --labels     comma-separated; they pick the type (hotfix, bug -> bugfix)\n"
		"  --type       overrides the labels and sets the priority\n"
		"  --priority   1 hotfix, 2 bugfix, 3 feature; overrides the type's\n"
		"  --json       one JSON object instead of the line\n"
		"\n"
		"Queue: $DA_QUEUE (default ~/dev-agents-queue). Exit: 0 queued or\n"
		"duplicate, 1 runtime failure, 2 bad input.\n");
}

struct opts {
	const char *event, *body_file, *labels, *issue, *priority;
	struct da_enqueue_req req;
	bool json;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "project", required_argument, NULL, 'p' }, { "issue", required_argument, NULL, 'i' },
		{ "title", required_argument, NULL, 't' },   { "repo", required_argument, NULL, 'r' },
		{ "labels", required_argument, NULL, 'l' },  { "body-file", required_argument, NULL, 'b' },
		{ "priority", required_argument, NULL, 'P' }, { "type", required_argument, NULL, 'T' },
		{ "event", required_argument, NULL, 'e' },   { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },	     { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o->req.project = optarg; break;
		case 'i': o->issue = optarg; break;
		case 't': o->req.title = optarg; break;
		case 'r': o->req.repo = optarg; break;
		case 'l': o->labels = optarg; break;
		case 'b': o->body_file = optarg; break;
		case 'P': o->priority = optarg; break;
		case 'T': o->req.type = optarg; break;
		case 'e': o->event = optarg; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); return -1;
		case 'V': da_print_version(); return -1;
		default: return da_bad_option(argv);
		}
	}
	if (optind < argc)
		return da_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (o->event && (o->req.project || o->issue || o->req.title || o->req.repo || o->labels || o->body_file))
		return da_usage_error("--event takes the task from the payload; no other task flags with it");
	return 0;
}

/* Flags -> request; everything here is bad input when it fails. */
static int request_from_flags(struct opts *o, char ***labels, char **body)
{
	size_t n = 0;
	int rc;

	if (!o->req.project)
		return da_errf(DA_EUSAGE, "--project is missing");
	if (!o->issue)
		return da_errf(DA_EUSAGE, "--issue is missing");
	if (!o->req.title)
		return da_errf(DA_EUSAGE, "--title is missing");
	if ((rc = da_parse_issue(o->issue, &o->req.issue)) < 0)
		return rc;
	if (o->labels) {
		if ((rc = da_split_labels(o->labels, labels, &n)) < 0)
			return rc;
		o->req.labels = *labels;
		o->req.n_labels = n;
	}
	if (o->body_file) {
		const char *path = strcmp(o->body_file, "-") ? o->body_file : "/dev/stdin";

		if (!da_path_exists(path))
			return da_errf(DA_EUSAGE, "body file %s does not exist", path);

		if ((rc = da_read_file(path, DA_BODY_MAX_BYTES, body, &o->req.body_len)) < 0)
			return da_errctx(rc, "body");
		o->req.body = *body;
	}
	o->req.source = "cli";
	return 0;
}

static int apply_overrides(struct opts *o, struct da_enqueue_req *req)
{
	if (o->priority) {
		if (strlen(o->priority) != 1 || o->priority[0] < '1' || o->priority[0] > '3')
			return da_errf(DA_EUSAGE, "priority \"%.20s\" is not 1, 2 or 3", o->priority);
		req->priority = o->priority[0] - '0';
	}
	req->type = o->req.type;
	return 0;
}

static void print_result(const struct da_enqueue_result *r, bool json)
{
	const char *state = da_state_name(r->state);

	if (json) {
		char file[512];

		snprintf(file, sizeof file, "%s/%s/%s", state, r->project, r->name);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "result", r->duplicate ? "duplicate" : "queued",
				      "id", r->id, "project", r->project, "file", file, "path", r->path, "paused",
				      (int)r->paused);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
		return;
	}
	if (r->duplicate)
		printf("duplicate %s: already %s/%s/%s\n", r->id, state, r->project, r->name);
	else
		printf("queued %s as %s/%s/%s%s\n", r->id, state, r->project, r->name,
		       r->paused ? " (paused: work starts after 'da-pause off')" : "");
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct da_enqueue_result res;
	struct da_event *ev = NULL;
	char **labels = NULL, *body = NULL;
	int rc;

	da_log_init(argv[0]);
	/* < 0: --help or --version done; > 0: the usage error's exit code */
	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if (o.event) {
		if ((rc = da_event_read(o.event, &ev)) == 0 && (rc = apply_overrides(&o, &ev->req)) == 0)
			rc = da_enqueue(&ev->req, &res);
	} else if ((rc = request_from_flags(&o, &labels, &body)) == 0 && (rc = apply_overrides(&o, &o.req)) == 0) {
		rc = da_enqueue(&o.req, &res);
	}
	if (rc == 0)
		print_result(&res, o.json);
	da_event_free(ev);
	da_strlist_free(labels);
	free(body);
	if (rc == 0 && fflush(stdout) != 0)
		return da_err_report(da_errf(DA_ERUNTIME, "write stdout failed"));
	return da_err_report(rc);
}
