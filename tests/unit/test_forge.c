/* forge: the parsers fed with real recorded GitHub responses
 * (@octokit/fixtures) and GitHub's published examples (@octokit/openapi),
 * plus the pieces that need no server: sealing, kinds, argument checks. */
#include "unit.h"
#include "err.h"
#include "forge_impl.h"
#include "http.h"

#include <libgen.h>
#include <limits.h>
#include <sodium.h>

static char root[PATH_MAX];	/* the repository, found from our binary */
static json_t *examples;	/* components.examples of the OpenAPI description */

static json_t *load(const char *rel)
{
	char path[PATH_MAX + 200];
	json_error_t err;
	json_t *j;

	snprintf(path, sizeof path, "%s/tests/node_modules/%s", root, rel);
	j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	return j;
}

/* The recorded response of request i in a fixture scenario. */
static json_t *fixture(const char *scenario, size_t i)
{
	char rel[300];

	snprintf(rel, sizeof rel, "@octokit/fixtures/scenarios/api.github.com/%s/normalized-fixture.json",
		 scenario);
	json_t *all = load(rel), *resp = json_incref(json_object_get(json_array_get(all, i), "response"));

	json_decref(all);
	assert_non_null(resp);
	return resp;
}

static const json_t *example(const char *name)
{
	const json_t *v = json_object_get(json_object_get(examples, name), "value");

	assert_non_null(v);
	return v;
}

static int setup_all(void **state)
{
	ssize_t n = readlink("/proc/self/exe", root, sizeof root - 1);
	json_t *spec;

	if (n <= 0)
		return -1;
	root[n] = '\0';
	/* <root>/build/<flavour>/tests/test_forge */
	for (int up = 0; up < 4; up++)
		dirname(root);
	spec = load("@octokit/openapi/generated/api.github.com.json");
	examples = json_incref(json_object_get(json_object_get(spec, "components"), "examples"));
	json_decref(spec);
	(void)state;
	return examples ? 0 : -1;
}

static int teardown_all(void **state)
{
	json_decref(examples);
	(void)state;
	return 0;
}

