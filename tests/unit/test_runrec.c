/* Unit tests for the run record: state and summary round trips, the
 * resume point, stage file names. */
#include "unit.h"

#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "runrec.h"

static const char *const feature[] = { "design", "implement", "verify", "qa", "verify-qa", "finalize" };

static void state_round_trip_and_resume_point(void **state)
{
	char *tmp = unit_tmpdir();
	struct da_run_state *s, *back;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_run_state_load("3-20260313T100200Z-add-dark-mode", &s), 0);
	assert_int_equal(s->n_stages, 0);
	assert_int_equal(da_run_state_resume_point(s, feature, 6), 0);
	assert_int_equal(da_run_state_set_str(&s->lead_session, "sess-lead-1"), 0);
	assert_int_equal(da_run_state_set_str(&s->branch, "dev-agents/42-add-dark-mode"), 0);
	assert_int_equal(da_run_state_mark(s, "design", DA_ST_RUNNING, "sess-lead-1", NULL), 0);
	assert_int_equal(da_run_state_mark(s, "design", DA_ST_DONE, NULL, NULL), 0);
	assert_int_equal(da_run_state_mark(s, "implement", DA_ST_RUNNING, "sess-impl", NULL), 0);
	assert_int_equal(da_run_state_mark(s, "implement", DA_ST_FAILED, NULL, "exit 1: max turns\nsecond line"), 0);
	assert_int_equal(da_run_state_save(s), 0);
	assert_int_equal(da_run_state_load("3-20260313T100200Z-add-dark-mode", &back), 0);
	assert_string_equal(back->lead_session, "sess-lead-1");
	assert_string_equal(back->branch, "dev-agents/42-add-dark-mode");
	assert_null(back->workspace);
	assert_int_equal(back->n_stages, 2);
	assert_int_equal(back->stages[0].status, DA_ST_DONE);
	assert_string_equal(back->stages[0].session_id, "sess-lead-1");
	assert_int_equal(back->stages[1].status, DA_ST_FAILED);
	assert_int_equal(back->stages[1].attempts, 1);
	assert_string_equal(back->stages[1].error, "exit 1: max turns\nsecond line");
	/* a picked-up task resumes at its first unfinished stage */
	assert_int_equal(da_run_state_resume_point(back, feature, 6), 1);
	for (size_t i = 1; i < 6; i++)
		assert_int_equal(da_run_state_mark(back, feature[i], DA_ST_DONE, NULL, NULL), 0);
	assert_int_equal(da_run_state_resume_point(back, feature, 6), 6);
	assert_null(back->stages[1].error);
	da_run_state_free(s);
	da_run_state_free(back);
	unit_rmtree(tmp);
}

static void run_keys_are_project_slash_task(void **state)
{
	char *tmp = unit_tmpdir(), key[300], dir[700], want[700];
	struct da_run_state *a = NULL, *b = NULL;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_run_key("web", "3-20260313T100200Z-7-fix", key, sizeof key), 0);
	assert_string_equal(key, "web/3-20260313T100200Z-7-fix");
	assert_int_equal(da_run_dir(key, dir, sizeof dir), 0);
	snprintf(want, sizeof want, "%s/home/data/runs/web/3-20260313T100200Z-7-fix", tmp);
	assert_string_equal(dir, want);
	/* nothing may climb out of data/runs */
	assert_int_equal(da_run_key("..", "t", key, sizeof key), DA_EUSAGE);
	assert_int_equal(da_run_key("web", ".hidden", key, sizeof key), DA_EUSAGE);
	assert_int_equal(da_run_key("web", "a/b", key, sizeof key), DA_EUSAGE);
	assert_int_equal(da_run_dir("/abs", dir, sizeof dir), DA_EUSAGE);
	assert_int_equal(da_run_dir("web/", dir, sizeof dir), DA_EUSAGE);
	/* the same task name in two projects: two records */
	assert_int_equal(da_run_state_load("web/t", &a), 0);
	assert_int_equal(da_run_state_load("api/t", &b), 0);
	assert_int_equal(da_run_state_mark(a, "design", DA_ST_DONE, NULL, NULL), 0);
	assert_int_equal(da_run_state_save(a), 0);
	assert_int_equal(da_run_state_save(b), 0);
	da_run_state_free(b);
	assert_int_equal(da_run_state_load("api/t", &b), 0);
	assert_int_equal(b->n_stages, 0);
	da_run_state_free(a);
	da_run_state_free(b);
	unit_rmtree(tmp);
}

