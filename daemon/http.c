/*
 * http: the server of rundbrief-web on libmicrohttpd (see http.h).
 *
 * Threads: MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION
 * (with poll(), no FD_SETSIZE limit). One thread per connection keeps the
 * handler simple and isolated: a page that waits for the database (busy
 * timeout) holds up only its own connection, never others, which a small
 * epoll thread pool would. The price is a thread per open connection,
 * bounded by max_connections and per_client; idle or slow clients cost a
 * sleeping thread each until the timeout closes them.
 *
 * libmicrohttpd decodes the path itself; we give it an unescape callback
 * that leaves the text alone and decode it here (http_decode_path), so a
 * %00 cannot silently cut the path short and ".." is refused after
 * decoding.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <microhttpd.h>

#include "http.h"
#include "log.h"
#include "util.h"

#define FORM_MAX_FIELDS 64
/* A declared body up to this size is read and thrown away before the 413
 * (a client that is still sending would otherwise see a reset instead of
 * the answer); a larger one is refused at once. */
#define DISCARD_MAX (1024 * 1024)

#define CSP "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' " \
	"data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct http_server {
	struct MHD_Daemon *mhd;
	http_handler handler;
	void *arg;
	char *trusted;		/* [http] trusted_proxies, or NULL */
};

/* Per request: the body read so far. */
struct req_ctx {
	struct buf body;
	size_t seen;		/* bytes received, kept or not */
	int too_big;
};

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..len) (plus: '+' is a space) into b; -1 on a bad escape or
 * a NUL byte (encoded or not). */
static int
decode(struct buf *b, const char *s, size_t len, int plus)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if (c == '\0')
			return -1;
		buf_putc(b, (char)c);
	}
	return 0;
}

void
http_fields_free(struct http_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].value);
	}
	free(f);
}

int
http_parse_form(const char *body, size_t len, struct http_field **out,
    size_t *n)
{
	struct http_field *f = NULL;
	struct buf b;
	const char *p = body, *end = body + len, *amp, *eq;
	size_t nf = 0;

	*out = NULL;
	*n = 0;
	buf_init(&b);
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp == p) {		/* "a=1&&b=2": an empty piece */
			p++;
			continue;
		}
		if (nf == FORM_MAX_FIELDS)
			goto bad;
		eq = memchr(p, '=', (size_t)(amp - p));
		f = xrealloc(f, (nf + 1) * sizeof(*f));
		f[nf].name = f[nf].value = NULL;
		buf_reset(&b);
		if (decode(&b, p, (size_t)((eq ? eq : amp) - p), 1) < 0)
			goto bad_one;
		f[nf].name = xstrndup(b.data ? b.data : "", b.len);
		buf_reset(&b);
		if (eq != NULL && decode(&b, eq + 1, (size_t)(amp - eq - 1),
		    1) < 0)
			goto bad_one;
		f[nf].value = xstrndup(b.data ? b.data : "", b.len);
		nf++;
		p = amp < end ? amp + 1 : end;
	}
	buf_free(&b);
	*out = f;
	*n = nf;
	return 0;
bad_one:
	free(f[nf].name);
bad:
	buf_free(&b);
	http_fields_free(f, nf);
	return -1;
}

const char *
http_form_value(const struct http_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nform; i++)
		if (strcmp(r->form[i].name, name) == 0)
			return r->form[i].value;
	return NULL;
}

/*
 * The request path as the handler sees it: percent-decoded ('+' stays),
 * starting with '/', valid UTF-8, no NUL or other control character, no
 * "." or ".." segment. NULL if not.
 */
