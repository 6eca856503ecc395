/* api/tls: TCP listeners with TLS (GnuTLS): a thread accepts, each connection's handshake runs
 * on a thread of its own (with --tlsverify a client certificate signed by the CA is required),
 * which then relays the plaintext to libmicrohttpd through a socketpair.
 * Not MHD_USE_TLS: libmicrohttpd 0.9.75 forwards no half-close on an upgraded TLS connection,
 * so a hijacked stream (attach, exec, run -i) would never see the end of the client's stdin.
 * GnuTLS is mapped anyway (libmicrohttpd links it): a daemon on Unix sockets only pays
 * nothing for this. */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "api/server_priv.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/str.h"

#define TLS_HANDSHAKE_MS 10000
#define TLS_MAX_CONNS	 512 /* beyond: refused (each holds two threads) */
/* as dockerd: TLS 1.2 at least */
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct tls_conn {
	struct server_tls *t;
	struct MHD_Daemon *d;
	int fd;	 /* the client's TCP socket */
	int app; /* our end of the socketpair whose other end libmicrohttpd serves */
	gnutls_session_t s;
	char peer[80];
	struct tls_conn *prev, *next;
};

struct server_tls {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	bool verify;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tls_conn *conns; /* live ones: shut down at stop */
	size_t nconns;
	bool stopping;
};

static int tls_err(struct err *e, int r, const char *what, const char *path)
{
	return err_invalid(e, "%s %s: %s", what, path, gnutls_strerror(r));
}

struct server_tls *server_tls_new(const struct api_tls *o, struct err *e)
{
	struct server_tls *t = xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->verify = o->verify;
	int r = gnutls_certificate_allocate_credentials(&t->cred);
	if (r < 0) {
		free(t);
		err_set(e, ERR_INTERNAL, 0, "TLS credentials: %s", gnutls_strerror(r));
		return NULL;
	}
	r = gnutls_certificate_set_x509_key_file2(t->cred, o->cert, o->key, GNUTLS_X509_FMT_PEM,
						  NULL, 0);
	if (r < 0)
		tls_err(e, r, "--tlscert/--tlskey", o->cert);
	if (r >= 0 && o->verify) {
		r = gnutls_certificate_set_x509_trust_file(t->cred, o->ca, GNUTLS_X509_FMT_PEM);
		if (r == 0)
			err_invalid(e, "--tlscacert %s: no certificate in the file", o->ca);
		else if (r < 0)
			tls_err(e, r, "--tlscacert", o->ca);
		r = r == 0 ? -1 : r;
	}
	if (r >= 0 && (r = gnutls_priority_init(&t->prio, TLS_PRIORITY, NULL)) < 0)
		err_set(e, ERR_INTERNAL, 0, "TLS priorities: %s", gnutls_strerror(r));
	if (r < 0) {
		server_tls_free(t);
		return NULL;
	}
	return t;
}

int api_tls_check(const struct api_tls *o, struct err *e)
{
	struct server_tls *t = server_tls_new(o, e);
	if (!t)
		return -1;
	server_tls_free(t);
	return 0;
}

