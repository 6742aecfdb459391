/* maildir: atomic delivery of one message into a Maildir. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "util.h"

/* mkdir -p with mode 0700 for the parts we create. */
static int
mkdirs(const char *path)
{
	char *p = xstrdup(path), *q, c;
	struct stat st;
	int r = 0;

	for (q = p + 1; r == 0; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		c = *q;
		*q = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			r = -1;
		else if (stat(p, &st) == -1)
			r = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			r = -1;
		}
		*q = c;
		if (c == '\0')
			break;
	}
	free(p);
	return r;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, r;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
maildir_deliver(const char *dir, const char *data, size_t len,
    char **path_out, char **errstr)
{
	static const char *sub[] = { "tmp", "new", "cur" };
	char *d = NULL, *name = NULL, *tmp = NULL, *dst = NULL, *rnd;
	const char *what;
	struct timeval tv;
	size_t i;
	int fd = -1, saved;

	*errstr = NULL;
	if (path_out != NULL)
		*path_out = NULL;
	if (dir == NULL || dir[0] == '\0') {
		*errstr = xstrdup("maildir: no directory given");
		return -1;
	}
	for (i = 0; i < 3; i++) {
		d = xasprintf("%s/%s", dir, sub[i]);
		if (mkdirs(d) == -1) {
			what = "cannot create";
			tmp = d;
			d = NULL;
			goto fail;
		}
		free(d);
	}
	d = xasprintf("%s/new", dir);
	gettimeofday(&tv, NULL);
	rnd = random_hex(8);
	name = xasprintf("%lld.M%06ldP%ldR%s.rundbrief", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), rnd);
	free(rnd);
	tmp = xasprintf("%s/tmp/%s", dir, name);
	dst = xasprintf("%s/%s", d, name);

	what = "cannot create";
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	what = "cannot write";
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1)
		goto fail_unlink;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	what = "cannot move into new/";
	if (rename(tmp, dst) == -1)
		goto fail_unlink;
	/* The message is in new/ now: a failure to sync the directory is
	 * worth a warning, not a retry that would deliver it twice. */
	if (fsync_dir(d) == -1)
		log_warn("maildir: fsync %s", d);
	free(tmp);
	free(name);
	free(d);
	if (path_out != NULL)
		*path_out = dst;
	else
		free(dst);
	return 0;
fail_unlink:
	saved = errno;
	if (fd != -1)
		close(fd);
	fd = -1;
	unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	*errstr = xasprintf("maildir: %s %s: %s", what, tmp, strerror(saved));
	free(tmp);
	free(dst);
	free(name);
	free(d);
	return -1;
}
