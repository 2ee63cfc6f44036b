/* Unit tests for the pipeline walk with stub executors: order, resume,
 * pause, failure. */
#include "unit.h"

#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "pipeline.h"

struct calls {
	char log[256];
	const char *fail_at;
	const char *pause_at;	/* create the pause file when this stage runs */
	char pause_file[600];
};

static int stub(struct da_pipeline *pl, size_t index, const struct da_stage *st)
{
	struct calls *c = pl->user;

	(void)index;
	strcat(c->log, st->name);
	strcat(c->log, " ");
	if (c->pause_at && !strcmp(st->name, c->pause_at))
		assert_int_equal(da_write_atomic(getenv("DA_HOME"), "pause", "", 0, 0, NULL), 0);
	if (c->fail_at && !strcmp(st->name, c->fail_at))
		return da_errf(DA_ERUNTIME, "boom");
	return 0;
}

static const struct da_stage_ops stubs = { stub, stub, stub };

static struct da_stage stages[] = {
	{ .name = "design", .kind = DA_STAGE_AGENT }, { .name = "implement", .kind = DA_STAGE_AGENT },
	{ .name = "verify", .kind = DA_STAGE_GATE },  { .name = "finalize", .kind = DA_STAGE_COMMIT },
};

static void walk(struct calls *c, int expect_rc)
{
	struct da_workflow wf = { .type = "feature", .stages = stages, .n_stages = 4 };
	struct da_project p = { .name = "p" };
	struct da_task t = { .issue = 1, .title = "t", .type = "feature" };
	struct da_pipeline pl = { .task = &t, .task_name = "task-1", .project = &p, .wf = &wf, .user = c };

	c->log[0] = '\0';
	assert_int_equal(da_run_state_load("task-1", &pl.state), 0);
	assert_int_equal(da_pipeline_walk(&pl, &stubs), expect_rc);
	da_run_state_free(pl.state);
}

static void walk_resumes_after_failure_and_pause(void **state)
{
	char *tmp = unit_tmpdir();
	struct calls c = { .fail_at = "verify" };

	(void)state;
	da_paths_reset();
	snprintf(c.pause_file, sizeof c.pause_file, "%s/pause", getenv("DA_HOME"));
	setenv("DA_PAUSE_FILE", c.pause_file, 1);
	assert_int_equal(da_mkdirs(getenv("DA_HOME")), 0);
	walk(&c, DA_ERUNTIME);
	assert_string_equal(c.log, "design implement verify ");
	assert_non_null(strstr(da_errmsg(), "stage verify: boom"));
	/* picked up again: starts at the failed stage; paused after it */
	c.fail_at = NULL;
	c.pause_at = "verify";
	walk(&c, DA_ETEMP);
	assert_string_equal(c.log, "verify ");
	assert_string_equal(da_errmsg(), "paused before stage finalize");
	unlink(c.pause_file);
	c.pause_at = NULL;
	walk(&c, 0);
	assert_string_equal(c.log, "finalize ");
	walk(&c, 0);
	assert_string_equal(c.log, "");
	unsetenv("DA_PAUSE_FILE");
	unit_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(walk_resumes_after_failure_and_pause),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
