#include "clock.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

void da_utc_compact(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
}

void da_utc_iso(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int da_parse_utc(const char *text, time_t *out)
{
	struct tm tm;
	const char *rest;
	int off_h = 0, off_m = 0;
	char sign = 0;

	memset(&tm, 0, sizeof tm);
	rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest) {
		memset(&tm, 0, sizeof tm);
		rest = strptime(text, "%Y%m%dT%H%M%S", &tm);
	}
	if (!rest)
		return da_errf(DA_EUSAGE, "bad UTC time \"%s\"", text);
	if (*rest == '.') /* fractional seconds are ignored */
		while (*++rest >= '0' && *rest <= '9')
			;
	if (*rest == 'Z') {
		rest++;
	} else if ((*rest == '+' || *rest == '-') &&
		   sscanf(rest + 1, "%2d:%2d", &off_h, &off_m) == 2) {
		sign = *rest;
		rest += 6;
	}
	if (*rest != '\0')
		return da_errf(DA_EUSAGE, "bad UTC time \"%s\"", text);
	time_t t = timegm(&tm);
	long offset = (long)off_h * 3600 + (long)off_m * 60;

	*out = sign == '+' ? t - offset : sign == '-' ? t + offset : t;
	return 0;
}

int64_t da_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