static void conn_unlink(struct tls_conn *c)
{
	struct server_tls *t = c->t;
	pthread_mutex_lock(&t->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	t->nconns--;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

/* The connection's fds are closed only after it left the list: the stop may shut them
 * down under the lock without ever touching a reused descriptor. */
static void conn_free(struct tls_conn *c)
{
	conn_unlink(c);
	if (c->s)
		gnutls_deinit(c->s);
	close(c->fd);
	if (c->app >= 0)
		close(c->app);
	free(c);
}

static int conn_handshake(struct tls_conn *c)
{
	struct server_tls *t = c->t;
	int r = gnutls_init(&c->s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	if (r < 0 || (r = gnutls_priority_set(c->s, t->prio)) < 0 ||
	    (r = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, t->cred)) < 0) {
		log_error("TLS session for %s: %s", c->peer, gnutls_strerror(r));
		return -1;
	}
	if (t->verify) {
		/* a certificate is required, chained to the CA and meant for clients (as Go's
		 * RequireAndVerifyClientCert: no extended key usage at all is fine too) */
		static gnutls_typed_vdata_st purpose = {
		    GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
		gnutls_certificate_server_set_request(c->s, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_cert2(c->s, &purpose, 1, 0);
	}
	gnutls_transport_set_int(c->s, c->fd);
	gnutls_handshake_set_timeout(c->s, TLS_HANDSHAKE_MS);
	do
		r = gnutls_handshake(c->s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		gnutls_datum_t why = {NULL, 0};
		gnutls_certificate_verification_status_print(
		    gnutls_session_get_verify_cert_status(c->s), GNUTLS_CRT_X509, &why, 0);
		size_t n = why.data ? strlen((char *)why.data) : 0;
		while (n && why.data[n - 1] == ' ')
			why.data[--n] = '\0';
		log_warn("TLS client %s refused: %s", c->peer,
			 n ? (char *)why.data : "its certificate did not verify");
		gnutls_free(why.data);
	} else if (r == GNUTLS_E_CERTIFICATE_REQUIRED || r == GNUTLS_E_NO_CERTIFICATE_FOUND) {
		log_warn("TLS client %s refused: no client certificate", c->peer);
	} else if (r < 0) {
		log_warn("TLS handshake with %s failed: %s", c->peer, gnutls_strerror(r));
	}
	if (r < 0)
		gnutls_alert_send_appropriate(c->s, r);
	return r < 0 ? -1 : 0;
}

static int send_all_tls(gnutls_session_t s, const char *p, size_t n)
{
	while (n) {
		ssize_t w = gnutls_record_send(s, p, n);
		if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* libmicrohttpd -> client. Its end of the output (a hijacked session's half-close, or the
 * connection closed) becomes close_notify, so the client reads EOF and may still write. */
static void *conn_to_client(void *p)
{
	struct tls_conn *c = p;
	char buf[16384];
	for (;;) {
		ssize_t n = recv(c->app, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (send_all_tls(c->s, buf, (size_t)n) < 0) {
			/* the client is gone: the server side must notice (POLLHUP, EPIPE) */
			shutdown(c->app, SHUT_RDWR);
			return NULL;
		}
	}
	gnutls_bye(c->s, GNUTLS_SHUT_WR);
	shutdown(c->fd, SHUT_WR);
	return NULL;
}

/* client -> libmicrohttpd until the client's input ends (close_notify or a bare FIN:
 * a half-close the server sees as EOF) or libmicrohttpd closed its end. */
static void conn_from_client(struct tls_conn *c)
{
	char buf[16384];
	for (;;) {
		if (!gnutls_record_check_pending(c->s)) {
			struct pollfd p[2] = {{c->fd, POLLIN, 0}, {c->app, 0, 0}};
			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			if (p[1].revents & (POLLHUP | POLLERR))
				break;
			if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		ssize_t n = gnutls_record_recv(c->s, buf, sizeof(buf));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
			shutdown(c->app, SHUT_WR);
			break;
		}
		if (n < 0) {
			log_debug("TLS client %s: %s", c->peer, gnutls_strerror((int)n));
			shutdown(c->app, SHUT_RDWR);
			break;
		}
		if (fs_send_all(c->app, buf, (size_t)n) < 0)
			break;
	}
}

/* Hands the plaintext end to libmicrohttpd (unless the server is stopping). */
static int conn_attach(struct tls_conn *c)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		log_error("TLS client %s: socketpair: %s", c->peer, strerror(errno));
		return -1;
	}
	/* a Unix address: libmicrohttpd sets no TCP options on it */
	struct sockaddr sa = {.sa_family = AF_UNIX};
	pthread_mutex_lock(&c->t->mu);
	c->app = sp[1]; /* under the lock: the stop shuts it down */
	enum MHD_Result r =
	    c->t->stopping ? MHD_NO : MHD_add_connection(c->d, sp[0], &sa, sizeof(sa));
	pthread_mutex_unlock(&c->t->mu);
	if (r != MHD_YES) {
		if (c->t->stopping)
			close(sp[0]); /* libmicrohttpd closes it when it refuses it */
		return -1;
	}
	return 0;
}

static void *conn_main(void *p)
{
	struct tls_conn *c = p;
	pthread_t out;
	if (conn_handshake(c) == 0 && conn_attach(c) == 0) {
		if (pthread_create(&out, NULL, conn_to_client, c) == 0) {
			conn_from_client(c);
			pthread_join(out, NULL);
		} else {
			log_error("TLS client %s: cannot start its relay thread", c->peer);
		}
	}
	conn_free(c);
	return NULL;
}

static void conn_start(struct server_tls *t, struct MHD_Daemon *d, int fd,
		       const struct sockaddr_storage *ss, socklen_t len)
{
	struct tls_conn *c = xcalloc(1, sizeof(*c));
	*c = (struct tls_conn){.t = t, .d = d, .fd = fd, .app = -1};
	char host[64] = "?", port[16] = "?";
	getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(c->peer, sizeof(c->peer), "%s:%s", host, port);
	pthread_mutex_lock(&t->mu);
	size_t n = t->nconns;
	bool ok = !t->stopping && n < TLS_MAX_CONNS;
	if (ok) {
		c->next = t->conns;
		if (t->conns)
			t->conns->prev = c;
		t->conns = c;
		t->nconns++;
	}
	pthread_mutex_unlock(&t->mu);
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!ok) {
		log_warn("TLS client %s refused: %zu connections already", c->peer, n);
		close(fd);
		free(c);
	} else if (pthread_create(&th, &attr, conn_main, c) != 0) {
		log_error("TLS client %s: cannot start a connection thread", c->peer);
		conn_free(c);
	}
	pthread_attr_destroy(&attr);
}

struct acceptor {
	struct server_tls *t;
	struct api_listener *l;
};

static void *accept_main(void *p)
{
	struct acceptor *a = p;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(a->l->fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_start(a->t, a->l->d, fd, &ss, len);
			continue;
		}
		pthread_mutex_lock(&a->t->mu);
		bool stop = a->t->stopping;
		pthread_mutex_unlock(&a->t->mu);
		if (stop)
			break;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			usleep(100000); /* out of resources: don't spin */
		else if (errno != EINTR && errno != ECONNABORTED && errno != EPROTO)
			log_warn("accept on %s: %s", a->l->path, strerror(errno));
	}
	free(a);
	return NULL;
}

int server_tls_accept_start(struct server_tls *t, struct api_listener *l, struct err *e)
{
	struct acceptor *a = xcalloc(1, sizeof(*a));
	*a = (struct acceptor){t, l};
	int r = pthread_create(&l->acceptor, NULL, accept_main, a);
	if (r != 0) {
		free(a);
		return err_errno(e, r, "accept thread for %s", l->path);
	}
	l->accepting = true;
	return 0;
}

void server_tls_quiesce(struct server_tls *t)
{
	pthread_mutex_lock(&t->mu);
	t->stopping = true;
	pthread_mutex_unlock(&t->mu);
}

void server_tls_accept_stop(struct api_listener *l)
{
	if (!l->accepting)
		return;
	shutdown(l->fd, SHUT_RDWR); /* wakes accept() */
	pthread_join(l->acceptor, NULL);
	l->accepting = false;
}

void server_tls_free(struct server_tls *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->stopping = true;
	for (struct tls_conn *c = t->conns; c; c = c->next) {
		shutdown(c->fd, SHUT_RDWR);
		if (c->app >= 0)
			shutdown(c->app, SHUT_RDWR);
	}
	while (t->nconns)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	if (t->prio)
		gnutls_priority_deinit(t->prio);
	gnutls_certificate_free_credentials(t->cred);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}
