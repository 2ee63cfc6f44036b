/* The offline `local` forge against a real bare repository made with the
 * git command line in a temp dir; the git CLI also checks the results
 * from the outside (what landed on the bare repo's main). */
#include "gitfix.h"
#include "err.h"
#include "forge.h"

#include <sys/wait.h>

struct lt {
	char *tmp;
	char bare[600];
	char state[600];
	char repo[700];		/* <state>/demo+app */
	struct da_forge *w;	/* writer */
	struct da_forge *r;	/* reviewer */
};

static struct da_forge *open_as(struct lt *t, enum da_forge_identity who)
{
	struct da_forge_opts o = {
		.kind = DA_FORGE_LOCAL, .identity = who, .repo = "demo/app",
		.remote = t->bare, .default_branch = "main", .state_dir = t->state,
	};
	struct da_forge *f = NULL;

	assert_int_equal(da_forge_open(&o, &f), 0);
	return f;
}

static int setup(void **state)
{
	struct lt *t = calloc(1, sizeof *t);

	t->tmp = unit_tmpdir();
	fx_make_origin(t->tmp);
	snprintf(t->bare, sizeof t->bare, "%s/origin.git", t->tmp);
	snprintf(t->state, sizeof t->state, "%s/forge", t->tmp);
	snprintf(t->repo, sizeof t->repo, "%s/demo+app", t->state);
	t->w = open_as(t, DA_FORGE_WRITER);
	t->r = open_as(t, DA_FORGE_REVIEWER);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct lt *t = *state;

	da_forge_free(t->w);
	da_forge_free(t->r);
	unit_rmtree(t->tmp);
	free(t);
	return 0;
}

/* An issue is a file: what the quick start and these tests write. */
static void write_issue(struct lt *t, long n, const char *title, const char *labels)
{
	char path[800];

	fx_sh("mkdir -p %s/issues", t->repo);
	snprintf(path, sizeof path, "%s/issues/%ld.yaml", t->repo, n);
	fx_write(path, "number: %ld\ntitle: %s\nbody: |\n  Line one.\n  Line two.\n"
		 "state: open\nlabels: [%s]\n", n, title, labels);
}

/* Push branch `name` to the bare repo: main plus line `line` of a.txt
 * changed to `text`. */
static void push_branch(struct lt *t, const char *name, int line, const char *text)
{
	char path[800];

	fx_sh("rm -rf %s/side && " FX_GIT " clone -q %s %s/side && cd %s/side && "
	      FX_GIT " checkout -qb %s", t->tmp, t->bare, t->tmp, t->tmp, name);
	snprintf(path, sizeof path, "%s/side/a.txt", t->tmp);
	fx_lines(path, 30, line, text);
	fx_sh("cd %s/side && " FX_GIT " commit -qam 'change %s' && " FX_GIT " push -q origin %s",
	      t->tmp, name, name);
}

static struct da_forge_pr *open_pr(struct lt *t, const char *head, bool draft)
{
	struct da_forge_pr_new in = { .title = "Add a thing", .body = "Closes #1",
				      .head = head, .base = "main", .draft = draft };
	struct da_forge_pr *pr = NULL;

	assert_int_equal(da_forge_create_pr(t->w, &in, &pr), 0);
	assert_non_null(pr);
	return pr;
}

static void repo_describes_the_bare_repo(void **state)
{
	struct lt *t = *state;
	struct da_forge_repo *r = NULL;

	assert_int_equal(da_forge_get_repo(t->w, &r), 0);
	assert_string_equal(r->full_name, "demo/app");
	assert_string_equal(r->default_branch, "main");
	assert_string_equal(r->clone_url, t->bare);
	da_forge_repo_free(r);
}

static void issue_file_reads_back_and_a_missing_one_is_null(void **state)
{
	struct lt *t = *state;
	struct da_forge_issue *i = NULL;

	write_issue(t, 1, "Fix the greeting", "bug, good first issue");
	assert_int_equal(da_forge_get_issue(t->w, 1, &i), 0);
	assert_non_null(i);
	assert_string_equal(i->title, "Fix the greeting");
	assert_string_equal(i->body, "Line one.\nLine two.\n");
	assert_string_equal(i->state, "open");
	assert_int_equal(i->nlabels, 2);
	assert_string_equal(i->labels[1], "good first issue");
	assert_false(i->is_pull_request);
	da_forge_issue_free(i);
	i = NULL;
	assert_int_equal(da_forge_get_issue(t->w, 7, &i), 0);
	assert_null(i);
}

