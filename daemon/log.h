/*
 * log: four printf-checked calls. Messages go to stderr; under systemd
 * (JOURNAL_STREAM or NOTIFY_SOCKET set) each line carries a <N> priority
 * prefix that journald understands.
 *
 * Text from outside (names, SMTP replies) must go through str_sanitize()
 * before it is logged.
 */
#ifndef RUNDBRIEF_LOG_H
#define RUNDBRIEF_LOG_H

void log_init(const char *progname);
/* 1 = also log debug lines (log_debug), 0 = not. */
void log_set_verbose(int verbose);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
