/*
 * inbox: the reply reader (see inbox.h). One session = connect (imaptls),
 * log in, find the folder delimiter, make sure the target folders exist,
 * SELECT, then handle each message in the mailbox:
 *
 *   key      the Message-ID, or a hash of the raw bytes when it has none
 *   seen?    inbox_seen has the key: handled before (a UIDVALIDITY change,
 *            or a crash between the commit and the move), so it is only
 *            moved to the folder recorded then
 *   else     inbox_parse + inbox_apply + the inbox_seen / inbox_state rows
 *            in one transaction, commit, then move it (UID MOVE, or COPY +
 *            \Deleted + UID EXPUNGE)
 *
 * A message over INBOX_MAX_SIZE is never fetched: it goes to the
 * unhandled folder, recorded by its Message-ID (or a hash of its header).
 * Every message still in the mailbox is looked at in each pass, not only
 * those above the last UID, so a message whose move failed (or did not
 * happen because of a crash) is moved in the next pass.
 *
 * The daemon's reader (the thread, IDLE, backoff) is in inboxloop.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "clock.h"
#include "config.h"
#include "db.h"
#include "imaptls.h"
#include "inbox.h"
#include "inboxapply.h"
#include "inboxparse.h"
#include "inboxpriv.h"
#include "log.h"
#include "util.h"

#define INBOX_MAX_SIZE    (20u * 1024 * 1024) /* larger: not read */
#define MSGID_MAX         500         /* longer Message-IDs: hashed */

/* ---- small helpers ---- */

/* "Name <a@b>" or "a@b" -> "a@b" (caller frees), NULL for NULL. */
static char *
addr_of(const char *s)
{
	const char *lt, *gt, *end;

	if (s == NULL)
		return NULL;
	if ((lt = strchr(s, '<')) != NULL && (gt = strchr(lt, '>')) != NULL)
		return xstrndup(lt + 1, (size_t)(gt - lt - 1));
	/* str_trim() would hand back a pointer into the copy */
	s += strspn(s, " \t");
	for (end = s + strlen(s); end > s && (end[-1] == ' ' ||
	    end[-1] == '\t'); end--)
		;
	return xstrndup(s, (size_t)(end - s));
}

static int
fatal_imap(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	    r == MAILIMAP_ERROR_BAD_STATE || r == MAILIMAP_ERROR_MEMORY;
}

/* The server's last response text, cleaned for a log line. */
static char *
said(mailimap *imap)
{
	if (imap != NULL && imap->imap_response != NULL &&
	    imap->imap_response[0] != '\0')
		return str_sanitize(imap->imap_response);
	return xstrdup("the connection broke");
}

static char *
cmd_error(struct sess *s, const char *what, int r)
{
	char *t = said(s->imap), *e;

	e = xasprintf("%s at %s failed (%d): %s", what, s->host, r, t);
	free(t);
	return e;
}

/* "rundbrief/erledigt" with the server's delimiter instead of '/'. */
static char *
server_name(const char *name, char delim)
{
	char *n = xstrdup(name), *p;

	if (delim != '\0' && delim != '/')
		for (p = n; *p; p++)
			if (*p == '/')
				*p = delim;
	return n;
}

