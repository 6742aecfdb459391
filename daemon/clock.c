/* clock: the system clock, or a simulated one (see clock.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static time_t offset;
static int set;

time_t
clock_now(void)
{
	return time(NULL) + offset;
}

void
clock_set(time_t instant)
{
	offset = instant - time(NULL);
	set = 1;
}

int
clock_is_set(void)
{
	return set;
}

int
clock_parse_utc(const char *s, time_t *out)
{
	struct tm tm, back;
	time_t t;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec, &n) != 6 || n != 20 || tm.tm_year < 1970 ||
	    tm.tm_year > 9999)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	back = tm;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != back.tm_mday ||
	    tm.tm_mon != back.tm_mon || tm.tm_hour != back.tm_hour ||
	    tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		return -1;
	*out = t;
	return 0;
}