static char *
http_decode_path(const char *raw)
{
	struct buf b;
	const char *seg;
	size_t i, n;

	if (raw == NULL || raw[0] != '/')
		return NULL;
	buf_init(&b);
	if (decode(&b, raw, strlen(raw), 0) < 0 ||
	    !utf8_valid(b.data, b.len))
		goto bad;
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			goto bad;
	for (seg = b.data; seg != NULL; seg = strchr(seg + 1, '/')) {
		n = strcspn(seg + 1, "/");
		if ((n == 1 && seg[1] == '.') ||
		    (n == 2 && seg[1] == '.' && seg[2] == '.'))
			goto bad;
	}
	return buf_steal(&b);
bad:
	buf_free(&b);
	return NULL;
}

/* Parses an address as text into a canonical form (IPv4-mapped IPv6 as
 * IPv4); -1 if it is none. */
static int
addr_norm(const char *s, size_t len, char out[INET6_ADDRSTRLEN])
{
	char tmp[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	struct in_addr a4;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, &a4) == 1)
		return inet_ntop(AF_INET, &a4, out, INET6_ADDRSTRLEN) ? 0 : -1;
	if (inet_pton(AF_INET6, tmp, &a6) != 1)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, &a6.s6_addr[12], 4);
		return inet_ntop(AF_INET, &a4, out, INET6_ADDRSTRLEN) ? 0 : -1;
	}
	return inet_ntop(AF_INET6, &a6, out, INET6_ADDRSTRLEN) ? 0 : -1;
}

/* 1 if the (canonical) address addr is in the comma-separated list. */
static int
is_trusted(const char *trusted, const char *addr)
{
	char t[INET6_ADDRSTRLEN];
	const char *p, *comma;

	for (p = trusted; p != NULL && *p; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		if (addr_norm(p, comma ? (size_t)(comma - p) : strlen(p),
		    t) == 0 && strcmp(t, addr) == 0)
			return 1;
	}
	return 0;
}

/*
 * Who the client is: the peer's address, unless the peer is a trusted
 * proxy; then the right-most X-Forwarded-For entry that is not itself a
 * trusted proxy (all of them trusted: the left-most). An entry that is
 * not an address ends the walk at the last proxy believed. Returns a
 * newly allocated string.
 */
static char *
http_client_addr(const char *peer, const char *xff, const char *trusted)
{
	char cur[INET6_ADDRSTRLEN], next[INET6_ADDRSTRLEN];
	const char *end, *comma;

	if (addr_norm(peer, strlen(peer), cur) < 0)
		return xstrdup(peer);
	if (xff == NULL || trusted == NULL || !is_trusted(trusted, cur))
		return xstrdup(cur);
	end = xff + strlen(xff);
	while (end > xff) {
		comma = end;
		while (comma > xff && comma[-1] != ',')
			comma--;
		if (addr_norm(comma, (size_t)(end - comma), next) < 0) {
			/* an empty piece ("a,,b") is skipped, junk stops */
			if (strspn(comma, " \t") < (size_t)(end - comma))
				break;
		} else {
			memcpy(cur, next, sizeof(cur));
			if (!is_trusted(trusted, cur))
				break;
		}
		end = comma > xff ? comma - 1 : xff;
	}
	return xstrdup(cur);
}

/* "127.0.0.1:8080" or "[::1]:8080" into a socket address. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, char **errstr)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 1], *end;
	const char *colon, *h = s;
	size_t hl;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (s == NULL || *s == '\0')
		goto bad;
	if (*s == '[') {
		colon = strstr(s, "]:");
		if (colon == NULL)
			goto bad;
		h = s + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || strchr(s, ':') != colon)
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno ||
	    port < 1 || port > 65535)
		goto bad;
	if (*s != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (*s == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return 0;
	}
bad:
	*errstr = xasprintf("[http] listen = \"%s\": not an address and "
	    "port like 127.0.0.1:8080 or [::1]:8080", s ? s : "");
	return -1;
}

int
http_check_listen(const char *listen, char **errstr)
{
	struct sockaddr_storage ss;

	return parse_listen(listen, &ss, errstr);
}

/* libmicrohttpd's messages to our log (debug: they are about clients). */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512], *clean;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	clean = str_sanitize(line);
	log_debug("http: %s", clean);
	free(clean);
}