static void
emit(struct sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
emit(struct sess *s, const char *fmt, ...)
{
	va_list ap;
	char *t;

	va_start(ap, fmt);
	if (vasprintf(&t, fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
	if (s->line != NULL)
		s->line(s->arg, t);
	else
		log_info("imap: %s", t);
	free(t);
}

/* ---- the session ---- */

void
inbox_sess_init(struct sess *s, const struct config *cfg, struct db *db,
    int cancel_fd)
{
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->db = db;
	s->tc.cancel_fd = cancel_fd;
	s->tc.timeout = IO_TIMEOUT;
	s->tc.ca_file = cfg->imap_ca_file;
	s->tc.verify = cfg->imap_tls_verify;
	s->own[n] = addr_of(cfg->from);
	if (s->own[n] != NULL)
		n++;
	if ((s->own[n] = addr_of(cfg->reply_to)) != NULL)
		n++;
	if ((s->own[n] = addr_of(cfg->organizer_email)) != NULL)
		n++;
	if ((s->own[n] = addr_of(cfg->envelope_from)) != NULL)
		n++;
	s->addrs.envelope_from = cfg->envelope_from;
	s->unsub = addr_of(cfg->reply_to ? cfg->reply_to :
	    cfg->organizer_email);
	s->addrs.unsubscribe_to = s->unsub;
	s->addrs.own = (const char *const *)s->own;
	s->addrs.nown = n;
}

void
inbox_sess_close(struct sess *s, int polite)
{
	if (s->imap != NULL) {
		if (polite) {
			imaptls_set_timeout(s->imap, 5);
			mailimap_logout(s->imap);
		}
		imaptls_drop(s->imap);
		s->imap = NULL;
	}
	free(s->processed);
	free(s->unhandled);
	free(s->host);
	free(s->port);
	s->processed = s->unhandled = s->host = s->port = NULL;
}

void
inbox_sess_free(struct sess *s)
{
	size_t i;

	inbox_sess_close(s, 0);
	for (i = 0; i < sizeof(s->own) / sizeof(s->own[0]); i++)
		free(s->own[i]);
	free(s->unsub);
}

/* LIST, and CREATE when missing (also when CREATE says it exists). */
static int
ensure_folder(struct sess *s, const char *name, char **errstr)
{
	clist *l = NULL;
	int r, n, tries;

	for (tries = 0; tries < 2; tries++) {
		r = mailimap_list(s->imap, "", name, &l);
		if (r != MAILIMAP_NO_ERROR) {
			*errstr = cmd_error(s, "LIST", r);
			return -1;
		}
		n = clist_count(l);
		mailimap_list_result_free(l);
		if (n > 0)
			return 0;
		if (tries == 0) {
			r = mailimap_create(s->imap, name);
			if (r == MAILIMAP_NO_ERROR)
				log_info("imap: created folder %s", name);
			else if (fatal_imap(r)) {
				*errstr = cmd_error(s, "CREATE", r);
				return -1;
			}
		}
	}
	*errstr = xasprintf("the folder %s cannot be created at %s", name,
	    s->host);
	return -1;
}

int
inbox_sess_open(struct sess *s, char **errstr)
{
	struct mailimap_capability_data *cap = NULL;
	struct mailimap_mailbox_list *mb;
	const struct config *cfg = s->cfg;
	clist *l = NULL;
	char delim = '/', *t;
	int r;

	if (imaptls_parse_url(cfg->imap_url, &s->host, &s->port,
	    &s->tc.implicit, errstr) < 0)
		return -1;
	if (cfg->imap_username == NULL || cfg->imap_password == NULL) {
		*errstr = xstrdup("[imap] needs username and password_file");
		return -1;
	}
	s->tc.host = s->host;
	s->tc.port = s->port;
	s->imap = mailimap_new(0, NULL);
	if (s->imap == NULL)
		fatalx("out of memory");
	if (imaptls_connect(s->imap, &s->tc, errstr) < 0)
		return -1;
	if (mailimap_has_extension(s->imap, "LOGINDISABLED")) {
		*errstr = xasprintf("%s does not allow LOGIN (LOGINDISABLED) "
		    "even over TLS", s->host);
		return -1;
	}
	r = mailimap_login(s->imap, cfg->imap_username, cfg->imap_password);
	if (r != MAILIMAP_NO_ERROR) {
		t = said(s->imap);
		*errstr = fatal_imap(r) ? xasprintf("login at %s: the "
		    "connection broke", s->host) : xasprintf("login as \"%s\" at "
		    "%s refused (wrong user name or password?): %s",
		    cfg->imap_username, s->host, t);
		free(t);
		return -1;
	}
	/* the list grows after login (Dovecot: MOVE, UIDPLUS) */
	r = mailimap_capability(s->imap, &cap);
	if (r != MAILIMAP_NO_ERROR) {
		*errstr = cmd_error(s, "CAPABILITY", r);
		return -1;
	}
	mailimap_capability_data_free(cap);
	s->has_move = mailimap_has_extension(s->imap, "MOVE");
	s->has_uidplus = mailimap_has_extension(s->imap, "UIDPLUS");
	s->has_idle = mailimap_has_extension(s->imap, "IDLE");
	r = mailimap_list(s->imap, "", "", &l);
	if (r != MAILIMAP_NO_ERROR) {
		*errstr = cmd_error(s, "LIST", r);
		return -1;
	}
	if (clist_begin(l) != NULL) {
		mb = clist_content(clist_begin(l));
		delim = mb->mb_delimiter;
	}
	mailimap_list_result_free(l);
	s->processed = server_name(cfg->processed_folder, delim);
	s->unhandled = server_name(cfg->unhandled_folder, delim);
	if (ensure_folder(s, s->processed, errstr) < 0 ||
	    ensure_folder(s, s->unhandled, errstr) < 0)
		return -1;
	log_debug("imap: logged in at %s as %s (%s%s%s)", s->host,
	    cfg->imap_username, s->has_idle ? "IDLE " : "",
	    s->has_move ? "MOVE " : "", s->has_uidplus ? "UIDPLUS" : "");
	return 0;
}

/* ---- fetching ---- */

struct msgref {
	uint32_t uid;
	uint32_t size;
	int deleted;
};

static int
cmp_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct msgref *)a)->uid;
	uint32_t y = ((const struct msgref *)b)->uid;

	return x < y ? -1 : x > y;
}