/* The quick start's issue (workflows/sample/issue.yaml) is written into
 * the local forge as it is: keep the two formats one. The path comes from
 * this file's, relative to the repository root where the suite runs. */
static void the_shipped_sample_issue_is_a_local_forge_issue(void **state)
{
	struct lt *t = *state;
	struct da_forge_issue *i = NULL;
	char sample[600];
	const char *at = strstr(__FILE__, "tests/unit/");

	snprintf(sample, sizeof sample, "%.*sworkflows/sample/issue.yaml",
		 (int)(at ? at - __FILE__ : 0), __FILE__);
	fx_sh("mkdir -p %s/issues && cp %s %s/issues/1.yaml", t->repo, sample, t->repo);
	assert_int_equal(da_forge_get_issue(t->w, 1, &i), 0);
	assert_non_null(i);
	assert_string_equal(i->title, "Add a --shout option to greet.sh");
	assert_string_equal(i->state, "open");
	assert_int_equal(i->nlabels, 1);
	assert_string_equal(i->labels[0], "dev-agents");
	assert_non_null(strstr(i->body, "--shout"));
	da_forge_issue_free(i);
}

static void issue_file_with_another_number_or_no_title_is_an_error(void **state)
{
	struct lt *t = *state;
	struct da_forge_issue *i = NULL;
	char path[800];

	write_issue(t, 2, "x", "");
	fx_sh("mv %s/issues/2.yaml %s/issues/3.yaml", t->repo, t->repo);
	assert_int_equal(da_forge_get_issue(t->w, 3, &i), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "3.yaml"));
	assert_null(i);
	snprintf(path, sizeof path, "%s/issues/4.yaml", t->repo);
	fx_write(path, "number: 4\nbody: no title\n");
	assert_int_equal(da_forge_get_issue(t->w, 4, &i), DA_EUSAGE);
	assert_null(i);
}

static void comments_keep_order_and_identity(void **state)
{
	struct lt *t = *state;
	struct da_forge_comment *c = NULL;
	char *url = NULL;
	size_t n = 0;

	write_issue(t, 1, "x", "");
	assert_int_equal(da_forge_comment(t->w, 1, "first: with a colon\nand a line", &url), 0);
	assert_non_null(url);
	free(url);
	assert_int_equal(da_forge_comment(t->r, 1, "<!-- dev-agents:review --> second", NULL), 0);
	assert_int_equal(da_forge_list_comments(t->w, 1, &c, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].body, "first: with a colon\nand a line");
	assert_string_equal(c[0].user, "dev-agents");
	assert_string_equal(c[1].user, "dev-agents-review");
	assert_true(c[0].id != c[1].id);
	da_forge_comments_free(c, n);
	/* nothing to comment on */
	assert_int_equal(da_forge_comment(t->w, 9, "lost", NULL), DA_EUSAGE);
	assert_int_equal(da_forge_list_comments(t->w, 3, &c, &n), 0);
	assert_int_equal(n, 0);
}

static void labels_are_ensured_once_and_added_to_issues_and_prs(void **state)
{
	struct lt *t = *state;
	struct da_forge_label *l = NULL;
	struct da_forge_issue *i = NULL;
	struct da_forge_pr *pr;
	const char *names[] = { "pipeline-failed", "BUG" };
	bool created = false;
	size_t n = 0;

	write_issue(t, 1, "x", "bug");
	assert_int_equal(da_forge_ensure_label(t->w, "pipeline-failed", "#d73a4a", "gates", &created), 0);
	assert_true(created);
	assert_int_equal(da_forge_ensure_label(t->w, "Pipeline-Failed", NULL, NULL, &created), 0);
	assert_false(created);
	assert_int_equal(da_forge_list_labels(t->w, &l, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].color, "d73a4a");
	assert_string_equal(l[0].description, "gates");
	da_forge_labels_free(l, n);

	assert_int_equal(da_forge_add_labels(t->w, 1, names, 2), 0);
	assert_int_equal(da_forge_get_issue(t->w, 1, &i), 0);
	assert_int_equal(i->nlabels, 2);	/* "BUG" is "bug" */
	assert_string_equal(i->labels[1], "pipeline-failed");
	da_forge_issue_free(i);

	push_branch(t, "dev-agents/1-x", 3, "changed");
	pr = open_pr(t, "dev-agents/1-x", true);
	assert_int_equal(da_forge_add_labels(t->w, pr->number, names, 1), 0);
	assert_int_equal(da_forge_get_issue(t->w, pr->number, &i), 0);
	assert_true(i->is_pull_request);
	assert_int_equal(i->nlabels, 1);
	assert_string_equal(i->labels[0], "pipeline-failed");
	da_forge_issue_free(i);
	da_forge_pr_free(pr);
}

