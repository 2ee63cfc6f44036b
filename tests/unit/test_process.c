/* Unit tests for the processing side: failure memory, readiness, slot
 * locks, lock probing. */
#include "unit.h"

#include "err.h"
#include "failures.h"
#include "fsutil.h"
#include "paths.h"
#include "process.h"
#include "queue.h"
#include "status.h"
#include "task.h"

#include <fcntl.h>
#include <sys/file.h>

static void failures_round_trip_oldest_first(void **state)
{
	char *dir = unit_tmpdir();
	struct da_failure *list = NULL;
	size_t n = 0;
	char *tail = NULL;

	(void)state;
	da_paths_reset();
	for (int i = 1; i <= 3; i++) {
		char task[64], error[64];
		struct da_failure f = { .project = "app", .task = task, .title = "Fix: the \"auth\"", .type = "bugfix",
					.exit_code = i, .error = error };

		snprintf(task, sizeof task, "2-20260101T00000%dZ-x.yaml", i);
		snprintf(error, sizeof error, "line one of %d\nline two", i);
		assert_int_equal(da_failure_append(&f), 0);
	}
	assert_int_equal(da_failures_last("app", 2, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].exit_code, 2);
	assert_int_equal(list[1].exit_code, 3);
	assert_string_equal(list[1].task, "2-20260101T000003Z-x");
	assert_string_equal(list[1].title, "Fix: the \"auth\"");
	assert_string_equal(list[1].error, "line one of 3\nline two\n");
	da_failures_free(list, n);
	assert_int_equal(da_failures_tail("app", 2, &tail), 0);
	assert_string_equal(tail, "  line one of 3\n  line two\n");
	free(tail);
	assert_int_equal(da_failures_last("nothing", 5, &list, &n), 0);
	assert_int_equal(n, 0);
	da_failures_free(list, n);
	unit_rmtree(dir);
}

static void failures_skip_a_record_cut_short(void **state)
{
	char *dir = unit_tmpdir();
	char path[DA_PATH_MAX];
	struct da_failure f = { .project = "app", .task = "t", .title = "t", .type = "feature", .exit_code = 1,
				.error = "boom" };
	struct da_failure *list = NULL;
	size_t n = 0;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_failure_append(&f), 0);
	assert_int_equal(da_failures_path("app", path, sizeof path), 0);
	FILE *fp = fopen(path, "a");

	assert_non_null(fp);
	fputs("---\ndate: 2026-01-01T00:00:00+00:00\ntask: [unclosed\n", fp);
	fclose(fp);
	assert_int_equal(da_failures_last("app", 5, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].error, "boom\n");
	da_failures_free(list, n);
	unit_rmtree(dir);
}

static void write_task(const char *name, const char *not_before)
{
	struct da_task *t = da_task_new();
	char dir[DA_PATH_MAX];

	assert_non_null(t);
	t->id = strdup("app#1");
	t->project = strdup("app");
	t->issue = 1;
	t->title = strdup("t");
	t->type = strdup("feature");
	t->priority = 3;
	t->enqueued_at = strdup("2026-01-01T00:00:00Z");
	t->source = strdup("cli");
	t->not_before = not_before ? strdup(not_before) : NULL;
	assert_int_equal(da_queue_prepare_project("app"), 0);
	assert_int_equal(da_task_write_in(DA_PENDING, t, name), 0);
	assert_int_equal(da_state_dir(DA_PENDING, "app", dir, sizeof dir), 0);
	da_task_free(t);
}

static void next_ready_skips_a_future_not_before(void **state)
{
	char *dir = unit_tmpdir();
	char name[256];
	bool found = false;
	time_t wake = 0, now = 1767225600; /* 2026-01-01T00:00:00Z */

	(void)state;
	da_paths_reset();
	write_task("1-20260101T000000Z-1-a.yaml", "2026-01-01T01:00:00Z");
	write_task("3-20260101T000000Z-2-b.yaml", NULL);
	assert_int_equal(da_next_ready("app", now, name, sizeof name, &found, &wake), 0);
	assert_true(found);
	assert_string_equal(name, "3-20260101T000000Z-2-b.yaml");
	assert_int_equal(wake, now + 3600);
	/* an hour later the hotfix comes first again */
	assert_int_equal(da_next_ready("app", now + 3600, name, sizeof name, &found, &wake), 0);
	assert_string_equal(name, "1-20260101T000000Z-1-a.yaml");
	assert_int_equal(da_next_ready("none", now, name, sizeof name, &found, &wake), 0);
	assert_false(found);
	unit_rmtree(dir);
}

static void slot_locks_are_bounded_by_max_parallel(void **state)
{
	char *dir = unit_tmpdir();
	int a = -1, b = -1, c = -1;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_queue_check_root(), 0);
	assert_int_equal(da_slot_lock_try(2, &a), 0);
	assert_int_equal(da_slot_lock_try(2, &b), 0);
	assert_true(a >= 0 && b >= 0);
	assert_int_equal(da_slot_lock_try(2, &c), 0);
	assert_int_equal(c, -1);
	da_lock_release(a);
	assert_int_equal(da_slot_lock_try(2, &c), 0);
	assert_true(c >= 0);
	da_lock_release(b);
	da_lock_release(c);
	unit_rmtree(dir);
}

static void flock_held_reads_proc_locks(void **state)
{
	char *dir = unit_tmpdir();
	char path[DA_PATH_MAX];
	bool held = true;
	int fd = -1;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_queue_check_root(), 0);
	assert_int_equal(da_pathf(path, sizeof path, "%s/locks/app.lock", da_queue_root()), 0);
	assert_int_equal(da_flock_held(path, &held), 0);
	assert_false(held); /* no file yet */
	assert_int_equal(da_run_lock_try("app", &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(da_flock_held(path, &held), 0);
	assert_true(held);
	da_lock_release(fd);
	assert_int_equal(da_flock_held(path, &held), 0);
	assert_false(held);
	unit_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failures_round_trip_oldest_first),
		cmocka_unit_test(failures_skip_a_record_cut_short),
		cmocka_unit_test(next_ready_skips_a_future_not_before),
		cmocka_unit_test(slot_locks_are_bounded_by_max_parallel),
		cmocka_unit_test(flock_held_reads_proc_locks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
