/* Unit tests for the failure memory's prompt text and pruning. */
#include "unit.h"

#include "clock.h"
#include "err.h"
#include "failmem.h"
#include "failures.h"
#include "fsutil.h"
#include "paths.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

static void append(const char *date, const char *task, const char *error)
{
	struct da_failure f = {
		.date = (char *)date, .project = "p", .task = (char *)task, .title = "Fix it",
		.type = "bugfix", .exit_code = 1, .error = (char *)error,
	};

	assert_int_equal(da_failure_append(&f), 0);
}

static void prompt_is_empty_without_failures(void **state)
{
	char *tmp = unit_tmpdir(), *out;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_failmem_prompt("p", DA_FAILMEM_LINES, &out), 0);
	assert_string_equal(out, "");
	free(out);
	unit_rmtree(tmp);
}

static void prompt_has_header_and_last_lines(void **state)
{
	char *tmp = unit_tmpdir(), *out;

	(void)state;
	da_paths_reset();
	append("2026-03-10T14:22:00+00:00", "old-task", "first error\n");
	append("2026-03-11T14:22:00+00:00", "new-task", "TypeScript error: strict\n");
	assert_int_equal(da_failmem_prompt("p", DA_FAILMEM_LINES, &out), 0);
	assert_true(strncmp(out, DA_FAILMEM_HEADER "\n\n", strlen(DA_FAILMEM_HEADER) + 2) == 0);
	assert_non_null(strstr(out, "TypeScript error: strict"));
	assert_non_null(strstr(out, "task: old-task"));
	free(out);
	assert_int_equal(da_failmem_prompt("p", 3, &out), 0);
	assert_null(strstr(out, "old-task"));
	assert_non_null(strstr(out, "strict"));
	free(out);
	unit_rmtree(tmp);
}

static void prune_text_drops_only_old_records(void **state)
{
	const char *log = "---\ndate: 2026-01-01T00:00:00+00:00\ntask: a\nerror: |\n  x\n"
			  "---\ndate: nonsense\ntask: b\n"
			  "---\ndate: '2026-01-02T00:00:00Z'\ntask: q\n"
			  "---\ndate: '2026-03-01T00:00:00Z'\ntask: c\nerror: |\n  --- not a boundary\n";
	time_t cutoff;
	char *out;
	size_t removed;

	(void)state;
	assert_int_equal(da_parse_utc("2026-02-01T00:00:00Z", &cutoff), 0);
	assert_int_equal(da_failmem_prune_text(log, cutoff, &out, &removed), 0);
	assert_int_equal(removed, 2);
	assert_null(strstr(out, "task: a"));
	assert_null(strstr(out, "task: q"));
	assert_non_null(strstr(out, "task: b"));
	assert_non_null(strstr(out, "task: c\nerror: |\n  --- not a boundary\n"));
	assert_true(strncmp(out, "---\ndate: nonsense", 18) == 0);
	free(out);
}

static void prune_rewrites_the_log_and_leaves_a_fresh_one(void **state)
{
	char *tmp = unit_tmpdir(), *text, path[700];
	size_t removed, len;
	time_t now;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_parse_utc("2026-04-15T00:00:00Z", &now), 0);
	assert_int_equal(da_failmem_prune("p", now, 30, &removed), 0); /* no log yet */
	assert_int_equal(removed, 0);
	append("2026-03-01T00:00:00+00:00", "stale", "old\n");
	append("2026-04-10T00:00:00+00:00", "recent", "new\n");
	assert_int_equal(da_failmem_prune("p", now, DA_FAILMEM_MAX_AGE_DAYS, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(da_failures_path("p", path, sizeof path), 0);
	assert_int_equal(da_read_file(path, 1 << 20, &text, &len), 0);
	assert_null(strstr(text, "stale"));
	assert_non_null(strstr(text, "task: recent"));
	free(text);
	append("2026-04-14T00:00:00+00:00", "after", "more\n");
	assert_int_equal(da_failmem_prune("p", now, 30, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(da_read_file(path, 1 << 20, &text, &len), 0);
	assert_non_null(strstr(text, "task: after"));
	free(text);
	unit_rmtree(tmp);
}

/* An appender that waited on the lock while a prune replaced the log must
 * write into the new file, not the one the rename left behind. */
static void append_after_a_replace_lands_in_the_live_log(void **state)
{
	char *dir = unit_tmpdir();
	char path[600], fdir[600], *text = NULL;
	int held, status;
	pid_t child;

	(void)state;
	da_paths_reset();
	append("2026-11-01T00:00:00Z", "first", "one");
	assert_int_equal(da_failures_path("p", path, sizeof path), 0);
	held = open(path, O_RDONLY);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);
	child = fork();
	if (child == 0) {
		close(held); /* the lock belongs to the shared description */
		append("2026-11-02T00:00:00Z", "second", "two");
		_exit(0);
	}
	/* the child is now waiting on the old file's lock (or about to) */
	usleep(100000);
	snprintf(fdir, sizeof fdir, "%s/home/data/failures", dir);
	assert_int_equal(da_write_atomic(fdir, "p.log", "", 0, DA_WRITE_REPLACE, NULL), 0);
	close(held);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(da_read_file(path, 1 << 20, &text, NULL), 0);
	assert_non_null(strstr(text, "task: second"));
	free(text);
	da_paths_reset();
	unit_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prompt_is_empty_without_failures),
		cmocka_unit_test(prompt_has_header_and_last_lines),
		cmocka_unit_test(prune_text_drops_only_old_records),
		cmocka_unit_test(prune_rewrites_the_log_and_leaves_a_fresh_one),
		cmocka_unit_test(append_after_a_replace_lands_in_the_live_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