static void recorded_issue_and_its_labels_parse(void **state)
{
	json_t *issue = fixture("add-labels-to-issue", 0), *labels = fixture("add-labels-to-issue", 1);
	struct da_forge_issue *i;
	struct da_forge_label *ls;
	size_t n;

	assert_int_equal(da_forge_parse_issue(issue, &i), 0);
	assert_int_equal(i->number, 1);
	assert_string_equal(i->title, "Issue without a label");
	assert_string_equal(i->state, "open");
	assert_int_equal(i->nlabels, 0);
	assert_false(i->is_pull_request);
	assert_int_equal(da_forge_parse_labels(labels, &ls, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ls[1].name, "bAr");
	assert_string_equal(ls[1].color, "ededed");
	assert_true(ls[1].id > 0);
	da_forge_labels_free(ls, n);
	da_forge_issue_free(i);
	json_decref(issue);
	json_decref(labels);
	(void)state;
}

static void recorded_label_list_and_creation_parse(void **state)
{
	json_t *list = fixture("labels", 0), *created = fixture("labels", 1), *one;
	struct da_forge_label *ls;
	size_t n;

	assert_int_equal(da_forge_parse_labels(list, &ls, &n), 0);
	assert_int_equal(n, 9);
	assert_string_equal(ls[0].name, "bug");
	assert_string_equal(ls[4].name, "good first issue");
	assert_string_equal(ls[8].color, "ffffff");
	da_forge_labels_free(ls, n);
	one = json_pack("[O]", created);
	assert_int_equal(da_forge_parse_labels(one, &ls, &n), 0);
	assert_string_equal(ls[0].name, "test-label");
	assert_string_equal(ls[0].color, "663399");
	da_forge_labels_free(ls, n);
	json_decref(one);
	json_decref(list);
	json_decref(created);
	(void)state;
}

static void recorded_pages_of_issues_parse_and_link_on(void **state)
{
	char rel[] = "@octokit/fixtures/scenarios/api.github.com/paginate-issues/normalized-fixture.json";
	json_t *all = load(rel), *page;
	size_t p, k, seen = 0;

	json_array_foreach(all, p, page) {
		json_t *issues = json_object_get(page, "response"), *is;
		const char *link = json_string_value(
			json_object_get(json_object_get(page, "headers"), "link"));
		char *next = link ? da_http_link_next(link) : NULL;

		json_array_foreach(issues, k, is) {
			struct da_forge_issue *i;

			assert_int_equal(da_forge_parse_issue(is, &i), 0);
			assert_int_equal(i->number, 13 - (long)seen);
			seen++;
			da_forge_issue_free(i);
		}
		/* every page but the last links to the next one */
		if (p + 1 < json_array_size(all)) {
			char *relpath;

			assert_non_null(next);
			relpath = da_http_relative("https://api.github.com", next);
			assert_string_equal(relpath, json_string_value(json_object_get(
							     json_array_get(all, p + 1), "path")));
			free(relpath);
		} else {
			assert_null(next);
		}
		free(next);
	}
	assert_int_equal(seen, 13);
	json_decref(all);
	(void)state;
}

static void recorded_repository_parses(void **state)
{
	json_t *j = fixture("get-repository", 0);
	struct da_forge_repo *r;

	assert_int_equal(da_forge_parse_repo(j, &r), 0);
	assert_string_equal(r->full_name, "octokit-fixture-org/hello-world");
	assert_string_equal(r->default_branch, "master");
	assert_string_equal(r->clone_url, "https://github.com/octokit-fixture-org/hello-world.git");
	da_forge_repo_free(r);
	json_decref(j);
	(void)state;
}

static void recorded_validation_error_names_the_reason(void **state)
{
	struct da_http_resp r = { .status = 422, .json = fixture("errors", 0) };

	assert_int_equal(da_forge_rest_fail(&r, "create label"), DA_ERUNTIME);
	assert_string_equal(da_errmsg(), "create label: HTTP 422: Validation Failed: invalid");
	json_decref(r.json);
	(void)state;
}

static void a_directory_listing_is_not_a_file(void **state)
{
	json_t *dir = fixture("get-content", 0);
	struct da_forge_file *f;

	assert_true(json_is_array(dir));
	assert_int_equal(da_forge_parse_file(dir, &f), DA_ERUNTIME);
	assert_null(f);
	json_decref(dir);
	(void)state;
}

static void published_pull_request_example_parses(void **state)
{
	struct da_forge_pr *pr;

	assert_int_equal(da_forge_parse_pr(example("pull-request"), &pr), 0);
	assert_int_equal(pr->number, 1347);
	assert_string_equal(pr->head, "new-topic");
	assert_string_equal(pr->base, "master");
	assert_string_equal(pr->head_sha, "6dcb09b5b57875f334f61aebed695e2e4193db5e");
	assert_string_equal(pr->node_id, "MDExOlB1bGxSZXF1ZXN0MQ==");
	assert_false(pr->draft);
	assert_false(pr->merged);
	assert_string_equal(pr->html_url, "https://github.com/octocat/Hello-World/pull/1347");
	da_forge_pr_free(pr);
	(void)state;
}

static void published_issue_repo_key_examples_parse(void **state)
{
	struct da_forge_issue *i;
	struct da_forge_repo *r;
	struct da_forge_pubkey *k;
	struct da_forge_file *f;

	assert_int_equal(da_forge_parse_issue(example("issue"), &i), 0);
	assert_int_equal(i->number, 1347);
	assert_string_equal(i->labels[0], "bug");
	assert_null(i->labels[1]);
	assert_true(i->is_pull_request);
	da_forge_issue_free(i);
	assert_int_equal(da_forge_parse_repo(example("full-repository"), &r), 0);
	assert_string_equal(r->default_branch, "master");
	da_forge_repo_free(r);
	assert_int_equal(da_forge_parse_pubkey(example("actions-public-key"), &k), 0);
	assert_string_equal(k->key_id, "012345678912345678");
	da_forge_pubkey_free(k);
	/* the example's content is prose, not base64: refused, not garbled */
	assert_int_equal(da_forge_parse_file(example("content-file"), &f), DA_ERUNTIME);
	(void)state;
}

static void published_comment_example_parses(void **state)
{
	json_t *list = json_pack("[O]", example("issue-comment"));
	struct da_forge_comment *c;
	size_t n;

	assert_int_equal(da_forge_parse_comments(list, &c, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].body, "Me too");
	assert_string_equal(c[0].user, "octocat");
	assert_string_equal(c[0].html_url,
			    "https://github.com/octocat/Hello-World/issues/1347#issuecomment-1");
	da_forge_comments_free(c, n);
	json_decref(list);
	(void)state;
}

static void contents_base64_with_newlines_decodes(void **state)
{
	json_t *j = json_pack("{s:s,s:s,s:s}", "sha", "abc", "encoding", "base64", "content",
			      "b246IGlz\nc3Vlcwo=\n");
	struct da_forge_file *f;
	char *b64;

	assert_int_equal(da_forge_parse_file(j, &f), 0);
	assert_string_equal(f->content, "on: issues\n");
	assert_int_equal(f->len, 11);
	b64 = da_forge_b64encode(f->content, f->len);
	assert_string_equal(b64, "b246IGlzc3Vlcwo=");
	free(b64);
	da_forge_file_free(f);
	json_decref(j);
	(void)state;
}

static void a_sealed_secret_opens_with_the_key_pair(void **state)
{
	unsigned char pk[32], sk[32], box[256], plain[64] = { 0 };
	char pk64[64], *sealed;
	size_t blen;

	assert_true(sodium_init() >= 0);
	crypto_box_keypair(pk, sk);
	sodium_bin2base64(pk64, sizeof pk64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(da_forge_seal_secret(pk64, "github_pat_123", &sealed), 0);
	assert_int_equal(sodium_base642bin(box, sizeof box, sealed, strlen(sealed), NULL, &blen,
					   NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(crypto_box_seal_open(plain, box, blen, pk, sk), 0);
	assert_string_equal((char *)plain, "github_pat_123");
	free(sealed);
	assert_int_equal(da_forge_seal_secret("c2hvcnQ=", "x", &sealed), DA_ERUNTIME);
	assert_null(sealed);
	(void)state;
}

static void kinds_and_repo_names_are_checked_at_open(void **state)
{
	enum da_forge_kind k;
	struct da_forge *f;
	struct da_forge_opts o = { .kind = DA_FORGE_GITHUB, .repo = "noslash" };

	assert_int_equal(da_forge_kind_parse("gitea", &k), 0);
	assert_int_equal(k, DA_FORGE_GITEA);
	assert_int_equal(da_forge_kind_parse("gitlab", &k), DA_EUSAGE);
	assert_string_equal(da_forge_kind_name(DA_FORGE_LOCAL), "local");
	assert_int_equal(da_forge_open(&o, &f), DA_EUSAGE);
	o.repo = "a/b/c";
	assert_int_equal(da_forge_open(&o, &f), DA_EUSAGE);
	assert_null(f);
	da_forge_free(NULL);
	(void)state;
}

static void reviewer_token_falls_back_to_the_writer(void **state)
{
	setenv("DA_GITHUB_TOKEN", "", 1);
	setenv("GH_TOKEN", "gh-writer", 1);
	unsetenv("DA_REVIEW_TOKEN");
	assert_string_equal(da_forge_env_token(DA_FORGE_WRITER), "gh-writer");
	assert_string_equal(da_forge_env_token(DA_FORGE_REVIEWER), "gh-writer");
	setenv("DA_REVIEW_TOKEN", "reviewer", 1);
	assert_string_equal(da_forge_env_token(DA_FORGE_REVIEWER), "reviewer");
	unsetenv("GH_TOKEN");
	unsetenv("DA_REVIEW_TOKEN");
	unsetenv("DA_GITHUB_TOKEN");
	/* every name read above is on the deny list for children */
	size_t n = 0;

	while (da_forge_token_vars[n])
		n++;
	assert_int_equal(n, 4);
	assert_string_equal(da_forge_token_vars[3], "DA_REVIEW_TOKEN");
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_issue_and_its_labels_parse),
		cmocka_unit_test(recorded_label_list_and_creation_parse),
		cmocka_unit_test(recorded_pages_of_issues_parse_and_link_on),
		cmocka_unit_test(recorded_repository_parses),
		cmocka_unit_test(recorded_validation_error_names_the_reason),
		cmocka_unit_test(a_directory_listing_is_not_a_file),
		cmocka_unit_test(published_pull_request_example_parses),
		cmocka_unit_test(published_issue_repo_key_examples_parse),
		cmocka_unit_test(published_comment_example_parses),
		cmocka_unit_test(contents_base64_with_newlines_decodes),
		cmocka_unit_test(a_sealed_secret_opens_with_the_key_pair),
		cmocka_unit_test(kinds_and_repo_names_are_checked_at_open),
		cmocka_unit_test(reviewer_token_falls_back_to_the_writer),
	};

	return cmocka_run_group_tests_name("forge", tests, setup_all, teardown_all);
}
