/* detect: verification commands from the top of a checked-out tree.
 * See detect.h for the contract; the rule is "evidence or nothing". */
#include "detect.h"

#include "err.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST_MAX (4u << 20)	/* a lockfile-free manifest is never this big */

static const char *const cmd_names[DA_CMD_N] = { "test", "typecheck", "build", "lint" };

const char *da_cmd_name(int kind)
{
	return kind >= 0 && kind < DA_CMD_N ? cmd_names[kind] : "?";
}

void da_detect_free(struct da_detect *d)
{
	if (!d)
		return;
	free(d->language);
	free(d->package_manager);
	for (int i = 0; i < DA_CMD_N; i++) {
		free(d->cmd[i]);
		free(d->from[i]);
	}
	free(d->reason);
	free(d);
}

static int set_str(char **slot, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_str(char **slot, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return da_errf(DA_ERUNTIME, "out of memory");
	free(*slot);
	*slot = s;
	return 0;
}

/* The first rule that finds a command wins; later ones are weaker hints. */
static int set_cmd(struct da_detect *d, int kind, const char *from, const char *cmd)
{
	if (d->cmd[kind])
		return 0;
	if (set_str(&d->cmd[kind], "%s", cmd) < 0 || set_str(&d->from[kind], "%s", from) < 0)
		return DA_ERUNTIME;
	return 0;
}

static bool has(const char *dir, const char *name)
{
	char path[4096];

	return da_pathf(path, sizeof path, "%s/%s", dir, name) == 0 && da_path_exists(path);
}

/* The file's text, or NULL (and 0) when it does not exist. */
static int slurp(const char *dir, const char *name, char **text)
{
	char path[4096];
	size_t len;

	*text = NULL;
	if (da_pathf(path, sizeof path, "%s/%s", dir, name) < 0)
		return DA_ERUNTIME;
	if (!da_path_exists(path))
		return 0;
	if (da_read_file(path, MANIFEST_MAX, text, &len) < 0)
		return da_errctx(DA_ERUNTIME, "reading %s", name);
	return 0;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* A hint, not a parse: TOML, INI and requirements files are matched line
 * by line for a dependency name standing alone (so "pytest" matches
 * `"pytest>=7"`, `pytest = "^8"`, `pytest==8.1` but not "pytest-cov").
 * Good enough to suggest a command; the user reviews the config. */
static bool mentions(const char *text, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = text; p && (p = strstr(p, word)); p += wl) {
		const char *ls = p;

		while (ls > text && ls[-1] != '\n')
			ls--;
		while (*ls == ' ' || *ls == '\t')
			ls++;
		if (*ls == '#')
			continue;
		if ((p == text || !name_char(p[-1])) && !name_char(p[wl]))
			return true;
		if (p[wl] == '.' && !name_char(p[wl + 1]))
			return true;
	}
	return false;
}

/* A line starting with `[name]` or `[name.` (TOML table / INI section). */
static bool has_section(const char *text, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[' && !strncmp(p + 1, name, nl) && (p[1 + nl] == ']' || p[1 + nl] == '.'))
			return true;
	}
	return false;
}

/* ---- package.json ---- */

struct node_ctx {
	json_t *root;
	const char *pm;		/* npm, pnpm, yarn, bun */
	const char *exec;	/* how a pm runs a local binary */
};

/* "devDependencies" when name is a dependency, else NULL. */
static const char *dep_section(json_t *root, const char *name)
{
	static const char *const sections[] = { "dependencies", "devDependencies" };

	for (size_t i = 0; i < 2; i++)
		if (json_object_get(json_object_get(root, sections[i]), name))
			return sections[i];
	return NULL;
}

static bool script_present(json_t *root, const char *name)
{
	const char *s = json_string_value(json_object_get(json_object_get(root, "scripts"), name));

	/* npm init writes a test script that only fails: not a test suite */
	return s && *s && !strstr(s, "no test specified");
}

static int node_script(struct da_detect *d, struct node_ctx *n, int kind, const char *script)
{
	char cmd[128], from[128];

	if (!script_present(n->root, script))
		return 0;
	if (kind == DA_CMD_TEST && !strcmp(n->pm, "npm"))
		snprintf(cmd, sizeof cmd, "npm test");
	else
		snprintf(cmd, sizeof cmd, "%s run %s", n->pm, script);
	snprintf(from, sizeof from, "\"%s\" script in package.json", script);
	return set_cmd(d, kind, from, cmd);
}

