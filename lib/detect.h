/* detect: which commands verify a project, read from a checked-out tree.
 *
 * Looks only at the top of the tree: package.json (+ lockfiles),
 * Cargo.toml, pyproject.toml / requirements*.txt / setup.cfg, go.mod,
 * Makefile targets, CMakeLists.txt. Every command found comes with the
 * evidence it was derived from, so onboarding can print it as a comment.
 *
 * What it never does is guess: a tree with several ecosystems or a
 * workspace declaration at the top (a monorepo) or with no manifest it
 * knows gets detected=false and a reason, and the config it leads to has
 * commented-out commands for the user to fill in. A command that is not
 * found stays NULL (a Go project has no typecheck separate from build). */
#ifndef DA_DETECT_H
#define DA_DETECT_H

#include <stdbool.h>

enum da_cmd_kind {
	DA_CMD_TEST,
	DA_CMD_TYPECHECK,
	DA_CMD_BUILD,
	DA_CMD_LINT,
	DA_CMD_N,
};

struct da_detect {
	bool detected;		/* false: unknown stack or monorepo, see reason */
	char *language;		/* "typescript", "javascript", "rust", "python", "go", "c/c++", "make" */
	char *package_manager;	/* npm pnpm yarn bun cargo uv poetry pip go make cmake */
	char *cmd[DA_CMD_N];	/* the command, NULL when none was found */
	char *from[DA_CMD_N];	/* why: "vitest in devDependencies", NULL with cmd */
	char *reason;		/* !detected: why not; detected: NULL or a caveat */
};

/* "test", "typecheck", "build", "lint" (the keys of `commands:`). */
const char *da_cmd_name(int kind);

/* Inspect the tree at dir. Fails only when dir cannot be read or a
 * manifest is malformed (DA_EUSAGE naming the file); an unknown stack is
 * a success with detected=false. Caller frees *out with da_detect_free. */
int da_detect_tree(const char *dir, struct da_detect **out);
void da_detect_free(struct da_detect *d);

#endif
