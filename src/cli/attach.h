/* cli/attach: hijacked connections (container attach, exec start): the HTTP upgrade to a
 * raw two-way stream, and the pump between it and the terminal (raw mode, resize, stdin
 * relay with half-close, ctrl-p ctrl-q detach). */
#ifndef BERTH_CLI_ATTACH_H
#define BERTH_CLI_ATTACH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct hijack {
	int fd;
	char *pre; /* stream bytes read with the reply head */
	size_t pre_len;
};

/* POSTs path (with body JSON or NULL) asking for an upgrade; on 101/200 the socket is a
 * raw stream. A reply >= 400 is the daemon's error. */
int cli_hijack(const char *sock, const char *path, const char *body, struct hijack *h,
	       struct err *e);
void cli_hijack_close(struct hijack *h);

/* Called with the terminal size when it changes (and once at the start). */
typedef void (*cli_resize_fn)(unsigned short h, unsigned short w, void *ud);

/* Called with a signal the CLI received, to forward to the container (sig-proxy). */
typedef void (*cli_signal_fn)(int sig, void *ud);

struct pump {
	bool tty;      /* raw bytes, terminal in raw mode when stdin is one */
	bool stdin_on; /* relay stdin; without it the write side is closed at once */
	cli_resize_fn resize;
	cli_signal_fn proxy; /* NULL: signals act on the CLI as usual */
	void *ud;
	const unsigned char *keys; /* detach sequence (NULL: ctrl-p ctrl-q) */
	size_t nkeys;
	bool detached; /* out: the detach sequence was typed */
};

#define CLI_DETACH_KEYS_MAX 16
/* docker's --detach-keys: "ctrl-p,ctrl-q", "a,ctrl-@"...; the bytes into keys (at most
 * CLI_DETACH_KEYS_MAX), their count into *n. */
int cli_detach_keys_parse(const char *spec, unsigned char *keys, size_t *n, struct err *e);

/* Blocks the signals the pump takes over (SIGWINCH with tty, the proxied ones): call it
 * before starting threads, or they would take those signals with the default action. */
void cli_pump_signals(bool tty, bool proxy, sigset_t *set);
/* Moves bytes until the daemon closes the stream; -1 on a socket error. */
int cli_pump(struct hijack *h, struct pump *p, struct err *e);
/* cli_pump with the terminal raw while our stdin goes to a TTY, then h closed (run, exec). */
int cli_pump_close(struct hijack *h, struct pump *p, struct err *e);
/* Puts the terminal on fd 0 in raw mode (when tty and a terminal); restored by cli_tty_restore. */
void cli_tty_raw(void);
void cli_tty_restore(void);

#endif
