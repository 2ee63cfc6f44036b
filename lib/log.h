/* log: messages on stderr, prefixed with the program's name.
 *
 * Colour only when stderr is a terminal and NO_COLOR is unset. Nothing
 * here ever prints a secret: callers pass redacted text (see secret.h). */
#ifndef DA_LOG_H
#define DA_LOG_H

#include <stdbool.h>

void da_log_init(const char *progname);
const char *da_progname(void);

/* true when colour may be used on the given stream's fd */
bool da_use_color(int fd);

void da_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void da_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void da_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For usage errors found by main itself: prints "prog: msg" and a hint,
 * returns DA_EXIT_USAGE. */
int da_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For getopt_long's '?': names the offending option in one line, returns
 * DA_EXIT_USAGE. (da_log_init turns getopt's own messages off.) */
int da_bad_option(char *const *argv);

/* Print "prog version X" on stdout; returns 0. */
int da_print_version(void);

#endif
