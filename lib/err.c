#include "err.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message is enough: programs are single-threaded and report once. */
static char last_message[4096];

int da_errf(int cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof last_message, fmt, ap);
	va_end(ap);
	return cls;
}

int da_errctx(int cls, const char *fmt, ...)
{
	char prefix[1024];
	char old[sizeof last_message];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, last_message, sizeof old);
	/* truncation is fine: the message stays readable from the front */
	if (snprintf(last_message, sizeof last_message, "%s: %s", prefix, old) < 0)
		last_message[0] = '\0';
	return cls;
}

const char *da_errmsg(void)
{
	return last_message;
}

void da_errclear(void)
{
	last_message[0] = '\0';
}

int da_err_exit_code(int cls)
{
	switch (cls) {
	case DA_OK:
		return DA_EXIT_OK;
	case DA_EUSAGE:
		return DA_EXIT_USAGE;
	case DA_ETEMP:
		return DA_EXIT_TEMPFAIL;
	default:
		return DA_EXIT_RUNTIME;
	}
}

int da_err_report(int cls)
{
	if (cls == DA_OK)
		return DA_EXIT_OK;
	da_error("%s", last_message[0] ? last_message : "failed");
	return da_err_exit_code(cls);
}
