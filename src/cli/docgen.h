/* cli/docgen: every command's spec collected from the command table (each command run with
 * cli_spec_hook set), for the man page (docgen.c) and the completion scripts (completion.c). */
#ifndef BERTH_CLI_DOCGEN_H
#define BERTH_CLI_DOCGEN_H

#include <stdio.h>

#include "cli/cli.h"

struct doc_cmd {
	char *path; /* "volume create" */
	const struct cli_command *cmd;
	struct cli_cmd_spec spec; /* zeroed for a group */
	struct cli_opt *opts;	  /* copy, ended by an empty entry; NULL for a group */
};

struct doc {
	struct doc_cmd *v;
	size_t n;
};

/* Every command and group, each group followed by its commands (aliases included). */
void doc_collect(struct doc *doc);
void doc_free(struct doc *doc);
/* What the positional arguments name, from the usage text: "container", "image",
 * "volume", "network" or "file". */
const char *doc_arg_kind(const struct doc_cmd *d);

/* The man page (roff) of berth(1). */
int cli_doc_man(FILE *f);
/* The completion script for shell ("bash" or "zsh"); -1 for another shell. */
int cli_doc_completion(FILE *f, const char *shell);

#endif
