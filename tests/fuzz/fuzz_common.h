/*
 * Helpers shared by the libFuzzer targets in tests/fuzz/ (included by each
 * fuzz_*.c; not a module of the daemon).
 *
 *  FUZZ_CHECK(cond)   an invariant the module documents: when it fails the
 *                     target prints what failed and aborts, so libFuzzer
 *                     saves the input as a crash-* file.
 *  fuzz_quiet_*()     silence stderr around a call that reports errors there
 *                     (config.c prints every error of a file; the template
 *                     engine logs). Sanitizer reports and libFuzzer's own
 *                     output (also a timeout's) still reach the real stderr.
 *                     Set FUZZ_VERBOSE=1 to see the module's messages when
 *                     replaying an input.
 */
#ifndef RUNDBRIEF_FUZZ_COMMON_H
#define RUNDBRIEF_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *fuzz_real_stderr;	/* NULL: not silencing */
static FILE *fuzz_null;

static void fuzz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

static inline void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(fuzz_real_stderr != NULL ? fuzz_real_stderr : stderr,
	    "%s:%d: invariant failed: %s\n", file, line, what);
	abort();
}

#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

/*
 * Opens /dev/null for fuzz_quiet_begin(). Call once from
 * LLVMFuzzerInitialize(). Silencing swaps the stdio stream stderr (glibc
 * lets a program assign it), not file descriptor 2: the daemon's modules,
 * log.c and libical write through stderr, while the sanitizers write to
 * fd 2 and libFuzzer through its own copy of the original stream, so a
 * crash, leak or timeout inside a silenced call is still reported in full.
 */
static inline void
fuzz_quiet_init(void)
{
	const char *v = getenv("FUZZ_VERBOSE");

	if (fuzz_null != NULL || (v != NULL && *v != '\0' && *v != '0'))
		return;
	if ((fuzz_null = fopen("/dev/null", "we")) == NULL) {
		perror("fuzz_quiet_init: /dev/null");
		exit(1);
	}
}

static inline void
fuzz_quiet_begin(void)
{
	if (fuzz_null == NULL)
		return;
	fuzz_real_stderr = stderr;
	stderr = fuzz_null;
}

static inline void
fuzz_quiet_end(void)
{
	if (fuzz_real_stderr == NULL)
		return;
	fflush(stderr);
	stderr = fuzz_real_stderr;
	fuzz_real_stderr = NULL;
}

/* A NUL-terminated heap copy of data (ASan sees a read past its end). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
