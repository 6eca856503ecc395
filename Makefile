# berth: one non-recursive Makefile.
#   make                 build build/berth (the CLI), build/berthd (the daemon), build/berth-runc (the runtime
#                        alone, linked only with the runtime's libraries so it starts fast)
#   make DEVELOPER=1     -Werror and extra warnings
#   make SANITIZE=address,undefined   (with O=build-asan CC=clang; `make check` there tests it)
#   make CC=clang
#   make check           install deps, build, run every test (unit + integration)
#   make unit            unit tests only (TAP)
#   make check-reliability  crash safety, soak, load and exhaustion at full counts
#   make fmt / fmt-check clang-format (Linux style, 100 columns)
#   make man             build/berth.1 (man page), build/berth.bash and build/_berth (completion)
#   make bench           benchmarks, side by side with runc/dockerd when installed

CC ?= cc
O ?= build
PREFIX ?= /usr/local
PKGS := jansson libseccomp libcap libmicrohttpd gnutls libarchive libcrypto libcurl libmnl libnftables zlib

PKG_OK := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes)
ifneq ($(PKG_OK),yes)
  $(info berth: installing missing build dependencies with scripts/install-deps)
  $(shell scripts/install-deps >&2)
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
RT_PKGS := jansson libseccomp libcap
RT_LIBS := $(shell pkg-config --libs $(RT_PKGS))

CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Isrc -Wall -Wextra -Wno-unused-parameter \
	-Wno-missing-field-initializers -fno-strict-aliasing $(PKG_CFLAGS)
ifeq ($(DEVELOPER),1)
  BASE_CFLAGS += -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wvla -Wundef
  ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1)),)
    BASE_CFLAGS += -Wjump-misses-init -Wlogical-op
  endif
endif
ifneq ($(SANITIZE),)
  BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=$(SANITIZE)
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)
LDLIBS := $(PKG_LIBS) -lutil

