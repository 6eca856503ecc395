/* cli/progress: docker's display of JSON message streams (pull, push, load, import): one
 * line per layer redrawn in place with a progress bar on a terminal, plain status lines
 * otherwise; and a byte-count bar for the CLI's own transfers (save, upload). */
#ifndef BERTH_CLI_PROGRESS_H
#define BERTH_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	FILE *out;
	bool tty;   /* redraw in place (out is a terminal) */
	bool color; /* tty and no NO_COLOR */
	bool quiet; /* only errors (and the caller's own summary) */
	char **ids; /* layer lines on screen, top to bottom */
	char *line; /* an incomplete message line */
	size_t len;
	char err[1024];	 /* the stream's error message, if any */
	char digest[80]; /* aux.Digest / "Digest: " seen (push, pull) */
	double last;	 /* byte bar: time of the last redraw */
	bool inline_bar; /* a bar line without an id is on screen (ended by \r) */
};

void progress_init(struct progress *p, FILE *out, bool quiet);
/* A cli_sink_fn for a stream of JSON messages, one per line. */
int progress_feed(const char *buf, size_t n, void *ud);
/* Ends the stream: the partial last line shown, layer lines left in place. */
void progress_finish(struct progress *p);
/* A byte counter "label [=====>    ] 1.2MB/3.4MB" redrawn at most ten times a second on a
 * terminal (total 0: unknown), and finished with a newline when done; nothing otherwise. */
void progress_bytes(struct progress *p, const char *label, uint64_t cur, uint64_t total, bool done);
/* Whether f should get colours: a terminal, and NO_COLOR unset. */
bool progress_color(FILE *f);

#endif
