/* tmplset: template lookup (override directory, then built-in) and cache. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "embedded.h"
#include "tmplset.h"
#include "util.h"

const char *const tmplset_names[] = { "newsletter", "invitation", "update",
	"cancellation", "reminder", "confirm", "welcome", "unsubscribed",
	"announcement", NULL };
const char *const tmplset_parts[] = { "subject", "txt", "html", NULL };

struct entry {
	char *key;          /* "lang/name.part" as asked */
	struct tmpl *t;
	char *used_lang;
};

struct source {
	char *rel;
	char *src;
	size_t len;
};

struct tmplset {
	tmplset_loader loader;
	void *loader_arg;
	struct source *sources;   /* every file read, for freezing */
	size_t nsources;
	char *dir;
	char *default_lang;
	struct entry *cache;
	size_t n, cap;
	char **langs;
	size_t nlangs;
};

/* Context of a partial lookup. */
struct plookup {
	struct tmplset *ts;
	const char *lang;
	const char *ext;    /* "html" or "txt" */
	const char *dir;    /* "" or the template's folder, "web/" */
};

struct tmplset *
tmplset_new(const char *override_dir, const char *default_lang)
{
	struct tmplset *ts = xcalloc(1, sizeof(*ts));

	ts->dir = override_dir ? xstrdup(override_dir) : NULL;
	ts->default_lang = xstrdup(default_lang ? default_lang : "de");
	return ts;
}

static void add_lang(struct tmplset *ts, const char *lang, size_t n);

struct tmplset *
tmplset_new_loader(tmplset_loader loader, void *arg, const char *default_lang,
    const char *const *langs)
{
	struct tmplset *ts = tmplset_new(NULL, default_lang);

	ts->loader = loader;
	ts->loader_arg = arg;
	add_lang(ts, ts->default_lang, strlen(ts->default_lang));
	for (; langs != NULL && *langs != NULL; langs++)
		add_lang(ts, *langs, strlen(*langs));
	return ts;
}

void
tmplset_each_source(struct tmplset *ts, void (*fn)(void *arg,
    const char *rel, const char *src, size_t len), void *arg)
{
	size_t i;

	for (i = 0; i < ts->nsources; i++)
		fn(arg, ts->sources[i].rel, ts->sources[i].src,
		    ts->sources[i].len);
}

static void
remember(struct tmplset *ts, const char *rel, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < ts->nsources; i++)
		if (strcmp(ts->sources[i].rel, rel) == 0)
			return;
	ts->sources = xrealloc(ts->sources,
	    (ts->nsources + 1) * sizeof(*ts->sources));
	ts->sources[ts->nsources].rel = xstrdup(rel);
	ts->sources[ts->nsources].src = xstrndup(src, len);
	ts->sources[ts->nsources].len = len;
	ts->nsources++;
}

void
tmplset_free(struct tmplset *ts)
{
	size_t i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->nsources; i++) {
		free(ts->sources[i].rel);
		free(ts->sources[i].src);
	}
	free(ts->sources);
	for (i = 0; i < ts->n; i++) {
		free(ts->cache[i].key);
		free(ts->cache[i].used_lang);
		tmpl_free(ts->cache[i].t);
	}
	for (i = 0; i < ts->nlangs; i++)
		free(ts->langs[i]);
	free(ts->langs);
	free(ts->cache);
	free(ts->dir);
	free(ts->default_lang);
	free(ts);
}

/*
 * Reads rel ("de/newsletter.html.mustache") from the override directory or
 * the built-in set. Returns 0 with *src, *len, *filename (all malloc'd), 1
 * if it exists nowhere, -1 on a read error (*filename holds the message).
 */
