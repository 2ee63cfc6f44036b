/* Unit tests for the core layer: errors, atomic writes, spawn, YAML, tasks. */
#include "unit.h"

#include "clock.h"
#include "env.h"
#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "queue.h"
#include "spawn.h"
#include "task.h"
#include "yamlutil.h"

#include <sys/stat.h>

static void error_classes_map_to_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(da_err_exit_code(DA_OK), 0);
	assert_int_equal(da_err_exit_code(DA_ERUNTIME), 1);
	assert_int_equal(da_err_exit_code(DA_EUSAGE), 2);
	assert_int_equal(da_err_exit_code(DA_ETEMP), 75);
	assert_int_equal(da_errf(DA_EUSAGE, "bad %d", 4), DA_EUSAGE);
	da_errctx(DA_EUSAGE, "reading %s", "x");
	assert_string_equal(da_errmsg(), "reading x: bad 4");
}

static void atomic_write_noreplace_refuses_existing_name(void **state)
{
	char *dir = unit_tmpdir();
	bool exists = false;
	char *text;
	size_t len;
	char path[600];

	(void)state;
	assert_non_null(dir);
	assert_int_equal(da_write_atomic(dir, "a.yaml", "one\n", 4, DA_WRITE_NOREPLACE, &exists), 0);
	assert_false(exists);
	assert_int_equal(da_write_atomic(dir, "a.yaml", "two\n", 4, DA_WRITE_NOREPLACE, &exists), DA_EUSAGE);
	assert_true(exists);
	snprintf(path, sizeof path, "%s/a.yaml", dir);
	assert_int_equal(da_read_file(path, 100, &text, &len), 0);
	assert_string_equal(text, "one\n");
	free(text);
	assert_int_equal(da_write_atomic(dir, "a.yaml", "three\n", 6, DA_WRITE_REPLACE, NULL), 0);
	assert_int_equal(da_read_file(path, 100, &text, &len), 0);
	assert_string_equal(text, "three\n");
	free(text);
	unit_rmtree(dir);
}

static void read_file_refuses_oversized(void **state)
{
	char *dir = unit_tmpdir();
	char path[600], *text = NULL;

	(void)state;
	assert_int_equal(da_write_atomic(dir, "big", "0123456789", 10, 0, NULL), 0);
	snprintf(path, sizeof path, "%s/big", dir);
	assert_int_equal(da_read_file(path, 9, &text, NULL), DA_EUSAGE);
	assert_null(text);
	unit_rmtree(dir);
}

static void project_names_are_safe_path_components(void **state)
{
	(void)state;
	assert_int_equal(da_check_project_name("myapp"), 0);
	assert_int_equal(da_check_project_name("my.app_2-x"), 0);
	assert_int_equal(da_check_project_name(""), DA_EUSAGE);
	assert_int_equal(da_check_project_name("../x"), DA_EUSAGE);
	assert_int_equal(da_check_project_name("a/b"), DA_EUSAGE);
	assert_int_equal(da_check_project_name(".hidden"), DA_EUSAGE);
	assert_int_equal(da_check_project_name("tab\there"), DA_EUSAGE);
}

static void utf8_validation(void **state)
{
	(void)state;
	assert_true(da_text_ok("héllo", strlen("héllo"), false));
	assert_false(da_text_ok("\xff", 1, false));
	assert_false(da_text_ok("\xc0\xaf", 2, false));	/* overlong '/' */
	assert_false(da_text_ok("a\nb", 3, false));
	assert_true(da_text_ok("a\nb", 3, true));
	assert_false(da_text_ok("\xe2\x82", 2, true));	/* truncated */
}

