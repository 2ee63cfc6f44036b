#include "paths.h"
#include "err.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char queue_root[DA_PATH_MAX];
static char home_dir[DA_PATH_MAX];
static char workflows_dir[DA_PATH_MAX];
static char exe_dir[DA_PATH_MAX];

void da_paths_reset(void)
{
	queue_root[0] = home_dir[0] = workflows_dir[0] = exe_dir[0] = '\0';
}

static const char *user_home(void)
{
	const char *h = getenv("HOME");

	return h && h[0] ? h : "/tmp";
}

const char *da_queue_root(void)
{
	const char *env = getenv("DA_QUEUE");

	if (!queue_root[0]) {
		if (env && env[0])
			(void)da_pathf(queue_root, sizeof queue_root, "%s", env);
		else
			(void)da_pathf(queue_root, sizeof queue_root, "%s/dev-agents-queue", user_home());
	}
	return queue_root;
}

const char *da_exe_dir(void)
{
	if (!exe_dir[0]) {
		ssize_t n = readlink("/proc/self/exe", exe_dir, sizeof exe_dir - 1);

		if (n <= 0) {
			exe_dir[0] = '\0';
			return exe_dir;
		}
		exe_dir[n] = '\0';
		char *slash = strrchr(exe_dir, '/');

		if (slash)
			*slash = '\0';
	}
	return exe_dir;
}

/* parent of the executable's directory, or "" */
static void exe_parent(char *buf, size_t size)
{
	const char *dir = da_exe_dir();
	const char *slash = strrchr(dir, '/');

	buf[0] = '\0';
	if (slash && slash != dir)
		snprintf(buf, size, "%.*s", (int)(slash - dir), dir);
}

const char *da_home(void)
{
	const char *env = getenv("DA_HOME");
	char parent[DA_PATH_MAX], probe[DA_PATH_MAX + 16];

	if (home_dir[0])
		return home_dir;
	if (env && env[0]) {
		(void)da_pathf(home_dir, sizeof home_dir, "%s", env);
		return home_dir;
	}
	exe_parent(parent, sizeof parent);
	(void)da_pathf(probe, sizeof probe, "%s/workflows", parent);
	if (parent[0] && da_path_exists(probe)) {
		(void)da_pathf(home_dir, sizeof home_dir, "%s", parent);
		return home_dir;
	}
	env = getenv("XDG_DATA_HOME");
	if (env && env[0])
		(void)da_pathf(home_dir, sizeof home_dir, "%s/dev-agents", env);
	else
		(void)da_pathf(home_dir, sizeof home_dir, "%s/.local/share/dev-agents", user_home());
	return home_dir;
}

const char *da_workflows_dir(void)
{
	char parent[DA_PATH_MAX];

	if (workflows_dir[0])
		return workflows_dir;
	(void)da_pathf(workflows_dir, sizeof workflows_dir, "%s/workflows", da_home());
	if (da_path_exists(workflows_dir))
		return workflows_dir;
	exe_parent(parent, sizeof parent);
	/* a checkout (bin/ beside workflows/) with DA_HOME set elsewhere */
	(void)da_pathf(workflows_dir, sizeof workflows_dir, "%s/workflows", parent);
	if (parent[0] && da_path_exists(workflows_dir))
		return workflows_dir;
	(void)da_pathf(workflows_dir, sizeof workflows_dir, "%s/share/dev-agents/workflows", parent);
	return workflows_dir;
}

int da_check_project_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return da_errf(DA_EUSAGE, "project name is empty");
	if (len > 100)
		return da_errf(DA_EUSAGE, "project name is longer than 100 characters");
	if (name[0] == '.')
		return da_errf(DA_EUSAGE, "project name \"%s\" starts with '.'", name);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return da_errf(DA_EUSAGE,
				       "project name has a character outside [A-Za-z0-9._-] (byte 0x%02x at %zu)",
				       c, i);
	}
	return 0;
}

void da_slug(const char *text, size_t max, char *buf, size_t size)
{
	size_t len = 0;
	bool dash = false;

	if (size - 1 < max)
		max = size - 1;
	for (const unsigned char *p = (const unsigned char *)text; *p && len < max; p++) {
		unsigned char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && len > 0 && len + 1 < max)
				buf[len++] = '-';
			buf[len++] = (char)c;
			dash = false;
		} else {
			dash = true;
		}
	}
	buf[len] = '\0';
	if (!len)
		snprintf(buf, size, "task");
}

int da_pause_path(char *buf, size_t size)
{
	return da_pathf(buf, size, "%s/data/.pause", da_home());
}

bool da_paused(void)
{
	char path[DA_PATH_MAX];

	return da_pause_path(path, sizeof path) == 0 && da_path_exists(path);
}