SRCS := $(sort $(wildcard src/*/*.c))
OBJS := $(SRCS:%.c=$(O)/%.o)
MAIN_OBJ := $(O)/src/main.o
RUNC_MAIN_OBJ := $(O)/src/runc_main.o
# What berth-runc (and berth-monitor) is made of: the runtime, the monitor and what they
# stand on, nothing of the daemon.
RT_OBJS := $(filter $(O)/src/util/% $(O)/src/runtime/% $(O)/src/monitor/%,$(OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/*_test.c))
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(HELPER_SRCS:%.c=$(O)/%)

.SECONDARY:
.PHONY: all clean check unit integration fmt fmt-check bench install deps fuzz man \
	reliability-short check-reliability check-tsan
all: $(O)/berth $(O)/berth-runc $(O)/berth-monitor $(O)/berthd $(HELPER_BINS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/libberth.a: $(OBJS)
	@rm -f $@
	ar rcs $@ $^

# The daemon: everything (also `berthd runtime`, and the CLI when called as berth).
# --as-needed: libcurl, libarchive and libcrypto are reached through src/daemon/lazy_*.c (loaded at
# their first use), so an idle daemon maps neither them nor their dependencies.
$(O)/berthd: $(MAIN_OBJ) $(O)/libberth.a
	$(CC) $(LDFLAGS) -o $@ $^ -Wl,--as-needed $(LDLIBS)

# The CLI, a link of its own with libc and jansson only (static when it can be): a command
# loads none of the daemon's libraries. `berth daemon`/`berth runtime` exec berthd/berth-runc.
CLI_MAIN_OBJ := $(O)/src/cli_main.o
CLI_OBJS := $(filter $(O)/src/util/% $(O)/src/cli/%,$(OBJS))
CLI_LIBS := $(shell pkg-config --libs jansson)
$(O)/berth: $(CLI_MAIN_OBJ) $(CLI_OBJS)
	$(CC) $(LDFLAGS) $(RUNC_STATIC) -o $@ $^ $(CLI_LIBS)

# A link of its own: the daemon's libraries (GnuTLS, libxml2, ICU... through libarchive and
# libmicrohttpd) cost milliseconds to load, every `run` would pay them.
# Static when it can be (not with sanitizers): no dynamic loading at all on each start.
ifeq ($(SANITIZE),)
  RUNC_STATIC := -static
endif
$(O)/berth-runc: $(RUNC_MAIN_OBJ) $(RT_OBJS)
	$(CC) $(LDFLAGS) $(RUNC_STATIC) -o $@ $^ $(RT_LIBS)

# The man page and the bash/zsh completions, made by the CLI from its command table and
# flag specs (the text `berth help CMD` prints), so they cannot drift from it.
man: $(O)/berth.1 $(O)/berth.bash $(O)/_berth
$(O)/berth.1: $(O)/berth
	$< help --man > $@
$(O)/berth.bash: $(O)/berth
	$< completion bash > $@
$(O)/_berth: $(O)/berth
	$< completion zsh > $@

# The per-container monitor is a role of the same lean binary (argv[0] selects it). A hard
# link, not a symlink: tools that resolve the path (readlink -f) still call it by its name.
$(O)/berth-monitor: $(O)/berth-runc
	ln -f $< $@

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(O)/libberth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/helpers/%: $(O)/tests/helpers/%.o
	$(CC) $(LDFLAGS) -o $@ $^

unit: $(UNIT_BINS)
	@tests/unit/run $(UNIT_BINS)

# RUNTIME: the OCI runtime the integration tests drive (RUNTIME=/usr/sbin/runc: the reference)
RUNTIME ?= $(abspath $(O))/berth-runc
integration: all
	RUNTIME=$(RUNTIME) BERTH=$(abspath $(O))/berth tests/integration/run

# In sequence, also under -j: dependencies, build, unit tests, integration tests.
check:
	scripts/install-deps
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory reliability-short

# tests/reliability: crash safety, soak, load, exhaustion. The short form (part of check)
# takes a couple of minutes; check-reliability runs the full counts (200+ kill points, 1,000
# run --rm). Their figures are the "FIGURES:" lines.
reliability-short: all
	BERTH=$(abspath $(O))/berth tests/reliability/run -q
check-reliability: all
	BERTH=$(abspath $(O))/berth RELIABILITY=full tests/reliability/run -q

# ThreadSanitizer on the daemon: berthd built with -fsanitize=thread (O=build-tsan) beside
# the normal build's CLI, runtime and monitor (single-threaded; a TSan process has a thread
# of its own and could not join a mount namespace), under the load test; a race report
# fails it. TSAN_TESTS picks other tests of tests/reliability.
TSAN_DIR = build-tsan/mix
TSAN_TESTS ?= test_load.py
check-tsan: all
	$(MAKE) --no-print-directory O=build-tsan SANITIZE=thread CC=clang build-tsan/berthd
	mkdir -p $(TSAN_DIR)
	cp -f $(O)/berth $(O)/berth-runc build-tsan/berthd $(TSAN_DIR)/
	ln -f $(TSAN_DIR)/berth-runc $(TSAN_DIR)/berth-monitor
	BERTH=$(abspath $(TSAN_DIR))/berth \
		tests/reliability/run -q $(TSAN_TESTS)

deps:
	scripts/install-deps

FMT_FILES = $(shell find src tests fuzz bench -name '*.[ch]' 2>/dev/null)
fmt:
	clang-format -i $(FMT_FILES)

fmt-check:
	@clang-format --dry-run --Werror $(FMT_FILES)

# libFuzzer targets (clang): fuzz/<name>_fuzz.c, seeds in fuzz/corpus/<name>/; each runs
# FUZZ_TIME seconds on a copy of its corpus (new inputs go to build-fuzz/corpus/<name>).
FUZZ_TIME ?= 60
FUZZ_SRCS := $(sort $(wildcard fuzz/*_fuzz.c))
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS)
build-fuzz/%_fuzz: fuzz/%_fuzz.c $(SRCS)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(filter-out src/daemon/%,$(SRCS)) $(PKG_LIBS) -lutil

fuzz: $(FUZZ_SRCS:fuzz/%.c=build-fuzz/%)
	@for t in $^; do n=$$(basename $$t _fuzz); mkdir -p build-fuzz/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_TIME)s"; \
		$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 build-fuzz/corpus/$$n fuzz/corpus/$$n \
			2>&1 | tail -3 || exit 1; done

bench: all
	bench/run --berth $(abspath $(O))/berth-runc
	bench/cli --berth $(abspath $(O))/berth
	bench/daemon --berth $(abspath $(O))/berth
	bench/images --berth $(abspath $(O))/berth
	bench/registry --berth $(abspath $(O))/berth
	bench/network --berth $(abspath $(O))/berth
	bench/build --berth $(abspath $(O))/berth

install: all man
	install -D -m 0755 $(O)/berth $(DESTDIR)$(PREFIX)/bin/berth
	install -D -m 0755 $(O)/berthd $(DESTDIR)$(PREFIX)/bin/berthd
	install -D -m 0755 $(O)/berth-runc $(DESTDIR)$(PREFIX)/bin/berth-runc
	ln -f $(DESTDIR)$(PREFIX)/bin/berth-runc $(DESTDIR)$(PREFIX)/bin/berth-monitor
	install -D -m 0644 $(O)/berth.1 $(DESTDIR)$(PREFIX)/share/man/man1/berth.1
	install -D -m 0644 $(O)/berth.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/berth
	install -D -m 0644 $(O)/_berth $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_berth

clean:
	rm -rf $(O)

-include $(OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(CLI_MAIN_OBJ:.o=.d) $(RUNC_MAIN_OBJ:.o=.d) $(UNIT_SRCS:%.c=$(O)/%.d)
