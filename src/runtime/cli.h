/* cli: runc's command-line interface on top of the runtime library. */
#ifndef BERTH_RUNTIME_CLI_H
#define BERTH_RUNTIME_CLI_H

int runtime_cli_main(int argc, char **argv);

#endif
