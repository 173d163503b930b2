# apikey: one Makefile for the core, the PAM module, the SASL plugin,
# keyadm, the tests and the demo. Each component's rules are in its
# fragment, */module.mk, which opens with its products, their sources and
# what it needs from the other fragments; they are included below, each
# after the ones it needs.

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

# ---- libraries: pkg-config's flags where Debian 12 ships a .pc. They are
# asked for when a recipe needs them, so that `make deps` and `make check`
# can install the packages first; a missing .pc then stops the build with
# the -dev package to install. Use them in recipes or in "=" variables,
# never in ":=" ones (read before anything is installed).
PKG_CONFIG ?= pkg-config
# $(call pkg_flags,OPTION,MODULE,PACKAGE): `$(PKG_CONFIG) OPTION MODULE`,
# or the build stops naming PACKAGE. While this Makefile is read (the
# flags stamp below) a missing .pc is only a change of the flags.
pkg_flags = $(if $(shell $(PKG_CONFIG) --exists $2 2>/dev/null && echo y),$(strip \
  $(shell $(PKG_CONFIG) $1 $2)),$(if $(PKG_STRICT),$(error $(PKG_CONFIG) finds no $2.pc: \
  install $3 and pkg-config (make deps installs the build dependencies))))
# libsodium is linked statically (Debian's libsodium.a is PIC): one shared
# library less to map per PAM transaction. SODIUM_SHARED_LIBS links it
# as pkg-config says (the fuzzers). libgdbm.a is not PIC, and GDBM ships
# no .pc.
SODIUM_CFLAGS      = $(call pkg_flags,--cflags,libsodium,libsodium-dev)
SODIUM_SHARED_LIBS = $(call pkg_flags,--libs,libsodium,libsodium-dev)
SODIUM_LIBS        = -Wl,-Bstatic $(SODIUM_SHARED_LIBS) -Wl,-Bdynamic
GDBM_LIBS         := -lgdbm
# pam.pc's --cflags (-I/usr/include/security) is for sources that include
# <pam_appl.h>; ours include <security/pam_appl.h>.
PAM_LIBS           = $(call pkg_flags,--libs,pam,libpam0g-dev)
SASL_CFLAGS        = $(call pkg_flags,--cflags,libsasl2,libsasl2-dev)
SASL_LIBS          = $(call pkg_flags,--libs,libsasl2,libsasl2-dev)
ZLIB_LIBS          = $(call pkg_flags,--libs,zlib,zlib1g-dev)
# libpamtest (and pam_wrapper) for tests/pam_apikey/libpamtest.t only: DEPS_TEST.
PAMTEST_CFLAGS     = $(call pkg_flags,--cflags,libpamtest,libpamtest0-dev)
PAMTEST_LIBS       = $(call pkg_flags,--libs,libpamtest,libpamtest0-dev)

# The default goal; every fragment adds its products.
all:
.PHONY: all deps check demo install uninstall clean bench fuzz lint

# $(call needs,VARIABLE...), in a fragment: make stops when the fragment
# is included before the ones that define what it needs.
needs = $(foreach v,$1,$(if $(filter undefined,$(origin $v)),$(error \
  $(lastword $(MAKEFILE_LIST)) needs $v: include it after the fragment defining it)))

# The core first: every other fragment links it. Then the front ends,
# the test programs (TEST_CFLAGS, which fuzz/ and bench/ use too), and
# the fuzzers (they compile the front ends' sources in) and the benchmarks.
include common/module.mk
include keyadm/module.mk
include pam_apikey/module.mk
include sasl_apikey/module.mk
include tests/module.mk
include tests/lib/module.mk
include tests/common/module.mk
include tests/pam_apikey/module.mk
include tests/sasl_apikey/module.mk
include tests/hardening/module.mk
include fuzz/module.mk
include bench/module.mk

# After the fragments, so that every program they add depends on the flags.
$(CORE_OBJ) $(KEYADM) $(PAM_SO) $(SASL_SO) $(TEST_BINS) $(BENCH_BINS): $(FLAGS_STAMP)
ifneq ($(file <$(FLAGS_STAMP)),$(BUILD_FLAGS))
$(FLAGS_STAMP): FORCE
endif
# From here on (recipes), a missing .pc stops the build.
PKG_STRICT := 1
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
# installed daemons stopped, and what the install enabled at boot is
# disabled again (tests/debian/deps.t): the tests start their own
# instances on loopback.
DEPS_BUILD := gcc make pkg-config libgdbm-dev libsodium-dev libpam0g-dev libsasl2-dev zlib1g-dev
DEPS_TEST  := libsasl2-modules sasl2-bin mandoc \
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

# TEST_BINS: the programs the tests run, from tests/*/module.mk (with
# bench/'s drivers the PAM, SASL and timing tests use) and the fuzzers'
# corpus replays.
check: deps-test all $(TEST_BINS)
	@sh tests/run.sh

demo: deps-test all
	@sh tests/demo.sh

# Every example of conf/hooks.d, executable (a hook) or not (its README).
HOOK_EXAMPLES := $(wildcard conf/hooks.d/*)
# keyadm's files and the apikey package's examples; the module and the
# plugin install theirs (pam_apikey/module.mk, sasl_apikey/module.mk).
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(KEYADM) $(DESTDIR)$(SBINDIR)/keyadm
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
	rm -f $(CLEAN_EXTRA) $(FLAGS_STAMP)
	rm -rf tests/out
