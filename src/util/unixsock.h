/* util/unixsock: the address of a unix socket at dir/name, also when the path is longer than
 * sun_path allows (a deep --run-dir): then named through /proc/self/fd of the directory. */
#ifndef BERTH_UTIL_UNIXSOCK_H
#define BERTH_UTIL_UNIXSOCK_H

#include <sys/socket.h>
#include <sys/un.h>

#include "util/err.h"

/* Fills sa for dir/name. A long path opens dir (O_PATH) into *dfd, which must stay open until
 * bind or connect is done (the caller closes it); otherwise *dfd is -1. */
int unixsock_addr(struct sockaddr_un *sa, const char *dir, const char *name, int *dfd,
		  struct err *e);

#endif
