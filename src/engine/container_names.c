/* engine/container_names: the pure rules of containers: name validity and generation,
 * go-units' HumanDuration, the list's Status text, signal names. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "engine/container.h"
#include "store/time.h"
#include "util/cleanup.h"
#include "util/str.h"

bool container_name_valid(const char *name)
{
	if (!name)
		return false;
	if (*name == '/')
		name++;
	if (!isalnum((unsigned char)name[0]) || !name[1])
		return false;
	for (const char *p = name + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

static const char *const adjectives[] = {
    "admiring",	  "adoring",   "affectionate", "amazing",     "angry",	    "awesome",
    "blissful",	  "bold",      "brave",	       "charming",    "clever",	    "compassionate",
    "competent",  "confident", "cool",	       "dazzling",    "determined", "eager",
    "ecstatic",	  "elastic",   "elated",       "elegant",     "epic",	    "exciting",
    "festive",	  "focused",   "friendly",     "funny",	      "gallant",    "gifted",
    "gracious",	  "happy",     "hardcore",     "heuristic",   "hopeful",    "hungry",
    "infallible", "inspiring", "intelligent",  "interesting", "jolly",	    "jovial",
    "keen",	  "kind",      "laughing",     "loving",      "lucid",	    "magical",
    "modest",	  "musing",    "mystifying",   "nervous",     "nice",	    "nifty",
    "nostalgic",  "objective", "optimistic",   "peaceful",    "pedantic",   "pensive",
    "practical",  "priceless", "quirky",       "quizzical",   "relaxed",    "reverent",
    "romantic",	  "sad",       "serene",       "sharp",	      "silly",	    "sleepy",
    "stoic",	  "strange",   "stupefied",    "suspicious",  "sweet",	    "tender",
    "thirsty",	  "trusting",  "unruffled",    "upbeat",      "vibrant",    "vigilant",
    "vigorous",	  "wizardly",  "wonderful",    "xenodochial", "youthful",   "zealous",
    "zen",
};

static const char *const surnames[] = {
    "agnesi",	  "albattani",	   "allen",	  "almeida",	"archimedes", "ardinghelli",
    "aryabhata",  "austin",	   "babbage",	  "banach",	"bardeen",    "bartik",
    "bassi",	  "bell",	   "bhabha",	  "bohr",	"booth",      "borg",
    "bose",	  "boyd",	   "brahmagupta", "brattain",	"brown",      "carson",
    "cerf",	  "chandrasekhar", "clarke",	  "colden",	"cori",	      "cray",
    "curie",	  "darwin",	   "davinci",	  "diffie",	"dijkstra",   "dirac",
    "driscoll",	  "dubinsky",	   "easley",	  "einstein",	"elbakyan",   "elgamal",
    "elion",	  "engelbart",	   "euclid",	  "euler",	"faraday",    "fermat",
    "fermi",	  "feynman",	   "franklin",	  "galileo",	"gates",      "goldberg",
    "goldstine",  "goodall",	   "hamilton",	  "hawking",	"heisenberg", "hertz",
    "hodgkin",	  "hofstadter",	   "hopper",	  "hypatia",	"jackson",    "jang",
    "jennings",	  "johnson",	   "kalam",	  "kepler",	"khorana",    "knuth",
    "kowalevski", "lalande",	   "lamarr",	  "lamport",	"leakey",     "lovelace",
    "lumiere",	  "mayer",	   "mccarthy",	  "mcclintock", "meitner",    "mendel",
    "merkle",	  "minsky",	   "montalcini",  "moore",	"morse",      "napier",
    "nash",	  "newton",	   "nobel",	  "noether",	"pare",	      "pascal",
    "pasteur",	  "payne",	   "perlman",	  "pike",	"poincare",   "ptolemy",
    "raman",	  "ritchie",	   "rosalind",	  "saha",	"sammet",     "shannon",
    "shaw",	  "sinoussi",	   "stonebraker", "swanson",	"tesla",      "thompson",
    "torvalds",	  "turing",	   "villani",	  "volhard",	"wescoff",    "wiles",
    "williams",	  "wilson",	   "wing",	  "wozniak",	"wright",     "yalow",
};

void container_name_generate(char *out, size_t len, unsigned retry)
{
	unsigned r[3] = {0, 0, 0};
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r[0] = (unsigned)rand(), r[1] = (unsigned)rand(), r[2] = (unsigned)rand();
	const char *a = adjectives[r[0] % ARRAY_SIZE(adjectives)];
	const char *s = surnames[r[1] % ARRAY_SIZE(surnames)];
	/* "boring_wozniak" is not generated (moby's joke) */
	if (!strcmp(a, "boring") && !strcmp(s, "wozniak"))
		a = "brave";
	if (retry)
		snprintf(out, len, "%s_%s%u", a, s, r[2] % 10);
	else
		snprintf(out, len, "%s_%s", a, s);
}

