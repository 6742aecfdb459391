/*
 * senderlock: only one sender per database. The daemon (for its whole
 * life) and `rundbrief queue run` (for its run) hold an exclusive flock(2)
 * on DATABASE.lock beside the database, with their pid written in it. Rows
 * left in "sending" belong to the lock's holder; whoever takes the lock
 * knows their sender is gone and may queue them again (outbox_recover).
 * The kernel drops the lock when its holder dies, kill -9 included.
 */
#ifndef RUNDBRIEF_SENDERLOCK_H
#define RUNDBRIEF_SENDERLOCK_H

#include <sys/types.h>

/*
 * Takes the lock for the database at db_path without waiting.
 * Returns a file descriptor (>= 0) to keep open while sending; -1 when
 * another process holds it (*holder: its pid, or 0 if unknown); -2 on
 * error with *errstr (caller frees).
 */
int senderlock_take(const char *db_path, pid_t *holder, char **errstr);

/* Gives the lock up (closes fd); -1 is fine. */
void senderlock_release(int fd);

#endif