static void utc_round_trip(void **state)
{
	char iso[32], compact[32];
	time_t t;

	(void)state;
	da_utc_iso(1773396000, iso, sizeof iso);
	assert_string_equal(iso, "2026-03-13T10:00:00Z");
	da_utc_compact(1773396000, compact, sizeof compact);
	assert_string_equal(compact, "20260313T100000Z");
	assert_int_equal(da_parse_utc(iso, &t), 0);
	assert_int_equal(t, 1773396000);
	assert_int_equal(da_parse_utc("2026-03-13T12:00:00+02:00", &t), 0);
	assert_int_equal(t, 1773396000);
	assert_int_equal(da_parse_utc("yesterday", &t), DA_EUSAGE);
}

static void task_round_trips_through_yaml(void **state)
{
	struct da_task *t = da_task_new(), *back = NULL;
	char *text;
	size_t len;
	char *labels[] = { "bug", "ui: dark", NULL };

	(void)state;
	t->id = strdup("octo/app#42");
	t->project = strdup("app");
	t->repo = strdup("octo/app");
	t->issue = 42;
	t->title = strdup("Fix: the \"login\" page");
	t->body = strdup("line one\nline two: with colon\n");
	da_strlist_free(t->labels);
	t->labels = calloc(3, sizeof *t->labels);
	t->labels[0] = strdup(labels[0]);
	t->labels[1] = strdup(labels[1]);
	t->n_labels = 2;
	t->type = strdup("bugfix");
	t->priority = 2;
	t->enqueued_at = strdup("2026-03-13T10:00:00Z");
	t->source = strdup("cli");
	assert_int_equal(da_task_add_history(t, "new", "pending", "enqueued"), 0);
	assert_int_equal(da_task_serialize(t, &text, &len), 0);
	assert_int_equal(da_task_parse("t.yaml", text, len, &back), 0);
	assert_string_equal(back->id, "octo/app#42");
	assert_string_equal(back->title, t->title);
	assert_string_equal(back->body, t->body);
	assert_int_equal(back->n_labels, 2);
	assert_string_equal(back->labels[1], "ui: dark");
	assert_int_equal(back->n_history, 1);
	assert_string_equal(back->history[0].to, "pending");
	assert_int_equal(back->priority, 2);
	free(text);
	da_task_free(t);
	da_task_free(back);
}

static void task_parse_rejects_bad_files(void **state)
{
	struct da_task *t = NULL;
	const char *no_title = "id: a#1\nproject: a\nissue: 1\ntype: feature\npriority: 3\n";
	const char *bad_issue = "id: a#1\nproject: a\nissue: x\ntitle: t\ntype: feature\npriority: 3\n";
	const char *bad_project =
		"id: a#1\nproject: ../a\nissue: 1\ntitle: t\ntype: feature\npriority: 3\n";

	(void)state;
	assert_int_equal(da_task_parse("x", no_title, strlen(no_title), &t), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "title"));
	assert_int_equal(da_task_parse("x", bad_issue, strlen(bad_issue), &t), DA_EUSAGE);
	assert_int_equal(da_task_parse("x", bad_project, strlen(bad_project), &t), DA_EUSAGE);
	assert_int_equal(da_task_parse("x", "{", 1, &t), DA_EUSAGE);
	assert_null(t);
}

static void spawn_captures_exit_and_output(void **state)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	struct da_spawn_opts o = { .argv = argv };
	struct da_spawn_result r;

	(void)state;
	assert_int_equal(da_spawn_run(&o, &r), 0);
	assert_int_equal(r.exit_code, 3);
	assert_int_equal(r.term_signal, 0);
	assert_non_null(strstr(r.tail, "out"));
	assert_non_null(strstr(r.tail, "err"));
	da_spawn_result_free(&r);
}

static void spawn_reports_missing_program(void **state)
{
	const char *argv[] = { "da-no-such-program-here", NULL };
	struct da_spawn_opts o = { .argv = argv };
	struct da_spawn_result r;

	(void)state;
	assert_int_equal(da_spawn_run(&o, &r), DA_ERUNTIME);
	assert_non_null(strstr(da_errmsg(), "da-no-such-program-here"));
}

