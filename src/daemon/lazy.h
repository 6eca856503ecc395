/* daemon/lazy: libraries the daemon needs only for some requests (libcurl for registries and
 * URL imports, libarchive for tars), loaded on first use instead of at exec: an idle daemon
 * maps neither them nor what they pull in (GnuTLS, Kerberos, LDAP, libxml2, ICU, libstdc++). */
#ifndef BERTH_DAEMON_LAZY_H
#define BERTH_DAEMON_LAZY_H

#include <stdbool.h>
#include <sys/types.h>

struct lazy_lib {
	const char *soname;
	void *handle;
	bool tried;
};

/* The symbol from lib (dlopen'd once, thread-safe), NULL when the library or the symbol is
 * missing (reported once on stderr: the daemon's log). */
void *lazy_sym(struct lazy_lib *lib, const char *name);

/* A forwarding definition of a library function: the real one is looked up at its first call
 * and kept; fail is returned when it can't be loaded. */
#define LAZY(ret, name, fail, params, args)                              \
	ret name params                                                  \
	{                                                                \
		static ret(*fn) params;                                  \
		ret(*f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
		if (!f) {                                                \
			f = (ret(*) params)lazy_sym(&LAZY_LIB, #name);   \
			if (!f)                                          \
				return fail;                             \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE);      \
		}                                                        \
		return f args;                                           \
	}

#define LAZY_VOID(name, params, args)                                     \
	void name params                                                  \
	{                                                                 \
		static void(*fn) params;                                  \
		void(*f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
		if (!f) {                                                 \
			f = (void(*) params)lazy_sym(&LAZY_LIB, #name);   \
			if (!f)                                           \
				return;                                   \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE);       \
		}                                                         \
		f args;                                                   \
	}

/* lazy_nft.c: the pid of the nftables helper process now serving the daemon (0: none). */
pid_t lazy_nft_helper_pid(void);

#endif
