/*
 * tmplvalue: the context data given to the template engine (template.h).
 *
 * A value tree of null, bool, string, list and object nodes. Every node
 * owns its children: tv_free() on the root frees the whole tree, and the
 * functions that attach a value to a list or an object take ownership of
 * it. Strings are copied (UTF-8 expected, not checked; embedded NULs are
 * kept with tv_stringn()). Objects keep their keys in insertion order and
 * look keys up by a precomputed 32-bit hash, so a lookup in an object of a
 * few dozen keys is a short scan over integers.
 *
 * There is no number type: callers format numbers as strings, the way they
 * want them to appear in a mail.
 *
 * Out-of-memory is fatal (util.h); no function here returns NULL for lack
 * of memory.
 */
#ifndef RUNDBRIEF_TMPLVALUE_H
#define RUNDBRIEF_TMPLVALUE_H

#include <stddef.h>
#include <stdint.h>

struct tv;

enum tv_type {
	TV_NULL,
	TV_BOOL,
	TV_STRING,
	TV_LIST,
	TV_OBJECT
};

/* Constructors. Each returns a new value the caller owns (free it with
 * tv_free(), or hand it to tv_set()/tv_push()). */
struct tv *tv_null(void);
struct tv *tv_bool(int b);		/* any non-zero b is true */
struct tv *tv_string(const char *s);	/* copies s; NULL gives tv_null() */
struct tv *tv_stringn(const char *s, size_t len); /* copies len bytes */
struct tv *tv_list(void);		/* empty list */
struct tv *tv_object(void);		/* empty object */

/* Frees v and everything below it. NULL is ignored. */
void tv_free(struct tv *v);

/*
 * Sets key in obj to val, taking ownership of val. An existing key keeps
 * its position and its old value is freed. Returns 0, or -1 (and frees val)
 * when obj is NULL or not an object or key is NULL. A NULL val stores null.
 */
int tv_set(struct tv *obj, const char *key, struct tv *val);

/* tv_set(obj, key, tv_string(s)); a NULL s stores null. Same returns. */
int tv_set_str(struct tv *obj, const char *key, const char *s);

/* Appends val to list, taking ownership. Returns 0, or -1 (and frees val)
 * when list is NULL or not a list. A NULL val appends null. */
int tv_push(struct tv *list, struct tv *val);

/* The value stored under key in obj (still owned by obj), or NULL when obj
 * is NULL, not an object, or has no such key. */
const struct tv *tv_get(const struct tv *obj, const char *key);

/* Accessors. All accept NULL (giving TV_NULL / 0 / NULL). */
enum tv_type tv_type(const struct tv *v);
int tv_true(const struct tv *v);	/* the bool; 0 for non-bools */
/* The bytes of a string (NUL-terminated; length in *len when len is not
 * NULL), or NULL for anything that is not a string. */
const char *tv_str(const struct tv *v, size_t *len);
size_t tv_len(const struct tv *v);	/* items of a list, keys of an object */
/* Item i of a list, or NULL when out of range or v is not a list. */
const struct tv *tv_at(const struct tv *v, size_t i);
/* Key i of an object (insertion order) and its value in *val, or NULL. */
const char *tv_key_at(const struct tv *v, size_t i, const struct tv **val);

/*
 * Lookup with a precomputed hash, for the template engine: hash must be
 * tv_hash(key, len). Same result as tv_get() but the key need not be
 * NUL-terminated.
 */
uint32_t tv_hash(const char *key, size_t len);
const struct tv *tv_lookup(const struct tv *obj, const char *key, size_t len,
    uint32_t hash);

#endif