static int
has_deleted(struct mailimap_msg_att_dynamic *d)
{
	clistiter *it;
	struct mailimap_flag_fetch *ff;

	if (d == NULL || d->att_list == NULL)
		return 0;
	for (it = clist_begin(d->att_list); it; it = clist_next(it)) {
		ff = clist_content(it);
		if (ff->fl_type == MAILIMAP_FLAG_FETCH_OTHER && ff->fl_flag &&
		    ff->fl_flag->fl_type == MAILIMAP_FLAG_DELETED)
			return 1;
	}
	return 0;
}

/* UID FETCH 1:* (UID RFC822.SIZE FLAGS): every message in the mailbox,
 * sorted by UID. */
static int
list_messages(struct sess *s, struct msgref **out, size_t *n, char **errstr)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	struct mailimap_msg_att *ma;
	struct mailimap_msg_att_item *it;
	clist *res = NULL;
	clistiter *i, *j;
	struct msgref m;
	size_t cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_flags());
	set = mailimap_set_new_interval(1, 0);
	r = mailimap_uid_fetch(s->imap, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR) {
		*errstr = cmd_error(s, "UID FETCH", r);
		return -1;
	}
	for (i = clist_begin(res); i; i = clist_next(i)) {
		ma = clist_content(i);
		memset(&m, 0, sizeof(m));
		m.size = UINT32_MAX;
		for (j = clist_begin(ma->att_list); j; j = clist_next(j)) {
			it = clist_content(j);
			if (it->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC)
				m.deleted |= has_deleted(it->att_data.att_dyn);
			if (it->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (it->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_UID)
				m.uid = it->att_data.att_static->att_data.att_uid;
			else if (it->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_RFC822_SIZE)
				m.size = it->att_data.att_static->att_data
				    .att_rfc822_size;
		}
		if (m.uid == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[(*n)++] = m;
	}
	mailimap_fetch_list_free(res);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_uid);
	return 0;
}

/*
 * BODY.PEEK[] (header_only: BODY.PEEK[HEADER]) of one message, copied
 * into *raw (NUL-terminated). 0, 1 when the server sent nothing for it
 * (expunged meanwhile), -1 with *errstr.
 */
