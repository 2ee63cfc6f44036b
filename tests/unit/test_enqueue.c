/* Unit tests for the enqueue side: validation, names, dedup, events. */
#include "unit.h"

#include "enqueue.h"
#include "err.h"
#include "event.h"
#include "fsutil.h"
#include "paths.h"
#include "queue.h"
#include "task.h"
#include "yamlutil.h"

#include <sys/stat.h>

#define NOW 1773396000	/* 2026-03-13T10:00:00Z */

static struct da_enqueue_req base_req(void)
{
	struct da_enqueue_req r = { 0 };

	r.project = "app";
	r.issue = 12;
	r.title = "Add dark mode";
	r.now = NOW;
	return r;
}

static int setup(void **state)
{
	*state = unit_tmpdir();
	da_paths_reset();
	return 0;
}

static int teardown(void **state)
{
	unit_rmtree(*state);
	da_paths_reset();
	return 0;
}

static size_t count_tasks(enum da_state s, const char *project)
{
	char **names;
	size_t n;

	assert_int_equal(da_list_tasks(s, project, &names, &n), 0);
	da_strlist_free(names);
	return n;
}

static void issue_numbers_are_positive_decimals(void **state)
{
	long v = 0;

	(void)state;
	assert_int_equal(da_parse_issue("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(da_parse_issue("4x", &v), DA_EUSAGE);
	assert_string_equal(da_errmsg(), "issue number \"4x\" is not a number");
	assert_int_equal(da_parse_issue("-3", &v), DA_EUSAGE);
	assert_int_equal(da_parse_issue("", &v), DA_EUSAGE);
	assert_int_equal(da_parse_issue("0", &v), DA_EUSAGE);
	assert_int_equal(da_parse_issue(" 1", &v), DA_EUSAGE);
	assert_int_equal(da_parse_issue("99999999999999999999", &v), DA_EUSAGE);
}

static void labels_split_on_commas_and_trim(void **state)
{
	char **l;
	size_t n;

	(void)state;
	assert_int_equal(da_split_labels(" bug, ui ,,x", &l, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(l[0], "bug");
	assert_string_equal(l[1], "ui");
	assert_string_equal(l[2], "x");
	assert_null(l[3]);
	da_strlist_free(l);
}

static void repo_must_be_owner_slash_name(void **state)
{
	(void)state;
	assert_int_equal(da_check_repo("org/app.js"), 0);
	assert_int_equal(da_check_repo("org"), DA_EUSAGE);
	assert_int_equal(da_check_repo("org/a/b"), DA_EUSAGE);
	assert_int_equal(da_check_repo("/app"), DA_EUSAGE);
	assert_int_equal(da_check_repo("org/.."), DA_EUSAGE);
	assert_int_equal(da_check_repo("o rg/app"), DA_EUSAGE);
}

static void slug_is_lowercase_ascii_and_bounded(void **state)
{
	char buf[DA_SLUG_MAX + 1];

	(void)state;
	da_title_slug("Fix: the Auth/Login  bug!", buf, sizeof buf);
	assert_string_equal(buf, "fix-the-auth-login-bug");
	da_title_slug("日本語", buf, sizeof buf);
	assert_string_equal(buf, "task");
	da_title_slug("a very long title that goes on and on and on beyond any reasonable length", buf, sizeof buf);
	assert_true(strlen(buf) <= DA_SLUG_MAX);
	assert_true(buf[strlen(buf) - 1] != '-');
}

static void bad_requests_are_usage_errors_and_write_nothing(void **state)
{
	static char big[DA_BODY_MAX_BYTES + 2];
	char *const labels[] = { "ok", "" };
	struct da_enqueue_result res;
	struct da_enqueue_req r;
	char root[600];

	memset(big, 'a', sizeof big - 1);
#define BAD(field_change)                                                 \
	do {                                                              \
		r = base_req();                                           \
		field_change;                                             \
		assert_int_equal(da_enqueue(&r, &res), DA_EUSAGE);        \
	} while (0)
	BAD(r.project = NULL);
	BAD(r.project = "");
	BAD(r.project = "../x");
	BAD(r.project = "a/b");
	BAD(r.project = ".hidden");
	BAD(r.project = "a\nb");
	BAD(r.issue = 0);
	BAD(r.issue = -3);
	BAD(r.title = "");
	BAD(r.title = NULL);
	BAD(r.title = "bad \xff utf8");
	BAD(r.title = "two\nlines");
	BAD((r.body = "body \xc3\x28", r.body_len = 7));
	BAD((r.body = "nul\0inside", r.body_len = 10));
	BAD((r.body = big, r.body_len = sizeof big - 1));
	BAD(r.repo = "nope");
	BAD(r.type = "chore");
	BAD(r.priority = 4);
	BAD((r.labels = labels, r.n_labels = 2));
#undef BAD
	snprintf(root, sizeof root, "%s/queue", (char *)*state);
	assert_false(da_path_exists(root));
}

static void enqueue_creates_then_reports_duplicate(void **state)
{
	struct da_enqueue_req r = base_req();
	struct da_enqueue_result res;
	struct da_task *t;

	(void)state;
	r.repo = "org/app";
	assert_int_equal(da_enqueue(&r, &res), 0);
	assert_false(res.duplicate);
	assert_string_equal(res.id, "org/app#12");
	assert_string_equal(res.name, "3-20260313T100000Z-12-add-dark-mode.yaml");
	assert_int_equal(da_task_read(res.path, &t), 0);
	assert_string_equal(t->id, "org/app#12");
	assert_string_equal(t->type, "feature");
	assert_int_equal(t->n_history, 1);
	da_task_free(t);
	r.title = "Another title, same issue";
	assert_int_equal(da_enqueue(&r, &res), 0);
	assert_true(res.duplicate);
	assert_int_equal(res.state, DA_PENDING);
	assert_string_equal(res.name, "3-20260313T100000Z-12-add-dark-mode.yaml");
	assert_int_equal(count_tasks(DA_PENDING, "app"), 1);
}

static void same_second_same_title_gets_distinct_names(void **state)
{
	struct da_enqueue_req r = base_req();
	struct da_enqueue_result a, b, c;

	(void)state;
	assert_int_equal(da_enqueue(&r, &a), 0);
	r.issue = 13;
	assert_int_equal(da_enqueue(&r, &b), 0);
	assert_string_not_equal(a.name, b.name);
	/* the same name again only after the first left for completed/ */
	r.issue = 12;
	assert_int_equal(da_task_transition("app", a.name, DA_PENDING, DA_COMPLETED, "test", NULL, NULL), 0);
	assert_int_equal(da_enqueue(&r, &c), 0);
	assert_false(c.duplicate);
	assert_string_equal(c.name, "3-20260313T100000Z-12-add-dark-mode-2.yaml");
	assert_int_equal(count_tasks(DA_PENDING, "app"), 2);
	assert_int_equal(count_tasks(DA_COMPLETED, "app"), 1);
}

static void active_task_is_a_duplicate_failed_is_not(void **state)
{
	struct da_enqueue_req r = base_req();
	struct da_enqueue_result a, b;

	(void)state;
	assert_int_equal(da_enqueue(&r, &a), 0);
	assert_int_equal(da_task_transition("app", a.name, DA_PENDING, DA_ACTIVE, "test", NULL, NULL), 0);
	assert_int_equal(da_enqueue(&r, &b), 0);
	assert_true(b.duplicate);
	assert_int_equal(b.state, DA_ACTIVE);
	assert_int_equal(da_task_transition("app", a.name, DA_ACTIVE, DA_FAILED, "test", NULL, NULL), 0);
	assert_int_equal(da_enqueue(&r, &b), 0);
	assert_false(b.duplicate);
}

static void labels_type_and_priority_precedence(void **state)
{
	char *const bug[] = { "ui", "bug" };
	char *const hot[] = { "hotfix" };
	struct da_enqueue_req r = base_req();
	struct da_enqueue_result res;

	(void)state;
	r.labels = bug, r.n_labels = 2;
	assert_int_equal(da_enqueue(&r, &res), 0);
	assert_int_equal(res.name[0], '2');
	r = base_req(), r.issue = 2, r.labels = hot, r.n_labels = 1;
	assert_int_equal(da_enqueue(&r, &res), 0);
	assert_int_equal(res.name[0], '1');
	r = base_req(), r.issue = 3, r.labels = hot, r.n_labels = 1, r.type = "feature";
	assert_int_equal(da_enqueue(&r, &res), 0);
	assert_int_equal(res.name[0], '3');
	r = base_req(), r.issue = 4, r.type = "hotfix", r.priority = 2;
	assert_int_equal(da_enqueue(&r, &res), 0);
	assert_int_equal(res.name[0], '2');
}

static void config_maps_labels_to_types(void **state)
{
	char *const lbl[] = { "urgent" };
	struct da_enqueue_req r = base_req();
	struct da_enqueue_result res;
	char home[600];
	const char *cfg = "type_labels:\n  hotfix: [urgent]\n";

	snprintf(home, sizeof home, "%s/home", (char *)*state);
	assert_int_equal(da_mkdirs(home), 0);
	assert_int_equal(da_write_atomic(home, "config.yaml", cfg, strlen(cfg), 0, NULL), 0);
	r.labels = lbl, r.n_labels = 1;
	assert_int_equal(da_enqueue(&r, &res), 0);
	assert_int_equal(res.name[0], '1');
}

static void dispatch_event_becomes_a_request(void **state)
{
	const char *json = "{\"action\":\"dev-agents\",\"client_payload\":{\"repo\":\"org/app\",\"issue\":7,"
			   "\"title\":\"T\",\"body\":\"B\",\"labels\":[\"bug\",{\"name\":\"ui\"}]}}";
	struct da_event *e;

	(void)state;
	assert_int_equal(da_event_parse(json, strlen(json), &e), 0);
	assert_string_equal(e->req.project, "app");
	assert_string_equal(e->req.repo, "org/app");
	assert_int_equal(e->req.issue, 7);
	assert_int_equal(e->req.n_labels, 2);
	assert_string_equal(e->req.labels[1], "ui");
	assert_string_equal(e->req.source, "repository_dispatch");
	da_event_free(e);
}

static void unhandled_and_malformed_events_are_usage_errors(void **state)
{
	static const char *const bad[] = {
		"{\"action\":\"other\",\"client_payload\":{}}",
		"{\"action\":\"closed\",\"issue\":{\"number\":1,\"title\":\"t\"},\"repository\":{\"full_name\":\"o/r\"}}",
		"{\"action\":\"created\",\"issue\":{},\"comment\":{}}",
		"{\"zen\":\"ping\"}",
		"{\"action\":",
		"[1,2]",
		"{\"action\":\"dev-agents\",\"client_payload\":{\"repo\":\"o/r\",\"issue\":\"4x\",\"title\":\"t\"}}",
		"{\"action\":\"dev-agents\",\"client_payload\":{\"project\":\"../x\",\"issue\":1,\"title\":\"t\"}}",
	};
	struct da_event *e;
	struct da_enqueue_result res;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = da_event_parse(bad[i], strlen(bad[i]), &e);

		if (rc == 0) {	/* a bad project is caught by the enqueue's validation */
			rc = da_enqueue(&e->req, &res);
			da_event_free(e);
		}
		assert_int_equal(rc, DA_EUSAGE);
	}
}

static void project_comes_from_the_project_file_naming_the_repo(void **state)
{
	const char *json = "{\"action\":\"opened\",\"issue\":{\"number\":3,\"title\":\"T\",\"body\":null,"
			   "\"labels\":[{\"name\":\"bug\"}]},\"repository\":{\"full_name\":\"org/app\"}}";
	const char *proj = "repo: org/app\n";
	char dir[600];
	struct da_event *e;

	snprintf(dir, sizeof dir, "%s/home/projects", (char *)*state);
	assert_int_equal(da_mkdirs(dir), 0);
	assert_int_equal(da_write_atomic(dir, "myapp.yaml", proj, strlen(proj), 0, NULL), 0);
	assert_int_equal(da_event_parse(json, strlen(json), &e), 0);
	assert_string_equal(e->req.project, "myapp");
	assert_string_equal(e->req.source, "issues");
	assert_int_equal(e->req.body_len, 0);
	da_event_free(e);
	/* a second project naming the same repo makes the choice ambiguous */
	assert_int_equal(da_write_atomic(dir, "other.yaml", proj, strlen(proj), 0, NULL), 0);
	assert_int_equal(da_event_parse(json, strlen(json), &e), DA_EUSAGE);
	assert_null(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(issue_numbers_are_positive_decimals),
		cmocka_unit_test(labels_split_on_commas_and_trim),
		cmocka_unit_test(repo_must_be_owner_slash_name),
		cmocka_unit_test(slug_is_lowercase_ascii_and_bounded),
		cmocka_unit_test_setup_teardown(bad_requests_are_usage_errors_and_write_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(enqueue_creates_then_reports_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(same_second_same_title_gets_distinct_names, setup, teardown),
		cmocka_unit_test_setup_teardown(active_task_is_a_duplicate_failed_is_not, setup, teardown),
		cmocka_unit_test_setup_teardown(labels_type_and_priority_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(config_maps_labels_to_types, setup, teardown),
		cmocka_unit_test_setup_teardown(dispatch_event_becomes_a_request, setup, teardown),
		cmocka_unit_test_setup_teardown(unhandled_and_malformed_events_are_usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(project_comes_from_the_project_file_naming_the_repo, setup, teardown),
	};

	return cmocka_run_group_tests_name("enqueue", tests, NULL, NULL);
}
