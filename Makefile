# apikey: one Makefile for the core, the PAM module, the SASL plugin,
# keyadm, the tests and the demo. Component fragments: */module.mk.

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
EXAMPLESDIR ?= $(PREFIX)/share/doc/apikey/examples
DESTDIR    ?=
# systemd units of the fleet wiring (keyadm(8) FLEET)
UNITDIR    ?= $(PREFIX)/lib/systemd/system
FLEET_UNITS := apikey-install.path apikey-install.service apikey-install.timer \
               apikey-publish.service apikey-publish.timer
MULTIARCH  := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
PAMDIR     ?= /lib/$(MULTIARCH)/security
SASLDIR    ?= /usr/lib/$(MULTIARCH)/sasl2

CC         ?= cc
WARN       := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wconversion -Wcast-qual \
              -Wstrict-prototypes -Wmissing-prototypes -Wvla
HARDEN     := -fvisibility=hidden -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC
OPT        ?= -O2 -g
# CFLAGS, CPPFLAGS and LDFLAGS from the environment or the command line
# (dpkg-buildflags for the Debian package) come first and the project's
# flags are appended ("override": a command-line CFLAGS= cannot drop
# -Werror or -Icommon). Later additions must say "override" too.
CFLAGS     ?=
CPPFLAGS   ?=
LDFLAGS    ?=
override CFLAGS := $(CPPFLAGS) $(CFLAGS) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -Icommon
LDHARDEN   := -Wl,-z,relro,-z,now,-z,noexecstack
ifeq ($(SANITIZE),1)
override CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=address,undefined
endif
override LDFLAGS += $(LDHARDEN)
# The compiler and flags of the last build, rewritten only when they change:
# every object, library and program depends on it, so switching between
# SANITIZE=1 and a normal build rebuilds everything without make clean.
FLAGS_STAMP := .build-flags
BUILD_FLAGS  = $(strip CC=$(CC) CFLAGS=$(CFLAGS) TEST_CFLAGS=$(TEST_CFLAGS) LDFLAGS=$(LDFLAGS) \
               LIBS=$(CORE_LIBS) SYSCONFDIR=$(SYSCONFDIR))
# libsodium is linked statically (Debian's libsodium.a is PIC): one shared
# library less to map per PAM transaction. libgdbm.a is not PIC.
SODIUM_LIB := -Wl,-Bstatic -lsodium -Wl,-Bdynamic
CORE_LIBS  := $(SODIUM_LIB) -lgdbm

