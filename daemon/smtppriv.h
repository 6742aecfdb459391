/*
 * smtppriv: what the files of the smtp module share. Private to the smtp
 * module -- smtp.c (the API, the checks, the caller's loop, the
 * classification of results) and smtpconn.c (one connection: a thread
 * that owns one libcurl easy handle and runs one transaction at a time).
 * Other modules include smtp.h.
 *
 * libcurl is used in the smtp*.c files only (STYLE.md's "libcurl in
 * smtp.c" now reads "libcurl only in the smtp*.c files"). This header
 * includes <curl/curl.h>, so no other file may include it.
 *
 * Threads: a connection's thread touches only its struct smtpconn (the
 * fields marked "worker") and the shared state under pool->mu. Everything
 * else, callbacks included, runs on the thread that calls smtp_run.
 */
#ifndef RUNDBRIEF_SMTPPRIV_H
#define RUNDBRIEF_SMTPPRIV_H

#include <pthread.h>
#include <stddef.h>

#include <curl/curl.h>

#include "smtp.h"

#define SMTP_REPLY_MAX	512		/* bytes of reply text we keep */

/* What the connections share with smtp.c. */
struct smtp_pool {
	pthread_mutex_t mu;
	pthread_cond_t done_cv;		/* a result came: CLOCK_MONOTONIC */
	struct smtpconn *done_head;	/* finished jobs, oldest first: mu */
	struct smtpconn **done_tail;
	/* Read-only once a connection exists (new easy handles). */
	int starttls;			/* CURLUSESSL_ALL, else NONE */
	char *ca_file, *username, *password;
	long connect_timeout, timeout;
};

struct smtpconn {
	struct smtp_pool *pool;
	pthread_t tid;
	pthread_cond_t cv;		/* a job or quit: under pool->mu */
	int cv_ok, started;
	int has_job, quit;		/* under pool->mu */
	struct smtpconn *done_next;	/* under pool->mu */
	int busy;			/* caller: job given, result not taken */

	/*
	 * The job: set by the caller before smtpconn_give(), read-only for
	 * the worker, freed by the caller (smtpconn_job_free) after it took
	 * the result. All owned, except data.
	 */
	char *url;
	char *from;			/* MAIL FROM argument, "<>" for none */
	struct curl_slist *rcpt;
	const char *data;		/* the caller's, valid until done() */
	size_t len;
	void *cookie;

	/*
	 * The result: written by the worker during the job, read by the
	 * caller once the job is on the done list (the mutex orders both).
	 */
	CURLcode rc;
	long resp;			/* CURLINFO_RESPONSE_CODE */
	long nconn;			/* CURLINFO_NUM_CONNECTS */
	enum smtp_stage stage;		/* from the last command sent */
	char reply[SMTP_REPLY_MAX];	/* last reply, lines joined by ' ' */
	size_t replylen;
	int reply_final;		/* reply[] holds a complete reply */
	int reply_code;
	char errbuf[CURL_ERROR_SIZE];

	/* The worker's own. */
	CURL *easy;			/* NULL: make one with the next job */
	size_t pos;			/* of the upload in data */
	int quitting;			/* QUIT sent: keep the reply we have */
};

/*
 * Sets up c (zeroed by the caller) in pool: its condition variable and a
 * first easy handle, so that bad options show at once. 0, or -1 with
 * *errstr (caller frees); smtpconn_free() cleans up either way.
 */
int	smtpconn_init(struct smtpconn *c, struct smtp_pool *pool,
	    char **errstr);

/* Starts c's thread with all signals blocked. 0, or an errno value. */
int	smtpconn_start(struct smtpconn *c);

/* Hands the job set in c to its thread (c->started, not busy). */
void	smtpconn_give(struct smtpconn *c);

/* Tells c's thread to close its connection (QUIT) and end; does not wait,
 * so all connections can close at once. */
void	smtpconn_quit(struct smtpconn *c);

/* Waits for c's thread, closes what is left and frees the job. */
void	smtpconn_free(struct smtpconn *c);

/* Frees the job's strings (not data); safe on an empty job. */
void	smtpconn_job_free(struct smtpconn *c);

#endif
