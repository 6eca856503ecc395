/* timerun: runs a command once and prints its wall time in milliseconds, measured around
 * posix_spawn and waitpid only, so that benchmarks compare the commands and not the cost
 * of the (Python) harness that starts them. stdin and stdout are /dev/null; stderr is kept.
 * Exit status: the command's (or 127 if it could not be started). */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: timerun COMMAND [ARG...]\n");
		return 2;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	double t0 = now_ms();
	if (posix_spawn(&pid, argv[1], &fa, NULL, argv + 1, environ) != 0) {
		perror(argv[1]);
		return 127;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		;
	double t1 = now_ms();
	printf("%.3f\n", t1 - t0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
