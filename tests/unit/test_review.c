/* Unit tests of the review's answer parsing, verdict rules, inline
 * filtering and the prompt bound (lib/review*.c), on synthetic diffs. */
#include "unit.h"

#include "err.h"
#include "review.h"

/* A diff of files that are all new, `lines[i]` lines each. */
static struct da_git_diff *synth_diff(const char *const *paths, const long *lines, size_t n)
{
	struct da_git_diff *d = calloc(1, sizeof *d);

	assert_non_null(d);
	d->files = calloc(n, sizeof *d->files);
	d->nfiles = n;
	snprintf(d->base_oid, sizeof d->base_oid, "%040d", 1);
	snprintf(d->head_oid, sizeof d->head_oid, "%040d", 2);
	for (size_t i = 0; i < n; i++) {
		struct da_git_file_diff *f = &d->files[i];
		size_t cap = 128 + (size_t)lines[i] * 48, len;
		char *p = malloc(cap);

		assert_non_null(p);
		len = (size_t)snprintf(p, cap, "diff --git a/%s b/%s\n--- /dev/null\n+++ b/%s\n@@ -0,0 +1,%ld @@\n",
				       paths[i], paths[i], paths[i], lines[i]);
		for (long l = 1; l <= lines[i]; l++)
			len += (size_t)snprintf(p + len, cap - len, "+const value_%ld = compute(%ld);\n", l, l);
		f->path = strdup(paths[i]);
		f->status = 'A';
		f->additions = lines[i];
		f->patch = p;
		f->hunks = calloc(1, sizeof *f->hunks);
		f->hunks[0].start = 1;
		f->hunks[0].end = lines[i];
		f->nhunks = 1;
		d->additions += lines[i];
	}
	return d;
}

static struct da_review *parsed(const char *text, int *rc)
{
	struct da_review *r = calloc(1, sizeof *r);

	assert_non_null(r);
	*rc = da_review_parse(text, r);
	return r;
}

static void parse_plain_object(void **state)
{
	int rc;
	struct da_review *r = parsed("{\"verdict\": \"APPROVE\", \"summary\": \"fine\", \"findings\": []}", &rc);

	assert_int_equal(rc, 0);
	assert_int_equal(r->verdict, DA_REVIEW_APPROVE);
	assert_string_equal(r->summary, "fine");
	assert_int_equal(r->nfindings, 0);
	da_review_free(r);
}

static void parse_fenced_object_inside_prose(void **state)
{
	int rc;
	struct da_review *r = parsed(
		"I read the diff. {braces} in prose do not matter.\n\n```json\n"
		"{\"verdict\": \"REQUEST_CHANGES\", \"summary\": \"s\", \"findings\": [\n"
		" {\"severity\": \"major\", \"file\": \"a.js\", \"line\": 3, \"message\": \"m\"}]}\n"
		"```\nThanks!\n", &rc);

	assert_int_equal(rc, 0);
	assert_int_equal(r->verdict, DA_REVIEW_REQUEST_CHANGES);
	assert_int_equal(r->nfindings, 1);
	assert_int_equal(r->findings[0].severity, DA_REVIEW_MAJOR);
	assert_string_equal(r->findings[0].file, "a.js");
	assert_int_equal(r->findings[0].line, 3);
	da_review_free(r);
}

static void parse_takes_the_last_answer_not_the_quoted_format(void **state)
{
	int rc;
	struct da_review *r = parsed(
		"The format is {\"verdict\": \"APPROVE\", \"summary\": \"x\"}; my answer:\n"
		"{\"verdict\": \"REQUEST_CHANGES\", \"summary\": \"real\", \"findings\": []}", &rc);

	assert_int_equal(rc, 0);
	assert_int_equal(r->verdict, DA_REVIEW_REQUEST_CHANGES);
	assert_string_equal(r->summary, "real");
	da_review_free(r);
}

