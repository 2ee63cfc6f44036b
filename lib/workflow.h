/* workflow: the ordered stages a task walks through, and prompt templates.
 *
 * A workflow file (workflows/<type>.yaml, or the project's override) is
 * read into a typed struct and validated once: stage kinds, roles,
 * prompt files (which must exist and use only known placeholders) and
 * unique stage names; an error names the file, line and reason. Format
 * and placeholders: workflows/README.md. */
#ifndef DA_WORKFLOW_H
#define DA_WORKFLOW_H

#include "project.h"

#include <stddef.h>

enum da_stage_kind { DA_STAGE_AGENT, DA_STAGE_GATE, DA_STAGE_COMMIT };
enum da_session_kind { DA_SESSION_FRESH, DA_SESSION_LEAD };

struct da_stage {
	char *name;		/* unique in the workflow: [a-z0-9_-]+ */
	int kind;		/* enum da_stage_kind */
	/* agent */
	char *role;		/* lead | implementer | qa | reviewer */
	char *prompt;		/* prompt name ("implement") */
	char *prompt_path;	/* resolved template file */
	int session;		/* enum da_session_kind */
	char *writes;		/* a file the stage must leave, e.g. SPEC.md; NULL */
	/* gate: on failure resume fix_role's last session with fix_prompt */
	char *fix_role;		/* NULL: no fix loop */
	char *fix_prompt;
	char *fix_prompt_path;
	/* commit */
	char *message;		/* template, e.g. "{{commit_type}}: {{issue_title}} (#{{issue_number}})" */
};

struct da_workflow {
	char *type;		/* feature | bugfix | hotfix */
	char *path;
	struct da_stage *stages;
	size_t n_stages;
};

/* Load the workflow for a task type: the project's override first
 * (relative to $DA_HOME/workflows, or absolute), else the shipped
 * <workflows dir>/<type>.yaml. p may be NULL. */
int da_workflow_load(const char *type, const struct da_project *p, struct da_workflow **out);
/* Load one file; prompts resolve through p's overrides, then the file's
 * own prompts/ folder, then <workflows dir>/prompts. */
int da_workflow_load_file(const char *type, const char *path, const struct da_project *p,
			  struct da_workflow **out);
void da_workflow_free(struct da_workflow *w);

/* Index of the stage with that name, or -1. */
int da_workflow_stage_index(const struct da_workflow *w, const char *name);
const char *da_stage_kind_name(int kind);

/* Template rendering. Known placeholders: issue_number issue_title
 * issue_body spec failure_memory gate_output steering review_findings
 * branch repo commit_type. A known one without a value renders empty;
 * an unknown one is DA_EUSAGE "name:line: unknown placeholder {{x}}". */
struct da_tmpl_var {
	const char *name;
	const char *value;
};

bool da_placeholder_known(const char *name, size_t len);
int da_template_render(const char *name, const char *tmpl, const struct da_tmpl_var *vars, size_t n_vars,
		       char **out);
int da_template_render_file(const char *path, const struct da_tmpl_var *vars, size_t n_vars, char **out);

#endif