static int node_dep(struct da_detect *d, struct node_ctx *n, int kind, const char *dep,
		    const char *args)
{
	const char *sec = dep_section(n->root, dep);
	char cmd[128], from[128];

	if (!sec)
		return 0;
	snprintf(cmd, sizeof cmd, "%s %s", n->exec, args);
	snprintf(from, sizeof from, "%s in %s", dep, sec);
	return set_cmd(d, kind, from, cmd);
}

static void node_pick_pm(const char *dir, struct node_ctx *n)
{
	/* Lockfile first: it is what the project really installs with. */
	if (has(dir, "bun.lockb") || has(dir, "bun.lock"))
		n->pm = "bun", n->exec = "bunx";
	else if (has(dir, "pnpm-lock.yaml"))
		n->pm = "pnpm", n->exec = "pnpm exec";
	else if (has(dir, "yarn.lock"))
		n->pm = "yarn", n->exec = "yarn";
	else
		n->pm = "npm", n->exec = "npx";
}

static int detect_node(const char *dir, const char *text, struct da_detect *d)
{
	struct node_ctx n = { 0 };
	json_error_t jerr;
	int rc = 0;

	n.root = json_loads(text, 0, &jerr);
	if (!n.root || !json_is_object(n.root)) {
		json_decref(n.root);
		return da_errf(DA_EUSAGE, "package.json:%d: %s", jerr.line,
			       n.root ? "not a JSON object" : jerr.text);
	}
	if (json_object_get(n.root, "workspaces")) {
		d->detected = false;
		rc = set_str(&d->reason, "monorepo: package.json declares workspaces");
		goto out;
	}
	node_pick_pm(dir, &n);
	d->detected = true;
	if (set_str(&d->package_manager, "%s", n.pm) < 0 ||
	    set_str(&d->language, "%s",
		    dep_section(n.root, "typescript") || has(dir, "tsconfig.json") ? "typescript"
										   : "javascript") < 0) {
		rc = DA_ERUNTIME;
		goto out;
	}
	/* The project's own scripts first (they carry its flags), then the
	 * tools found among its dependencies. */
	if ((rc = node_script(d, &n, DA_CMD_TEST, "test")) < 0 ||
	    (rc = node_dep(d, &n, DA_CMD_TEST, "vitest", "vitest run")) < 0 ||
	    (rc = node_dep(d, &n, DA_CMD_TEST, "jest", "jest")) < 0 ||
	    (rc = node_script(d, &n, DA_CMD_TYPECHECK, "typecheck")) < 0 ||
	    (rc = node_dep(d, &n, DA_CMD_TYPECHECK, "typescript", "tsc --noEmit")) < 0 ||
	    (rc = node_script(d, &n, DA_CMD_BUILD, "build")) < 0 ||
	    (rc = node_dep(d, &n, DA_CMD_BUILD, "next", "next build")) < 0 ||
	    (rc = node_script(d, &n, DA_CMD_LINT, "lint")) < 0 ||
	    (rc = node_dep(d, &n, DA_CMD_LINT, "eslint", "eslint .")) < 0)
		goto out;
out:
	json_decref(n.root);
	return rc;
}

/* ---- Python ---- */

/* requirements*.txt at the top, concatenated (NULL when there is none). */
static int read_requirements(const char *dir, char **all, bool *any)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int rc = 0;

	*all = NULL;
	*any = false;
	if (!dp)
		return da_errf(DA_ERUNTIME, "open %s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(dp))) {
		size_t l = strlen(de->d_name);
		char *text = NULL;

		if (strncmp(de->d_name, "requirements", 12) || l < 16 || strcmp(de->d_name + l - 4, ".txt"))
			continue;
		*any = true;
		rc = slurp(dir, de->d_name, &text);
		if (rc == 0 && text)
			rc = set_str(all, "%s\n%s", *all ? *all : "", text);
		free(text);
	}
	closedir(dp);
	return rc;
}

struct py_src {
	char *pyproject, *setup_cfg, *reqs;
};

static bool py_mentions(const struct py_src *s, const char *dep)
{
	return (s->pyproject && mentions(s->pyproject, dep)) ||
	       (s->setup_cfg && mentions(s->setup_cfg, dep)) || (s->reqs && mentions(s->reqs, dep));
}

