/*
 * ratelimit: messages per second and per hour (see ratelimit.h).
 *
 * Per second: the earliest moment the next message may start moves on by
 * 1/rate with every message; a pause does not save up a burst beyond
 * "start now". Per hour: 3600 buckets of one wall-clock second each (a
 * ring indexed by time modulo 3600) and their total, so the wait for the
 * next free slot is exact to the second and memory is fixed (14 KB).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ratelimit.h"
#include "util.h"

#define HOUR	3600

struct ratelimit {
	double per_second;
	double next_ok;			/* CLOCK_MONOTONIC, seconds */
	long per_hour;
	uint32_t *hour;			/* HOUR buckets of one second each */
	unsigned long hour_total;
	time_t hour_last;		/* the newest second in the window */
};

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
bucket(time_t t)
{
	return (size_t)(((t % HOUR) + HOUR) % HOUR);
}

struct ratelimit *
ratelimit_new(double per_second, long per_hour)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->per_second = per_second > 0 ? per_second : 0;
	rl->per_hour = per_hour > 0 ? per_hour : 0;
	if (rl->per_hour > 0)
		rl->hour = xcalloc(HOUR, sizeof(rl->hour[0]));
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->hour);
	free(rl);
}

/* Moves the window's end to now, emptying the seconds that fell out. A
 * clock that steps back keeps the window where it was (we never count a
 * second twice), so quota frees up late rather than early. */
static void
hour_advance(struct ratelimit *rl, time_t now)
{
	time_t t;

	if (now <= rl->hour_last)
		return;
	if (now - rl->hour_last >= HOUR) {
		memset(rl->hour, 0, HOUR * sizeof(rl->hour[0]));
		rl->hour_total = 0;
	} else {
		for (t = rl->hour_last + 1; t <= now; t++) {
			rl->hour_total -= rl->hour[bucket(t)];
			rl->hour[bucket(t)] = 0;
		}
	}
	rl->hour_last = now;
}

void
ratelimit_seed(struct ratelimit *rl, const time_t *times, size_t n)
{
	time_t t;
	size_t i;

	if (rl->per_hour <= 0)
		return;
	hour_advance(rl, time(NULL));
	for (i = 0; i < n; i++) {
		t = times[i] > rl->hour_last ? rl->hour_last : times[i];
		if (rl->hour_last - t >= HOUR)
			continue;
		rl->hour[bucket(t)]++;
		rl->hour_total++;
	}
}

long
ratelimit_wait_ms(struct ratelimit *rl)
{
	struct timespec ts;
	unsigned long left;
	double w = 0, d;
	time_t t;

	if (rl->per_second > 0 && (d = rl->next_ok - mono_now()) > w)
		w = d;
	if (rl->per_hour > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		hour_advance(rl, ts.tv_sec);
		if (rl->hour_total >= (unsigned long)rl->per_hour) {
			/* The oldest seconds leave the window first: find the
			 * one whose leaving brings us under the limit. */
			left = rl->hour_total;
			for (t = rl->hour_last - HOUR + 1; t < rl->hour_last;
			    t++) {
				left -= rl->hour[bucket(t)];
				if (left < (unsigned long)rl->per_hour)
					break;
			}
			d = (double)(t + HOUR) -
			    ((double)ts.tv_sec + ts.tv_nsec / 1e9);
			if (d > w)
				w = d;
		}
	}
	return w > 0 ? (long)ceil(w * 1000) : 0;
}

void
ratelimit_note(struct ratelimit *rl)
{
	double now;

	if (rl->per_second > 0) {
		now = mono_now();
		if (rl->next_ok < now)
			rl->next_ok = now;
		rl->next_ok += 1.0 / rl->per_second;
	}
	if (rl->per_hour > 0) {
		hour_advance(rl, time(NULL));
		rl->hour[bucket(rl->hour_last)]++;
		rl->hour_total++;
	}
}
