/* cli/commands: the one table of berth's commands and management groups. Dispatch, the
 * help screens, `berth help`, the bash/zsh completion and the man page all read it. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define GROUP_END                             \
	{                                     \
		NULL, NULL, NULL, NULL, false \
	}

static const struct cli_command CONTAINER_CMDS[] = {
    {"attach", cmd_attach,
     "Attach local standard input, output, and error streams to a running container", NULL, false},
    {"commit", cmd_commit, "Create a new image from a container's changes", NULL, false},
    {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem", NULL, false},
    {"create", cmd_create, "Create a new container", NULL, false},
    {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem", NULL,
     false},
    {"exec", cmd_exec, "Execute a command in a running container", NULL, false},
    {"export", cmd_export, "Export a container's filesystem as a tar archive", NULL, false},
    {"inspect", cmd_container_inspect, "Display detailed information on one or more containers",
     NULL, false},
    {"kill", cmd_kill, "Kill one or more running containers", NULL, false},
    {"logs", cmd_logs, "Fetch the logs of a container", NULL, false},
    {"ls", cmd_ps, "List containers", NULL, false},
    {"list", cmd_ps, "List containers", NULL, true},
    {"ps", cmd_ps, "List containers", NULL, true},
    {"pause", cmd_pause, "Pause all processes within one or more containers", NULL, false},
    {"port", cmd_port, "List port mappings or a specific mapping for the container", NULL, false},
    {"prune", cmd_container_prune, "Remove all stopped containers", NULL, false},
    {"rename", cmd_rename, "Rename a container", NULL, false},
    {"restart", cmd_restart, "Restart one or more containers", NULL, false},
    {"rm", cmd_rm, "Remove one or more containers", NULL, false},
    {"remove", cmd_rm, "Remove one or more containers", NULL, true},
    {"run", cmd_run, "Create and run a new container from an image", NULL, false},
    {"start", cmd_start, "Start one or more stopped containers", NULL, false},
    {"stats", cmd_stats, "Display a live stream of container(s) resource usage statistics", NULL,
     false},
    {"stop", cmd_stop, "Stop one or more running containers", NULL, false},
    {"top", cmd_top, "Display the running processes of a container", NULL, false},
    {"unpause", cmd_unpause, "Unpause all processes within one or more containers", NULL, false},
    {"update", cmd_update, "Update configuration of one or more containers", NULL, false},
    {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes", NULL,
     false},
    GROUP_END,
};

static const struct cli_command IMAGE_CMDS[] = {
    {"build", cmd_build, "Build an image from a Dockerfile", NULL, false},
    {"history", cmd_history, "Show the history of an image", NULL, false},
    {"import", cmd_import, "Import the contents from a tarball to create a filesystem image", NULL,
     false},
    {"inspect", cmd_image_inspect, "Display detailed information on one or more images", NULL,
     false},
    {"load", cmd_load, "Load an image from a tar archive or STDIN", NULL, false},
    {"ls", cmd_images, "List images", NULL, false},
    {"list", cmd_images, "List images", NULL, true},
    {"prune", cmd_image_prune, "Remove unused images", NULL, false},
    {"pull", cmd_pull, "Download an image from a registry", NULL, false},
    {"push", cmd_push, "Upload an image to a registry", NULL, false},
    {"rm", cmd_rmi, "Remove one or more images", NULL, false},
    {"remove", cmd_rmi, "Remove one or more images", NULL, true},
    {"save", cmd_save, "Save one or more images to a tar archive (streamed to STDOUT by default)",
     NULL, false},
    {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", NULL, false},
    GROUP_END,
};

static const struct cli_command VOLUME_CMDS[] = {
    {"create", cmd_volume_create, "Create a volume", NULL, false},
    {"inspect", cmd_volume_inspect, "Display detailed information on one or more volumes", NULL,
     false},
    {"ls", cmd_volume_ls, "List volumes", NULL, false},
    {"list", cmd_volume_ls, "List volumes", NULL, true},
    {"prune", cmd_volume_prune, "Remove unused local volumes", NULL, false},
    {"rm", cmd_volume_rm, "Remove one or more volumes", NULL, false},
    {"remove", cmd_volume_rm, "Remove one or more volumes", NULL, true},
    GROUP_END,
};

static const struct cli_command NETWORK_CMDS[] = {
    {"connect", cmd_network_connect, "Connect a container to a network", NULL, false},
    {"create", cmd_network_create, "Create a network", NULL, false},
    {"disconnect", cmd_network_disconnect, "Disconnect a container from a network", NULL, false},
    {"inspect", cmd_network_inspect, "Display detailed information on one or more networks", NULL,
     false},
    {"ls", cmd_network_ls, "List networks", NULL, false},
    {"list", cmd_network_ls, "List networks", NULL, true},
    {"prune", cmd_network_prune, "Remove all unused networks", NULL, false},
    {"rm", cmd_network_rm, "Remove one or more networks", NULL, false},
    {"remove", cmd_network_rm, "Remove one or more networks", NULL, true},
    GROUP_END,
};

static const struct cli_command SYSTEM_CMDS[] = {
    {"check", cmd_system_check, "Check the consistency of the daemon's store", NULL, false},
    {"df", cmd_system_df, "Show berth disk usage", NULL, false},
    {"events", cmd_events, "Get real time events from the server", NULL, false},
    {"info", cmd_info, "Display system-wide information", NULL, false},
    {"prune", cmd_system_prune, "Remove unused data", NULL, false},
    GROUP_END,
};

const struct cli_command CLI_COMMANDS[] = {
    {"container", NULL, "Manage containers", CONTAINER_CMDS, false},
    {"image", NULL, "Manage images", IMAGE_CMDS, false},
    {"network", NULL, "Manage networks", NETWORK_CMDS, false},
    {"system", NULL, "Manage berth", SYSTEM_CMDS, false},
    {"volume", NULL, "Manage volumes", VOLUME_CMDS, false},
    {"run", cmd_run, "Create and run a new container from an image", NULL, false},
    {"exec", cmd_exec, "Execute a command in a running container", NULL, false},
    {"ps", cmd_ps, "List containers", NULL, false},
    {"images", cmd_images, "List images", NULL, false},
    {"pull", cmd_pull, "Download an image from a registry", NULL, false},
    {"push", cmd_push, "Upload an image to a registry", NULL, false},
    {"login", cmd_login, "Log in to a registry", NULL, false},
    {"logout", cmd_logout, "Log out from a registry", NULL, false},
    {"version", cmd_version, "Show the berth version information", NULL, false},
    {"info", cmd_info, "Display system-wide information", NULL, false},
    {"attach", cmd_attach,
     "Attach local standard input, output, and error streams to a running container", NULL, false},
    {"build", cmd_build, "Build an image from a Dockerfile", NULL, false},
    {"commit", cmd_commit, "Create a new image from a container's changes", NULL, false},
    {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem", NULL, false},
    {"create", cmd_create, "Create a new container", NULL, false},
    {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem", NULL,
     false},
    {"events", cmd_events, "Get real time events from the server", NULL, false},
    {"export", cmd_export, "Export a container's filesystem as a tar archive", NULL, false},
    {"history", cmd_history, "Show the history of an image", NULL, false},
    {"import", cmd_import, "Import the contents from a tarball to create a filesystem image", NULL,
     false},
    {"inspect", cmd_inspect, "Return low-level information on berth objects", NULL, false},
    {"kill", cmd_kill, "Kill one or more running containers", NULL, false},
    {"load", cmd_load, "Load an image from a tar archive or STDIN", NULL, false},
    {"logs", cmd_logs, "Fetch the logs of a container", NULL, false},
    {"pause", cmd_pause, "Pause all processes within one or more containers", NULL, false},
    {"port", cmd_port, "List port mappings or a specific mapping for the container", NULL, false},
    {"rename", cmd_rename, "Rename a container", NULL, false},
    {"restart", cmd_restart, "Restart one or more containers", NULL, false},
    {"rm", cmd_rm, "Remove one or more containers", NULL, false},
    {"rmi", cmd_rmi, "Remove one or more images", NULL, false},
    {"save", cmd_save, "Save one or more images to a tar archive (streamed to STDOUT by default)",
     NULL, false},
    {"start", cmd_start, "Start one or more stopped containers", NULL, false},
    {"stats", cmd_stats, "Display a live stream of container(s) resource usage statistics", NULL,
     false},
    {"stop", cmd_stop, "Stop one or more running containers", NULL, false},
    {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", NULL, false},
    {"top", cmd_top, "Display the running processes of a container", NULL, false},
    {"unpause", cmd_unpause, "Unpause all processes within one or more containers", NULL, false},
    {"update", cmd_update, "Update configuration of one or more containers", NULL, false},
    {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes", NULL,
     false},
    {"completion", cmd_completion, "Generate the autocompletion script for the specified shell",
     NULL, false},
    {"help", cmd_help, "Help about any command", NULL, false},
    GROUP_END,
};

const struct cli_command *cli_command_find(const struct cli_command *table, const char *name)
{
	for (const struct cli_command *c = table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void cli_group_usage(const struct cli_command *g, FILE *f)
{
	fprintf(f, "\nUsage:  berth %s COMMAND\n\n%s\n\nCommands:\n", g->name, g->about);
	for (const struct cli_command *s = g->subs; s->name; s++)
		if (!s->alias)
			fprintf(f, "  %-11s %s\n", s->name, s->about);
	fprintf(f, "\nRun 'berth %s COMMAND --help' for more information on a command.\n", g->name);
}

int cli_group_main(const struct cli_command *g, struct cli *c, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cli_group_usage(g, stdout);
		return 0;
	}
	const struct cli_command *s = cli_command_find(g->subs, argv[1]);
	if (!s) {
		fprintf(stderr, "berth: '%s %s' is not a berth command.\nSee 'berth %s --help'\n",
			g->name, argv[1], g->name);
		return 1;
	}
	return s->fn(c, argc - 1, argv + 1);
}
