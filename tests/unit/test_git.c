/* Unit tests for the git layer against real bare repositories. */
#include "gitfix.h"

#include "err.h"
#include "fsutil.h"
#include "git.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void task_branch_names_are_slugged(void **state)
{
	char *name = NULL;

	(void)state;
	assert_int_equal(da_git_task_branch_name(42, "Add Dark-mode: to the UI!", &name), 0);
	assert_string_equal(name, "dev-agents/42-add-dark-mode-to-the-ui");
	free(name);
	assert_int_equal(da_git_task_branch_name(7, "  ***  ", &name), 0);
	assert_string_equal(name, "dev-agents/7-task");
	free(name);
	assert_int_equal(da_git_task_branch_name(
				 3, "a very long title that keeps going on and on past the limit", &name),
			 0);
	assert_true(strlen(name) <= strlen("dev-agents/3-") + 40);
	assert_true(name[strlen(name) - 1] != '-');
	free(name);
	assert_int_equal(da_git_task_branch_name(0, "x", &name), DA_EUSAGE);
}

static void clone_branch_commit_push_reaches_the_bare_repo(void **state)
{
	struct fx f;
	char oid[DA_GIT_OID_HEXSZ], *cur = NULL, *out, *url = NULL;
	bool committed = false;

	(void)state;
	fx_setup(&f, "dev-agents/7-add-thing");
	assert_int_equal(da_git_current_branch(f.g, &cur), 0);
	assert_string_equal(cur, "dev-agents/7-add-thing");
	free(cur);
	assert_int_equal(da_git_origin_url(f.g, &url), 0);
	assert_string_equal(url, f.origin);
	free(url);
	wfile(&f, "thing.c", "int thing;\n");
	assert_int_equal(da_git_commit_all(f.g, "feat: add thing (#7)", &bot, oid, &committed), 0);
	assert_true(committed);
	assert_int_equal(strlen(oid), 40);
	assert_int_equal(da_git_push(f.g, "dev-agents/7-add-thing", false, NULL), 0);
	out = fx_out(FX_GIT " -C %s log --format='%%H %%s %%an' dev-agents/7-add-thing", f.origin);
	assert_true(strncmp(out, oid, 40) == 0);
	assert_non_null(strstr(out, " feat: add thing (#7) dev-agents\n"));
	free(out);
	/* the bare repo's own HEAD still names main */
	struct da_git *bare = NULL;
	char *def = NULL;

	assert_int_equal(da_git_open(f.origin, &bare), 0);
	assert_true(da_git_is_bare(bare));
	assert_int_equal(da_git_default_branch(bare, NULL, &def), 0);
	assert_string_equal(def, "main");
	free(def);
	assert_int_equal(da_git_remote_default_branch(f.origin, NULL, &def), 0);
	assert_string_equal(def, "main");
	free(def);
	da_git_free(bare);
	fx_teardown(&f);
}

static void nothing_to_commit_is_not_an_error(void **state)
{
	struct fx f;
	char oid[DA_GIT_OID_HEXSZ] = "x";
	bool committed = true, dirty = true;

	(void)state;
	fx_setup(&f, "dev-agents/1-x");
	/* an ignored file is not a change */
	wfile(&f, "debug.log", "noise\n");
	assert_int_equal(da_git_is_dirty(f.g, &dirty), 0);
	assert_false(dirty);
	assert_int_equal(da_git_commit_all(f.g, "nothing", &bot, oid, &committed), 0);
	assert_false(committed);
	assert_string_equal(oid, "");
	char *n = fx_out(FX_GIT " -C %s rev-list --count HEAD", f.work);

	assert_string_equal(n, "1");
	free(n);
	fx_teardown(&f);
}

static void salvage_commits_untracked_files_and_removals(void **state)
{
	struct fx f;
	char path[700], *text = NULL, *subj;
	bool dirty = false, salvaged = false;

	(void)state;
	fx_setup(&f, "dev-agents/2-y");
	fx_sh("mkdir -p %s/src/deep", f.work);
	wfile(&f, "src/deep/new.c", "new work\n");
	snprintf(path, sizeof path, "%s/README", f.work);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(da_git_is_dirty(f.g, &dirty), 0);
	assert_true(dirty);
	assert_int_equal(da_git_salvage(f.g, "implement", NULL, &salvaged), 0);
	assert_true(salvaged);
	assert_int_equal(da_git_is_dirty(f.g, &dirty), 0);
	assert_false(dirty);
	subj = fx_out(FX_GIT " -C %s log -1 --format='%%s|%%an <%%ae>' dev-agents/2-y", f.work);
	assert_string_equal(subj, "salvage: uncommitted work at implement|dev-agents <dev-agents@localhost>");
	free(subj);
	assert_int_equal(da_git_read_file(f.g, "HEAD", "src/deep/new.c", 1000, &text, NULL), 0);
	assert_string_equal(text, "new work\n");
	free(text);
	assert_int_equal(da_git_read_file(f.g, "HEAD", "README", 1000, &text, NULL), 0);
	assert_null(text);
	/* the file is still on disk: salvage never touches the working tree */
	snprintf(path, sizeof path, "%s/src/deep/new.c", f.work);
	assert_true(access(path, F_OK) == 0);
	/* a second salvage with nothing new commits nothing */
	assert_int_equal(da_git_salvage(f.g, "qa", NULL, &salvaged), 0);
	assert_false(salvaged);
	fx_teardown(&f);
}