static void parse_refuses_malformed_answers(void **state)
{
	static const char *const bad[] = {
		"",
		"   \n",
		"Looks good to me!",
		"```json\n{\"verdict\": \"APPROVE\", \"summary\": \"cut off\n```",
		"{\"verdict\": \"LGTM\", \"summary\": \"s\", \"findings\": []}",
		"{\"verdict\": \"approve\", \"findings\": []}",
		"{\"verdict\": true}",
		"{\"verdict\": \"APPROVE\", \"findings\": {}}",
		"{\"verdict\": \"APPROVE\", \"summary\": 3}",
		"{\"verdict\": \"REQUEST_CHANGES\", \"findings\": [{\"severity\": \"blocker\", \"file\": \"a\", \"line\": 1, \"message\": \"m\"}]}",
		"{\"verdict\": \"REQUEST_CHANGES\", \"findings\": [{\"severity\": \"major\", \"line\": 1, \"message\": \"m\"}]}",
		"{\"verdict\": \"REQUEST_CHANGES\", \"findings\": [{\"severity\": \"major\", \"file\": \"a\", \"line\": -4, \"message\": \"m\"}]}",
		"{\"verdict\": \"REQUEST_CHANGES\", \"findings\": [{\"severity\": \"major\", \"file\": \"a\", \"line\": \"7\", \"message\": \"m\"}]}",
		"{\"verdict\": \"REQUEST_CHANGES\", \"findings\": [{\"severity\": \"major\", \"file\": \"a\", \"line\": 1}]}",
		"{\"verdict\": \"REQUEST_CHANGES\", \"findings\": [\"a.js:1 bad\"]}",
		NULL,
	};

	for (int i = 0; bad[i]; i++) {
		int rc;
		struct da_review *r = parsed(bad[i], &rc);

		if (rc != DA_EUSAGE)
			fail_msg("accepted: %s", bad[i]);
		assert_true(strlen(da_errmsg()) > 0);
		assert_int_equal(r->verdict, DA_REVIEW_NONE);	/* untouched */
		assert_null(r->summary);
		da_review_free(r);
	}
}

static void request_changes_without_findings_is_fine(void **state)
{
	int rc;
	struct da_review *r = parsed("{\"verdict\": \"REQUEST_CHANGES\", \"summary\": \"no tests\"}", &rc);

	assert_int_equal(rc, 0);
	assert_int_equal(r->verdict, DA_REVIEW_REQUEST_CHANGES);
	assert_int_equal(r->nfindings, 0);
	assert_null(r->downgrade_reason);
	da_review_free(r);
}

static void approve_with_a_critical_finding_requests_changes(void **state)
{
	int rc;
	struct da_review *r = parsed(
		"{\"verdict\": \"APPROVE\", \"summary\": \"ok\", \"findings\": ["
		"{\"severity\": \"CRITICAL\", \"file\": \"a.js\", \"line\": 2, \"message\": \"sql injection\"}]}", &rc);

	assert_int_equal(rc, 0);
	assert_int_equal(r->agent_verdict, DA_REVIEW_APPROVE);
	assert_int_equal(r->verdict, DA_REVIEW_REQUEST_CHANGES);
	assert_non_null(r->downgrade_reason);
	assert_non_null(strstr(r->downgrade_reason, "critical"));
	da_review_free(r);
}

static void approve_with_major_and_minor_stays_approved(void **state)
{
	int rc;
	struct da_review *r = parsed(
		"{\"verdict\": \"APPROVE\", \"summary\": \"ok\", \"findings\": ["
		"{\"severity\": \"major\", \"file\": \"a.js\", \"line\": 2, \"message\": \"m\"},"
		"{\"severity\": \"minor\", \"file\": \"a.js\", \"message\": \"whole file\"}]}", &rc);

	assert_int_equal(rc, 0);
	assert_int_equal(r->verdict, DA_REVIEW_APPROVE);
	assert_null(r->downgrade_reason);
	assert_int_equal(r->findings[1].line, 0);
	da_review_free(r);
}