static int detect_python(const char *dir, struct da_detect *d)
{
	struct py_src s = { 0 };
	const char *prefix = "", *pm = "pip";
	char cmd[128];
	bool any_reqs;
	int rc;

	if ((rc = slurp(dir, "pyproject.toml", &s.pyproject)) < 0 ||
	    (rc = slurp(dir, "setup.cfg", &s.setup_cfg)) < 0 ||
	    (rc = read_requirements(dir, &s.reqs, &any_reqs)) < 0)
		goto out;
	if (has(dir, "uv.lock"))
		prefix = "uv run ", pm = "uv";
	else if (has(dir, "poetry.lock"))
		prefix = "poetry run ", pm = "poetry";
	d->detected = true;
	if ((rc = set_str(&d->language, "python")) < 0 || (rc = set_str(&d->package_manager, "%s", pm)) < 0)
		goto out;
	if (py_mentions(&s, "pytest") || has(dir, "pytest.ini") ||
	    (s.pyproject && has_section(s.pyproject, "tool.pytest")) ||
	    (s.setup_cfg && has_section(s.setup_cfg, "tool:pytest"))) {
		snprintf(cmd, sizeof cmd, "%spytest", prefix);
		if ((rc = set_cmd(d, DA_CMD_TEST, "pytest among the dependencies or its config", cmd)) < 0)
			goto out;
	}
	if (py_mentions(&s, "mypy") || has(dir, "mypy.ini") ||
	    (s.pyproject && has_section(s.pyproject, "tool.mypy")) ||
	    (s.setup_cfg && has_section(s.setup_cfg, "mypy"))) {
		snprintf(cmd, sizeof cmd, "%smypy .", prefix);
		if ((rc = set_cmd(d, DA_CMD_TYPECHECK, "mypy among the dependencies or its config", cmd)) < 0)
			goto out;
	}
	if (py_mentions(&s, "ruff") || has(dir, "ruff.toml") || has(dir, ".ruff.toml") ||
	    (s.pyproject && has_section(s.pyproject, "tool.ruff"))) {
		snprintf(cmd, sizeof cmd, "%sruff check .", prefix);
		if ((rc = set_cmd(d, DA_CMD_LINT, "ruff among the dependencies or its config", cmd)) < 0)
			goto out;
	}
	if (!d->cmd[DA_CMD_TEST])
		rc = set_str(&d->reason, "python project without pytest: no test command found");
out:
	free(s.pyproject);
	free(s.setup_cfg);
	free(s.reqs);
	return rc;
}

/* ---- Cargo, Go ---- */

static int detect_rust(struct da_detect *d)
{
	d->detected = true;
	if (set_str(&d->language, "rust") < 0 || set_str(&d->package_manager, "cargo") < 0 ||
	    set_cmd(d, DA_CMD_TEST, "Cargo.toml", "cargo test") < 0 ||
	    set_cmd(d, DA_CMD_BUILD, "Cargo.toml", "cargo build") < 0 ||
	    set_cmd(d, DA_CMD_LINT, "Cargo.toml", "cargo clippy") < 0)
		return DA_ERUNTIME;
	return 0;
}

static int detect_go(struct da_detect *d)
{
	d->detected = true;
	if (set_str(&d->language, "go") < 0 || set_str(&d->package_manager, "go") < 0 ||
	    set_cmd(d, DA_CMD_TEST, "go.mod", "go test ./...") < 0 ||
	    set_cmd(d, DA_CMD_BUILD, "go.mod", "go build ./...") < 0 ||
	    set_cmd(d, DA_CMD_LINT, "go.mod", "go vet ./...") < 0)
		return DA_ERUNTIME;
	return 0;
}

/* ---- Makefile, CMake ---- */

/* true when a rule line names `target` before its colon ("test check: all").
 * Assignments (`X := a`, `X = a:b`) and recipe lines are not rules. */
static bool make_has_target(const char *text, const char *target)
{
	size_t tl = strlen(target);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *colon = strchr(p, ':'), *eol = strchr(p, '\n');
		const char *eq = strchr(p, '=');

		if (*p == '\t' || *p == '#' || !colon || (eol && colon > eol) || colon[1] == '=' ||
		    (eq && eq < colon))
			continue;
		for (const char *w = p; w < colon;) {
			while (w < colon && (*w == ' ' || *w == '\t'))
				w++;
			const char *e = w;

			while (e < colon && *e != ' ' && *e != '\t')
				e++;
			if ((size_t)(e - w) == tl && !strncmp(w, target, tl))
				return true;
			w = e;
		}
	}
	return false;
}

