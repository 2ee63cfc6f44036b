/* The one-line events of da-process: log lines or JSON lines. */
#include "process.h"
#include "log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const event_names[] = { "started", "completed", "failed", "requeued", "recovered", "paused" };

/* One write(2) per line: workers share the stream, and a line shorter
 * than PIPE_BUF is never split by another writer's. */
static void write_line(int fd, const char *line)
{
	size_t len = strlen(line);
	ssize_t n = write(fd, line, len);

	(void)n; /* a closed reader must not stop the queue (SIGPIPE is ignored) */
}

void da_proc_event(const struct da_proc_opts *o, enum da_proc_event ev, const char *project,
		   const char *task, long pid, int exit_code, const char *why)
{
	const char *name = event_names[ev];

	if (o && o->json) {
		json_t *j = json_pack("{s:s}", "event", name);
		char *text;

		if (!j)
			return;
		if (project)
			json_object_set_new(j, "project", json_string(project));
		if (task)
			json_object_set_new(j, "task", json_string(task));
		if (pid >= 0)
			json_object_set_new(j, "pid", json_integer(pid));
		if (exit_code >= 0)
			json_object_set_new(j, "exit", json_integer(exit_code));
		if (why)
			json_object_set_new(j, "why", json_string(why));
		text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(j);
		if (!text)
			return;
		size_t len = strlen(text);
		char *line = malloc(len + 2);

		if (line) {
			memcpy(line, text, len);
			memcpy(line + len, "\n", 2);
			write_line(STDOUT_FILENO, line);
			free(line);
		}
		free(text);
		return;
	}
	char line[2048], extra[64] = "";

	if (pid >= 0 && exit_code >= 0)
		snprintf(extra, sizeof extra, " (pid %ld, exit %d)", pid, exit_code);
	else if (pid >= 0)
		snprintf(extra, sizeof extra, " (pid %ld)", pid);
	else if (exit_code >= 0)
		snprintf(extra, sizeof extra, " (exit %d)", exit_code);
	snprintf(line, sizeof line, "%s: %s%s%s%s%s%s%s%.300s\n", da_progname(), name, project ? " " : "",
		 project ? project : "", task ? " " : "", task ? task : "", extra, why ? ": " : "", why ? why : "");
	/* keep a multi-line reason on one line */
	for (char *p = line; *p && p[1]; p++)
		if (*p == '\n')
			*p = ' ';
	write_line(STDERR_FILENO, line);
}
