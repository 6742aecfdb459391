/*
 * sdnotify: the systemd notification protocol (Type=notify) in a few lines:
 * datagrams to $NOTIFY_SOCKET. Does nothing outside systemd.
 */
#ifndef RUNDBRIEF_SDNOTIFY_H
#define RUNDBRIEF_SDNOTIFY_H

/* Sends state (e.g. "READY=1", "STOPPING=1", "WATCHDOG=1",
 * "STATUS=…"). Returns 0, or -1 when not under systemd or on error. */
int sdnotify(const char *state);

/* The watchdog interval in microseconds from $WATCHDOG_USEC, 0 if none. */
unsigned long long sdnotify_watchdog_usec(void);

#endif
