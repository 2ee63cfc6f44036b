/* http: the header logic that decides retries, waits and pages. The
 * network behaviour is in tests/bats/forge.bats against the fake forge. */
#include "unit.h"
#include "http.h"

static void link_next_is_found_among_other_rels(void **state)
{
	char *u = da_http_link_next(
		"<https://api.github.com/repositories/1000/issues?per_page=3&page=2>; rel=\"next\", "
		"<https://api.github.com/repositories/1000/issues?per_page=3&page=5>; rel=\"last\"");

	assert_string_equal(u, "https://api.github.com/repositories/1000/issues?per_page=3&page=2");
	free(u);
	u = da_http_link_next("<https://x/a?page=1>; rel=\"prev\", <https://x/a?page=3>; rel=\"next\"");
	assert_string_equal(u, "https://x/a?page=3");
	free(u);
	(void)state;
}

static void link_without_next_is_the_last_page(void **state)
{
	assert_null(da_http_link_next("<https://x/a?page=1>; rel=\"first\", <https://x/a?page=2>; rel=\"prev\""));
	assert_null(da_http_link_next(""));
	assert_null(da_http_link_next("garbage"));
	/* "nextish" is not "next" */
	assert_null(da_http_link_next("<https://x/a>; rel=\"nextish\""));
	(void)state;
}

static void retry_after_sets_the_wait(void **state)
{
	assert_int_equal(da_http_ratelimit_wait(403, "30", NULL, NULL, 1000), 30);
	assert_int_equal(da_http_ratelimit_wait(429, "2", "5", "99999", 1000), 2);
	(void)state;
}

static void primary_limit_waits_until_reset(void **state)
{
	assert_int_equal(da_http_ratelimit_wait(403, NULL, "0", "1600", 1000), 600);
	/* a reset already past: go now */
	assert_int_equal(da_http_ratelimit_wait(403, NULL, "0", "900", 1000), 0);
	/* remaining > 0: a plain permission 403, not a limit */
	assert_int_equal(da_http_ratelimit_wait(403, NULL, "12", "1600", 1000), -1);
	(void)state;
}

static void bare_403_is_not_a_limit_but_bare_429_is(void **state)
{
	assert_int_equal(da_http_ratelimit_wait(403, NULL, NULL, NULL, 1000), -1);
	assert_int_equal(da_http_ratelimit_wait(429, NULL, NULL, NULL, 1000), 60);
	assert_int_equal(da_http_ratelimit_wait(200, "5", "0", "2000", 1000), -1);
	assert_int_equal(da_http_ratelimit_wait(500, "5", NULL, NULL, 1000), -1);
	(void)state;
}

static void next_pages_stay_on_the_api_origin(void **state)
{
	char *r = da_http_relative("https://api.github.com",
				   "https://api.github.com/repositories/1000/issues?page=2");

	assert_string_equal(r, "/repositories/1000/issues?page=2");
	free(r);
	r = da_http_relative("https://gitea.example/api/v1",
			     "https://gitea.example/api/v1/repos/o/r/labels?page=2");
	assert_string_equal(r, "/repos/o/r/labels?page=2");
	free(r);
	/* the token must never be sent to another host */
	assert_null(da_http_relative("https://api.github.com", "https://api.github.com.evil.test/x"));
	assert_null(da_http_relative("https://api.github.com", "https://evil.test/x"));
	assert_null(da_http_relative("https://gitea.example/api/v1", "https://gitea.example/other"));
	(void)state;
}

static void a_refused_origin_is_an_error_without_a_request(void **state)
{
	struct da_http_opts o = { .base_url = "http://127.0.0.1:9", .auth = "Bearer t" };
	struct da_http *h;
	struct da_http_resp r;

	assert_int_equal(da_http_new(&o, &h), 0);
	assert_int_equal(da_http_request(h, "GET", "http://127.0.0.2:9/x", NULL, &r), -1);
	da_http_free(h);
	da_http_free(NULL);
	da_http_resp_clear(NULL);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(link_next_is_found_among_other_rels),
		cmocka_unit_test(link_without_next_is_the_last_page),
		cmocka_unit_test(retry_after_sets_the_wait),
		cmocka_unit_test(primary_limit_waits_until_reset),
		cmocka_unit_test(bare_403_is_not_a_limit_but_bare_429_is),
		cmocka_unit_test(next_pages_stay_on_the_api_origin),
		cmocka_unit_test(a_refused_origin_is_an_error_without_a_request),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
