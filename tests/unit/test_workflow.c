/* Unit tests for workflow loading and template rendering. */
#include "unit.h"

#include "err.h"
#include "fsutil.h"
#include "paths.h"
#include "workflow.h"

static char *tmp;
static char wfdir[600];

static int setup(void **state)
{
	char src[700], cmd[1600];

	(void)state;
	tmp = unit_tmpdir();
	snprintf(wfdir, sizeof wfdir, "%s/home/workflows", tmp);
	/* the shipped workflows, copied into $DA_HOME/workflows */
	/* build/<release|san>/tests/ -> the checkout */
	snprintf(src, sizeof src, "%s/../../../workflows", da_exe_dir());
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/home' && cp -R '%s' '%s'", tmp, src, wfdir);
	assert_int_equal(system(cmd), 0);
	da_paths_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unit_rmtree(tmp);
	da_paths_reset();
	return 0;
}

static void put(const char *name, const char *text)
{
	assert_int_equal(da_write_atomic(wfdir, name, text, strlen(text), 0, NULL), 0);
}

static void shipped_feature_has_the_five_stages(void **state)
{
	struct da_workflow *w;

	(void)state;
	assert_int_equal(da_workflow_load("feature", NULL, &w), 0);
	assert_int_equal(w->n_stages, 6);
	assert_string_equal(w->stages[0].name, "design");
	assert_int_equal(w->stages[0].session, DA_SESSION_LEAD);
	assert_string_equal(w->stages[0].writes, "SPEC.md");
	assert_int_equal(w->stages[1].session, DA_SESSION_FRESH);
	assert_int_equal(w->stages[2].kind, DA_STAGE_GATE);
	assert_string_equal(w->stages[2].fix_role, "implementer");
	assert_non_null(strstr(w->stages[2].fix_prompt_path, "prompts/fix.md"));
	assert_int_equal(w->stages[5].kind, DA_STAGE_COMMIT);
	assert_int_equal(da_workflow_stage_index(w, "qa"), 3);
	da_workflow_free(w);
	assert_int_equal(da_workflow_load("bugfix", NULL, &w), 0);
	assert_int_equal(da_workflow_stage_index(w, "design"), -1);
	da_workflow_free(w);
	assert_int_equal(da_workflow_load("hotfix", NULL, &w), 0);
	da_workflow_free(w);
	assert_int_equal(da_workflow_load("chore", NULL, &w), DA_EUSAGE);
}

static void expect_error(const char *text, const char *needle)
{
	struct da_workflow *w = NULL;

	put("bad.yaml", text);
	char path[700];

	snprintf(path, sizeof path, "%s/bad.yaml", wfdir);
	assert_int_equal(da_workflow_load_file("feature", path, NULL, &w), DA_EUSAGE);
	assert_null(w);
	if (!strstr(da_errmsg(), needle))
		fail_msg("\"%s\" not in \"%s\"", needle, da_errmsg());
}

static void invalid_workflows_name_file_line_and_reason(void **state)
{
	(void)state;
	expect_error("stages:\n  - name: a\n    kind: dance\n", "bad.yaml:3: stage a: unknown stage kind \"dance\"");
	expect_error("stages:\n  - name: a\n    kind: agent\n    prompt: implement\n", "bad.yaml:2: stage a: role missing");
	expect_error("stages:\n  - name: a\n    kind: agent\n    role: poet\n    prompt: implement\n",
		     "bad.yaml:4: stage a: unknown role \"poet\"");
	expect_error("stages:\n  - name: a\n    kind: agent\n    role: qa\n", "stage a: prompt missing");
	expect_error("stages:\n  - name: a\n    kind: agent\n    role: qa\n    prompt: nosuch\n",
		     "prompts/nosuch.md does not exist");
	expect_error("stages:\n  - name: a\n    kind: gate\n  - name: a\n    kind: gate\n",
		     "bad.yaml:4: duplicate stage name \"a\"");
	expect_error("stages: []\n", "stages: expected a list");
	expect_error("stages:\n  - name: c\n    kind: commit\n    message: \"{{title}}\"\n", "unknown placeholder {{title}}");
	put("prompts/odd.md", "line one\n{{issue_title}}\n{{ nope }}\n");
	expect_error("stages:\n  - name: a\n    kind: agent\n    role: qa\n    prompt: odd\n",
		     "prompts/odd.md:3: unknown placeholder {{nope}}");
}

static void project_overrides_win(void **state)
{
	struct da_project p = { 0 };
	struct da_name_value wf = { "feature", "mine.yaml" }, pr = { "implement", "mine.md" };
	struct da_workflow *w;

	(void)state;
	put("mine.yaml", "stages:\n  - name: only\n    kind: agent\n    role: implementer\n    prompt: implement\n");
	put("prompts/mine.md", "custom {{issue_title}}\n");
	p.workflows = &wf;
	p.n_workflows = 1;
	p.prompts = &pr;
	p.n_prompts = 1;
	assert_int_equal(da_workflow_load("feature", &p, &w), 0);
	assert_int_equal(w->n_stages, 1);
	assert_non_null(strstr(w->stages[0].prompt_path, "prompts/mine.md"));
	da_workflow_free(w);
}

static void render_fills_placeholders_once(void **state)
{
	struct da_tmpl_var vars[] = {
		{ "issue_title", "Add {{spec}} mode" }, { "issue_number", "42" }, { "commit_type", "feat" },
	};
	char *out;

	(void)state;
	assert_int_equal(da_template_render("m", "{{commit_type}}: {{issue_title}} (#{{ issue_number }}){{spec}}",
					    vars, 3, &out), 0);
	assert_string_equal(out, "feat: Add {{spec}} mode (#42)");
	free(out);
	assert_int_equal(da_template_render("m", "a\nb {{x}}", vars, 3, &out), DA_EUSAGE);
	assert_string_equal(da_errmsg(), "m:2: unknown placeholder {{x}}");
	assert_int_equal(da_template_render("m", "open {{issue_title", vars, 3, &out), DA_EUSAGE);
	assert_int_equal(da_template_render("m", "no braces", NULL, 0, &out), 0);
	assert_string_equal(out, "no braces");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(shipped_feature_has_the_five_stages, setup, teardown),
		cmocka_unit_test_setup_teardown(invalid_workflows_name_file_line_and_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(project_overrides_win, setup, teardown),
		cmocka_unit_test(render_fills_placeholders_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
