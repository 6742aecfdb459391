/* deliver: outbox -> rendered, composed message -> transport -> outbox. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "db.h"
#include "deliver.h"
#include "ical.h"
#include "log.h"
#include "maildir.h"
#include "mailing.h"
#include "mime.h"
#include "outbox.h"
#include "smtp.h"
#include "subscriber.h"
#include "util.h"

#define CLAIM_BATCH 32
#define MAILING_CACHE 8
/* The same refusal for this many recipients in a row is not theirs. */
#define STREAK_MAX 20
#define MAX_BLOCKED 16

/* What record() writes. */
enum rec { REC_SENT, REC_TEMPFAIL, REC_PERMFAIL, REC_SKIP, REC_UNCLAIM };

struct deliver;
static int record(struct deliver *d, enum rec what, struct outbox_item *it,
    const char *message_id, int arg, const char *reply);

/* One message on its way. */
struct flight {
	struct outbox_item *it;
	struct buf data;
	char *message_id;
	char *envelope;
};

struct deliver {
	const struct config *cfg;
	struct db *db;
	struct smtp *smtp;         /* NULL: Maildir transport */
	struct outbox_item **queue;
	size_t nqueue, qpos;
	struct {
		int64_t id;
		struct mailing *m;
	} cache[MAILING_CACHE];
	size_t ncache, cnext;
	struct deliver_stats *stats;
	void (*progress)(void *, const struct deliver_stats *);
	void *parg;
	volatile sig_atomic_t stop, yield;
	int db_trouble;            /* a claim failed (database locked …) */
	char *from_name, *from_addr;
	char *salt;                /* of the Message-IDs */
	void (*tick)(void *);
	void *tick_arg;
	/* mailings blocked during this run: their claimed rows go back */
	int64_t blocked[MAX_BLOCKED];
	size_t nblocked;
	/* permanent refusals in a row, all alike, of one mailing */
	struct {
		int64_t mailing;
		char key[16];
		int64_t rows[STREAK_MAX];
		size_t n;
	} streak;
};

/* The database's secret salt (a fresh random one if it has none). */
static char *
msgid_salt(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT value FROM meta"
	    " WHERE key = 'tombstone_salt'");
	char *salt = NULL;

	if (sqlite3_step(st) == SQLITE_ROW)
		salt = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return salt != NULL && *salt != '\0' ? salt : random_hex(16);
}

/*
 * The Message-ID of an outbox row, the same every time it is written: a
 * message sent again after a crash (it was on the wire) is recognisably
 * the same message. A keyed hash, so it tells nothing about the row.
 */
