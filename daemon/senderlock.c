/* senderlock: one sender per database (flock on DATABASE.lock). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "senderlock.h"
#include "util.h"

/* The pid written by the holder, 0 if none can be read. */
static pid_t
read_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long v;
	char *end;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	return v > 0 && (*end == '\n' || *end == '\0') ? (pid_t)v : 0;
}

int
senderlock_take(const char *db_path, pid_t *holder, char **errstr)
{
	char *path = xasprintf("%s.lock", db_path), pid[32];
	int fd, n;

	*holder = 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		*errstr = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return -2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e == EWOULDBLOCK) {
			*holder = read_holder(fd);
			close(fd);
			free(path);
			return -1;
		}
		*errstr = xasprintf("%s: flock: %s", path, strerror(e));
		close(fd);
		free(path);
		return -2;
	}
	free(path);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* the pid is only for messages: the lock holds without it */
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)n, 0);
	return fd;
}

void
senderlock_release(int fd)
{
	if (fd >= 0)
		close(fd);	/* drops the flock */
}
