/* clock: wall-clock stamps for humans and file names, monotonic time for
 * every duration. A Pi has no RTC and its wall clock jumps at boot, so no
 * timeout or staleness decision is ever made from wall-clock time. */
#ifndef DA_CLOCK_H
#define DA_CLOCK_H

#include <stdint.h>
#include <stddef.h>
#include <time.h>

/* "20260313T100000Z" (16 chars + NUL; buf at least 17) */
void da_utc_compact(time_t t, char *buf, size_t size);
/* "2026-03-13T10:00:00Z" (20 chars + NUL; buf at least 21) */
void da_utc_iso(time_t t, char *buf, size_t size);
/* Parse either form (also "+00:00" offsets); DA_EUSAGE on bad text. */
int da_parse_utc(const char *text, time_t *out);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t da_monotonic_ms(void);

#endif