static int
load_files(struct tmplset *ts, const char *rel, char **src, size_t *len,
    char **filename)
{
	const struct embedded_file *ef;
	char *path;

	if (ts->loader != NULL)
		return ts->loader(ts->loader_arg, rel, src, len, filename);
	if (ts->dir != NULL) {
		path = xasprintf("%s/%s", ts->dir, rel);
		if (file_read_all(path, src, len) == 0) {
			*filename = path;
			return 0;
		}
		if (errno != ENOENT) {
			*filename = xasprintf("%s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	ef = embedded_find(rel);
	if (ef == NULL)
		return 1;
	*src = xstrndup(ef->data, ef->len);
	*len = ef->len;
	*filename = xasprintf("(built-in) templates/%s", rel);
	return 0;
}

static int
load(struct tmplset *ts, const char *rel, char **src, size_t *len,
    char **filename)
{
	int rc = load_files(ts, rel, src, len, filename);

	if (rc == 0)
		remember(ts, rel, *src, *len);
	return rc;
}

/* Tries lang, then the default language. */
static int
load_lang(struct tmplset *ts, const char *lang, const char *file, char **src,
    size_t *len, char **filename, const char **used)
{
	char *rel = xasprintf("%s/%s", lang, file);
	int rc = load(ts, rel, src, len, filename);

	free(rel);
	*used = lang;
	if (rc == 1 && strcmp(lang, ts->default_lang) != 0) {
		rel = xasprintf("%s/%s", ts->default_lang, file);
		rc = load(ts, rel, src, len, filename);
		free(rel);
		*used = ts->default_lang;
	}
	return rc;
}

static int
partial_fn(void *arg, const char *name, char **src, size_t *len,
    char **filename)
{
	struct plookup *pl = arg;
	const char *used;
	char *file;
	int rc;

	if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0')
		return -1;
	file = xasprintf("%s%s.%s.mustache", pl->dir, name, pl->ext);
	rc = load_lang(pl->ts, pl->lang, file, src, len, filename, &used);
	free(file);
	if (rc == -1) {
		free(*filename);
		*filename = NULL;
	}
	return rc == 0 ? 0 : -1;
}

const struct tmpl *
tmplset_get(struct tmplset *ts, const char *lang, const char *name,
    const char *part, const char **used_lang, char **errstr)
{
	struct plookup pl;
	struct tmpl *t;
	char *key, *file, *src = NULL, *filename = NULL;
	const char *used;
	size_t i, len;
	int rc;

	key = xasprintf("%s/%s.%s", lang, name, part);
	for (i = 0; i < ts->n; i++)
		if (strcmp(ts->cache[i].key, key) == 0) {
			free(key);
			if (used_lang != NULL)
				*used_lang = ts->cache[i].used_lang;
			return ts->cache[i].t;
		}
	file = xasprintf("%s.%s.mustache", name, part);
	rc = load_lang(ts, lang, file, &src, &len, &filename, &used);
	free(file);
	if (rc != 0) {
		*errstr = rc < 0 ? filename : xasprintf("no template %s.%s for "
		    "language \"%s\" or \"%s\"", name, part, lang,
		    ts->default_lang);
		if (rc > 0)
			free(filename);
		free(key);
		return NULL;
	}
	pl.ts = ts;
	pl.lang = used;
	pl.ext = strcmp(part, "html") == 0 ? "html" : "txt";
	pl.dir = strrchr(name, '/') != NULL ? xstrndup(name,
	    (size_t)(strrchr(name, '/') - name) + 1) : xstrdup("");
	t = tmpl_parse(src, len, filename, strcmp(part, "html") == 0 ?
	    TMPL_HTML : TMPL_TEXT, partial_fn, &pl, errstr);
	free((char *)pl.dir);
	free(src);
	free(filename);
	if (t == NULL) {
		free(key);
		return NULL;
	}
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? 2 * ts->cap : 32;
		ts->cache = xrealloc(ts->cache, ts->cap * sizeof(*ts->cache));
	}
	ts->cache[ts->n].key = key;
	ts->cache[ts->n].t = t;
	ts->cache[ts->n].used_lang = xstrdup(used);
	if (used_lang != NULL)
		*used_lang = ts->cache[ts->n].used_lang;
	ts->n++;
	return t;
}

static void
add_lang(struct tmplset *ts, const char *lang, size_t n)
{
	size_t i;

	if (n == 0 || n > 15)
		return;
	for (i = 0; i < ts->nlangs; i++)
		if (strlen(ts->langs[i]) == n && !strncmp(ts->langs[i], lang, n))
			return;
	ts->langs = xrealloc(ts->langs, (ts->nlangs + 2) * sizeof(char *));
	ts->langs[ts->nlangs++] = xstrndup(lang, n);
	ts->langs[ts->nlangs] = NULL;
}

const char *const *
tmplset_languages(struct tmplset *ts)
{
	const struct embedded_file *ef;
	struct dirent *de;
	DIR *d;

	if (ts->langs != NULL)
		return (const char *const *)ts->langs;
	add_lang(ts, ts->default_lang, strlen(ts->default_lang));
	for (ef = embedded_files; ef->path != NULL; ef++)
		add_lang(ts, ef->path, strcspn(ef->path, "/"));
	if (ts->dir != NULL && (d = opendir(ts->dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && strlen(de->d_name) == 2)
				add_lang(ts, de->d_name, 2);
		closedir(d);
	}
	return (const char *const *)ts->langs;
}

int
tmplset_check(struct tmplset *ts, void (*fn)(void *arg, const char *msg),
    void *arg)
{
	const char *const *langs = tmplset_languages(ts);
	const char *used;
	char *err = NULL;
	size_t l, n, p;
	int errors = 0;

	for (l = 0; langs[l] != NULL; l++)
		for (n = 0; tmplset_names[n] != NULL; n++)
			for (p = 0; tmplset_parts[p] != NULL; p++) {
				if (tmplset_get(ts, langs[l], tmplset_names[n],
				    tmplset_parts[p], &used, &err) != NULL)
					continue;
				fn(arg, err);
				free(err);
				err = NULL;
				errors++;
			}
	return errors;
}
