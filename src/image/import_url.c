/* image/import_url: `docker import URL`: the archive fetched over HTTP(S) with libcurl and
 * handed on as it arrives (no staging on disk), with progress as dockerd reports it. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/str.h"

#define PROGRESS_STEP (512 * 1024) /* dockerd's progress reader: one update per 512 KiB */

struct fetch {
	image_fetch_sink_fn *sink;
	image_fetch_progress_fn *progress;
	void *arg;
	int64_t got, total, reported;
	bool stopped;
};

static size_t on_data(char *p, size_t size, size_t n, void *userp)
{
	struct fetch *f = userp;
	size_t len = size * n;
	if (f->sink(f->arg, p, len) < 0) {
		f->stopped = true;
		return 0; /* aborts the transfer */
	}
	f->got += (int64_t)len;
	if (f->progress && f->got - f->reported >= PROGRESS_STEP) {
		f->reported = f->got;
		if (f->progress(f->arg, f->got, f->total) < 0) {
			f->stopped = true;
			return 0;
		}
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *userp)
{
	struct fetch *f = userp;
	size_t len = size * n;
	static const char cl[] = "content-length:";
	if (len > sizeof(cl) && !strncasecmp(p, cl, sizeof(cl) - 1))
		f->total = strtoll(p + sizeof(cl) - 1, NULL, 10);
	return len;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
}

char *image_fetch_url(const char *src)
{
	return strstr(src, "://") ? str_dup(src) : str_printf("http://%s", src);
}

int image_fetch(const char *url, image_fetch_sink_fn *sink, image_fetch_progress_fn *progress,
		void *arg, struct err *e)
{
	if (!str_has_prefix(url, "http://") && !str_has_prefix(url, "https://"))
		return err_invalid(e, "import from %s: only http and https URLs are supported",
				   url);
	pthread_once(&curl_once, curl_init_once);
	CURL *h = curl_easy_init();
	if (!h)
		return err_set(e, ERR_INTERNAL, 0, "import from %s: curl_easy_init failed", url);
	struct fetch f = {sink, progress, arg, 0, 0, 0, false};
	char ebuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled server: under 1 byte/s for a minute ends the import */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &f);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth");
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (f.stopped)
		return 1; /* the sink stopped: its error is the caller's */
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		return err_invalid(e, "Get \"%s\": unexpected status code %ld", url, status);
	if (rc != CURLE_OK)
		return err_set(e, ERR_INTERNAL, 0, "Get \"%s\": %s", url,
			       *ebuf ? ebuf : curl_easy_strerror(rc));
	if (progress && f.got != f.reported)
		progress(arg, f.got, f.total);
	return 0;
}