static void findings_off_the_diff_are_kept_but_not_inline(void **state)
{
	const char *paths[] = { "src/a.js", "src/b.js" };
	const long lines[] = { 10, 5 };
	struct da_git_diff *d = synth_diff(paths, lines, 2);
	const struct da_review_finding **list;
	size_t n;
	int rc;
	struct da_review *r = parsed(
		"{\"verdict\": \"REQUEST_CHANGES\", \"summary\": \"s\", \"findings\": ["
		"{\"severity\": \"major\", \"file\": \"src/a.js\", \"line\": 10, \"message\": \"in\"},"
		"{\"severity\": \"major\", \"file\": \"src/a.js\", \"line\": 11, \"message\": \"past the hunk\"},"
		"{\"severity\": \"minor\", \"file\": \"b/src/b.js\", \"line\": 1, \"message\": \"prefixed\"},"
		"{\"severity\": \"minor\", \"file\": \"src/other.js\", \"line\": 1, \"message\": \"not in diff\"},"
		"{\"severity\": \"minor\", \"file\": \"src/b.js\", \"line\": 0, \"message\": \"whole file\"}]}", &rc);

	assert_int_equal(rc, 0);
	da_review_classify(r, d);
	assert_true(r->findings[0].inline_ok);
	assert_false(r->findings[1].inline_ok);
	assert_true(r->findings[2].inline_ok);
	assert_string_equal(r->findings[2].file, "src/b.js");
	assert_false(r->findings[3].inline_ok);
	assert_false(r->findings[4].inline_ok);
	assert_int_equal(r->nfindings, 5);	/* nothing dropped */
	assert_int_equal(da_review_inline_findings(r, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0]->message, "in");
	assert_string_equal(list[1]->message, "prefixed");
	free(list);
	da_review_free(r);
	da_git_diff_free(d);
}

static void lock_generated_and_vendored_files_are_skipped_by_rule(void **state)
{
	assert_string_equal(da_review_skip_reason("package-lock.json", NULL), "lock file");
	assert_string_equal(da_review_skip_reason("web/yarn.lock", NULL), "lock file");
	assert_string_equal(da_review_skip_reason("pnpm-lock.yaml", NULL), "lock file");
	assert_string_equal(da_review_skip_reason("Cargo.lock", NULL), "lock file");
	assert_string_equal(da_review_skip_reason("go.sum", NULL), "lock file");
	assert_non_null(da_review_skip_reason("public/app.min.js", NULL));
	assert_non_null(da_review_skip_reason("dist/app.js", NULL));
	assert_non_null(da_review_skip_reason("pkg/build/out.o", NULL));
	assert_non_null(da_review_skip_reason("vendor/lib/x.go", NULL));
	assert_non_null(da_review_skip_reason("a/node_modules/x/index.js", NULL));
	assert_string_equal(da_review_skip_reason("api.ts", "+++ b/api.ts\n@@ -0,0 +1 @@\n+// @generated by protoc\n"),
			    "marked generated");
	assert_null(da_review_skip_reason("src/builder.js", "+++ b/src/builder.js\n@@ -0,0 +1 @@\n+x\n"));
	assert_null(da_review_skip_reason("distance.js", NULL));
	assert_null(da_review_skip_reason("src/go.summary", NULL));
}

static struct da_review_prompt prompt_for(size_t nfiles, long lines_each, bool junk)
{
	char **paths = calloc(nfiles + 2, sizeof *paths);
	long *lines = calloc(nfiles + 2, sizeof *lines);
	struct da_review_prompt p;
	size_t n = 0;

	for (size_t i = 0; i < nfiles; i++, n++) {
		assert_true(asprintf(&paths[n], "src/mod%03zu.js", i) > 0);
		lines[n] = lines_each;
	}
	if (junk) {
		paths[n] = strdup("package-lock.json");
		lines[n++] = 3000;
		paths[n] = strdup("vendor/big.js");
		lines[n++] = 2000;
	}
	struct da_git_diff *d = synth_diff((const char *const *)paths, lines, n);

	assert_int_equal(da_review_build_prompt(d, NULL, "Issue #7: add sums", &p), 0);
	da_git_diff_free(d);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(lines);
	return p;
}

static bool omitted(const struct da_review_prompt *p, const char *path, const char *reason_part)
{
	for (size_t i = 0; i < p->nomitted; i++)
		if (!strcmp(p->omitted[i].path, path) && strstr(p->omitted[i].reason, reason_part))
			return true;
	return false;
}

