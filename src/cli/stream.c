/* cli/stream: the stdcopy demultiplexer. */
#include "cli/stream.h"

#include "util/fs.h"

void demux_init(struct demux *d, bool raw)
{
	*d = (struct demux){.raw = raw, .out = 1, .err = 2, .fd = 1};
}

int demux_feed(struct demux *d, const char *buf, size_t n)
{
	if (d->raw)
		return fs_write_all(d->out, buf, n);
	while (n) {
		if (d->left == 0) {
			while (d->hlen < 8 && n) {
				d->hdr[d->hlen++] = (unsigned char)*buf++;
				n--;
			}
			if (d->hlen < 8)
				return 0;
			d->hlen = 0;
			d->fd = d->hdr[0] == 2 ? d->err : d->out;
			d->left = (size_t)d->hdr[4] << 24 | (size_t)d->hdr[5] << 16 |
				  (size_t)d->hdr[6] << 8 | d->hdr[7];
			continue;
		}
		size_t k = n < d->left ? n : d->left;
		if (fs_write_all(d->fd, buf, k) < 0)
			return -1;
		buf += k;
		n -= k;
		d->left -= k;
	}
	return 0;
}