static void same_tree_compares_files_not_history(void **state)
{
	struct fx f;
	bool same = false;

	(void)state;
	fx_setup(&f, "dev-agents/4-t");
	assert_int_equal(da_git_same_tree(f.g, "HEAD", "origin/main", &same), 0);
	assert_true(same);
	wfile(&f, "b.txt", "new\n");
	commit(&f, "add b");
	assert_int_equal(da_git_same_tree(f.g, "HEAD", "origin/main", &same), 0);
	assert_false(same);
	/* two commits that cancel out: a history, but nothing to deliver */
	fx_sh("rm %s/b.txt", f.work);
	commit(&f, "drop b");
	assert_int_equal(da_git_same_tree(f.g, "HEAD", "origin/main", &same), 0);
	assert_true(same);
	assert_true(da_git_same_tree(f.g, "HEAD", "no-such-branch", &same) < 0);
	fx_teardown(&f);
}

static void diff_gives_stats_hunks_and_added_lines(void **state)
{
	struct fx f;
	struct da_git_diff *d = NULL;
	const struct da_git_file_diff *a, *b, *r;
	struct da_git_commit_info *log = NULL;
	char path[700], base[DA_GIT_OID_HEXSZ], mb[DA_GIT_OID_HEXSZ];
	size_t n = 0;

	(void)state;
	fx_setup(&f, "dev-agents/3-z");
	snprintf(path, sizeof path, "%s/a.txt", f.work);
	fx_lines(path, 30, 5, "changed five");
	fx_sh("sed -i 's/^line 25$/changed 25/' %s", path);
	wfile(&f, "b.txt", "one\ntwo\nthree\n");
	commit(&f, "first change");
	snprintf(path, sizeof path, "%s/README", f.work);
	assert_int_equal(unlink(path), 0);
	commit(&f, "second change\n\nwith a body");

	assert_int_equal(da_git_diff(f.g, "origin/main", "HEAD", &d), 0);
	assert_int_equal(d->nfiles, 3);
	assert_int_equal(d->additions, 2 + 3);
	assert_int_equal(d->deletions, 2 + 1);
	a = da_git_diff_file(d, "a.txt");
	b = da_git_diff_file(d, "b.txt");
	r = da_git_diff_file(d, "README");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(r);
	assert_int_equal(a->status, 'M');
	assert_int_equal(b->status, 'A');
	assert_int_equal(r->status, 'D');
	assert_int_equal(a->additions, 2);
	assert_int_equal(a->deletions, 2);
	assert_int_equal(a->nadded, 2);
	assert_int_equal(a->added[0].start, 5);
	assert_int_equal(a->added[0].end, 5);
	assert_int_equal(a->added[1].start, 25);
	assert_int_equal(a->nhunks, 2);
	assert_int_equal(a->hunks[0].start, 2);
	assert_int_equal(a->hunks[0].end, 8);
	assert_int_equal(a->hunks[1].start, 22);
	assert_int_equal(a->hunks[1].end, 28);
	assert_non_null(strstr(a->patch, "+changed five\n"));
	assert_non_null(strstr(a->patch, "-line 5\n"));
	assert_int_equal(b->nadded, 1);
	assert_int_equal(b->added[0].start, 1);
	assert_int_equal(b->added[0].end, 3);
	assert_int_equal(r->nhunks, 0);
	assert_true(da_git_diff_has_line(d, "a.txt", 2));
	assert_true(da_git_diff_has_line(d, "a.txt", 25));
	assert_false(da_git_diff_has_line(d, "a.txt", 1));
	assert_false(da_git_diff_has_line(d, "a.txt", 15));
	assert_false(da_git_diff_has_line(d, "nope.txt", 1));
	assert_int_equal(da_git_resolve(f.g, "origin/main", base), 0);
	assert_string_equal(d->base_oid, base);
	assert_int_equal(da_git_merge_base(f.g, "HEAD", "origin/main", mb), 0);
	assert_string_equal(mb, base);
	da_git_diff_free(d);

	assert_int_equal(da_git_log(f.g, "origin/main", "HEAD", &log, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(log[0].subject, "first change");
	assert_string_equal(log[1].subject, "second change");
	assert_string_equal(log[1].author, "dev-agents <dev-agents@localhost>");
	da_git_log_free(log, n);
	fx_teardown(&f);
}

static void clone_of_a_missing_remote_fails_with_context(void **state)
{
	char *tmp = unit_tmpdir();
	char dir[600], missing[600];
	struct da_git *g = (struct da_git *)1;

	(void)state;
	snprintf(dir, sizeof dir, "%s/w", tmp);
	snprintf(missing, sizeof missing, "%s/nope.git", tmp);
	assert_int_equal(da_git_clone(missing, dir, NULL, NULL, &g), DA_ERUNTIME);
	assert_null(g);
	assert_non_null(strstr(da_errmsg(), "clone"));
	assert_int_equal(da_git_open(tmp, &g), DA_ERUNTIME);
	assert_null(g);
	da_git_free(NULL);
	unit_rmtree(tmp);
}

/* Answer each request on one connection with 401, logging its
 * Authorization header (or "no-auth"), until the client hangs up. */
static void serve_401(int c, const char *log)
{
	static const char resp[] = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic "
				   "realm=\"fake\"\r\nContent-Length: 0\r\n\r\n";
	char req[8192];

	for (;;) {
		size_t used = 0;
		FILE *f;

		req[0] = '\0';
		while (used < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
			ssize_t r = read(c, req + used, sizeof req - 1 - used);

			if (r <= 0)
				return;
			used += (size_t)r;
			req[used] = '\0';
		}
		char *auth = strstr(req, "Authorization: ");

		f = fopen(log, "a");
		if (f) {
			fprintf(f, "%.*s\n", auth ? (int)strcspn(auth, "\r\n") : 7,
				auth ? auth : "no-auth");
			fclose(f);
		}
		if (write(c, resp, sizeof resp - 1) < 0)
			return;
	}
}

/* A loopback HTTP server that answers every request with 401 and writes
 * each Authorization header it gets to `log`. Returns its port. */
static int fake_http_401(const char *log, pid_t *pid)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof addr;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		alarm(60);	/* never outlive a broken test */
		for (int n = 0; n < 8; n++) {
			int c = accept(fd, NULL, NULL);

			if (c < 0)
				_exit(1);
			serve_401(c, log);
			close(c);
		}
		_exit(0);
	}
	close(fd);
	return ntohs(addr.sin_port);
}