static void a_label_comes_off_and_removing_it_again_is_no_error(void **state)
{
	struct lt *t = *state;
	struct da_forge_issue *i = NULL;
	struct da_forge_pr *pr;
	const char *names[] = { "pipeline-failed", "bug" };

	write_issue(t, 1, "x", "bug");
	assert_int_equal(da_forge_ensure_label(t->w, "pipeline-failed", NULL, NULL, NULL), 0);
	assert_int_equal(da_forge_add_labels(t->w, 1, names, 1), 0);
	assert_int_equal(da_forge_remove_label(t->w, 1, "BUG"), 0);
	assert_int_equal(da_forge_get_issue(t->w, 1, &i), 0);
	assert_int_equal(i->nlabels, 1);
	assert_string_equal(i->labels[0], "pipeline-failed");
	assert_null(i->labels[1]);
	da_forge_issue_free(i);
	assert_int_equal(da_forge_remove_label(t->w, 1, "bug"), 0);

	push_branch(t, "dev-agents/1-x", 3, "changed");
	pr = open_pr(t, "dev-agents/1-x", true);
	assert_int_equal(da_forge_add_labels(t->w, pr->number, names, 2), 0);
	assert_int_equal(da_forge_remove_label(t->w, pr->number, "pipeline-failed"), 0);
	assert_int_equal(da_forge_remove_label(t->w, pr->number, "pipeline-failed"), 0);
	assert_int_equal(da_forge_get_issue(t->w, pr->number, &i), 0);
	assert_int_equal(i->nlabels, 1);
	assert_string_equal(i->labels[0], "bug");
	da_forge_issue_free(i);
	assert_int_equal(da_forge_remove_label(t->w, 99, "bug"), DA_EUSAGE);
	da_forge_pr_free(pr);
}

static void pr_numbers_follow_issues_and_create_is_idempotent(void **state)
{
	struct lt *t = *state;
	struct da_forge_pr *a, *b, *found = NULL;
	struct da_forge_pr_update close = { .state = "closed" };
	char *head;

	write_issue(t, 4, "x", "");
	push_branch(t, "dev-agents/4-x", 3, "changed");
	a = open_pr(t, "dev-agents/4-x", false);
	assert_int_equal(a->number, 5);
	assert_string_equal(a->state, "open");
	head = fx_out("git -C %s rev-parse dev-agents/4-x", t->bare);
	assert_string_equal(a->head_sha, head);
	free(head);
	b = open_pr(t, "dev-agents/4-x", false);
	assert_int_equal(b->number, 5);
	head = fx_out("ls %s/prs", t->repo);
	assert_string_equal(head, "5.yaml");	/* one record, not two */
	free(head);
	assert_int_equal(da_forge_find_pr(t->w, "dev-agents/4-x", &found), 0);
	assert_non_null(found);
	assert_int_equal(found->number, 5);
	da_forge_pr_free(found);
	assert_int_equal(da_forge_find_pr(t->w, "dev-agents/9-other", &found), 0);
	assert_null(found);

	assert_int_equal(da_forge_set_pr_draft(t->w, 5, true), 0);
	assert_int_equal(da_forge_find_pr(t->w, "dev-agents/4-x", &found), 0);
	assert_true(found->draft);
	da_forge_pr_free(found);
	assert_int_equal(da_forge_set_pr_draft(t->w, 5, false), 0);

	/* a closed PR is not found; a new one takes the next number */
	assert_int_equal(da_forge_update_pr(t->w, 5, &close), 0);
	assert_int_equal(da_forge_find_pr(t->w, "dev-agents/4-x", &found), 0);
	assert_null(found);
	da_forge_pr_free(a);
	a = open_pr(t, "dev-agents/4-x", false);
	assert_int_equal(a->number, 6);
	da_forge_pr_free(a);
	da_forge_pr_free(b);
}

