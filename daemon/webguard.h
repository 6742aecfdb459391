/*
 * webguard: rundbrief-web's limits against abuse — how often one key
 * (a client address, a subscribe address) may do one thing (a kind:
 * "subscribe", "token" …) within a window of seconds. In memory (the web
 * service is one process) and bounded: a fixed table of slots; when it is
 * full, the slot used least recently is taken over. Keys are kept as
 * SHA-256 of kind and key only, so no address stays in memory as text.
 *
 * Not thread-safe: the caller serialises (rundbrief-web calls it with
 * w->lock held). The smtp module's sending limits are ratelimit.h.
 */
#ifndef RUNDBRIEF_WEBGUARD_H
#define RUNDBRIEF_WEBGUARD_H

#include <stddef.h>
#include <time.h>

struct webguard;

/* A table of slots entries (at least 1). Never NULL (out of memory is
 * fatal); free with webguard_free(). */
struct webguard *webguard_new(size_t slots);
void webguard_free(struct webguard *g);

/*
 * Counts one attempt of key at kind at now. A window starts with the
 * first attempt and lasts window seconds. Returns 1 when this attempt is
 * over the limit (more than max in the window), else 0. key compares
 * case-insensitively (ASCII).
 */
int webguard_hit(struct webguard *g, const char *kind, const char *key,
    int max, time_t window, time_t now);

/* 1 when key has used up max attempts at kind in its current window (the
 * next webguard_hit() would be over), without counting; else 0. */
int webguard_over(struct webguard *g, const char *kind, const char *key,
    int max, time_t window, time_t now);

#endif