static void https_token_goes_as_x_access_token_and_a_refusal_ends(void **state)
{
	char *tmp = unit_tmpdir();
	char log[600], dir[600], url[100], *seen, *expect;
	const struct da_git_creds creds = { "s3cret-token", NULL };
	struct da_git *g = NULL;
	pid_t pid;
	int port;

	(void)state;
	snprintf(log, sizeof log, "%s/auth.log", tmp);
	snprintf(dir, sizeof dir, "%s/w", tmp);
	port = fake_http_401(log, &pid);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/o/r.git", port);
	assert_int_equal(da_git_clone(url, dir, NULL, &creds, &g), DA_ERUNTIME);
	assert_null(g);
	assert_non_null(strstr(da_errmsg(), "token was refused"));
	assert_null(strstr(da_errmsg(), "s3cret"));
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	/* asked once without, once with the token; then gave up */
	seen = fx_out("cat %s", log);
	expect = fx_out("printf 'no-auth\\nAuthorization: Basic %%s' "
			"\"$(printf %%s x-access-token:s3cret-token | base64)\"");
	assert_string_equal(seen, expect);
	free(seen);
	free(expect);
	unit_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_branch_names_are_slugged),
		cmocka_unit_test(clone_branch_commit_push_reaches_the_bare_repo),
		cmocka_unit_test(nothing_to_commit_is_not_an_error),
		cmocka_unit_test(salvage_commits_untracked_files_and_removals),
		cmocka_unit_test(same_tree_compares_files_not_history),
		cmocka_unit_test(diff_gives_stats_hunks_and_added_lines),
		cmocka_unit_test(clone_of_a_missing_remote_fails_with_context),
		cmocka_unit_test(https_token_goes_as_x_access_token_and_a_refusal_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
