# dev-agents — build, test, install.
#
#   make            build bin/da-*
#   make deps       install missing Debian packages (apt-get; sudo when not root)
#   make test       deps + build + every test, then again under ASan/UBSan
#   make bench      the benchmark tables (speed and memory targets live here)
#   make contract   the real agent CLIs against da-agent (large npm download)
#   make install PREFIX=/usr/local DESTDIR=

PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
SAN      ?=
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
ifeq ($(SAN),1)
BUILD    := build/san
BINDIR   := build/san/bin
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SANLD    := -fsanitize=address,undefined
else
BUILD    := build/release
BINDIR   := bin
OPT      := -O2 -g
SANLD    :=
endif
CFLAGS   ?=
CFLAGS   += $(CSTD) $(WARN) $(OPT) -Ilib $(shell pkg-config --cflags libgit2 2>/dev/null)
# Each program links only the libraries its objects use: the archive
# pulls in only referenced modules and --as-needed drops unused DSOs.
LDFLAGS  += -Wl,--as-needed $(SANLD)
LDLIBS   := -lyaml -lgit2 -lcurl -ljansson -lsodium

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))
CMD_SRC  := $(sort $(wildcard cmd/da-*.c))
PROGS    := $(patsubst cmd/%.c,$(BINDIR)/%,$(CMD_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNITS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
LIBDA    := $(BUILD)/libda.a

DEB_PKGS := build-essential pkg-config libyaml-dev libgit2-dev libcurl4-openssl-dev libjansson-dev \
            libsodium-dev libcmocka-dev bats parallel strace faketime inotify-tools git \
            nodejs:node npm:npm cppcheck shellcheck jq python3-yaml procps time man-db

.PHONY: demo all deps test test-only unit bats check-static bench contract install uninstall clean build-all

all: $(PROGS)

$(BUILD)/lib/%.o: lib/%.c lib/*.h | $(BUILD)/lib
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c lib/*.h | $(BUILD)/cmd
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBDA): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BINDIR)/%: $(BUILD)/cmd/%.o $(LIBDA) | $(BINDIR)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBDA) $(LDLIBS)

# da-enqueue is the hot path (every webhook and cron tick) and its own
# work is two fsyncs: linked statically it skips the dynamic loader,
# which cost it a third of the floor (bench/run). --fatal-warnings makes
# any use of what static glibc cannot serve (NSS, dlopen) a build error.
ifneq ($(SAN),1)
$(BINDIR)/da-enqueue: $(BUILD)/cmd/da-enqueue.o $(LIBDA) | $(BINDIR)
	$(CC) $(LDFLAGS) -static-pie -Wl,--fatal-warnings -o $@ $< $(LIBDA) -lyaml -ljansson
endif

$(BUILD)/tests/%: tests/unit/%.c $(LIBDA) tests/unit/*.h | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIBDA) $(LDLIBS) -lcmocka

$(BUILD)/lib $(BUILD)/cmd $(BUILD)/tests $(BINDIR):
	mkdir -p $@

# The README's first command: the main job on the embedded default.
demo: deps all
	@workflows/sample/demo

deps:
	@tests/install-deps $(DEB_PKGS)
	@tests/install-npm

# The README's test command. Everything, then everything again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
test: deps
	@$(MAKE) --no-print-directory check-static
	@$(MAKE) --no-print-directory -j$(JOBS) build-all
	@$(MAKE) --no-print-directory -j$(JOBS) SAN=1 build-all
	@tests/run-all

# The suite without the apt-get check (both builds must be current).
test-only:
	@$(MAKE) --no-print-directory -j$(JOBS) build-all
	@$(MAKE) --no-print-directory -j$(JOBS) SAN=1 build-all
	@tests/run-all

build-all: $(PROGS) $(UNITS)

unit: $(UNITS)
	@tests/run-unit $(UNITS)

bats: all
	@DA_BIN=$(CURDIR)/$(BINDIR) tests/run-bats

check-static:
	@cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -Ilib lib cmd tests/unit
	@echo "cppcheck: lib cmd tests/unit clean"
	@tests/check-shell

bench: deps all
	@bench/run

# The real Codex, Gemini CLI and OpenCode (about 850 MB, so not in `make
# test`) run through da-agent: argv and the stdin prompt as the CLIs take them.
# npm install, not ci: a registry may lack OpenCode's builds for platforms
# other than this one, which npm ci takes for a lock out of sync.
contract: deps all
	@cd tests/contract && npm install --no-audit --no-fund --loglevel=error >/dev/null
	@DA_BIN=$(CURDIR)/$(BINDIR) bats tests/contract

# The queue worker on this machine (./onboard does the work; idempotent).
.PHONY: install-cron install-systemd
install-cron:
	@./onboard --install-cron

install-systemd:
	@./onboard --install-systemd

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/dev-agents \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	cp -R workflows queue-layout gha $(DESTDIR)$(PREFIX)/share/dev-agents/
	install -m 0644 docs/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

uninstall:
	rm -f $(patsubst cmd/%.c,$(DESTDIR)$(PREFIX)/bin/%,$(CMD_SRC))
	rm -rf $(DESTDIR)$(PREFIX)/share/dev-agents

clean:
	rm -rf build bin/da-*

# ---- forge layer: test-only driver for tests/bats/forge.bats ----
FORGE_CLI := $(BUILD)/tests/forge_cli
build-all: $(FORGE_CLI)
$(FORGE_CLI): tests/unit/forge_cli.c $(LIBDA) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBDA) $(LDLIBS)
