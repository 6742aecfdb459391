/*
 * tmplpriv: the parsed form of a template, shared by the template
 * engine's parser (template.c) and renderer (tmplrender.c) only. Other
 * modules use template.h.
 *
 * A source is parsed into a flat array of instructions (struct op); a tag
 * with a body (section, inverted section, block, parent) is followed by
 * its body, which ends before ops[i].end. Each partial is parsed once into
 * its own unit, and every tag naming it points at that unit.
 */
#ifndef RUNDBRIEF_TMPLPRIV_H
#define RUNDBRIEF_TMPLPRIV_H

#include <stddef.h>
#include <stdint.h>

#include "template.h"

enum op_kind {
	OP_TEXT,	/* s, n: literal bytes */
	OP_VAR,		/* name: escaped in HTML mode */
	OP_RAW,		/* name: never escaped */
	OP_SECTION,	/* name, end */
	OP_INVERTED,	/* name, end */
	OP_PARTIAL,	/* unit; s, n: indentation when standalone */
	OP_DYNAMIC,	/* name: its value names the partial; s, n as above */
	OP_BLOCK,	/* name, end: default content, overridable */
	OP_PARENT	/* unit, name, end: block overrides; s, n as above */
};

struct seg {
	const char	*s;
	uint32_t	 len;
	uint32_t	 hash;		/* tv_hash(s, len) */
};

/* A context name, split at the dots at parse time. nseg == 0 is ".". */
struct name {
	char		*full;		/* as written, "a.b.c" */
	size_t		 nseg;
	struct seg	 seg[];
};

struct op {
	uint8_t		 kind;		/* enum op_kind */
	uint8_t		 bol;		/* first on its line: is indented */
	uint8_t		 standalone;	/* partial tags: alone on their line */
	uint32_t	 line, col;	/* of the tag, 1-based */
	size_t		 end;		/* ops with a body: index after it */
	const char	*s;		/* into the unit's src */
	size_t		 n;
	struct name	*name;
	struct unit	*unit;
};

/* One parsed source: the template itself or one partial. */
struct unit {
	char		*name;		/* partial's name; template: NULL */
	char		*file;		/* for error messages */
	char		*src;
	size_t		 len;
	struct op	*ops;
	size_t		 nops, capops;
	int		 ok;		/* parsed without error */
};

/* Every unit of a template. Changes after tmpl_parse only when a dynamic
 * partial is first met while rendering, through the callback that
 * tmpl_dynamic_partials() set (fn is NULL without one). */
struct units {
	struct unit	**u;		/* u[0] is the template */
	size_t		  n, cap;
	tmpl_partial_fn	  fn;
	void		 *arg;
	int		  loading;	/* partials being parsed, nested */
};

struct tmpl {
	enum tmpl_mode	 mode;
	struct units	*units;		/* mutable behind a const tmpl */
};

/* The unit of the partial name (n bytes), or NULL if not loaded yet. */
struct unit	*tmpl_unit_find(const struct units *, const char *name,
		    size_t n);

/*
 * Asks the callback for the partial name (n bytes) and parses it. Returns
 * the new unit (check its ok: when it failed to parse, *errstr is set if
 * errstr is not NULL), or NULL when the callback does not know the name.
 * Either way the name is remembered, so the callback is asked once.
 */
struct unit	*tmpl_unit_load(struct units *, const char *name, size_t n,
		    char **errstr);

#endif