static int
fetch_body(struct sess *s, uint32_t uid, int header_only, char **raw,
    size_t *len, char **errstr)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	struct mailimap_msg_att *ma;
	struct mailimap_msg_att_item *it;
	struct mailimap_msg_att_body_section *bs;
	clist *res = NULL;
	clistiter *i, *j;
	const char *body;
	size_t blen;
	uint32_t got;
	int r;

	*raw = NULL;
	*len = 0;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(header_only ?
	    mailimap_section_new_header() : mailimap_section_new(NULL)));
	set = mailimap_set_new_single(uid);
	r = mailimap_uid_fetch(s->imap, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR) {
		*errstr = cmd_error(s, "UID FETCH", r);
		return -1;
	}
	for (i = clist_begin(res); i && *raw == NULL; i = clist_next(i)) {
		ma = clist_content(i);
		got = 0;
		body = NULL;
		blen = 0;
		for (j = clist_begin(ma->att_list); j; j = clist_next(j)) {
			it = clist_content(j);
			if (it->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (it->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_UID)
				got = it->att_data.att_static->att_data.att_uid;
			else if (it->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_BODY_SECTION) {
				bs = it->att_data.att_static->att_data
				    .att_body_section;
				body = bs->sec_body_part;
				blen = bs->sec_length;
			}
		}
		if (got != uid)
			continue;
		if (body == NULL) {
			body = "";
			blen = 0;
		}
		*raw = xmalloc(blen + 1);
		memcpy(*raw, body, blen);
		(*raw)[blen] = '\0';
		*len = blen;
	}
	mailimap_fetch_list_free(res);
	return *raw == NULL ? 1 : 0;
}

/*
 * The key under which a message is recorded: its Message-ID (without
 * <>), else prefix + SHA-256 of the bytes. Caller frees.
 */
static char *
message_key(const char *raw, size_t len, const char *prefix)
{
	struct mailimf_fields *f = NULL;
	struct mailimf_single_fields sf;
	char hex[65], *key = NULL;
	size_t idx = 0;

	if (mailimf_fields_parse(raw, len, &idx, &f) == MAILIMF_NO_ERROR) {
		mailimf_single_fields_init(&sf, f);
		if (sf.fld_message_id != NULL &&
		    sf.fld_message_id->mid_value != NULL &&
		    sf.fld_message_id->mid_value[0] != '\0' &&
		    strlen(sf.fld_message_id->mid_value) <= MSGID_MAX)
			key = xstrdup(sf.fld_message_id->mid_value);
		mailimf_fields_free(f);
	}
	if (key == NULL) {
		sha256_hex(raw, len, hex);
		key = xasprintf("%s%s", prefix, hex);
	}
	return key;
}

/* ---- moving ---- */

/* 0 moved, 1 the server said no (the message stays; logged), -1 the
 * connection broke (*errstr). */
static int
move(struct sess *s, uint32_t uid, const char *folder, char **errstr)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_flag_list *fl;
	struct mailimap_store_att_flags *sa;
	const char *what = "UID MOVE";
	char *t;
	int r;

	if (s->has_move)
		r = mailimap_uid_move(s->imap, set, folder);
	else {
		what = "UID COPY";
		r = mailimap_uid_copy(s->imap, set, folder);
		if (r == MAILIMAP_NO_ERROR) {
			what = "UID STORE";
			fl = mailimap_flag_list_new_empty();
			mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
			sa = mailimap_store_att_flags_new_add_flags_silent(fl);
			r = mailimap_uid_store(s->imap, set, sa);
			mailimap_store_att_flags_free(sa);
		}
		if (r == MAILIMAP_NO_ERROR && s->has_uidplus) {
			what = "UID EXPUNGE";
			r = mailimap_uid_expunge(s->imap, set);
		} else if (r == MAILIMAP_NO_ERROR && !s->warned_no_expunge) {
			/* a plain EXPUNGE would also remove messages others
			 * marked \Deleted */
			log_warnx("imap: %s has neither MOVE nor UIDPLUS: handled "
			    "messages are copied and left marked \\Deleted in "
			    "%s", s->host, s->cfg->imap_mailbox);
			s->warned_no_expunge = 1;
		}
	}
	mailimap_set_free(set);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	if (fatal_imap(r)) {
		*errstr = cmd_error(s, what, r);
		return -1;
	}
	t = said(s->imap);
	log_warnx("imap: %s of UID %u to %s: %s (it stays in %s and is moved "
	    "in the next pass)", what, (unsigned)uid, folder, t,
	    s->cfg->imap_mailbox);
	free(t);
	return 1;
}

/* ---- the database ---- */