static int detect_make(const char *dir, const char *name, const char *text, struct da_detect *d)
{
	static const struct { int kind; const char *target; const char *cmd; } rules[] = {
		{ DA_CMD_TEST, "test", "make test" },	{ DA_CMD_TEST, "check", "make check" },
		{ DA_CMD_BUILD, "build", "make build" }, { DA_CMD_BUILD, "all", "make" },
		{ DA_CMD_LINT, "lint", "make lint" },
	};
	char from[128];

	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		if (!make_has_target(text, rules[i].target))
			continue;
		snprintf(from, sizeof from, "%s target in %s", rules[i].target, name);
		if (set_cmd(d, rules[i].kind, from, rules[i].cmd) < 0)
			return DA_ERUNTIME;
	}
	if (!d->cmd[DA_CMD_TEST] && !d->cmd[DA_CMD_BUILD] && !d->cmd[DA_CMD_LINT])
		return 0;
	d->detected = true;
	if (set_str(&d->language, "make") < 0 || set_str(&d->package_manager, "make") < 0)
		return DA_ERUNTIME;
	return 0;
}

/* CMake builds out of tree, so every command configures first: the gates
 * run in a fresh checkout where build/ does not exist yet. ctest only when
 * the project registers tests; with none it would pass vacuously. */
static int detect_cmake(const char *text, struct da_detect *d)
{
	static const char configure[] = "cmake -S . -B build && cmake --build build";

	d->detected = true;
	if (set_str(&d->language, "c/c++") < 0 || set_str(&d->package_manager, "cmake") < 0 ||
	    set_cmd(d, DA_CMD_BUILD, "CMakeLists.txt", configure) < 0)
		return DA_ERUNTIME;
	if (strstr(text, "enable_testing") || strstr(text, "add_test") || strstr(text, "include(CTest)"))
		return set_cmd(d, DA_CMD_TEST, "tests registered in CMakeLists.txt",
			       "cmake -S . -B build && cmake --build build && ctest --test-dir build --output-on-failure");
	return set_str(&d->reason, "CMakeLists.txt registers no tests (no enable_testing/add_test)");
}

static int detect_build_systems(const char *dir, struct da_detect *d)
{
	static const char *const makefiles[] = { "GNUmakefile", "makefile", "Makefile" };
	char *text = NULL;
	int rc = 0;

	for (size_t i = 0; i < 3 && !d->detected && rc == 0; i++) {
		if ((rc = slurp(dir, makefiles[i], &text)) == 0 && text)
			rc = detect_make(dir, makefiles[i], text, d);
		free(text);
		text = NULL;
	}
	if (rc == 0 && !d->detected && (rc = slurp(dir, "CMakeLists.txt", &text)) == 0 && text)
		rc = detect_cmake(text, d);
	free(text);
	if (rc == 0 && !d->detected)
		rc = set_str(&d->reason,
			     "unknown stack: no package.json, Cargo.toml, pyproject.toml, requirements*.txt, "
			     "setup.cfg, go.mod, Makefile target or CMakeLists.txt at the top");
	return rc;
}

/* ---- the tree ---- */

static int detect_top(const char *dir, struct da_detect *d)
{
	static const char *const workspace_files[] = { "pnpm-workspace.yaml", "lerna.json", "nx.json",
						       "turbo.json", "go.work" };
	char *pkg = NULL, found[256] = "";
	bool node, rust, py, go, reqs;
	char *reqtext = NULL;
	int rc, n;

	for (size_t i = 0; i < sizeof workspace_files / sizeof workspace_files[0]; i++)
		if (has(dir, workspace_files[i]))
			return set_str(&d->reason, "monorepo: %s at the top", workspace_files[i]);
	if ((rc = read_requirements(dir, &reqtext, &reqs)) < 0)
		return rc;
	free(reqtext);
	node = has(dir, "package.json");
	rust = has(dir, "Cargo.toml");
	py = has(dir, "pyproject.toml") || has(dir, "setup.cfg") || reqs;
	go = has(dir, "go.mod");
	n = node + rust + py + go;
	if (n > 1) {
		snprintf(found, sizeof found, "%s%s%s%s", node ? " package.json" : "",
			 rust ? " Cargo.toml" : "", py ? " python" : "", go ? " go.mod" : "");
		return set_str(&d->reason, "monorepo: several ecosystems at the top:%s", found);
	}
	if (node) {
		if ((rc = slurp(dir, "package.json", &pkg)) == 0)
			rc = detect_node(dir, pkg, d);
		free(pkg);
		return rc;
	}
	if (rust)
		return detect_rust(d);
	if (py)
		return detect_python(dir, d);
	if (go)
		return detect_go(d);
	return detect_build_systems(dir, d);
}

int da_detect_tree(const char *dir, struct da_detect **out)
{
	struct da_detect *d = calloc(1, sizeof *d);
	int rc;

	*out = NULL;
	if (!d)
		return da_errf(DA_ERUNTIME, "out of memory");
	rc = detect_top(dir, d);
	if (rc < 0) {
		da_detect_free(d);
		return da_errctx(rc, "detecting %s", dir);
	}
	*out = d;
	return 0;
}
