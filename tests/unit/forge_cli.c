/* forge_cli: a test-only driver for the forge layer (tests/bats/forge.bats).
 * One forge call per run, results as "key=value" lines on stdout; errors
 * through da_err_report, and after DA_ETEMP a "not_before=<epoch>" line.
 *
 *   forge_cli [-k github|gitea] [-r owner/name] [-a api_url] [-l log] [-R] OP ARGS...
 */
#include "err.h"
#include "forge.h"
#include "log.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_pr(const struct da_forge_pr *pr)
{
	printf("number=%ld\nurl=%s\nhead=%s\nbase=%s\nhead_sha=%s\ndraft=%d\nstate=%s\n", pr->number,
	       pr->html_url, pr->head, pr->base, pr->head_sha, pr->draft, pr->state);
}

static int op_review(struct da_forge *f, int argc, char **argv)
{
	static const char *const names[] = { "approve", "request_changes", "comment" };
	struct da_forge_review_comment cs[16];
	struct da_forge_review rv = { .body = argv[2], .comments = cs };
	long id;
	int ret;

	rv.verdict = DA_REVIEW_COMMENT + 1;
	for (int v = 0; v < 3; v++)
		if (!strcmp(argv[1], names[v]))
			rv.verdict = (enum da_forge_verdict)v;
	for (int i = 3; i < argc && rv.ncomments < 16; i++) {	/* path:line:body */
		char *c1 = strchr(argv[i], ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			return da_errf(DA_EUSAGE, "comment '%s' is not path:line:body", argv[i]);
		*c1 = *c2 = '\0';
		cs[rv.ncomments++] = (struct da_forge_review_comment){ argv[i], atol(c1 + 1), c2 + 1 };
	}
	ret = da_forge_create_review(f, atol(argv[0]), &rv, &id);
	if (ret == 0)
		printf("id=%ld\n", id);
	return ret;
}

static int op_merge(struct da_forge *f, int argc, char **argv)
{
	static const char *const names[] = { "merged", "not_mergeable", "conflict" };
	enum da_forge_merge_result res;
	char *sha = NULL;
	int ret = da_forge_merge_pr(f, atol(argv[0]), argv[1], argv[2], argc > 3 ? argv[3] : NULL,
				    &res, &sha);

	if (ret == 0)
		printf("result=%s\nsha=%s\n", names[res], sha ? sha : "");
	free(sha);
	return ret;
}

/* Test helper: open a crypto_box_seal box with the fake's key pair. */
static int op_unseal(char **argv)
{
	unsigned char pk[32], sk[32], *box = malloc(strlen(argv[0])), *plain;
	size_t blen, l1, l2;

	if (!box || sodium_init() < 0 ||
	    sodium_base642bin(box, strlen(argv[0]), argv[0], strlen(argv[0]), NULL, &blen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    sodium_base642bin(pk, 32, argv[1], strlen(argv[1]), NULL, &l1, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    sodium_base642bin(sk, 32, argv[2], strlen(argv[2]), NULL, &l2, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    blen < crypto_box_SEALBYTES || !(plain = calloc(1, blen - crypto_box_SEALBYTES + 1))) {
		free(box);
		return da_errf(DA_EUSAGE, "unseal: bad base64");
	}
	int ret = crypto_box_seal_open(plain, box, blen, pk, sk) == 0
			  ? (printf("%s\n", plain), 0)
			  : da_errf(DA_ERUNTIME, "unseal: box does not open with this key pair");

	free(plain);
	free(box);
	return ret;
}

static int op_file(struct da_forge *f, const char *op, int argc, char **argv)
{
	if (!strcmp(op, "get-file")) {
		struct da_forge_file *file;
		int ret = da_forge_get_file(f, argv[0], argc > 1 ? argv[1] : NULL, &file);

		if (ret == 0 && !file)
			printf("none\n");
		else if (ret == 0)
			printf("sha=%s\ncontent=%s\n", file->sha, file->content);
		da_forge_file_free(file);
		return ret;
	}
	return da_forge_put_file(f, argv[0], NULL, argv[1], argv[2], strlen(argv[2]),
				 argc > 3 ? argv[3] : NULL);
}

static int op_pr(struct da_forge *f, const char *op, int argc, char **argv)
{
	struct da_forge_pr *pr = NULL;
	int ret;

	if (!strcmp(op, "find-pr")) {
		ret = da_forge_find_pr(f, argv[0], &pr);
	} else if (!strcmp(op, "get-pr")) {
		if ((ret = da_forge_get_pr(f, atol(argv[0]), &pr)) == 0 && pr)
			printf("merged=%d\n", pr->merged);
	} else if (!strcmp(op, "create-pr")) {
		struct da_forge_pr_new in = { argv[0], argv[3], argv[1], argv[2],
					      argc > 4 && !strcmp(argv[4], "draft") };

		ret = da_forge_create_pr(f, &in, &pr);
	} else if (!strcmp(op, "update-pr")) {
		struct da_forge_pr_update up = { strcmp(argv[1], "-") ? argv[1] : NULL,
						 strcmp(argv[2], "-") ? argv[2] : NULL,
						 strcmp(argv[3], "-") ? argv[3] : NULL };

		return da_forge_update_pr(f, atol(argv[0]), &up);
	} else {
		return da_forge_set_pr_draft(f, atol(argv[0]), !strcmp(argv[1], "1"));
	}
	if (ret == 0 && pr)
		print_pr(pr);
	else if (ret == 0)
		printf("none\n");
	da_forge_pr_free(pr);
	return ret;
}

static int op_issue(struct da_forge *f, const char *op, int argc, char **argv)
{
	if (!strcmp(op, "issue")) {
		struct da_forge_issue *is;
		int ret = da_forge_get_issue(f, atol(argv[0]), &is);

		if (ret == 0 && !is)
			printf("none\n");
		else if (ret == 0) {
			printf("number=%ld\ntitle=%s\nstate=%s\npr=%d\nlabels=", is->number,
			       is->title, is->state, is->is_pull_request);
			for (size_t i = 0; i < is->nlabels; i++)
				printf("%s%s", i ? "," : "", is->labels[i]);
			printf("\n");
		}
		da_forge_issue_free(is);
		return ret;
	}
	if (!strcmp(op, "comment")) {
		char *url;
		int ret = da_forge_comment(f, atol(argv[0]), argv[1], &url);

		if (ret == 0)
			printf("url=%s\n", url);
		free(url);
		return ret;
	}
	if (!strcmp(op, "comments")) {
		struct da_forge_comment *cs;
		size_t n;
		int ret = da_forge_list_comments(f, atol(argv[0]), &cs, &n);

		for (size_t i = 0; ret == 0 && i < n; i++)
			printf("%s: %s\n", cs[i].user, cs[i].body);
		da_forge_comments_free(cs, n);
		return ret;
	}
	return da_forge_add_labels(f, atol(argv[0]), (const char *const *)argv + 1,
				   (size_t)argc - 1);
}

static int op_misc(struct da_forge *f, const char *op, int argc, char **argv)
{
	int ret;

	if (!strcmp(op, "repo")) {
		struct da_forge_repo *r;

		if ((ret = da_forge_get_repo(f, &r)) == 0)
			printf("full_name=%s\ndefault_branch=%s\n", r->full_name, r->default_branch);
		da_forge_repo_free(r);
	} else if (!strcmp(op, "labels")) {
		struct da_forge_label *ls;
		size_t n;

		if ((ret = da_forge_list_labels(f, &ls, &n)) == 0)
			for (size_t i = 0; i < n; i++)
				printf("%s %s\n", ls[i].name, ls[i].color);
		da_forge_labels_free(ls, n);
	} else if (!strcmp(op, "ensure-label")) {
		bool created;

		if ((ret = da_forge_ensure_label(f, argv[0], argc > 1 ? argv[1] : NULL,
						 argc > 2 ? argv[2] : NULL, &created)) == 0)
			printf("created=%d\n", created);
	} else if (!strcmp(op, "remove-label")) {
		ret = da_forge_remove_label(f, atol(argv[0]), argv[1]);
	} else if (!strcmp(op, "reviews")) {
		struct da_forge_posted_review *rs;
		size_t n;

		if ((ret = da_forge_list_reviews(f, atol(argv[0]), &rs, &n)) == 0)
			for (size_t i = 0; i < n; i++)
				printf("%s %s %s: %s\n", rs[i].user, rs[i].state, rs[i].commit_id, rs[i].body);
		da_forge_posted_reviews_free(rs, n);
	} else if (!strcmp(op, "pubkey")) {
		struct da_forge_pubkey *k;

		if ((ret = da_forge_actions_public_key(f, &k)) == 0)
			printf("key_id=%s\nkey=%s\n", k->key_id, k->key);
		da_forge_pubkey_free(k);
	} else if (!strcmp(op, "put-secret")) {
		/* the value comes from the environment, never argv */
		const char *v = getenv("FORGE_CLI_SECRET");

		ret = v ? da_forge_put_secret(f, argv[0], v)
			: da_errf(DA_EUSAGE, "FORGE_CLI_SECRET is not set");
	} else {
		ret = da_errf(DA_EUSAGE, "unknown operation %s", op);
	}
	return ret;
}

static int run(struct da_forge *f, const char *op, int argc, char **argv)
{
	static const struct { const char *op; int min; } arity[] = {
		{ "repo", 0 }, { "issue", 1 }, { "comment", 2 }, { "comments", 1 }, { "labels", 0 },
		{ "ensure-label", 1 }, { "add-labels", 2 }, { "find-pr", 1 }, { "get-pr", 1 }, { "create-pr", 4 },
		{ "update-pr", 4 }, { "set-draft", 2 }, { "review", 3 }, { "merge", 3 },
		{ "get-file", 1 }, { "put-file", 3 }, { "pubkey", 0 }, { "put-secret", 1 },
		{ "remove-label", 2 }, { "reviews", 1 },
	};
	size_t i = 0;

	while (i < sizeof arity / sizeof arity[0] && strcmp(arity[i].op, op))
		i++;
	if (i == sizeof arity / sizeof arity[0] || argc < arity[i].min)
		return da_errf(DA_EUSAGE, "unknown operation or missing arguments: %s", op);
	if (!strcmp(op, "review"))
		return op_review(f, argc, argv);
	if (!strcmp(op, "merge"))
		return op_merge(f, argc, argv);
	if (!strcmp(op, "get-file") || !strcmp(op, "put-file"))
		return op_file(f, op, argc, argv);
	if (strstr(op, "-pr") || !strcmp(op, "set-draft"))
		return op_pr(f, op, argc, argv);
	if (!strcmp(op, "issue") || !strncmp(op, "comment", 7) || !strcmp(op, "add-labels"))
		return op_issue(f, op, argc, argv);
	return op_misc(f, op, argc, argv);
}

int main(int argc, char **argv)
{
	struct da_forge_opts o = { .kind = DA_FORGE_GITHUB, .repo = "octo/demo" };
	struct da_forge *f = NULL;
	int c, ret;

	da_log_init("forge_cli");
	while ((c = getopt(argc, argv, "k:r:a:l:R")) != -1) {
		switch (c) {
		case 'k':
			if ((ret = da_forge_kind_parse(optarg, &o.kind)) < 0)
				return da_err_report(ret);
			break;
		case 'r': o.repo = optarg; break;
		case 'a': o.api_url = optarg; break;
		case 'l': o.log_path = optarg; break;
		case 'R': o.identity = DA_FORGE_REVIEWER; break;
		default: return DA_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return da_usage_error("usage: forge_cli [-k kind] [-r repo] [-a url] [-l log] [-R] OP ARGS");
	if (!strcmp(argv[optind], "unseal"))
		return da_err_report(argc - optind >= 4 ? op_unseal(argv + optind + 1)
							: da_errf(DA_EUSAGE, "unseal BOX PK SK"));
	ret = da_forge_open(&o, &f);
	if (ret == 0)
		ret = run(f, argv[optind], argc - optind - 1, argv + optind + 1);
	if (ret == DA_ETEMP)
		printf("not_before=%lld\n", (long long)da_forge_status(f)->not_before);
	fflush(stdout);
	da_forge_free(f);
	return da_err_report(ret);
}
