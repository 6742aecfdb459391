/*
 * clock: the daemon's idea of "now". Normally the system clock; with
 * `rundbriefd --once --now INSTANT` the clock reads as if it had been set
 * to INSTANT when the pass began (it goes on ticking from there), so every
 * due-time decision of that pass — jobs, outbox rows, retries — is taken
 * for that instant.
 */
#ifndef RUNDBRIEF_CLOCK_H
#define RUNDBRIEF_CLOCK_H

#include <time.h>

/* The current time, UTC seconds. */
time_t clock_now(void);

/* From now on clock_now() reads `instant` plus the time since this call. */
void clock_set(time_t instant);

/* 1 once clock_set() was called. */
int clock_is_set(void);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC). Returns 0 and *out, or -1. */
int clock_parse_utc(const char *s, time_t *out);

#endif
