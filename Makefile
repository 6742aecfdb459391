# rundbrief — build, test, install.
#   make           build the programs into build/
#   make run       install missing packages, build, create var/rundbrief.db
#                  with sample data, run the daemon in the foreground and
#                  rundbrief-web beside it on 127.0.0.1:8080
#   make check     unit tests (cmocka, under valgrind when present) and
#                  integration tests
#   make check-asan  the same under AddressSanitizer + UBSan (build-asan/)

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
DATADIR  ?= $(PREFIX)/share/rundbrief
SYSCONFDIR ?= /etc
UNITDIR  ?= $(PREFIX)/lib/systemd/system

BUILD    ?= build
CC       ?= cc
PKG_CONFIG ?= pkg-config

PKGS      = libcurl libetpan gnutls libical inih sqlite3 md4c md4c-html nettle \
	libmicrohttpd
TEST_PKGS = cmocka json-c

CSTD     = -std=c11 -D_GNU_SOURCE
WARN     = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
OPT     ?= -O2 -g
SAN     ?=
CPPFLAGS += -Idaemon -I$(BUILD) -DRUNDBRIEF_DATADIR='"$(DATADIR)"' \
	-DRUNDBRIEF_SYSCONFDIR='"$(SYSCONFDIR)"'
CFLAGS   += $(CSTD) $(WARN) $(OPT) $(SAN) -pthread $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDFLAGS  += $(SAN) -pthread
LDLIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcsv -lm -pthread
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

MAINS    = daemon/rundbrief.c daemon/rundbriefd.c daemon/rundbrief-web.c
LIB_SRC  = $(filter-out $(MAINS),$(wildcard daemon/*.c))
LIB_OBJ  = $(LIB_SRC:daemon/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/embedded_data.o
HEADERS  = $(wildcard daemon/*.h)
TEMPLATE_FILES = $(shell find templates -type f -name '*.mustache' 2>/dev/null | LC_ALL=C sort)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run check check-unit check-integration check-asan install clean deps deps-test bench sample

# rundbrief-web needs the pages (daemon/web.c, issue 13, written beside
# the server); until they are merged it is built only when they are there.
WEB_BIN  = $(if $(wildcard daemon/web.c daemon/zz_web_stub.c),$(BUILD)/rundbrief-web)

all: $(BUILD)/rundbrief $(BUILD)/rundbriefd $(WEB_BIN)

$(BUILD)/obj/%.o: daemon/%.c $(HEADERS) | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The shipped templates are compiled into the binaries as a fallback, so a
# program runs with its embedded defaults even when nothing is installed.
$(BUILD)/embedded_data.c: $(TEMPLATE_FILES) tests/tools/embed.sh | $(BUILD)/obj
	sh tests/tools/embed.sh $(TEMPLATE_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/embedded_data.o: $(BUILD)/embedded_data.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/librundbrief.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $(LIB_OBJ)

$(BUILD)/rundbrief: $(BUILD)/obj/rundbrief.o $(BUILD)/librundbrief.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/rundbriefd: $(BUILD)/obj/rundbriefd.o $(BUILD)/librundbrief.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/rundbrief-web: $(BUILD)/obj/rundbrief-web.o $(BUILD)/librundbrief.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librundbrief.a $(HEADERS) $(wildcard tests/unit/*.h) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) -Wno-unused-function -o $@ $< \
		$(LDFLAGS) $(BUILD)/librundbrief.a $(TEST_LIBS) $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

deps:
	@sh tests/tools/deps.sh

deps-test:
	@sh tests/tools/deps.sh test

# `make run` uses the embedded defaults (database var/rundbrief.db, mail
# into var/outbox) plus base_url = http://127.0.0.1:8080 (conf/run.ini), so
# the links in the sample mails lead to rundbrief-web.
RUN_CONFIG ?= conf/run.ini

sample: all
	$(BUILD)/rundbrief -c $(RUN_CONFIG) init
	$(BUILD)/rundbrief -c $(RUN_CONFIG) sample

run: deps
	$(MAKE) all
	$(MAKE) sample
	@# this month's newsletter for the sample subscribers (once a month;
	@# a second time it says so and the daemon starts all the same)
	-$(BUILD)/rundbrief -c $(RUN_CONFIG) newsletter send
	@# rundbrief-web beside it on [http] listen (127.0.0.1:8080), so the
	@# links in the sample mails open; both stop on Ctrl-C (the shell
	@# ignores SIGINT for a background job, so the trap sends SIGTERM)
	@if [ -z "$(WEB_BIN)" ]; then \
		echo "rundbriefd: writing mail into var/outbox/new; stop with Ctrl-C"; \
		exec $(BUILD)/rundbriefd -c $(RUN_CONFIG) -f; fi; \
	$(BUILD)/rundbrief-web -c $(RUN_CONFIG) & web=$$!; \
	trap 'kill $$web 2>/dev/null; wait $$web' EXIT; trap 'exit 130' INT TERM; \
	echo "rundbrief-web: http://127.0.0.1:8080/ (the links of the sample mails)"; \
	echo "rundbriefd: writing mail into var/outbox/new; stop both with Ctrl-C"; \
	$(BUILD)/rundbriefd -c $(RUN_CONFIG) -f

check: deps-test
	$(MAKE) all unit-tests
	@sh tests/run-tests.sh $(BUILD)

unit-tests: $(UNIT_BIN)

check-unit: all unit-tests
	@sh tests/run-tests.sh $(BUILD) unit

check-integration: all
	@sh tests/run-tests.sh $(BUILD) integration

check-asan:
	$(MAKE) BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined' \
		VALGRIND=none check

bench: all
	@for b in tests/bench/*; do [ -x "$$b" ] && "$$b" $(BUILD) || true; done

# libFuzzer targets (tests/fuzz/README.md); need clang. `make fuzz` builds
# them with ASan/UBSan into $(BUILD)/fuzz and runs each FUZZ_SECONDS;
# FUZZ_TARGETS="markdown csvin" picks some. Not part of `make check`.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?=

.PHONY: fuzz fuzz-build

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD=$(BUILD)/fuzz \
		sh tests/fuzz/run.sh $(FUZZ_TARGETS)

fuzz-build:
	FUZZ_BUILD=$(BUILD)/fuzz sh tests/fuzz/run.sh --build-only $(FUZZ_TARGETS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/templates \
		$(DESTDIR)$(SYSCONFDIR)/rundbrief $(DESTDIR)$(UNITDIR)
	install -m 755 $(BUILD)/rundbrief $(DESTDIR)$(BINDIR)/rundbrief
	install -m 755 $(BUILD)/rundbriefd $(DESTDIR)$(SBINDIR)/rundbriefd
	cd templates && find . -type f -name '*.mustache' | while read -r f; do \
		install -D -m 644 "$$f" "$(DESTDIR)$(DATADIR)/templates/$$f"; done
	install -m 640 conf/rundbrief.ini $(DESTDIR)$(SYSCONFDIR)/rundbrief/rundbrief.ini.example
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' systemd/rundbrief.service > $(DESTDIR)$(UNITDIR)/rundbrief.service
	chmod 644 $(DESTDIR)$(UNITDIR)/rundbrief.service
	if [ -n "$(WEB_BIN)" ]; then \
		install -m 755 $(BUILD)/rundbrief-web $(DESTDIR)$(SBINDIR)/rundbrief-web && \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' systemd/rundbrief-web.service \
			> $(DESTDIR)$(UNITDIR)/rundbrief-web.service && \
		chmod 644 $(DESTDIR)$(UNITDIR)/rundbrief-web.service; fi

clean:
	rm -rf build build-asan
