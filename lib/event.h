/* event: a GitHub webhook payload, as GitHub sends it, turned into an
 * enqueue request.
 *
 * Handled: `repository_dispatch` with event type (.action) "dev-agents"
 * (fields in .client_payload: repo, issue, title, body, labels — strings
 * or {name} objects — and optional project and runner), and `issues` with
 * action "opened" or "labeled" (.issue.number/.title/.body/.labels[].name,
 * .label.name, .repository.full_name). The payload does not name its
 * event (GitHub sends that in a header), so it is told by its shape:
 * client_payload -> repository_dispatch; issue without comment -> issues.
 * Anything else is DA_EUSAGE naming what it is.
 *
 * The project is client_payload.project when given, else the project
 * whose $DA_HOME/projects/<p>.yaml has `repo:` equal to the repo, else
 * the repo's name part — validated, never sanitised. */
#ifndef DA_EVENT_H
#define DA_EVENT_H

#include <stddef.h>

#include "enqueue.h"

#define DA_EVENT_MAX_BYTES (8 * 1024 * 1024)

struct da_event {
	struct da_enqueue_req req;	/* points into the strings below */
	char *kind;		/* "repository_dispatch" or "issues" */
	char *action;
	char *project, *repo, *title, *body, *runner;
	char **labels;		/* NULL-terminated */
};

/* Parse payload text. DA_EUSAGE for malformed JSON, a missing or wrong
 * field, or an event it does not handle. */
int da_event_parse(const char *text, size_t len, struct da_event **out);
/* Read FILE ("-" is stdin) and parse it. */
int da_event_read(const char *path, struct da_event **out);
void da_event_free(struct da_event *e);

/* The project whose projects/<p>.yaml says `repo: <repo>`; *project NULL
 * when none does; DA_EUSAGE when two do. Caller frees. */
int da_project_for_repo(const char *repo, char **project);

#endif