/* alive = exists and is not a zombie */
static bool pid_alive(long pid)
{
	char path[64], buf[512];
	FILE *f;
	bool alive = false;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof buf, f)) {
		const char *close_paren = strrchr(buf, ')');

		alive = close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z';
	}
	fclose(f);
	return alive;
}

static void spawn_stops_a_hung_child_and_its_group(void **state)
{
	char *dir = unit_tmpdir();
	char script[700], pidfile[600], *text = NULL;
	const char *argv[] = { "sh", "-c", script, NULL };
	struct da_spawn_opts o = { .argv = argv, .hang_timeout_ms = 300, .term_grace_ms = 200 };
	struct da_spawn_result r;

	(void)state;
	snprintf(pidfile, sizeof pidfile, "%s/grandchild.pid", dir);
	/* a grandchild that ignores SIGTERM must still not outlive the run */
	snprintf(script, sizeof script, "sh -c 'trap \"\" TERM; echo $$ > %s; exec sleep 30' & echo started; sleep 30",
		 pidfile);
	assert_int_equal(da_spawn_run(&o, &r), 0);
	assert_true(r.hung);
	assert_true(r.term_signal != 0);
	assert_int_equal(da_read_file(pidfile, 100, &text, NULL), 0);
	long gpid = atol(text);

	assert_true(gpid > 0);
	for (int i = 0; i < 100 && pid_alive(gpid); i++)
		usleep(10000); /* SIGKILL delivery is asynchronous */
	assert_false(pid_alive(gpid));
	free(text);
	da_spawn_result_free(&r);
	unit_rmtree(dir);
}

static void spawn_wall_clock_timeout(void **state)
{
	const char *argv[] = { "sh", "-c", "while :; do echo tick; sleep 0.05; done", NULL };
	struct da_spawn_opts o = { .argv = argv, .timeout_ms = 300, .term_grace_ms = 100 };
	struct da_spawn_result r;

	(void)state;
	assert_int_equal(da_spawn_run(&o, &r), 0);
	assert_true(r.timed_out);
	assert_false(r.hung);
	da_spawn_result_free(&r);
}

static void env_allowlist_keeps_only_named(void **state)
{
	struct da_env *env = da_env_new();
	const char *const allow[] = { "PATH", "LC_*", NULL };

	(void)state;
	setenv("LC_TESTVAR", "x", 1);
	setenv("DA_GITHUB_TOKEN", "secret", 1);
	assert_int_equal(da_env_copy_allowed(env, allow), 0);
	assert_non_null(da_env_get(env, "PATH"));
	assert_string_equal(da_env_get(env, "LC_TESTVAR"), "x");
	assert_null(da_env_get(env, "DA_GITHUB_TOKEN"));
	da_env_set(env, "HOME", "/h");
	assert_string_equal(da_env_get(env, "HOME"), "/h");
	da_env_unset(env, "HOME");
	assert_null(da_env_get(env, "HOME"));
	da_env_free(env);
}

static void last_lines_takes_the_tail(void **state)
{
	(void)state;
	assert_string_equal(da_last_lines("a\nb\nc\n", 2), "b\nc\n");
	assert_string_equal(da_last_lines("a\nb\nc", 5), "a\nb\nc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(error_classes_map_to_exit_codes),
		cmocka_unit_test(atomic_write_noreplace_refuses_existing_name),
		cmocka_unit_test(read_file_refuses_oversized),
		cmocka_unit_test(project_names_are_safe_path_components),
		cmocka_unit_test(utf8_validation),
		cmocka_unit_test(utc_round_trip),
		cmocka_unit_test(task_round_trips_through_yaml),
		cmocka_unit_test(task_parse_rejects_bad_files),
		cmocka_unit_test(spawn_captures_exit_and_output),
		cmocka_unit_test(spawn_reports_missing_program),
		cmocka_unit_test(spawn_stops_a_hung_child_and_its_group),
		cmocka_unit_test(spawn_wall_clock_timeout),
		cmocka_unit_test(env_allowlist_keeps_only_named),
		cmocka_unit_test(last_lines_takes_the_tail),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
