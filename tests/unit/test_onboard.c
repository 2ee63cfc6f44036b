/* Unit tests for onboarding's texts: owner/name from URLs, the rendered
 * dispatch workflow, the config text and its difference report. */
#include "unit.h"

#include "detect.h"
#include "err.h"
#include "fsutil.h"
#include "onboard.h"
#include "project.h"

static void repo_from_clone_urls(void **state)
{
	static const char *const good[][2] = {
		{ "https://github.com/me/dev-agents.git", "me/dev-agents" },
		{ "https://github.com/me/dev-agents", "me/dev-agents" },
		{ "https://github.com/me/dev-agents/", "me/dev-agents" },
		{ "git@github.com:me/dev-agents.git", "me/dev-agents" },
		{ "ssh://git@gitea.local:2222/team/da.git", "team/da" },
	};
	char *r = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(da_onboard_repo_from_url(good[i][0], &r), 0);
		assert_string_equal(r, good[i][1]);
		free(r);
	}
	assert_int_equal(da_onboard_repo_from_url("/srv/git/x.git", &r), DA_EUSAGE);
	assert_int_equal(da_onboard_repo_from_url("dev-agents.git", &r), DA_EUSAGE);
	assert_null(r);
}

static void repo_and_label_checks(void **state)
{
	(void)state;
	assert_int_equal(da_onboard_check_repo("myorg/my.app-1"), 0);
	assert_int_equal(da_onboard_check_repo("myorg"), DA_EUSAGE);
	assert_int_equal(da_onboard_check_repo("myorg/../x"), DA_EUSAGE);
	assert_int_equal(da_onboard_check_repo("a/b c"), DA_EUSAGE);
	assert_int_equal(da_onboard_check_repo("a/.hidden"), DA_EUSAGE);
	assert_int_equal(da_onboard_check_label("pi-2"), 0);
	assert_int_equal(da_onboard_check_label("pi\",\"x"), DA_EUSAGE);
	assert_int_equal(da_onboard_check_label(""), DA_EUSAGE);
}

static void dispatch_is_rendered_everywhere(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(da_onboard_render_dispatch("a: __DEV_AGENTS_REPO__\nb: __RUNNER_LABEL__\n"
						     "c: __DEV_AGENTS_REPO__\n", "me/da", "pi-2", &out), 0);
	assert_string_equal(out, "a: me/da\nb: pi-2\nc: me/da\n");
	free(out);
	assert_int_equal(da_onboard_render_dispatch("no placeholders\n", "me/da", "pi-2", &out),
			 DA_ERUNTIME);
	assert_null(out);
	/* a label that would break the runs-on JSON is refused before rendering */
	assert_int_equal(da_onboard_render_dispatch("__DEV_AGENTS_REPO__ __RUNNER_LABEL__", "me/da",
						     "x\"]", &out), DA_EUSAGE);
}

static void config_text_quotes_and_diffs(void **state)
{
	struct da_detect d = { .detected = true, .language = "python", .package_manager = "uv" };
	struct da_onboard_config c = { "o/r", "github", NULL, "/srv/a \"b\".git", "main", "pi-1" };
	char *text = NULL, *edited = NULL, *diff = NULL;

	(void)state;
	d.cmd[DA_CMD_TEST] = "uv run pytest -k \"not slow\"";
	d.from[DA_CMD_TEST] = "pytest";
	assert_int_equal(da_onboard_config_text(&c, &d, &text), 0);
	assert_non_null(strstr(text, "  test: \"uv run pytest -k \\\"not slow\\\"\"   # from: pytest\n"));
	assert_non_null(strstr(text, "remote: \"/srv/a \\\"b\\\".git\"\n"));
	assert_non_null(strstr(text, "  # lint: not detected"));
	assert_int_equal(da_onboard_config_diff("x.yaml", text, text, &diff), 0);
	assert_string_equal(diff, "");
	free(diff);
	assert_int_equal(asprintf(&edited, "%s", text) > 0, 1);
	char *p = strstr(edited, "runner: pi-1");

	memcpy(p, "runner: pi-9", 12);
	assert_int_equal(da_onboard_config_diff("x.yaml", edited, text, &diff), 0);
	assert_string_equal(diff, "  runner: yours \"pi-9\", onboarding would write \"pi-1\"\n");
	free(diff);
	free(edited);
	free(text);
	/* nothing detected: a commented template and an empty mapping */
	assert_int_equal(da_onboard_config_text(&c, NULL, &text), 0);
	assert_non_null(strstr(text, "# Commands were NOT detected"));
	assert_non_null(strstr(text, "\ncommands: {}\n"));
	free(text);
}

/* What onboarding writes is what the pipeline reads (project.c). */
static void config_text_loads_as_a_project(void **state)
{
	struct da_detect d = { .detected = true, .language = "go", .package_manager = "go" };
	struct da_onboard_config c = { "o/r", "github", "https://api.example", "https://x/o/r.git",
				       "trunk", "pi-2" };
	struct da_project *p = NULL;
	char *dir = unit_tmpdir(), *text = NULL, path[600];

	(void)state;
	d.cmd[DA_CMD_TEST] = "go test ./...";
	d.from[DA_CMD_TEST] = "go.mod";
	d.cmd[DA_CMD_LINT] = "go vet ./...";
	d.from[DA_CMD_LINT] = "go.mod";
	assert_int_equal(da_onboard_config_text(&c, &d, &text), 0);
	assert_int_equal(da_write_atomic(dir, "r.yaml", text, strlen(text), 0, NULL), 0);
	free(text);
	snprintf(path, sizeof path, "%s/r.yaml", dir);
	if (da_project_load_file("r", path, &p) != 0)
		fail_msg("%s", da_errmsg());
	assert_string_equal(p->repo, "o/r");
	assert_string_equal(p->forge, "github");
	assert_string_equal(p->api_url, "https://api.example");
	assert_string_equal(p->default_branch, "trunk");
	assert_string_equal(p->runner, "pi-2");
	assert_string_equal(p->commands[DA_CMD_TEST], "go test ./...");
	assert_null(p->commands[DA_CMD_BUILD]);
	assert_string_equal(p->commands[DA_CMD_LINT], "go vet ./...");
	da_project_free(p);
	/* the not-detected template loads too, with no gate configured */
	assert_int_equal(da_onboard_config_text(&c, NULL, &text), 0);
	assert_int_equal(da_write_atomic(dir, "r.yaml", text, strlen(text), 0, NULL), 0);
	free(text);
	if (da_project_load_file("r", path, &p) != 0)
		fail_msg("%s", da_errmsg());
	for (int k = 0; k < DA_CMD_N; k++)
		assert_null(p->commands[k]);
	da_project_free(p);
	unit_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(repo_from_clone_urls),
		cmocka_unit_test(repo_and_label_checks),
		cmocka_unit_test(dispatch_is_rendered_everywhere),
		cmocka_unit_test(config_text_quotes_and_diffs),
		cmocka_unit_test(config_text_loads_as_a_project),
	};

	return cmocka_run_group_tests_name("onboard", tests, NULL, NULL);
}
