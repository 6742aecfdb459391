/*
 * smtppriv: what the files of the smtp module share. Private to the smtp
 * module -- smtp.c (the API, the checks, the caller's loop, the
 * classification of results) and smtpconn.c (the connections: threads
 * that each own one libcurl easy handle and run one transaction at a
 * time, taking their jobs from one queue). Other modules include smtp.h.
 *
 * libcurl is used in the smtp*.c files only (STYLE.md's "libcurl in
 * smtp.c" now reads "libcurl only in the smtp*.c files"). This header
 * includes <curl/curl.h>, so no other file may include it.
 *
 * Threads: the caller's thread (smtp.c) prepares jobs and puts them on the
 * pool's queue; any idle connection takes the oldest one, runs it and puts
 * it on the done list, then takes the next one without waiting for the
 * caller. A connection's thread touches only its struct smtpconn, the job
 * it took and the pool's fields under pool->mu. Everything else,
 * callbacks included, runs on the thread that calls smtp_run.
 */
#ifndef RUNDBRIEF_SMTPPRIV_H
#define RUNDBRIEF_SMTPPRIV_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

#include <curl/curl.h>

#include "smtp.h"

#define SMTP_REPLY_MAX	512		/* bytes of reply text we keep */

/* How one transaction ended, as libcurl and the server told it. */
struct smtp_outcome {
	CURLcode rc;
	long resp;			/* CURLINFO_RESPONSE_CODE */
	long nconn;			/* CURLINFO_NUM_CONNECTS */
	enum smtp_stage stage;		/* from the last command sent */
	int reply_final;		/* reply[] holds a complete reply */
	int reply_code;
	size_t replylen;
	char reply[SMTP_REPLY_MAX];	/* last reply, lines joined by ' ' */
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * One message to send. The caller's thread fills the input and queues the
 * job (smtpconn_queue); from then until it takes the job off the done list
 * only the connection that took it touches it (the mutex orders both
 * hand-overs). Owned by smtp.c, which reuses jobs.
 */
struct smtpjob {
	struct smtpjob *next;		/* in the queue, done or free list */
	char *url;
	char *from;			/* MAIL FROM argument, "<>" for none */
	struct curl_slist *rcpt;
	const char *data;		/* the caller's, valid until done() */
	size_t len;
	void *cookie;
	struct smtpconn *conn;		/* that ran it (set when taken) */
	struct smtp_outcome out;	/* written by the connection */
};

/* What the connections share with smtp.c. */
struct smtp_pool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv;		/* a job was queued, or quit */
	pthread_cond_t done_cv;		/* a result came: CLOCK_MONOTONIC */
	/* Under mu. */
	struct smtpjob *q_head;		/* queued, not started: oldest first */
	struct smtpjob **q_tail;
	int nqueued;
	struct smtpjob *done_head;	/* finished, not reported: oldest first */
	struct smtpjob **done_tail;
	int nidle;			/* connections waiting on work_cv */
	int hold;			/* take no queued job (see smtpconn.c) */
	int quit;			/* end the threads once idle */
	int caller_waits;		/* the caller sleeps on done_cv */
	/* smtp_stop(): set from any context, read by all threads, always
	 * through __atomic builtins (a lock-free int: async-signal-safe). */
	volatile sig_atomic_t stopping;
	/* smtp_abort(): cut transactions off (same rules as stopping). */
	volatile sig_atomic_t aborting;
	/* Read-only once a connection exists (new easy handles). */
	int starttls;			/* CURLUSESSL_ALL, else NONE */
	char *ca_file, *username, *password;
	long connect_timeout, timeout;
};

struct smtpconn {
	struct smtp_pool *pool;
	pthread_t tid;
	int started;			/* caller's */
	/* Under pool->mu: its last result is not recorded yet, so it takes
	 * no job (the duplicate bound after a crash: one per connection). */
	int unacked;

	/* The connection's own while its thread runs. */
	CURL *easy;			/* NULL: make one with the next job */
	struct smtpjob *job;		/* the one running, or NULL */
	size_t pos;			/* of the upload in job->data */
	int quitting;			/* QUIT sent: keep the reply we have */
	struct smtp_outcome out;	/* filled during a transaction */
};

/*
 * Sets up the pool's queue and done list and its synchronisation (done_cv
 * on CLOCK_MONOTONIC). The caller zeroes the pool first and sets the
 * option fields. 0, or -1: nothing to clean up.
 */
int	smtp_pool_init(struct smtp_pool *p);

/* Destroys what smtp_pool_init made; the threads must have ended. */
void	smtp_pool_destroy(struct smtp_pool *p);

/*
 * Sets up c (zeroed by the caller) in pool with a first easy handle, so
 * that bad options show at once. 0, or -1 with *errstr (caller frees);
 * smtpconn_free() cleans up either way.
 */
int	smtpconn_init(struct smtpconn *c, struct smtp_pool *pool,
	    char **errstr);

/* Starts c's thread with all signals blocked. 0, or an errno value. */
int	smtpconn_start(struct smtpconn *c);

/* Appends a prepared job to the pool's queue and wakes an idle connection
 * if there is one and the queue is not on hold. Caller's thread. */
void	smtpconn_queue(struct smtp_pool *p, struct smtpjob *j);

/* The caller has recorded the result of c's last job: c may take the
 * next one. Caller's thread, after smtp_done_fn returned. */
void	smtpconn_ack(struct smtp_pool *p, struct smtpconn *c);

/* Tells all connections' threads to close their connections (QUIT) and
 * end once idle; does not wait, so all connections close at once. */
void	smtpconn_quit_all(struct smtp_pool *p);

/* Waits for c's thread (after smtpconn_quit_all) and closes what is
 * left. */
void	smtpconn_free(struct smtpconn *c);

/* Frees a job's strings (not data) and the job; NULL is fine. */
void	smtpjob_free(struct smtpjob *j);

#endif
