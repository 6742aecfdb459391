/*
 * webguard: fixed-window counters per (kind, key) in a fixed table.
 *
 * A slot holds the hash of kind and key, when its window started, how
 * many attempts fell into it and when it was last used. Lookups scan the
 * table (a few thousand slots: microseconds, under the caller's lock).
 * A full table gives the least recently used slot to a new key: under a
 * flood of new keys an old counter is forgotten, never memory spent.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "webguard.h"

#define KEY_BYTES 16

struct slot {
	unsigned char key[KEY_BYTES];
	int used;
	time_t start;       /* the window's first attempt */
	time_t last;        /* the latest attempt */
	long count;         /* attempts in the window */
};

struct webguard {
	struct slot *slots;
	size_t n;
};

struct webguard *
webguard_new(size_t slots)
{
	struct webguard *g = xcalloc(1, sizeof(*g));

	g->n = slots > 0 ? slots : 1;
	g->slots = xcalloc(g->n, sizeof(*g->slots));
	return g;
}

void
webguard_free(struct webguard *g)
{
	if (g == NULL)
		return;
	free(g->slots);
	free(g);
}

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* The first KEY_BYTES of SHA-256("kind\0key"), key lower-cased. */
static void
hash_key(const char *kind, const char *key, unsigned char out[KEY_BYTES])
{
	struct buf b;
	char hex[65];
	const char *p;
	size_t i;

	buf_init(&b);
	buf_puts(&b, kind);
	buf_putc(&b, '\0');
	for (p = key; *p; p++)
		buf_putc(&b, (char)tolower((unsigned char)*p));
	sha256_hex(b.data, b.len, hex);
	buf_free(&b);
	for (i = 0; i < KEY_BYTES; i++)
		out[i] = (unsigned char)(hexval(hex[2 * i]) << 4 |
		    hexval(hex[2 * i + 1]));
}

/* The slot of h, or NULL; *lru the least recently used (or a free) one. */
static struct slot *
lookup(struct webguard *g, const unsigned char h[KEY_BYTES],
    struct slot **lru)
{
	size_t i;

	*lru = NULL;
	for (i = 0; i < g->n; i++) {
		struct slot *s = &g->slots[i];

		if (!s->used) {
			if (*lru == NULL || (*lru)->used)
				*lru = s;
			continue;
		}
		if (memcmp(s->key, h, KEY_BYTES) == 0)
			return s;
		if (*lru == NULL || ((*lru)->used && s->last < (*lru)->last))
			*lru = s;
	}
	return NULL;
}

static long
in_window(const struct slot *s, time_t window, time_t now)
{
	if (s == NULL || now - s->start >= window || now < s->start)
		return 0;
	return s->count;
}

int
webguard_hit(struct webguard *g, const char *kind, const char *key, int max,
    time_t window, time_t now)
{
	unsigned char h[KEY_BYTES];
	struct slot *s, *lru;

	hash_key(kind, key, h);
	s = lookup(g, h, &lru);
	if (s == NULL) {
		s = lru;
		memcpy(s->key, h, KEY_BYTES);
		s->used = 1;
		s->count = 0;
	}
	if (in_window(s, window, now) == 0) {
		s->start = now;
		s->count = 0;
	}
	s->last = now;
	/* no overflow however long a flood goes on */
	if (s->count <= max)
		s->count++;
	return s->count > max;
}

int
webguard_over(struct webguard *g, const char *kind, const char *key, int max,
    time_t window, time_t now)
{
	unsigned char h[KEY_BYTES];
	struct slot *lru;

	hash_key(kind, key, h);
	return in_window(lookup(g, h, &lru), window, now) >= max;
}