void container_human_duration(int64_t ns, char *out, size_t len)
{
	int64_t secs = ns / 1000000000;
	double hours_f = (double)ns / 3.6e12;
	if (secs < 1) {
		snprintf(out, len, "Less than a second");
	} else if (secs == 1) {
		snprintf(out, len, "1 second");
	} else if (secs < 60) {
		snprintf(out, len, "%lld seconds", (long long)secs);
	} else if (secs / 60 == 1) {
		snprintf(out, len, "About a minute");
	} else if (secs / 60 < 60) {
		snprintf(out, len, "%lld minutes", (long long)(secs / 60));
	} else {
		long long hours = (long long)(hours_f + 0.5);
		if (hours == 1)
			snprintf(out, len, "About an hour");
		else if (hours < 48)
			snprintf(out, len, "%lld hours", hours);
		else if (hours < 24 * 7 * 2)
			snprintf(out, len, "%lld days", hours / 24);
		else if (hours < 24 * 30 * 2)
			snprintf(out, len, "%lld weeks", hours / 24 / 7);
		else if (hours < 24 * 365 * 2)
			snprintf(out, len, "%lld months", hours / 24 / 30);
		else
			snprintf(out, len, "%lld years", (long long)hours_f / 24 / 365);
	}
}

static int64_t state_time(const json_t *state, const char *key)
{
	int64_t ns = 0;
	const char *s = json_string_value(json_object_get(state, key));
	if (!s || !strcmp(s, STORE_TIME_ZERO) || store_time_parse(s, &ns, NULL) < 0)
		return 0;
	return ns;
}

char *container_status_text(const json_t *state, int64_t now)
{
	char d[64];
	const char *status = json_string_value(json_object_get(state, "Status"));
	int64_t started = state_time(state, "StartedAt"),
		finished = state_time(state, "FinishedAt");
	long long code = json_integer_value(json_object_get(state, "ExitCode"));
	if (status && !strcmp(status, "removing"))
		return str_dup("Removal In Progress");
	if (status && !strcmp(status, "dead"))
		return str_dup("Dead");
	if (json_is_true(json_object_get(state, "Restarting"))) {
		container_human_duration(now - finished, d, sizeof(d));
		return str_printf("Restarting (%lld) %s ago", code, d);
	}
	if (json_is_true(json_object_get(state, "Running"))) {
		container_human_duration(now - started, d, sizeof(d));
		bool paused = json_is_true(json_object_get(state, "Paused"));
		const char *h =
		    json_string_value(json_object_get(json_object_get(state, "Health"), "Status"));
		if (!paused && h)
			return str_printf("Up %s (%s%s)", d,
					  strcmp(h, "starting") ? "" : "health: ", h);
		return str_printf("Up %s%s", d, paused ? " (Paused)" : "");
	}
	if (!started)
		return str_dup("Created");
	if (!finished)
		return str_dup("");
	container_human_duration(now - finished, d, sizeof(d));
	return str_printf("Exited (%lld) %s ago", code, d);
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},	 {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},	 {"HUP", SIGHUP},
    {"ILL", SIGILL},   {"INT", SIGINT},	  {"IO", SIGIO},	 {"IOT", SIGIOT},
    {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},	 {"PROF", SIGPROF},
    {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},	 {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP}, {"SYS", SIGSYS},	  {"TERM", SIGTERM},	 {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},	 {"URG", SIGURG},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

int container_signal_parse(const char *s, int *sig, struct err *e)
{
	if (!s || !*s)
		return err_invalid(e, "Invalid signal: %s", s ? s : "");
	int n;
	if (isdigit((unsigned char)*s)) {
		if (str_to_int(s, &n, "signal", NULL) < 0 || n <= 0 || n > 64)
			return err_invalid(e, "Invalid signal: %s", s);
		*sig = n;
		return 0;
	}
	const char *name = strncasecmp(s, "SIG", 3) ? s : s + 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++) {
		if (!strcasecmp(name, signals[i].name)) {
			*sig = signals[i].sig;
			return 0;
		}
	}
	if (!strncasecmp(name, "RTMIN", 5) || !strncasecmp(name, "RTMAX", 5)) {
		bool min = !strncasecmp(name, "RTMIN", 5);
		const char *rest = name + 5;
		int off = 0;
		if (*rest &&
		    (str_to_int(rest + (*rest == '+' || *rest == '-'), &off, "signal", NULL) < 0))
			return err_invalid(e, "Invalid signal: %s", s);
		if (*rest == '-')
			off = -off;
		*sig = (min ? SIGRTMIN : SIGRTMAX) + off;
		return 0;
	}
	return err_invalid(e, "Invalid signal: %s", s);
}
