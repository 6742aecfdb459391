/*
 * maildir: the file transport. When no SMTP server is configured, each
 * message is delivered into a Maildir (DIR/tmp, DIR/new, DIR/cur), where a
 * mail client or a person can read it, and where the tests can check it.
 */
#ifndef RUNDBRIEF_MAILDIR_H
#define RUNDBRIEF_MAILDIR_H

#include <stddef.h>

/*
 * Writes data (len bytes, as they are) to a new file in dir/new: creates
 * dir, dir/tmp, dir/new and dir/cur (mode 0700) when missing, writes the
 * file (mode 0600) under tmp/ with a unique name
 * ("SECONDS.MMICROSECONDSPPIDRRANDOM.rundbrief": no host name), fsyncs it,
 * renames it into new/ and fsyncs new/, so the message appears there whole
 * or not at all. On failure nothing is left behind in tmp/.
 * Returns 0 and, if path_out is not NULL, the new file's path in *path_out
 * (caller frees); or -1 with *errstr set (caller frees).
 */
int maildir_deliver(const char *dir, const char *data, size_t len,
    char **path_out, char **errstr);

#endif