static void a_5000_line_diff_costs_about_what_a_500_line_one_does(void **state)
{
	struct da_review_prompt small = prompt_for(5, 100, false);	/* 500 lines */
	struct da_review_prompt big = prompt_for(6, 500, true);	/* 3,000 + 5,000 junk */
	struct da_review_prompt huge = prompt_for(10, 500, false);	/* 5,000 lines */
	double ratio = (double)huge.len / (double)small.len;

	fprintf(stderr, "prompt bytes: 500 lines %zu, 5000 lines %zu (ratio %.2f), 8000 with junk %zu\n",
		small.len, huge.len, ratio, big.len);
	assert_int_equal(small.diff_lines, 5 * 101);	/* hunk header + lines, all shown */
	assert_int_equal(small.nomitted, 0);
	assert_true(huge.diff_lines <= DA_REVIEW_TOTAL_LINES);
	assert_true(big.diff_lines <= DA_REVIEW_TOTAL_LINES);
	assert_true(huge.diff_bytes <= DA_REVIEW_TOTAL_BYTES);
	assert_true(huge.len < (size_t)DA_REVIEW_TOTAL_BYTES + 16 * 1024);
	assert_true(ratio < 2.0);
	/* cut files and files left out are named, in the struct and the text */
	assert_true(omitted(&huge, "src/mod000.js", "first 400 of 501"));
	assert_true(omitted(&huge, "src/mod009.js", "total budget"));
	assert_true(omitted(&big, "package-lock.json", "lock file"));
	assert_true(omitted(&big, "vendor/big.js", "vendored"));
	assert_non_null(strstr(big.text, "`package-lock.json`: lock file"));
	assert_non_null(strstr(huge.text, "`src/mod009.js`: over the prompt's total budget"));
	assert_non_null(strstr(huge.text, "Issue #7: add sums"));
	assert_null(strstr(big.text, "value_2999"));	/* the lock file's body is not there */
	da_review_prompt_clear(&small);
	da_review_prompt_clear(&big);
	da_review_prompt_clear(&huge);
}

static void thousands_of_files_keep_the_omitted_list_bounded(void **state)
{
	struct da_review_prompt p = prompt_for(3000, 2, false);

	assert_true(p.len < (size_t)DA_REVIEW_TOTAL_BYTES + 16 * 1024);
	assert_true(p.nomitted > 2000);
	assert_non_null(strstr(p.text, "more files"));
	da_review_prompt_clear(&p);
}

static void prompt_numbers_lines_and_demands_json(void **state)
{
	struct da_review_prompt p = prompt_for(1, 3, false);

	assert_non_null(strstr(p.text, "     2 +const value_2 = compute(2);"));
	assert_non_null(strstr(p.text, "\"verdict\""));
	assert_non_null(strstr(p.text, "REQUEST_CHANGES"));
	assert_non_null(strstr(p.text, "```json"));
	da_review_prompt_clear(&p);
}

static void reminder_names_what_was_wrong(void **state)
{
	char *s = da_review_reminder("unknown verdict \"LGTM\"");

	assert_non_null(strstr(s, "unknown verdict \"LGTM\""));
	assert_non_null(strstr(s, "ONLY the JSON object"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_plain_object),
		cmocka_unit_test(parse_fenced_object_inside_prose),
		cmocka_unit_test(parse_takes_the_last_answer_not_the_quoted_format),
		cmocka_unit_test(parse_refuses_malformed_answers),
		cmocka_unit_test(request_changes_without_findings_is_fine),
		cmocka_unit_test(approve_with_a_critical_finding_requests_changes),
		cmocka_unit_test(approve_with_major_and_minor_stays_approved),
		cmocka_unit_test(findings_off_the_diff_are_kept_but_not_inline),
		cmocka_unit_test(lock_generated_and_vendored_files_are_skipped_by_rule),
		cmocka_unit_test(a_5000_line_diff_costs_about_what_a_500_line_one_does),
		cmocka_unit_test(thousands_of_files_keep_the_omitted_list_bounded),
		cmocka_unit_test(prompt_numbers_lines_and_demands_json),
		cmocka_unit_test(reminder_names_what_was_wrong),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
