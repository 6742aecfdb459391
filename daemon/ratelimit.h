/*
 * ratelimit: the two sending limits of the smtp module, messages started
 * per second (a token interval on CLOCK_MONOTONIC) and messages started in
 * any 3600 s (one counter per wall-clock second, so a quota used before a
 * restart can be counted in again).
 *
 * Not thread-safe: one thread owns a limiter (smtp uses it from the thread
 * that calls smtp_run only).
 */
#ifndef RUNDBRIEF_RATELIMIT_H
#define RUNDBRIEF_RATELIMIT_H

#include <stddef.h>
#include <time.h>

struct ratelimit;

/*
 * A limiter allowing per_second messages a second (0: no limit) and
 * per_hour messages in any hour (0: no limit). Both must be >= 0 (the
 * caller checks). Never NULL (out of memory is fatal); free with
 * ratelimit_free().
 */
struct ratelimit *ratelimit_new(double per_second, long per_hour);

/* Frees the limiter. NULL is fine. */
void ratelimit_free(struct ratelimit *rl);

/*
 * Counts messages started at the given wall-clock times into the hour
 * window. Times older than an hour are ignored, future ones count as now.
 * No-op without a per-hour limit.
 */
void ratelimit_seed(struct ratelimit *rl, const time_t *times, size_t n);

/* Milliseconds until both limits allow the next message (0: now). */
long ratelimit_wait_ms(struct ratelimit *rl);

/* Records that a message starts now (call only when the wait is 0). */
void ratelimit_note(struct ratelimit *rl);

#endif
