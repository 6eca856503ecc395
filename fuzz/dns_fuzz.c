/* dns_fuzz: libFuzzer target for the embedded DNS server's parser (engine/netctl_dns.c):
 * the packets a container sends to 127.0.0.11:53 are untrusted. Any input either is dropped
 * (-1), forwarded (0), or answered (1) with a packet that fits the buffer and echoes the
 * query's ID and question. Names "a" and "web" resolve. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/netctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t lookup(const char *name, void *arg)
{
	if (strlen(name) > 253)
		abort(); /* labels of at most 63, 255 bytes in all */
	return !strcmp(name, "a") || !strcmp(name, "web") ? 0x0a000005 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1500)
		return 0; /* the server reads at most 1500 bytes */
	uint8_t ans[1600];
	size_t alen = 0;
	int r = dns_answer(data, size, lookup, NULL, ans, &alen);
	if (r < -1 || r > 1)
		abort();
	/* an answer: the query's ID and question count, its question copied, then at most
	 * one 16-byte A record */
	if (r != 1)
		return 0;
	size_t qend = alen - (ans[7] ? 16 : 0);
	if (alen < 12 || qend < 12 || qend > size || memcmp(ans, data, 2) ||
	    memcmp(ans + 4, data + 4, 2) || memcmp(ans + 12, data + 12, qend - 12))
		abort();
	return 0;
}