/* Leaves the path as sent; http_decode_path decodes it. */
static size_t
no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req_ctx *ctx = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (ctx != NULL) {
		buf_free(&ctx->body);
		free(ctx);
		*con_cls = NULL;
	}
}

static void
httpdate(time_t t, char out[40])
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday],
	    tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

/* Sends resp with the security headers; frees nothing of resp. */
static enum MHD_Result
send_response(struct MHD_Connection *c, const char *method,
    struct http_response *resp, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char date[40];
	int status = resp->status;
	int nobody = status == 204 || status == 304 || status < 200;

	(void)method;
	r = MHD_create_response_from_buffer(nobody ? 0 : resp->body.len,
	    nobody || resp->body.data == NULL ? (void *)"" : resp->body.data,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Security-Policy",
	    resp->csp ? resp->csp : CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cache-Control", resp->cache_control ?
	    resp->cache_control : "no-store");
	if (!nobody)
		MHD_add_response_header(r, "Content-Type", resp->content_type ?
		    resp->content_type : "text/html; charset=utf-8");
	if (resp->etag != NULL)
		MHD_add_response_header(r, "ETag", resp->etag);
	if (resp->last_modified != 0) {
		httpdate(resp->last_modified, date);
		MHD_add_response_header(r, "Last-Modified", date);
	}
	if (resp->location != NULL)
		MHD_add_response_header(r, "Location", resp->location);
	if (allow != NULL)
		MHD_add_response_header(r, "Allow", allow);
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
resp_init(struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body);
	resp->status = 200;
}

static void
resp_free(struct http_response *resp)
{
	buf_free(&resp->body);
	free(resp->etag);
	free(resp->location);
	free(resp->cache_control);
}

/* A short answer of our own (an error). */
static enum MHD_Result
simple(struct MHD_Connection *c, const char *method, int status,
    const char *text, const char *allow)
{
	struct http_response resp;
	enum MHD_Result ret;

	resp_init(&resp);
	resp.status = status;
	resp.content_type = "text/plain; charset=utf-8";
	buf_puts(&resp.body, text);
	ret = send_response(c, method, &resp, allow);
	resp_free(&resp);
	return ret;
}

struct xff_collect {
	struct buf b;
};

static enum MHD_Result
collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct xff_collect *x = cls;

	(void)kind;
	if (key != NULL && value != NULL &&
	    strcasecmp(key, "X-Forwarded-For") == 0) {
		if (x->b.len > 0)
			buf_putc(&x->b, ',');
		buf_puts(&x->b, value);
	}
	return MHD_YES;
}

static char *
client_of(struct http_server *s, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	struct xff_collect x;
	char peer[INET6_ADDRSTRLEN] = "unknown", *res;
	const struct sockaddr *sa;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci != NULL ? ci->client_addr : NULL;
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, peer, sizeof(peer));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, peer, sizeof(peer));
	if (s->trusted == NULL)
		return http_client_addr(peer, NULL, NULL);
	buf_init(&x.b);
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_xff, &x);
	res = http_client_addr(peer, x.b.len ? x.b.data : NULL, s->trusted);
	buf_free(&x.b);
	return res;
}

