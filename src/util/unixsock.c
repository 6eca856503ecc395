/* util/unixsock: dir/name as a sockaddr_un; a path too long for sun_path goes through
 * /proc/self/fd/N/name with N an O_PATH descriptor of dir. */
#include "util/unixsock.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"

int unixsock_addr(struct sockaddr_un *sa, const char *dir, const char *name, int *dfd,
		  struct err *e)
{
	*sa = (struct sockaddr_un){.sun_family = AF_UNIX};
	*dfd = -1;
	_cleanup_free_ char *path = str_printf("%s/%s", dir, name);
	if (strlen(path) >= sizeof(sa->sun_path)) {
		*dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*dfd < 0)
			return err_sys(e, "open %s", dir);
		free(path);
		path = str_printf("/proc/self/fd/%d/%s", *dfd, name);
	}
	if (strlen(path) >= sizeof(sa->sun_path))
		return err_invalid(e, "socket name %s too long", name);
	strcpy(sa->sun_path, path);
	return 0;
}