static void
msgid_local(const struct deliver *d, int64_t row, char out[33])
{
	char hex[65], *in = xasprintf("%s:msgid:%lld", d->salt,
	    (long long)row);

	sha256_hex(in, strlen(in), hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
	free(in);
}

/* "subscriber 12", or the address of a row that is no subscriber's
 * (the coordinator's copy). */
static const char *
who(const struct outbox_item *it, char *buf, size_t size)
{
	if (it->sub->id != 0)
		snprintf(buf, size, "subscriber %lld", (long long)it->sub->id);
	else
		snprintf(buf, size, "%s", it->sub->email);
	return buf;
}

/* Splits "Name <addr>" or "addr". */
static void
split_from(const char *from, char **name, char **addr)
{
	const char *lt = strrchr(from, '<');
	char *n;

	if (lt == NULL) {
		*name = NULL;
		*addr = xstrdup(from);
		return;
	}
	*addr = xstrndup(lt + 1, strcspn(lt + 1, ">"));
	n = xstrndup(from, (size_t)(lt - from));
	str_trim(n);
	if (n[0] == '"' && strlen(n) > 1 && n[strlen(n) - 1] == '"') {
		memmove(n, n + 1, strlen(n));
		n[strlen(n) - 1] = '\0';
	}
	*name = n;
}

struct deliver *
deliver_new(const struct config *cfg, struct db *db, char **errstr)
{
	struct deliver *d = xcalloc(1, sizeof(*d));
	struct smtp_opts o;
	time_t *times;
	size_t n;

	d->cfg = cfg;
	d->db = db;
	d->salt = db != NULL ? msgid_salt(db) : random_hex(16);
	split_from(cfg->from, &d->from_name, &d->from_addr);
	if (cfg->smtp_url == NULL)
		return d;
	memset(&o, 0, sizeof(o));
	o.url = cfg->smtp_url;
	o.username = cfg->smtp_username;
	o.password = cfg->smtp_password;
	o.tls = cfg->tls == CONFIG_TLS_NONE ? SMTP_TLS_NONE : SMTP_TLS_REQUIRED;
	o.ca_file = cfg->ca_file;
	o.helo = cfg->message_id_domain ? cfg->message_id_domain :
	    strrchr(d->from_addr, '@') ? strrchr(d->from_addr, '@') + 1 : NULL;
	o.connections = cfg->connections;
	o.connect_timeout = cfg->connect_timeout;
	o.timeout = cfg->timeout;
	o.rate_per_second = cfg->rate_per_second;
	o.rate_per_hour = cfg->rate_per_hour;
	d->smtp = smtp_new(&o, errstr);
	if (d->smtp == NULL) {
		deliver_free(d);
		return NULL;
	}
	if (cfg->rate_per_hour > 0 && db != NULL) {
		n = outbox_sent_since(db, clock_now() - 3600, &times);
		smtp_seed_hour(d->smtp, times, n);
		free(times);
	}
	return d;
}

int
deliver_check(const struct config *cfg, FILE *fp)
{
	char *err = NULL, *clean;
	struct deliver *d = deliver_new(cfg, NULL, &err);

	if (d != NULL) {
		deliver_free(d);
		return 0;
	}
	clean = str_sanitize(err);
	fprintf(fp, "%s: [smtp] %s\n", cfg->path ? cfg->path :
	    "(embedded defaults)", clean);
	free(clean);
	free(err);
	return -1;
}

static void
unclaim_rest(struct deliver *d)
{
	for (; d->qpos < d->nqueue; d->qpos++) {
		record(d, REC_UNCLAIM, d->queue[d->qpos], NULL, 0, NULL);
		outbox_item_free(d->queue[d->qpos]);
	}
	free(d->queue);
	d->queue = NULL;
	d->nqueue = d->qpos = 0;
}

void
deliver_free(struct deliver *d)
{
	size_t i;

	if (d == NULL)
		return;
	unclaim_rest(d);
	for (i = 0; i < d->ncache; i++)
		mailing_free(d->cache[i].m);
	smtp_free(d->smtp);
	free(d->from_name);
	free(d->from_addr);
	free(d->salt);
	free(d);
}

void
deliver_stop(struct deliver *d)
{
	d->stop = 1;
	if (d->smtp != NULL)
		smtp_stop(d->smtp);
}

void
deliver_abort(struct deliver *d)
{
	d->stop = 1;
	if (d->smtp != NULL)
		smtp_abort(d->smtp);
}

void
deliver_yield(struct deliver *d)
{
	d->yield = 1;
}

void
deliver_set_tick(struct deliver *d, void (*fn)(void *arg), void *arg)
{
	d->tick = fn;
	d->tick_arg = arg;
	if (d->smtp != NULL)
		smtp_set_tick(d->smtp, fn, arg);
}

static int
is_blocked(const struct deliver *d, int64_t mailing)
{
	size_t i;

	for (i = 0; i < d->nblocked; i++)
		if (d->blocked[i] == mailing)
			return 1;
	return 0;
}

long
deliver_wait_ms(struct deliver *d)
{
	return d->smtp ? smtp_rate_wait_ms(d->smtp) : 0;
}

static struct mailing *
mailing_cached(struct deliver *d, int64_t id, char **errstr)
{
	struct mailing *m;
	size_t i;

	for (i = 0; i < d->ncache; i++)
		if (d->cache[i].id == id)
			return d->cache[i].m;
	if (mailing_load(d->cfg, d->db, id, &m, errstr) < 0)
		return NULL;
	if (d->ncache < MAILING_CACHE)
		i = d->ncache++;
	else {
		i = d->cnext;
		d->cnext = (d->cnext + 1) % MAILING_CACHE;
		mailing_free(d->cache[i].m);
	}
	d->cache[i].id = id;
	d->cache[i].m = m;
	return m;
}

int
deliver_compose(const struct config *cfg, struct mailing *m,
    const struct subscriber *s, const char *msgid_local, struct buf *out,
    char **message_id, char **errstr)
{
	struct mailing_msg mm;
	struct mime_msg msg;
	struct mime_header hdr[4];
	struct buf unsub;
	char *from_name, *from_addr, *list_id = NULL, *https = NULL;
	const char *reply = cfg->reply_to ? cfg->reply_to : cfg->organizer_email;
	size_t nh = 0;
	time_t now = clock_now();
	int rc;

	if (mailing_render(m, s, &mm, errstr) < 0)
		return -1;
	split_from(cfg->from, &from_name, &from_addr);
	buf_init(&unsub);
	memset(&msg, 0, sizeof(msg));
	if (strcmp(mailing_kind(m), "newsletter") == 0) {
		list_id = xasprintf("%s <%s>", cfg->organisation ?
		    cfg->organisation : "rundbrief", cfg->list_id);
		hdr[nh].name = "List-Id";
		hdr[nh].value = list_id;
		hdr[nh++].flags = 0;
		buf_printf(&unsub, "<mailto:%s?subject=unsubscribe%%20%s>", reply,
		    s->token);
		if (cfg->base_url != NULL && strncmp(cfg->base_url, "https://",
		    8) == 0) {
			size_t n = strlen(cfg->base_url);
			https = xasprintf("%s%su/%s", cfg->base_url,
			    cfg->base_url[n - 1] == '/' ? "" : "/", s->token);
			buf_printf(&unsub, ", <%s>", https);
		}
		hdr[nh].name = "List-Unsubscribe";
		hdr[nh].value = unsub.data;
		hdr[nh++].flags = MIME_HDR_RAW;
		/* RFC 8058: one-click only with an https URI to POST to */
		if (https != NULL) {
			hdr[nh].name = "List-Unsubscribe-Post";
			hdr[nh].value = "List-Unsubscribe=One-Click";
			hdr[nh++].flags = MIME_HDR_RAW;
		}
		hdr[nh].name = "Precedence";
		hdr[nh].value = "bulk";
		hdr[nh++].flags = MIME_HDR_RAW;
	} else {
		hdr[nh].name = "Auto-Submitted";
		hdr[nh].value = "auto-generated";
		hdr[nh++].flags = MIME_HDR_RAW;
	}
	msg.from_name = from_name;
	msg.from_addr = from_addr;
	msg.to_name = s->name[0] ? s->name : NULL;
	msg.to_addr = s->email;
	msg.reply_to_addr = cfg->reply_to;
	msg.subject = mm.r.subject;
	msg.msgid_domain = cfg->message_id_domain;
	msg.msgid_local = msgid_local;
	msg.date = now;
	{
		/* the Date header in the configured zone */
		struct tm tm;
		msg.utc_offset = ical_utc_to_local(cfg->timezone, now, &tm) == 0 ?
		    tm.tm_gmtoff : mime_utc_offset(now);
	}
	msg.extra = hdr;
	msg.n_extra = nh;
	msg.text = mm.r.text.data;
	msg.text_len = mm.r.text.len;
	msg.html = mm.r.html.data;
	msg.html_len = mm.r.html.len;
	if (mm.calendar != NULL) {
		msg.calendar = mm.calendar;
		msg.calendar_len = strlen(mm.calendar);
		msg.calendar_method = mm.calendar_method;
	}
	rc = mime_build(&msg, out, message_id, errstr);
	mailing_msg_free(&mm);
	buf_free(&unsub);
	free(list_id);
	free(https);
	free(from_name);
	free(from_addr);
	return rc;
}

static void
count(struct deliver *d, long *what)
{
	(*what)++;
	if (d->progress != NULL)
		d->progress(d->parg, d->stats);
}

static const char *
mailing_label(int64_t id, char *buf, size_t n)
{
	snprintf(buf, n, "mailing %lld", (long long)id);
	return buf;
}

/*
 * The status a subscriber must still have for a mail of this kind to go:
 * the confirmation request to a pending one, the confirmation of an
 * unsubscribe to an unsubscribed one, everything else to active ones only.
 */
static const char *
status_for(const char *kind)
{
	if (strcmp(kind, "confirm") == 0)
		return "pending";
	if (strcmp(kind, "unsubscribed") == 0)
		return "unsubscribed";
	return "active";
}

/*
 * Takes the next claimed row and makes its message; NULL when nothing is
 * due. Rows that cannot or must not be sent are settled here.
 */
static struct flight *
next_flight(struct deliver *d)
{
	struct flight *f;
	struct mailing *m;
	char *err = NULL, label[40], local[33];

	for (;;) {
		if (d->stop || d->yield)
			return NULL;
		if (d->qpos == d->nqueue) {
			long n;
			free(d->queue);
			d->queue = NULL;
			d->nqueue = d->qpos = 0;
			n = outbox_claim(d->db, clock_now(), CLAIM_BATCH,
			    &d->queue);
			if (n < 0)
				d->db_trouble = 1;
			if (n <= 0)
				return NULL;
			d->nqueue = (size_t)n;
		}
		f = xcalloc(1, sizeof(*f));
		f->it = d->queue[d->qpos++];
		buf_init(&f->data);
		if (is_blocked(d, f->it->mailing_id)) {
			record(d, REC_UNCLAIM, f->it, NULL, 0, NULL);
			goto next;
		}
		if (f->it->sub->id == 0 && f->it->sub->language[0] == '\0') {
			/* the coordinator's copy: the default language */
			free(f->it->sub->language);
			f->it->sub->language = xstrdup(d->cfg->language);
		}
		m = mailing_cached(d, f->it->mailing_id, &err);
		if (m != NULL && strcmp(f->it->sub->status,
		    status_for(mailing_kind(m))) != 0) {
			record(d, REC_SKIP, f->it, NULL, 0, strcmp(
			    status_for(mailing_kind(m)), "active") == 0 ?
			    "subscriber not active" : "subscriber's status "
			    "changed since");
			count(d, &d->stats->skipped);
			goto next;
		}
		msgid_local(d, f->it->id, local);
		if (m == NULL || deliver_compose(d->cfg, m, f->it->sub, local,
		    &f->data, &f->message_id, &err) < 0) {
			char *clean = str_sanitize(err ? err : "?");
			log_warnx("%s: cannot write the message to subscriber "
			    "%lld: %s", mailing_label(f->it->mailing_id, label,
			    sizeof(label)), (long long)f->it->sub->id, clean);
			record(d, REC_PERMFAIL, f->it, NULL, 0, clean);
			count(d, &d->stats->failed);
			free(clean);
			free(err);
			err = NULL;
			goto next;
		}
		if (d->cfg->envelope_from != NULL &&
		    f->it->sub->token[0] == '\0')
			f->envelope = xstrdup(d->cfg->envelope_from);
		else if (d->cfg->envelope_from != NULL) {
			f->envelope = smtp_verp_sender(d->cfg->envelope_from,
			    f->it->sub->token, &err);
			if (f->envelope == NULL) {
				free(err);
				err = NULL;
				f->envelope = xstrdup(d->cfg->envelope_from);
			}
		} else
			f->envelope = xstrdup(d->from_addr);
		return f;
next:
		buf_free(&f->data);
		free(f->message_id);
		outbox_item_free(f->it);
		free(f);
	}
}

static void
flight_free(struct flight *f)
{
	buf_free(&f->data);
	free(f->message_id);
	free(f->envelope);
	outbox_item_free(f->it);
	free(f);
}

/*
 * Writes an outcome into the outbox, and keeps trying while the database
 * cannot take it (locked by another process for longer than the busy
 * timeout): the outbox row is the only record of what happened, and the
 * connection that sent the message takes no other one meanwhile. Gives up
 * only when stopping and the database stays locked for STOP_RECORD_WAIT
 * seconds more: the row then stays "sending" and is sent again after a
 * restart (as if we had been killed). Returns what the write returned.
 */
#define STOP_RECORD_WAIT 5

static int
record(struct deliver *d, enum rec what, struct outbox_item *it,
    const char *message_id, int arg, const char *reply)
{
	time_t now = clock_now(), given_up = 0;
	int rc, tries = 0;

	for (;;) {
		switch (what) {
		case REC_SENT:
			rc = outbox_sent(d->db, it->id, message_id, reply,
			    now);
			break;
		case REC_TEMPFAIL:
			rc = outbox_tempfail(d->db, it, reply,
			    d->cfg->max_age, now);
			break;
		case REC_PERMFAIL:
			rc = outbox_permfail(d->db, it, reply, arg,
			    d->cfg->bounce_limit, now);
			break;
		case REC_SKIP:
			rc = outbox_skip(d->db, it->id, reply, now);
			break;
		default:
			rc = outbox_unclaim(d->db, it->id);
			break;
		}
		if (rc >= 0)
			break;
		if (tries++ == 0)
			log_warnx("cannot record the outcome for subscriber "
			    "%lld (%s); trying again until the database takes "
			    "it", (long long)it->sub->id, db_errmsg(d->db));
		if (d->stop) {
			if (given_up == 0)
				given_up = clock_now() + STOP_RECORD_WAIT;
			else if (clock_now() >= given_up) {
				log_warnx("stopping: the outcome for subscriber "
				    "%lld is not recorded; it is sent again "
				    "after a restart", (long long)it->sub->id);
				return -1;
			}
		}
		if (d->tick != NULL)
			d->tick(d->tick_arg);
		usleep(tries < 10 ? 50000 : 250000);
		now = clock_now();
	}
	if (tries > 0)
		log_info("recorded the outcome for subscriber %lld after %d "
		    "attempts", (long long)it->sub->id, tries + 1);
	return rc;
}

/* Stops a mailing whose messages fail for a reason that is not the
 * recipients': logged, so the coordinator knows what to fix. */
static void
block(struct deliver *d, int64_t mailing, const char *why)
{
	int rc;

	if (is_blocked(d, mailing))
		return;
	if (d->nblocked < MAX_BLOCKED)
		d->blocked[d->nblocked++] = mailing;
	while ((rc = outbox_block(d->db, mailing, why, clock_now())) < 0 &&
	    !d->stop)
		usleep(100000);
	if (rc == 1)
		log_warnx("mailing %lld blocked: %s. Nobody was marked as "
		    "bounced. Fix the cause, then run: rundbrief queue retry "
		    "%lld", (long long)mailing, why, (long long)mailing);
}

/* "554" or "550 5.1.1": what makes two refusals the same. */
static void
refusal_key(int code, const char *text, char key[16])
{
	size_t n = 0;

	if (text != NULL && strlen(text) > 4 && (text[3] == ' ' ||
	    text[3] == '-'))
		n = strspn(text + 4, "0123456789.");
	snprintf(key, 16, "%d %.*s", code, (int)(n < 11 ? n : 11),
	    n ? text + 4 : "");
}

/*
 * Follows permanent refusals: the same one for STREAK_MAX different
 * recipients in a row of one mailing is not about them. Their failures
 * are taken back (bounces undone, rows queued again) and the mailing is
 * blocked. Returns 1 when it blocked.
 */
static int
streak(struct deliver *d, struct flight *f, int failed, int code,
    const char *text)
{
	char key[16];

	if (!failed) {
		if (f->it->mailing_id == d->streak.mailing)
			d->streak.n = 0;
		return 0;
	}
	refusal_key(code, text, key);
	if (d->streak.mailing != f->it->mailing_id ||
	    strcmp(d->streak.key, key) != 0) {
		d->streak.mailing = f->it->mailing_id;
		memcpy(d->streak.key, key, sizeof(key));
		d->streak.n = 0;
	}
	d->streak.rows[d->streak.n++] = f->it->id;
	if (d->streak.n < STREAK_MAX)
		return 0;
	{
		char *why = xasprintf("%d recipients in a row were refused "
		    "with the same reply (%s)", STREAK_MAX, text);
		while (outbox_unfail(d->db, d->streak.rows, d->streak.n,
		    clock_now()) < 0 && !d->stop)
			usleep(100000);
		d->stats->failed -= (long)d->streak.n;
		block(d, f->it->mailing_id, why);
		free(why);
	}
	d->streak.n = 0;
	return 1;
}

/* Records the outcome of one message. */
static void
settle(struct deliver *d, struct flight *f, enum smtp_status status,
    int code, const char *text)
{
	char label[40], whom[300], *clean = str_sanitize(text ? text : "");
	int rc;

	mailing_label(f->it->mailing_id, label, sizeof(label));
	/* a mailing blocked meanwhile: what was already on its way and
	 * refused says nothing about the recipient either */
	if ((status == SMTP_PERMFAIL || status == SMTP_REJECTED) &&
	    is_blocked(d, f->it->mailing_id))
		status = SMTP_BLOCKED;
	switch (status) {
	case SMTP_SENT:
		record(d, REC_SENT, f->it, f->message_id, 0, clean);
		log_debug("%s: sent to %s: %s", label, who(f->it, whom,
		    sizeof(whom)), clean);
		streak(d, f, 0, code, clean);
		count(d, &d->stats->sent);
		break;
	case SMTP_TEMPFAIL:
		rc = record(d, REC_TEMPFAIL, f->it, NULL, 0, clean);
		log_info("%s: %s %s after %d attempt%s: %s", label,
		    who(f->it, whom, sizeof(whom)), rc == 1 ? "failed (too old)" :
		    "deferred", f->it->attempts + 1,
		    f->it->attempts ? "s" : "", clean);
		count(d, rc == 1 ? &d->stats->failed : &d->stats->deferred);
		break;
	case SMTP_BLOCKED:
		/* not this recipient's doing: back in the queue, untouched */
		record(d, REC_UNCLAIM, f->it, NULL, 0, NULL);
		if (!is_blocked(d, f->it->mailing_id))
			block(d, f->it->mailing_id, clean);
		break;
	case SMTP_ABORTED:
		record(d, REC_UNCLAIM, f->it, NULL, 0, NULL);
		log_info("%s: %s cut off while stopping; stays "
		    "queued", label, who(f->it, whom, sizeof(whom)));
		break;
	default:
		record(d, REC_PERMFAIL, f->it, NULL, status == SMTP_PERMFAIL,
		    clean);
		log_info("%s: %s failed%s: %s", label,
		    who(f->it, whom, sizeof(whom)), status == SMTP_PERMFAIL ?
		    " (hard bounce)" : "", clean);
		count(d, &d->stats->failed);
		streak(d, f, 1, code, clean);
		break;
	}
	free(clean);
}

static int
smtp_next(void *arg, struct smtp_msg *m)
{
	struct deliver *d = arg;
	struct flight *f = next_flight(d);

	if (f == NULL)
		return 0;
	m->envelope_from = f->envelope;
	m->rcpt = f->it->sub->email;
	m->data = f->data.data;
	m->len = f->data.len;
	m->cookie = f;
	return 1;
}

static void
smtp_done(void *arg, void *cookie, const struct smtp_result *r)
{
	struct deliver *d = arg;
	struct flight *f = cookie;

	settle(d, f, r->status, r->code, r->text);
	flight_free(f);
}

static int
run_maildir(struct deliver *d)
{
	struct flight *f;
	char *path = NULL, *err = NULL;

	while ((f = next_flight(d)) != NULL) {
		if (maildir_deliver(d->cfg->maildir, f->data.data, f->data.len,
		    &path, &err) < 0) {
			settle(d, f, SMTP_TEMPFAIL, 0, err);
			free(err);
			err = NULL;
		} else {
			settle(d, f, SMTP_SENT, 250, path);
			free(path);
		}
		flight_free(f);
		if (d->tick != NULL)
			d->tick(d->tick_arg);
	}
	return d->stop ? DELIVER_STOPPED : DELIVER_IDLE;
}

static void
log_finished(void *arg, int64_t id, const char *kind, const char *title,
    const struct outbox_counts *c)
{
	char *t = str_sanitize(title);

	(void)arg;
	log_info("mailing %lld (%s \"%s\") done: %ld sent, %ld failed, %ld "
	    "not sent", (long long)id, kind, t, c->sent, c->failed,
	    c->cancelled);
	free(t);
}

int
deliver_run(struct deliver *d, struct deliver_stats *stats,
    void (*progress)(void *arg, const struct deliver_stats *s), void *arg)
{
	int rc;

	d->stats = stats;
	d->progress = progress;
	d->parg = arg;
	d->yield = 0;
	d->db_trouble = 0;
	d->nblocked = 0;
	d->streak.n = 0;
	d->streak.mailing = 0;
	if (d->smtp == NULL)
		rc = run_maildir(d);
	else {
		switch (smtp_run(d->smtp, smtp_next, smtp_done, d)) {
		case SMTP_RUN_DONE: rc = DELIVER_IDLE; break;
		case SMTP_RUN_STOPPED: rc = DELIVER_STOPPED; break;
		case SMTP_RUN_SERVER_DOWN: rc = DELIVER_SERVER_DOWN; break;
		case SMTP_RUN_RATE_LIMITED: rc = DELIVER_RATE_LIMITED; break;
		default: rc = DELIVER_ERROR; break;
		}
	}
	unclaim_rest(d);
	if (outbox_finish_mailings(d->db, clock_now(), log_finished, NULL) < 0)
		d->db_trouble = 1;
	if (d->yield && rc == DELIVER_IDLE)
		rc = DELIVER_YIELDED;
	d->yield = 0;
	if (d->db_trouble && rc == DELIVER_IDLE)
		rc = DELIVER_DB_BUSY;
	return rc;
}
