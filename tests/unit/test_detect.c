/* Unit tests for detect: each fixture tree under tests/fixtures/detect
 * gives exactly the expected commands, and unknown stacks say so. */
#include "unit.h"

#include "detect.h"
#include "err.h"

#include <libgen.h>

struct expect {
	const char *fixture;
	bool detected;
	const char *language, *pm;
	const char *cmd[DA_CMD_N];	/* test, typecheck, build, lint */
	const char *reason_part;	/* substring of reason, or NULL for no reason */
};

static const struct expect cases[] = {
	{ "npm-vitest", true, "typescript", "npm",
	  { "npx vitest run", "npx tsc --noEmit", NULL, "npx eslint ." }, NULL },
	{ "npm-scripts", true, "typescript", "npm",
	  { "npm test", "npm run typecheck", "npm run build", NULL }, NULL },
	{ "pnpm-next", true, "javascript", "pnpm",
	  { "pnpm exec vitest run", NULL, "pnpm exec next build", "pnpm run lint" }, NULL },
	{ "yarn-jest", true, "javascript", "yarn", { "yarn jest", NULL, NULL, NULL }, NULL },
	{ "bun-scripts", true, "javascript", "bun", { "bun run test", NULL, "bun run build", NULL }, NULL },
	{ "rust", true, "rust", "cargo", { "cargo test", NULL, "cargo build", "cargo clippy" }, NULL },
	{ "python-uv", true, "python", "uv",
	  { "uv run pytest", "uv run mypy .", NULL, "uv run ruff check ." }, NULL },
	{ "python-poetry", true, "python", "poetry", { "poetry run pytest", NULL, NULL, NULL }, NULL },
	{ "python-requirements", true, "python", "pip", { "pytest", NULL, NULL, "ruff check ." }, NULL },
	{ "python-setupcfg", true, "python", "pip", { "pytest", "mypy .", NULL, NULL }, NULL },
	{ "python-bare", true, "python", "pip", { NULL, NULL, NULL, NULL }, "no test command" },
	{ "go", true, "go", "go", { "go test ./...", NULL, "go build ./...", "go vet ./..." }, NULL },
	{ "make", true, "make", "make", { "make check", NULL, "make", "make lint" }, NULL },
	{ "cmake", true, "c/c++", "cmake",
	  { "cmake -S . -B build && cmake --build build && ctest --test-dir build --output-on-failure",
	    NULL, "cmake -S . -B build && cmake --build build", NULL }, NULL },
	{ "cmake-notests", true, "c/c++", "cmake",
	  { NULL, NULL, "cmake -S . -B build && cmake --build build", NULL }, "registers no tests" },
	{ "monorepo-mixed", false, NULL, NULL, { NULL, NULL, NULL, NULL },
	  "several ecosystems at the top: package.json go.mod" },
	{ "monorepo-workspaces", false, NULL, NULL, { NULL, NULL, NULL, NULL }, "declares workspaces" },
	{ "unknown", false, NULL, NULL, { NULL, NULL, NULL, NULL }, "unknown stack" },
};

static void fixture_dir(char *buf, size_t size, const char *name)
{
	char file[512];

	snprintf(file, sizeof file, "%s", __FILE__);
	snprintf(buf, size, "%s/../fixtures/detect/%s", dirname(file), name);
}

static void assert_opt_str(const char *what, const char *want, const char *got)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(want, got)) {
		print_error("%s: want \"%s\", got \"%s\"\n", what, want ? want : "(none)",
			    got ? got : "(none)");
		fail();
	}
}

static void each_fixture_gives_exact_commands(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct expect *e = &cases[i];
		struct da_detect *d = NULL;
		char dir[600], what[128];

		fixture_dir(dir, sizeof dir, e->fixture);
		if (da_detect_tree(dir, &d) != 0) {
			print_error("%s: %s\n", e->fixture, da_errmsg());
			fail();
		}
		snprintf(what, sizeof what, "%s detected", e->fixture);
		if (d->detected != e->detected) {
			print_error("%s: want %d (reason %s)\n", what, e->detected, d->reason);
			fail();
		}
		snprintf(what, sizeof what, "%s language", e->fixture);
		assert_opt_str(what, e->language, d->language);
		snprintf(what, sizeof what, "%s package manager", e->fixture);
		assert_opt_str(what, e->pm, d->package_manager);
		for (int k = 0; k < DA_CMD_N; k++) {
			snprintf(what, sizeof what, "%s %s", e->fixture, da_cmd_name(k));
			assert_opt_str(what, e->cmd[k], d->cmd[k]);
			/* every command carries its evidence */
			assert_true(!d->cmd[k] == !d->from[k]);
		}
		if (e->reason_part) {
			assert_non_null(d->reason);
			if (!strstr(d->reason, e->reason_part)) {
				print_error("%s reason: \"%s\" lacks \"%s\"\n", e->fixture, d->reason,
					    e->reason_part);
				fail();
			}
		} else {
			assert_null(d->reason);
		}
		da_detect_free(d);
	}
}

static void malformed_package_json_is_bad_input(void **state)
{
	struct da_detect *d = (struct da_detect *)1;
	char dir[600];

	(void)state;
	fixture_dir(dir, sizeof dir, "bad-json");
	assert_int_equal(da_detect_tree(dir, &d), DA_EUSAGE);
	assert_null(d);
	assert_non_null(strstr(da_errmsg(), "package.json:"));
}

static void missing_tree_is_unknown_not_a_guess(void **state)
{
	struct da_detect *d = NULL;

	(void)state;
	/* an empty directory: nothing known, nothing invented */
	char *tmp = unit_tmpdir();

	assert_int_equal(da_detect_tree(tmp, &d), 0);
	assert_false(d->detected);
	for (int k = 0; k < DA_CMD_N; k++)
		assert_null(d->cmd[k]);
	assert_non_null(strstr(d->reason, "unknown stack"));
	da_detect_free(d);
	da_detect_free(NULL);
	unit_rmtree(tmp);
	assert_string_equal(da_cmd_name(DA_CMD_TYPECHECK), "typecheck");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_fixture_gives_exact_commands),
		cmocka_unit_test(malformed_package_json_is_bad_input),
		cmocka_unit_test(missing_tree_is_unknown_not_a_guess),
	};

	return cmocka_run_group_tests_name("detect", tests, NULL, NULL);
}
