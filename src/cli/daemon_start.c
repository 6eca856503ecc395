/* cli/daemon_start: the first command with no daemon listening starts one: berthd
 * detached in its own session, logging to a file, and waits until it answers /_ping. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/spawn.h"
#include "util/str.h"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

/* /var/log/berth.log for the real default; the run dir when tests override the paths. */
static char *log_path(const char *run_dir)
{
	if (!getenv("BERTH_RUN_DIR") && !getenv("BERTH_DEFAULT_SOCKET")) {
		int fd =
		    open("/var/log/berth.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd >= 0) {
			close(fd);
			return str_dup("/var/log/berth.log");
		}
	}
	return path_join(run_dir, "berth.log");
}

char *cli_sibling_path(const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return str_dup(name);
	self[n] = 0;
	char *slash = strrchr(self, '/');
	return str_printf("%.*s/%s", (int)(slash - self), self, name);
}

/* In the grandchild: stdio to /dev/null and the log, a new session, exec the daemon. */
static void exec_daemon(const char *sock, const char *root, const char *run_dir, const char *log)
{
	int in = open("/dev/null", O_RDONLY);
	int out = open(log, O_WRONLY | O_APPEND | O_CREAT, 0640);
	if (in < 0 || out < 0)
		_exit(127);
	dup2(in, 0);
	dup2(out, 1);
	dup2(out, 2);
	setsid();
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	_cleanup_free_ char *host = str_printf("unix://%s", sock);
	_cleanup_free_ char *bin = cli_sibling_path("berthd");
	char *argv[] = {"berthd",	 "-H", host, "--root", (char *)root, "--run-dir",
			(char *)run_dir, NULL};
	execv(bin, argv);
	if (errno == ENOENT) /* installed apart: the one in PATH */
		execvp("berthd", argv);
	fprintf(stderr, "berth: cannot exec the daemon %s: %s\n", bin, strerror(errno));
	_exit(127);
}

/* Double fork: the daemon is not our child (no zombie, not killed with our group). */
static pid_t spawn(const char *sock, const char *root, const char *run_dir, const char *log,
		   struct err *e)
{
	int p[2];
	pid_t mid = spawn_fork_pipe(p, e);
	if (mid < 0)
		return -1;
	if (mid == 0) {
		pid_t d = fork();
		if (d == 0)
			exec_daemon(sock, root, run_dir, log);
		if (write(p[1], &d, sizeof(d)) != sizeof(d))
			_exit(1);
		_exit(d < 0);
	}
	close(p[1]);
	pid_t d = -1;
	ssize_t n = read(p[0], &d, sizeof(d));
	close(p[0]);
	waitpid(mid, NULL, 0);
	if (n != sizeof(d) || d < 0)
		return err_set(e, ERR_INTERNAL, 0, "cannot start the berth daemon");
	return d;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_daemon_start(const char *sock, struct err *e)
{
	const char *root = env_or("BERTH_ROOT", CLI_DEFAULT_ROOT);
	const char *run_dir = env_or("BERTH_RUN_DIR", CLI_DEFAULT_RUN_DIR);
	double timeout = atof(env_or("BERTH_START_TIMEOUT", "20"));
	if (fs_mkdir_p(run_dir, 0711, e) < 0)
		return err_wrap(e, "cannot start the berth daemon");
	_cleanup_free_ char *log = log_path(run_dir);
	pid_t pid = spawn(sock, root, run_dir, log, e);
	if (pid < 0)
		return -1;
	if (isatty(2))
		fprintf(stderr, "berth: started the daemon (pid %d, log %s)\n", (int)pid, log);
	double end = now_s() + timeout, gone_at = 0;
	while (now_s() < end) {
		if (cli_http_ping(sock))
			return 0;
		/* ours gone: another command's daemon may have won the root lock; give it a
		 * moment to answer before saying where to look */
		if (!gone_at && kill(pid, 0) < 0 && errno == ESRCH)
			gone_at = now_s();
		if (gone_at && now_s() - gone_at > 3)
			return err_set(e, ERR_UNAVAILABLE, 0,
				       "the berth daemon exited at start; see %s", log);
		usleep(10000);
	}
	return err_set(e, ERR_UNAVAILABLE, 0,
		       "the berth daemon (pid %d) did not answer on unix://%s within %gs; see %s",
		       (int)pid, sock, timeout, log);
}
