/* err: the one error idiom of libda.
 *
 * A libda function returns 0 on success or a negative error class on
 * failure, after recording a message with da_errf(). Callers may add
 * context on the way up with da_errctx(); only a program's main prints,
 * once, with da_err_report(), which also maps the class to an exit code. */
#ifndef DA_ERR_H
#define DA_ERR_H

enum da_err {
	DA_OK = 0,
	DA_ERUNTIME = -1,	/* the world failed us: I/O, a child, the network -> exit 1 */
	DA_EUSAGE = -2,		/* the caller gave bad input or arguments -> exit 2 */
	DA_ETEMP = -3,		/* try again later (paused, rate-limited) -> exit 75 */
};

#define DA_EXIT_OK 0
#define DA_EXIT_RUNTIME 1
#define DA_EXIT_USAGE 2
#define DA_EXIT_TEMPFAIL 75

/* Record a message for the current failure and return `cls`, so that
 * `return da_errf(DA_EUSAGE, "...")` both records and fails. */
int da_errf(int cls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the recorded message with more context ("reading task x: " + old). */
int da_errctx(int cls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The recorded message; "" when none. Valid until the next da_errf. */
const char *da_errmsg(void);

void da_errclear(void);

/* Exit code for an error class (0 for DA_OK). */
int da_err_exit_code(int cls);

/* Print "prog: message" on stderr for a failure and return its exit code.
 * For DA_OK prints nothing and returns 0. */
int da_err_report(int cls);

#endif