/* The stored UIDVALIDITY and last UID of the mailbox (0, 0 if none). */
static void
state_get(struct sess *s, uint32_t *uidvalidity, uint32_t *last)
{
	sqlite3_stmt *st = db_stmt(s->db, "SELECT uidvalidity, last_uid "
	    "FROM inbox_state WHERE mailbox = ?");

	*uidvalidity = *last = 0;
	db_bind_text(st, 1, s->cfg->imap_mailbox);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*uidvalidity = (uint32_t)sqlite3_column_int64(st, 0);
		*last = (uint32_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}

static int
state_put(struct sess *s, uint32_t uid, time_t now, char **errstr)
{
	sqlite3_stmt *st = db_stmt(s->db, "INSERT INTO inbox_state"
	    "(mailbox, uidvalidity, last_uid, updated_at) VALUES (?1,?2,?3,?4) "
	    "ON CONFLICT(mailbox) DO UPDATE SET uidvalidity = ?2, "
	    "last_uid = CASE WHEN uidvalidity = ?2 AND last_uid > ?3 "
	    "THEN last_uid ELSE ?3 END, updated_at = ?4");

	db_bind_text(st, 1, s->cfg->imap_mailbox);
	sqlite3_bind_int64(st, 2, s->uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
	return db_exec_stmt(s->db, st, errstr);
}

/* The folder a message with this key was moved to, or NULL if it was
 * never handled (caller frees); *kind: the kind recorded. */
static char *
seen_get(struct sess *s, const char *key, char **kind)
{
	sqlite3_stmt *st = db_stmt(s->db, "SELECT folder, kind FROM inbox_seen "
	    "WHERE message_id = ?");
	char *folder = NULL;

	*kind = NULL;
	db_bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW) {
		folder = db_col_strdup(st, 0);
		if (folder == NULL)
			folder = xstrdup("");
		*kind = db_col_strdup(st, 1);
	}
	sqlite3_reset(st);
	return folder;
}

static int
seen_put(struct sess *s, const char *key, const char *kind,
    const char *folder, const char *outcome, time_t now, char **errstr)
{
	sqlite3_stmt *st = db_stmt(s->db, "INSERT INTO inbox_seen(message_id, "
	    "kind, folder, outcome, handled_at) VALUES (?,?,?,?,?)");

	db_bind_text(st, 1, key);
	db_bind_text(st, 2, kind);
	db_bind_text(st, 3, folder);
	db_bind_text(st, 4, outcome);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	return db_exec_stmt(s->db, st, errstr);
}

/* ---- one message ---- */

/*
 * Handles the message with uid: 0 done (or left for the next pass), -1
 * the connection or the database failed (*errstr; the pass ends).
 */
static int
handle(struct sess *s, const struct msgref *ref, char **errstr)
{
	struct inbox_msg m;
	char *raw = NULL, *key, *folder, *kind = NULL, *what = NULL, *clean,
	     *why;
	const char *outcome;
	size_t len = 0;
	time_t now;
	int big = ref->size > INBOX_MAX_SIZE, r, parsed = 0;

	r = fetch_body(s, ref->uid, big, &raw, &len, errstr);
	if (r != 0)
		return r < 0 ? -1 : 0;
	/* the server's size may lie: cap what is parsed all the same */
	if (!big && len > INBOX_MAX_SIZE)
		big = 2;
	key = message_key(raw, len, big == 1 ? "sha256-header:" : "sha256:");
	memset(&m, 0, sizeof(m));
	if (!big) {
		inbox_parse(raw, len, &s->addrs, &m);
		parsed = 1;
	}
	free(raw);
	now = clock_now();
	if (db_begin(s->db) < 0) {
		*errstr = xstrdup("database: cannot begin a transaction");
		goto fail;
	}
	/* inside the transaction, so a second reader cannot handle it too */
	folder = seen_get(s, key, &kind);
	if (folder != NULL) {
		if (state_put(s, ref->uid, now, errstr) < 0 ||
		    db_commit(s->db) < 0) {
			free(folder);
			free(kind);
			goto rollback;
		}
		clean = str_sanitize(key);
		emit(s, "UID %u <%s>: handled before (%s), moved to %s",
		    (unsigned)ref->uid, clean, kind ? kind : "?", folder);
		free(clean);
		free(kind);
		goto moveit;
	}
	if (big) {
		r = INBOX_UNHANDLED;
		what = xasprintf("%u bytes, over the %u MB limit: not read",
		    (unsigned)ref->size > len ? (unsigned)ref->size :
		    (unsigned)len, INBOX_MAX_SIZE / (1024 * 1024));
	} else {
		r = inbox_apply(s->cfg, s->db, &m, now, &what);
		if (r < 0) {
			*errstr = xasprintf("database: acting on UID %u failed "
			    "(%s); it is tried again", (unsigned)ref->uid,
			    db_errmsg(s->db));
			free(what);
			what = NULL;
			goto rollback;
		}
	}
	folder = xstrdup(r == INBOX_HANDLED ? s->processed : s->unhandled);
	outcome = r == INBOX_HANDLED ? "handled" : "unhandled";
	if (seen_put(s, key, inbox_kind_name(m.kind), folder, outcome, now,
	    errstr) < 0 || state_put(s, ref->uid, now, errstr) < 0) {
		free(folder);
		free(what);
		goto rollback;
	}
	if (db_commit(s->db) < 0) {
		*errstr = xstrdup("database: the commit failed");
		free(folder);
		free(what);
		goto fail;
	}
	clean = str_sanitize(key);
	why = str_sanitize(m.why ? m.why : inbox_kind_name(m.kind));
	free(key);
	key = str_sanitize(what ? what : "");
	emit(s, "UID %u <%s>: %s: %s; %s; moved to %s", (unsigned)ref->uid,
	    clean, inbox_kind_name(m.kind), why, key, folder);
	free(clean);
	free(why);
	free(what);
moveit:
	if (parsed)
		inbox_msg_free(&m);
	free(key);
	r = move(s, ref->uid, folder, errstr);
	free(folder);
	return r < 0 ? -1 : 0;
rollback:
	db_rollback(s->db);
fail:
	if (parsed)
		inbox_msg_free(&m);
	free(key);
	return -1;
}

int
inbox_cancelled(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&p, 1, 0) > 0;
}