static int
is_form(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(form) - 1;

	return ct != NULL && strncasecmp(ct, form, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum MHD_Result
dispatch(struct http_server *s, struct MHD_Connection *c, const char *url,
    const char *method, struct req_ctx *ctx)
{
	struct http_request req;
	struct http_response resp;
	enum MHD_Result ret;
	char *path, *client, *clean;

	path = http_decode_path(url);
	client = client_of(s, c);
	if (path == NULL) {
		clean = str_sanitize(url);
		log_debug("%s %s from %s: 400 (bad path)", method, clean,
		    client);
		free(clean);
		free(client);
		return simple(c, method, 400, "Bad Request\n", NULL);
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.client = client;
	req.accept_language = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Accept-Language");
	req.if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "If-None-Match");
	req.if_modified_since = MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, "If-Modified-Since");
	req.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Content-Type");
	if (strcmp(method, "POST") == 0) {
		buf_putc(&ctx->body, '\0');	/* allocate, even if empty */
		ctx->body.len--;
		req.body = ctx->body.data;
		req.body_len = ctx->body.len;
		if (is_form(req.content_type) && http_parse_form(req.body,
		    req.body_len, &req.form, &req.nform) < 0) {
			log_debug("%s %s from %s: 400 (bad form)", method,
			    path, client);
			free(path);
			free(client);
			return simple(c, method, 400, "Bad Request\n", NULL);
		}
	}
	resp_init(&resp);
	s->handler(s->arg, &req, &resp);
	if (resp.status < 100 || resp.status > 599) {
		log_warnx("%s %s: the handler answered status %d; sending 500",
		    method, path, resp.status);
		resp_free(&resp);
		resp_init(&resp);
		resp.status = 500;
		resp.content_type = "text/plain; charset=utf-8";
		buf_puts(&resp.body, "Internal Server Error\n");
	}
	log_debug("%s %s from %s: %d", method, path, client, resp.status);
	ret = send_response(c, method, &resp, NULL);
	resp_free(&resp);
	http_fields_free(req.form, req.nform);
	free(path);
	free(client);
	return ret;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct req_ctx *ctx = *con_cls;
	const char *cl;
	unsigned long long len;
	char *end;

	(void)version;
	if (ctx == NULL) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
		    strcmp(method, "POST") != 0)
			return simple(c, method, 405, "Method Not Allowed\n",
			    "GET, HEAD, POST");
		ctx = xcalloc(1, sizeof(*ctx));
		buf_init(&ctx->body);
		*con_cls = ctx;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL) {
			errno = 0;
			len = strtoull(cl, &end, 10);
			if (errno == 0 && *end == '\0' && len > DISCARD_MAX)
				return simple(c, method, 413,
				    "Payload Too Large\n", NULL);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		ctx->seen += *upload_data_size;
		if (ctx->seen > DISCARD_MAX)
			return MHD_NO;	/* a chunked flood: close */
		if (ctx->seen > HTTP_BODY_MAX) {
			ctx->too_big = 1;
			buf_free(&ctx->body);
			buf_init(&ctx->body);
		} else
			buf_append(&ctx->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (ctx->too_big)
		return simple(c, method, 413, "Payload Too Large\n", NULL);
	return dispatch(s, c, url, method, ctx);
}

struct http_server *
http_start(const struct http_opts *o, http_handler h, void *arg,
    char **errstr)
{
	struct sockaddr_storage ss;
	struct http_server *s;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	unsigned maxc = o->max_connections ? o->max_connections : 512;
	unsigned perc = o->per_client ? o->per_client : 16;
	unsigned timeout = o->timeout ? o->timeout : 15;

	if (parse_listen(o->listen, &ss, errstr) < 0)
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s = xcalloc(1, sizeof(*s));
	s->handler = h;
	s->arg = arg;
	if (o->trusted_proxies != NULL && *o->trusted_proxies != '\0')
		s->trusted = xstrdup(o->trusted_proxies);
	/*
	 * Behind a proxy every connection comes from the proxy's address,
	 * so a limit per address would be a limit for everyone together;
	 * then the proxy limits per client (conf/nginx-rundbrief.conf).
	 */
	if (s->trusted != NULL)
		perc = 0;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, (void *)NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, maxc,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, perc,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, (void *)NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, (void *)NULL,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		*errstr = xasprintf("cannot listen on %s (in use, or not an "
		    "address of this machine?)", o->listen);
		free(s->trusted);
		free(s);
		return NULL;
	}
	return s;
}

void
http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->mhd);
	free(s->trusted);
	free(s);
}