CORE_SRC   := $(wildcard common/*.c)
CORE_OBJ   := $(CORE_SRC:.c=.o)
CORE_LIB   := common/libakcore.a

all: $(CORE_LIB) keyadm/keyadm
.PHONY: all deps check demo install uninstall clean bench fuzz lint

common/%.o: common/%.c common/apikey.h common/internal.h
	$(CC) $(CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ) $(FLAGS_STAMP)
	rm -f $@
	ar rcs $@ $(CORE_OBJ)

KEYADM_SRC := $(wildcard keyadm/*.c)
# Where keyadm looks for apikey.conf and the hooks (SYSCONFDIR=/etc).
KEYADM_DEFS := -DKA_SYSCONF='"$(SYSCONFDIR)/apikey/apikey.conf"' \
               -DKA_HOOKS_DIR='"$(SYSCONFDIR)/apikey/hooks.d"'
keyadm/keyadm: $(KEYADM_SRC) $(wildcard keyadm/*.h) $(CORE_LIB)
	$(CC) $(CFLAGS) $(KEYADM_DEFS) -fPIE -o $@ $(KEYADM_SRC) $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS) -lz

-include pam_apikey/module.mk
-include sasl_apikey/module.mk
-include tests/module.mk
-include tests/lib/module.mk
-include tests/common/module.mk
-include tests/pam_apikey/module.mk
-include tests/sasl_apikey/module.mk
-include tests/hardening/module.mk
-include fuzz/module.mk
-include bench/module.mk

# After the fragments, so that every program they add depends on the flags.
$(CORE_OBJ) keyadm/keyadm $(PAM_SO) $(SASL_SO) $(TEST_BINS) $(BENCH_BINS): $(FLAGS_STAMP)
ifneq ($(file <$(FLAGS_STAMP)),$(BUILD_FLAGS))
$(FLAGS_STAMP): FORCE
endif
$(FLAGS_STAMP):
	$(file >$@,$(BUILD_FLAGS))
	@echo "build flags changed: rebuilding everything"
.PHONY: FORCE
FORCE:

# ---- packages (Debian 12). DEPS_BUILD is what `make` and `make install`
# need (and debian/control's Build-Depends but debhelper): libraries and a
# compiler, no daemon. DEPS_TEST is the test stack on top: servers
# (sshd, postfix, memcached, saslauthd), clients, and the packaging tools
# for tests/debian. `make deps` installs DEPS_BUILD; `make check`, `make
# demo`, `make bench` and `make fuzz` install both. A policy-rc.d keeps
# installed daemons stopped: the tests start their own instances on
# loopback.
DEPS_BUILD := gcc make libgdbm-dev libsodium-dev libpam0g-dev libsasl2-dev zlib1g-dev
DEPS_TEST  := pkg-config libsasl2-modules sasl2-bin mandoc \
              clang-format clang libclang-rt-14-dev git python3 libpam-wrapper libpamtest0-dev pamtester openssh-server openssh-client sshpass \
              postfix swaks memcached libmemcached-tools valgrind libtsan2 procps iproute2 logrotate \
              debhelper dpkg-dev fakeroot lintian bash-completion openssl cyrus-common \
              dovecot-core dovecot-imapd fail2ban rsync
# Fetched into apt's cache, not installed: cyrus-imapd conflicts with
# dovecot-imapd, and tests/deploy/cyrus.t unpacks it in its own namespace.
DEPS_FETCH := cyrus-imapd
.PHONY: deps-test
deps:
	@sh .ci/deps.sh $(DEPS_BUILD)
deps-test:
	@sh .ci/deps.sh $(DEPS_BUILD) $(DEPS_TEST)
	@sh .ci/deps.sh --fetch $(DEPS_FETCH)

check: deps-test all $(TEST_BINS)
	@sh tests/run.sh

demo: deps-test all
	@sh tests/demo.sh

# Every example of conf/hooks.d, executable (a hook) or not (its README).
HOOK_EXAMPLES := $(wildcard conf/hooks.d/*)
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 keyadm/keyadm $(DESTDIR)$(SBINDIR)/keyadm
	install -m 0644 man/keyadm.8 $(DESTDIR)$(MANDIR)/man8/keyadm.8
	install -m 0644 man/apikey.conf.5 $(DESTDIR)$(MANDIR)/man5/apikey.conf.5
	install -d $(DESTDIR)$(EXAMPLESDIR)/hooks.d
	for f in $(HOOK_EXAMPLES); do m=0644; [ ! -x "$$f" ] || m=0755; \
	  install -m $$m "$$f" $(DESTDIR)$(EXAMPLESDIR)/hooks.d/ || exit 1; done
	install -m 0755 conf/fleet/apikey-install-newest $(DESTDIR)$(SBINDIR)/apikey-install-newest
	install -m 0644 man/apikey-install-newest.8 $(DESTDIR)$(MANDIR)/man8/apikey-install-newest.8
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(FLEET_UNITS); do sed 's|@SBINDIR@|$(SBINDIR)|g' conf/systemd/$$u \
	  >$(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	@if [ "$(SELF_SERVICE)" = 1 ]; then chown root:root $(DESTDIR)$(SBINDIR)/keyadm && \
	  chmod 4755 $(DESTDIR)$(SBINDIR)/keyadm && \
	  install -d $(DESTDIR)$(BINDIR) && \
	  ln -sfr $(DESTDIR)$(SBINDIR)/keyadm $(DESTDIR)$(BINDIR)/keyadm && \
	  echo "keyadm installed setuid root, and $(BINDIR)/keyadm for the users' PATH:" \
	    "users manage their own keys when apikey.conf says self_service yes"; fi
	@if [ -z "$(DESTDIR)" ] && ! getent group apikey >/dev/null; then \
	  groupadd --system apikey && echo "created system group apikey"; fi

uninstall:
	if [ -L $(DESTDIR)$(BINDIR)/keyadm ]; then rm -f $(DESTDIR)$(BINDIR)/keyadm; fi
	rm -f $(DESTDIR)$(SBINDIR)/keyadm $(DESTDIR)$(MANDIR)/man8/keyadm.8 \
	  $(DESTDIR)$(MANDIR)/man5/apikey.conf.5 \
	  $(addprefix $(DESTDIR)$(EXAMPLESDIR)/hooks.d/,$(notdir $(HOOK_EXAMPLES))) \
	  $(DESTDIR)$(SBINDIR)/apikey-install-newest $(DESTDIR)$(MANDIR)/man8/apikey-install-newest.8 \
	  $(addprefix $(DESTDIR)$(UNITDIR)/,$(FLEET_UNITS))

lint:
	mandoc -Tlint -Wwarning man/*.[58]
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h' 2>/dev/null || ls */*.[ch] */*/*.[ch])

clean:
	rm -f common/*.o $(CORE_LIB) keyadm/keyadm $(CLEAN_EXTRA) $(FLAGS_STAMP)
	rm -rf tests/out