/* SELECT and every message in the mailbox. */
int
inbox_sess_pass(struct sess *s, char **errstr)
{
	struct msgref *msgs = NULL;
	uint32_t old_validity, last;
	size_t n = 0, i;
	int r;

	r = mailimap_select(s->imap, s->cfg->imap_mailbox);
	if (r != MAILIMAP_NO_ERROR) {
		*errstr = cmd_error(s, "SELECT", r);
		return -1;
	}
	s->uidvalidity = s->imap->imap_selection_info->sel_uidvalidity;
	state_get(s, &old_validity, &last);
	if (old_validity != 0 && old_validity != s->uidvalidity)
		log_info("imap: %s has a new UIDVALIDITY (%u, was %u): its "
		    "messages are recognised by Message-ID, none is handled "
		    "twice", s->cfg->imap_mailbox, (unsigned)s->uidvalidity,
		    (unsigned)old_validity);
	if (s->imap->imap_selection_info->sel_exists > 0 &&
	    list_messages(s, &msgs, &n, errstr) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (inbox_cancelled(s->tc.cancel_fd))
			break;
		if (msgs[i].deleted)
			continue;
		if (handle(s, &msgs[i], errstr) < 0) {
			free(msgs);
			return -1;
		}
	}
	free(msgs);
	if (inbox_expire_pending(s->cfg, s->db, clock_now()) < 0)
		log_warnx("imap: expiring pending subscriptions failed: %s",
		    db_errmsg(s->db));
	return 0;
}

int
inbox_check(const struct config *cfg, struct db *db,
    void (*line)(void *arg, const char *text), void *arg, char **errstr)
{
	struct sess s;
	int rc;

	*errstr = NULL;
	if (cfg->imap_url == NULL) {
		*errstr = xstrdup("no [imap] url configured");
		return -1;
	}
	inbox_sess_init(&s, cfg, db, -1);
	s.line = line;
	s.arg = arg;
	rc = inbox_sess_open(&s, errstr);
	if (rc == 0)
		rc = inbox_sess_pass(&s, errstr);
	inbox_sess_close(&s, rc == 0);
	inbox_sess_free(&s);
	return rc;
}

