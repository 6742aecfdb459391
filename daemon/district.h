/*
 * district: the local networks (Stadtteile) subscribers and events belong to.
 * Names compare case-insensitively.
 */
#ifndef RUNDBRIEF_DISTRICT_H
#define RUNDBRIEF_DISTRICT_H

#include <stdint.h>

struct db;

/*
 * The id of district `name`. With create != 0 a missing district is added.
 * Returns the id (> 0), 0 when it does not exist (and create == 0), or -1
 * on a database error or an unusable name (empty, control characters, over
 * 80 characters) with *errstr set.
 */
int64_t district_id(struct db *db, const char *name, int create, char **errstr);

/* Adds a district; 1 = added, 0 = existed already, -1 = error (*errstr). */
int district_add(struct db *db, const char *name, char **errstr);

/* Calls fn for every district in name order with its member and event
 * counts. Returns 0 or -1. */
int district_list(struct db *db, void (*fn)(void *arg, int64_t id,
    const char *name, long subscribers, long events), void *arg);

#endif