static void state_rejects_bad_task_and_bad_file(void **state)
{
	char *tmp = unit_tmpdir(), dir[700];
	struct da_run_state *s = NULL;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_run_state_load("../evil", &s), DA_EUSAGE);
	assert_int_equal(da_run_write("t", "state.yaml", "stages:\n  - name: a\n    status: maybe\n", 38), 0);
	assert_int_equal(da_run_state_load("t", &s), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "state.yaml:2"));
	assert_null(s);
	snprintf(dir, sizeof dir, "%s/home/data/runs/t/state.yaml", tmp);
	assert_true(da_path_exists(dir));
	unit_rmtree(tmp);
}

static void summary_sums_runs_and_totals(void **state)
{
	char *tmp = unit_tmpdir();
	struct da_run_summary *sum, *back;
	struct da_stage_summary tot;
	struct da_stage_summary impl = { .name = "implement", .duration_ms = 1500, .turns = 10, .tokens_in = 100,
					 .tokens_out = 50, .tokens_cache = 7, .cost_usd = 0.25, .exit_code = 1 };
	struct da_stage_summary fix = { .name = "implement", .duration_ms = 500, .turns = 3, .cost_usd = 0.5 };
	struct da_stage_summary gate = { .name = "verify", .duration_ms = 2000 };

	(void)state;
	da_paths_reset();
	assert_int_equal(da_run_summary_load("t", &sum), 0);
	assert_int_equal(da_run_summary_add(sum, &impl), 0);
	assert_int_equal(da_run_summary_add(sum, &fix), 0);
	assert_int_equal(da_run_summary_add(sum, &gate), 0);
	assert_int_equal(da_run_summary_save(sum), 0);
	assert_int_equal(da_run_summary_load("t", &back), 0);
	assert_int_equal(back->n_stages, 2);
	assert_int_equal(back->stages[0].duration_ms, 2000);
	assert_int_equal(back->stages[0].turns, 13);
	assert_int_equal(back->stages[0].runs, 2);
	assert_int_equal(back->stages[0].exit_code, 0);
	assert_true(back->stages[0].cost_usd > 0.749 && back->stages[0].cost_usd < 0.751);
	da_run_summary_totals(back, &tot);
	assert_int_equal(tot.duration_ms, 4000);
	assert_int_equal(tot.runs, 3);
	assert_int_equal(tot.tokens_cache, 7);
	da_run_summary_free(sum);
	da_run_summary_free(back);
	unit_rmtree(tmp);
}

static void stage_files_are_numbered(void **state)
{
	char *tmp = unit_tmpdir(), path[700], *text;
	size_t len;

	(void)state;
	da_paths_reset();
	assert_int_equal(da_run_file("t", 2, "verify", ".jsonl", path, sizeof path), 0);
	assert_non_null(strstr(path, "/data/runs/t/03-verify.jsonl"));
	assert_int_equal(da_run_save_prompt("t", 1, "implement", 1, "do it"), 0);
	assert_int_equal(da_run_save_prompt("t", 1, "implement", 2, "fix it"), 0);
	assert_int_equal(da_run_file("t", 1, "implement", "-2.prompt.md", path, sizeof path), 0);
	assert_int_equal(da_read_file(path, 100, &text, &len), 0);
	assert_string_equal(text, "fix it");
	free(text);
	assert_int_equal(da_run_file("t", 1, "implement", ".prompt.md", path, sizeof path), 0);
	assert_int_equal(da_read_file(path, 100, &text, &len), 0);
	assert_string_equal(text, "do it");
	free(text);
	unit_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_round_trip_and_resume_point),
		cmocka_unit_test(run_keys_are_project_slash_task),
		cmocka_unit_test(state_rejects_bad_task_and_bad_file),
		cmocka_unit_test(summary_sums_runs_and_totals),
		cmocka_unit_test(stage_files_are_numbered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
