/* tmplvalue: owned value trees that feed the template engine. */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "tmplvalue.h"
#include "util.h"

struct tv_ent {
	char		*key;
	size_t		 klen;
	struct tv	*val;
};

struct tv {
	enum tv_type	 type;
	union {
		int	 b;
		struct {
			char	*s;	/* points just past the struct */
			size_t	 len;
		} str;
		struct {
			struct tv	**items;
			size_t		  n, cap;
		} list;
		struct {
			/* hashes[] apart from ents[] so a lookup scans a
			 * dense array of integers. */
			uint32_t	*hashes;
			struct tv_ent	*ents;
			size_t		 n, cap;
		} obj;
	} u;
};

static struct tv *
tv_new(enum tv_type type)
{
	struct tv *v = xcalloc(1, sizeof(*v));

	v->type = type;
	return v;
}

struct tv *
tv_null(void)
{
	return tv_new(TV_NULL);
}

struct tv *
tv_bool(int b)
{
	struct tv *v = tv_new(TV_BOOL);

	v->u.b = b != 0;
	return v;
}

struct tv *
tv_stringn(const char *s, size_t len)
{
	struct tv *v;

	/* One allocation for the node and its bytes. */
	v = xmalloc(sizeof(*v) + len + 1);
	v->type = TV_STRING;
	v->u.str.s = (char *)(v + 1);
	if (len > 0)
		memcpy(v->u.str.s, s, len);
	v->u.str.s[len] = '\0';
	v->u.str.len = len;
	return v;
}

struct tv *
tv_string(const char *s)
{
	if (s == NULL)
		return tv_null();
	return tv_stringn(s, strlen(s));
}

struct tv *
tv_list(void)
{
	return tv_new(TV_LIST);
}

struct tv *
tv_object(void)
{
	return tv_new(TV_OBJECT);
}

void
tv_free(struct tv *v)
{
	size_t i;

	if (v == NULL)
		return;
	switch (v->type) {
	case TV_LIST:
		for (i = 0; i < v->u.list.n; i++)
			tv_free(v->u.list.items[i]);
		free(v->u.list.items);
		break;
	case TV_OBJECT:
		for (i = 0; i < v->u.obj.n; i++) {
			free(v->u.obj.ents[i].key);
			tv_free(v->u.obj.ents[i].val);
		}
		free(v->u.obj.ents);
		free(v->u.obj.hashes);
		break;
	default:
		break;
	}
	free(v);
}

/* FNV-1a, 32 bits: short keys, no adversary (the keys are ours). */
uint32_t
tv_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return h;
}

static ssize_t
obj_find(const struct tv *obj, const char *key, size_t len, uint32_t hash)
{
	const uint32_t *hs = obj->u.obj.hashes;
	size_t i, n = obj->u.obj.n;

	for (i = 0; i < n; i++) {
		if (hs[i] != hash)
			continue;
		if (obj->u.obj.ents[i].klen == len &&
		    memcmp(obj->u.obj.ents[i].key, key, len) == 0)
			return (ssize_t)i;
	}
	return -1;
}

const struct tv *
tv_lookup(const struct tv *obj, const char *key, size_t len, uint32_t hash)
{
	ssize_t i;

	if (obj == NULL || obj->type != TV_OBJECT)
		return NULL;
	if ((i = obj_find(obj, key, len, hash)) < 0)
		return NULL;
	return obj->u.obj.ents[i].val;
}

const struct tv *
tv_get(const struct tv *obj, const char *key)
{
	size_t len;

	if (key == NULL)
		return NULL;
	len = strlen(key);
	return tv_lookup(obj, key, len, tv_hash(key, len));
}

int
tv_set(struct tv *obj, const char *key, struct tv *val)
{
	size_t len, cap;
	uint32_t h;
	ssize_t i;

	if (obj == NULL || obj->type != TV_OBJECT || key == NULL) {
		tv_free(val);
		return -1;
	}
	if (val == NULL)
		val = tv_null();
	len = strlen(key);
	h = tv_hash(key, len);
	if ((i = obj_find(obj, key, len, h)) >= 0) {
		tv_free(obj->u.obj.ents[i].val);
		obj->u.obj.ents[i].val = val;
		return 0;
	}
	if (obj->u.obj.n == obj->u.obj.cap) {
		cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 8;
		obj->u.obj.ents = xrealloc(obj->u.obj.ents,
		    cap * sizeof(*obj->u.obj.ents));
		obj->u.obj.hashes = xrealloc(obj->u.obj.hashes,
		    cap * sizeof(*obj->u.obj.hashes));
		obj->u.obj.cap = cap;
	}
	obj->u.obj.hashes[obj->u.obj.n] = h;
	obj->u.obj.ents[obj->u.obj.n].key = xstrndup(key, len);
	obj->u.obj.ents[obj->u.obj.n].klen = len;
	obj->u.obj.ents[obj->u.obj.n].val = val;
	obj->u.obj.n++;
	return 0;
}

int
tv_set_str(struct tv *obj, const char *key, const char *s)
{
	return tv_set(obj, key, tv_string(s));
}

int
tv_push(struct tv *list, struct tv *val)
{
	size_t cap;

	if (list == NULL || list->type != TV_LIST) {
		tv_free(val);
		return -1;
	}
	if (val == NULL)
		val = tv_null();
	if (list->u.list.n == list->u.list.cap) {
		cap = list->u.list.cap ? list->u.list.cap * 2 : 8;
		list->u.list.items = xrealloc(list->u.list.items,
		    cap * sizeof(*list->u.list.items));
		list->u.list.cap = cap;
	}
	list->u.list.items[list->u.list.n++] = val;
	return 0;
}

enum tv_type
tv_type(const struct tv *v)
{
	return v == NULL ? TV_NULL : v->type;
}

int
tv_true(const struct tv *v)
{
	return v != NULL && v->type == TV_BOOL && v->u.b;
}

const char *
tv_str(const struct tv *v, size_t *len)
{
	if (v == NULL || v->type != TV_STRING)
		return NULL;
	if (len != NULL)
		*len = v->u.str.len;
	return v->u.str.s;
}

size_t
tv_len(const struct tv *v)
{
	if (v == NULL)
		return 0;
	if (v->type == TV_LIST)
		return v->u.list.n;
	if (v->type == TV_OBJECT)
		return v->u.obj.n;
	return 0;
}

const struct tv *
tv_at(const struct tv *v, size_t i)
{
	if (v == NULL || v->type != TV_LIST || i >= v->u.list.n)
		return NULL;
	return v->u.list.items[i];
}

const char *
tv_key_at(const struct tv *v, size_t i, const struct tv **val)
{
	if (v == NULL || v->type != TV_OBJECT || i >= v->u.obj.n)
		return NULL;
	if (val != NULL)
		*val = v->u.obj.ents[i].val;
	return v->u.obj.ents[i].key;
}
