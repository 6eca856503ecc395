/* daemon/lazy_curl: libcurl's functions as berth uses them, forwarded to libcurl.so.4 loaded at
 * the first call (lazy.h). A function missing here is linked from libcurl as usual (the
 * daemon then loads it at exec again): add it when you use a new one. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>
#include <stddef.h>

#include "daemon/lazy.h"

static struct lazy_lib curl_lib = {"libcurl.so.4", NULL, false};
#define LAZY_LIB curl_lib

LAZY_VOID(curl_easy_cleanup, (CURL * a0), (a0))
LAZY(char *, curl_easy_escape, NULL, (CURL * a0, const char *a1, int a2), (a0, a1, a2))
LAZY(CURL *, curl_easy_init, NULL, (void), ())
LAZY(CURLcode, curl_easy_perform, CURLE_FAILED_INIT, (CURL * a0), (a0))
LAZY_VOID(curl_easy_reset, (CURL * a0), (a0))
LAZY(const char *, curl_easy_strerror, "libcurl is not available", (CURLcode a0), (a0))
LAZY_VOID(curl_free, (void *a0), (a0))
LAZY(CURLcode, curl_global_init, CURLE_FAILED_INIT, (long a0), (a0))
LAZY(struct curl_slist *, curl_slist_append, NULL, (struct curl_slist * a0, const char *a1),
     (a0, a1))
LAZY_VOID(curl_slist_free_all, (struct curl_slist * a0), (a0))

/* The variadic ones: the one argument after the option is a long, a pointer or a curl_off_t,
 * all passed as one 64-bit register/slot on the ABIs berth builds for. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	static CURLcode (*fn)(CURL *, CURLoption, ...);
	CURLcode (*f)(CURL *, CURLoption, ...) = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
	if (!f) {
		f = (CURLcode(*)(CURL *, CURLoption, ...))lazy_sym(&curl_lib, "curl_easy_setopt");
		if (!f)
			return CURLE_FAILED_INIT;
		__atomic_store_n(&fn, f, __ATOMIC_RELEASE);
	}
	va_list ap;
	va_start(ap, option);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return f(curl, option, arg);
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	static CURLcode (*fn)(CURL *, CURLINFO, ...);
	CURLcode (*f)(CURL *, CURLINFO, ...) = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
	if (!f) {
		f = (CURLcode(*)(CURL *, CURLINFO, ...))lazy_sym(&curl_lib, "curl_easy_getinfo");
		if (!f)
			return CURLE_FAILED_INIT;
		__atomic_store_n(&fn, f, __ATOMIC_RELEASE);
	}
	va_list ap;
	va_start(ap, info);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return f(curl, info, arg);
}
