/* id: IDs, names and path helpers. */
#include "util/id.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/random.h>

#include "util/str.h"

int id_generate(char *out, struct err *e)
{
	unsigned char raw[ID_HEX_LEN / 2];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(e, "getrandom");
		}
		got += (size_t)n;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[ID_HEX_LEN] = '\0';
	return 0;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool id_valid_runtime(const char *id)
{
	if (!id || !*id || !strcmp(id, ".") || !strcmp(id, "..") || strlen(id) > 1024)
		return false;
	for (const char *p = id; *p; p++)
		if (!is_alnum(*p) && !strchr("_+.-", *p))
			return false;
	return true;
}

bool id_valid_name(const char *name)
{
	if (!name || !is_alnum(name[0]) || !name[1])
		return false;
	for (const char *p = name + 1; *p; p++)
		if (!is_alnum(*p) && !strchr("_.-", *p))
			return false;
	return true;
}

bool id_is_hex(const char *s, size_t minlen)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!strchr("0123456789abcdef", s[n]))
			return false;
	return n >= minlen;
}

char *path_join(const char *a, const char *b)
{
	char *j = str_printf("%s/%s", a, b);
	char *c = path_clean(j);
	free(j);
	return c;
}

char *path_clean(const char *p)
{
	bool abs = p[0] == '/';
	char **parts = strv_split(p, "/");
	char **out = xcalloc(strv_len(parts) + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; parts[i]; i++) {
		if (!strcmp(parts[i], "."))
			continue;
		if (!strcmp(parts[i], "..")) {
			if (n > 0 && strcmp(out[n - 1], ".."))
				n--;
			else if (!abs)
				out[n++] = "..";
			continue;
		}
		out[n++] = parts[i];
	}
	out[n] = NULL;
	char *joined = strv_join(out, "/");
	char *r = abs ? str_printf("/%s", joined) : (*joined ? str_dup(joined) : str_dup("."));
	free(joined);
	free(out);
	strv_free(parts);
	return r;
}