static void pr_of_an_unpushed_branch_is_refused(void **state)
{
	struct lt *t = *state;
	struct da_forge_pr_new in = { .title = "t", .head = "never-pushed", .base = "main" };
	struct da_forge_pr *pr = NULL;

	assert_int_equal(da_forge_create_pr(t->w, &in, &pr), DA_EUSAGE);
	assert_null(pr);
	{
		char prs[800];

		snprintf(prs, sizeof prs, "%s/prs", t->repo);
		assert_int_equal(access(prs, F_OK), -1);
	}
}

static void review_accepts_lines_on_the_diff_and_refuses_others(void **state)
{
	struct lt *t = *state;
	struct da_forge_review_comment on = { "a.txt", 10, "why ten?" };
	struct da_forge_review_comment off = { "a.txt", 25, "far away" };
	struct da_forge_review_comment ghost = { "nope.c", 1, "no such file" };
	struct da_forge_review rv = { .verdict = DA_REVIEW_REQUEST_CHANGES, .body = "Needs work",
				      .comments = &on, .ncomments = 1 };
	struct da_forge_pr *pr;
	char *log;
	long id = 0;

	push_branch(t, "dev-agents/1-x", 10, "ten changed");
	pr = open_pr(t, "dev-agents/1-x", false);
	assert_int_equal(da_forge_create_review(t->r, pr->number, &rv, &id), 0);
	assert_int_equal(id, 1);
	log = fx_out("cat %s/reviews/%ld.log", t->repo, pr->number);
	assert_non_null(strstr(log, "user: dev-agents-review"));
	assert_non_null(strstr(log, "verdict: REQUEST_CHANGES"));
	assert_non_null(strstr(log, "path: a.txt"));
	assert_non_null(strstr(log, "line: 10"));
	assert_non_null(strstr(log, pr->head_sha));
	free(log);

	rv.comments = &off;
	assert_int_equal(da_forge_create_review(t->r, pr->number, &rv, &id), DA_ERUNTIME);
	assert_non_null(strstr(da_errmsg(), "a.txt:25"));
	rv.comments = &ghost;
	assert_int_equal(da_forge_create_review(t->r, pr->number, &rv, &id), DA_ERUNTIME);
	/* refused reviews leave nothing behind */
	log = fx_out("grep -c '^---' %s/reviews/%ld.log", t->repo, pr->number);
	assert_string_equal(log, "1");
	free(log);

	rv.verdict = DA_REVIEW_APPROVE;
	rv.ncomments = 0;
	rv.body = "ok <!-- marker -->";
	assert_int_equal(da_forge_create_review(t->r, pr->number, &rv, &id), 0);
	assert_int_equal(id, 2);

	/* listed back, oldest first, as a resumed step looks for its marker */
	struct da_forge_posted_review *list = NULL;
	size_t n = 0;

	assert_int_equal(da_forge_list_reviews(t->w, pr->number, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, 1);
	assert_string_equal(list[0].body, "Needs work");
	assert_string_equal(list[0].state, "REQUEST_CHANGES");
	assert_string_equal(list[1].body, "ok <!-- marker -->");
	assert_string_equal(list[1].user, "dev-agents-review");
	assert_string_equal(list[1].state, "APPROVE");
	assert_string_equal(list[1].commit_id, pr->head_sha);
	da_forge_posted_reviews_free(list, n);
	da_forge_pr_free(pr);
}

static void squash_merge_adds_one_commit_with_the_pr_tree(void **state)
{
	struct lt *t = *state;
	enum da_forge_merge_result res = DA_MERGE_CONFLICT;
	struct da_forge_pr *pr, *after = NULL;
	struct da_forge_issue *i = NULL;
	char *old_tip, *sha = NULL, *out;

	write_issue(t, 1, "x", "");
	old_tip = fx_out("git -C %s rev-parse main", t->bare);
	push_branch(t, "dev-agents/1-x", 10, "ten changed");
	/* two commits on the branch: the squash still makes one */
	fx_sh("cd %s/side && echo more > b.txt && " FX_GIT " add b.txt && " FX_GIT
	      " commit -qm second && " FX_GIT " push -q origin dev-agents/1-x", t->tmp);
	pr = open_pr(t, "dev-agents/1-x", false);
	assert_int_equal(da_forge_merge_pr(t->w, pr->number, NULL, "Closes #1", pr->head_sha,
					   &res, &sha), 0);
	assert_int_equal(res, DA_MERGE_MERGED);
	assert_non_null(sha);
	out = fx_out("git -C %s rev-parse main", t->bare);
	assert_string_equal(out, sha);
	free(out);
	out = fx_out("git -C %s rev-list --count %s..main", t->bare, old_tip);
	assert_string_equal(out, "1");
	free(out);
	out = fx_out("git -C %s rev-parse main^", t->bare);
	assert_string_equal(out, old_tip);
	free(out);
	out = fx_out("git -C %s diff --stat dev-agents/1-x main | wc -l", t->bare);
	assert_string_equal(out, "0");	/* main's tree is the PR's */
	free(out);
	out = fx_out("git -C %s log -1 --format=%%s main", t->bare);
	assert_string_equal(out, "Add a thing (#2)");
	free(out);
	out = fx_out("git -C %s log -1 --format=%%b main", t->bare);
	assert_non_null(strstr(out, "Closes #1"));
	free(out);

	assert_int_equal(da_forge_get_issue(t->w, pr->number, &i), 0);
	assert_string_equal(i->state, "closed");
	da_forge_issue_free(i);
	assert_int_equal(da_forge_find_pr(t->w, "dev-agents/1-x", &after), 0);
	assert_null(after);	/* merged PRs are not open */
	/* merging twice: GitHub's 405, and main does not move */
	free(sha);
	sha = NULL;
	assert_int_equal(da_forge_merge_pr(t->w, pr->number, NULL, NULL, NULL, &res, &sha), 0);
	assert_int_equal(res, DA_MERGE_NOT_MERGEABLE);
	assert_null(sha);
	out = fx_out("git -C %s rev-list --count %s..main", t->bare, old_tip);
	assert_string_equal(out, "1");
	free(out);
	free(old_tip);
	da_forge_pr_free(pr);
}

static void draft_is_not_mergeable(void **state)
{
	struct lt *t = *state;
	enum da_forge_merge_result res = DA_MERGE_MERGED;
	struct da_forge_pr *pr;
	char *before, *after;

	push_branch(t, "dev-agents/1-x", 10, "ten changed");
	pr = open_pr(t, "dev-agents/1-x", true);
	before = fx_out("git -C %s rev-parse main", t->bare);
	assert_int_equal(da_forge_merge_pr(t->w, pr->number, "t", NULL, NULL, &res, NULL), 0);
	assert_int_equal(res, DA_MERGE_NOT_MERGEABLE);
	after = fx_out("git -C %s rev-parse main", t->bare);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* ready for review: now it merges */
	assert_int_equal(da_forge_set_pr_draft(t->w, pr->number, false), 0);
	assert_int_equal(da_forge_merge_pr(t->w, pr->number, "t", NULL, NULL, &res, NULL), 0);
	assert_int_equal(res, DA_MERGE_MERGED);
	da_forge_pr_free(pr);
}

static void conflicting_merge_is_a_conflict_and_leaves_main(void **state)
{
	struct lt *t = *state;
	enum da_forge_merge_result res = DA_MERGE_MERGED;
	struct da_forge_pr *pr;
	char *before, *after;

	push_branch(t, "dev-agents/1-x", 10, "ten from the branch");
	pr = open_pr(t, "dev-agents/1-x", false);
	fx_advance_main(t->tmp, 10, "ten from main", NULL);
	before = fx_out("git -C %s rev-parse main", t->bare);
	assert_int_equal(da_forge_merge_pr(t->w, pr->number, "t", NULL, NULL, &res, NULL), 0);
	assert_int_equal(res, DA_MERGE_CONFLICT);
	after = fx_out("git -C %s rev-parse main", t->bare);
	assert_string_equal(before, after);
	free(before);
	free(after);
	da_forge_pr_free(pr);
}

static void moved_head_is_a_conflict(void **state)
{
	struct lt *t = *state;
	enum da_forge_merge_result res = DA_MERGE_MERGED;
	struct da_forge_pr *pr;
	char *before, *after;

	push_branch(t, "dev-agents/1-x", 10, "ten");
	pr = open_pr(t, "dev-agents/1-x", false);
	before = fx_out("git -C %s rev-parse main", t->bare);
	assert_int_equal(da_forge_merge_pr(t->w, pr->number, "t", NULL,
					   "0000000000000000000000000000000000000000", &res, NULL), 0);
	assert_int_equal(res, DA_MERGE_CONFLICT);
	after = fx_out("git -C %s rev-parse main", t->bare);
	assert_string_equal(before, after);
	free(before);
	free(after);
	da_forge_pr_free(pr);
}

static void contents_and_secrets_are_not_offered(void **state)
{
	struct lt *t = *state;
	struct da_forge_file *file = NULL;

	assert_int_equal(da_forge_get_file(t->w, "README", NULL, &file), DA_EUSAGE);
	assert_non_null(strstr(da_errmsg(), "the local forge cannot"));
	assert_int_equal(da_forge_put_secret(t->w, "X", "v"), DA_EUSAGE);
}

/* Children racing for numbers: every PR gets its own. */
#define RACERS 4
#define PER_RACER 5

static void concurrent_creates_take_distinct_numbers(void **state)
{
	struct lt *t = *state;
	pid_t pids[RACERS];
	char *out;

	write_issue(t, 1, "x", "");
	fx_sh("for i in $(seq 1 %d); do git -C %s branch race-$i main; done",
	      RACERS * PER_RACER, t->bare);
	for (int k = 0; k < RACERS; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			struct da_forge *f = open_as(t, DA_FORGE_WRITER);
			int bad = 0;

			for (int j = 1; j <= PER_RACER; j++) {
				char head[32];
				struct da_forge_pr_new in = { .title = "r", .head = head,
							      .base = "main" };
				struct da_forge_pr *pr = NULL;

				snprintf(head, sizeof head, "race-%d", k * PER_RACER + j);
				bad |= da_forge_create_pr(f, &in, &pr) < 0;
				da_forge_pr_free(pr);
			}
			da_forge_free(f);
			_exit(bad);
		}
	}
	for (int k = 0; k < RACERS; k++) {
		int st;

		assert_int_equal(waitpid(pids[k], &st, 0), pids[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* 20 records, numbered 2..21, each with its own head */
	out = fx_out("ls %s/prs | sort -n | tr '\\n' ' '", t->repo);
	assert_string_equal(out, "2.yaml 3.yaml 4.yaml 5.yaml 6.yaml 7.yaml 8.yaml 9.yaml "
			    "10.yaml 11.yaml 12.yaml 13.yaml 14.yaml 15.yaml 16.yaml 17.yaml "
			    "18.yaml 19.yaml 20.yaml 21.yaml ");
	free(out);
	out = fx_out("grep -h '^head:' %s/prs/*.yaml | sort -u | wc -l", t->repo);
	assert_string_equal(out, "20");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(repo_describes_the_bare_repo),
		T(issue_file_reads_back_and_a_missing_one_is_null),
		T(the_shipped_sample_issue_is_a_local_forge_issue),
		T(issue_file_with_another_number_or_no_title_is_an_error),
		T(comments_keep_order_and_identity),
		T(labels_are_ensured_once_and_added_to_issues_and_prs),
		T(a_label_comes_off_and_removing_it_again_is_no_error),
		T(pr_numbers_follow_issues_and_create_is_idempotent),
		T(pr_of_an_unpushed_branch_is_refused),
		T(review_accepts_lines_on_the_diff_and_refuses_others),
		T(squash_merge_adds_one_commit_with_the_pr_tree),
		T(draft_is_not_mergeable),
		T(conflicting_merge_is_a_conflict_and_leaves_main),
		T(moved_head_is_a_conflict),
		T(contents_and_secrets_are_not_offered),
		T(concurrent_creates_take_distinct_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
