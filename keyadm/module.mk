# keyadm/module.mk: the admin tool, the only writer of the store.
# Products: keyadm/keyadm
# Sources:  $(KEYADM_SRC) $(KEYADM_HDR), listed below
# Needs:    common/module.mk (CORE_LIB, CORE_LIBS); the top Makefile
#           (SODIUM_CFLAGS, ZLIB_LIBS: rotated .gz events files)
$(call needs,CORE_LIB CORE_LIBS)
# tests/style/build_lists.t fails when a C file or header of keyadm/ is
# missing from these lists, or a listed one does not exist.
KEYADM     := keyadm/keyadm
KEYADM_SRC := keyadm/bundle.c keyadm/bundle_rec.c keyadm/changelog.c keyadm/cmd_audit.c \
              keyadm/cmd_batch.c keyadm/cmd_failures.c keyadm/cmd_fleet.c keyadm/cmd_group.c \
              keyadm/cmd_install.c keyadm/cmd_key.c keyadm/cmd_list.c keyadm/cmd_read.c \
              keyadm/cmd_scan.c keyadm/cmd_state.c keyadm/conf.c keyadm/events_read.c \
              keyadm/exits.c keyadm/fleet.c keyadm/help.c keyadm/hookexec.c keyadm/hookrun.c \
              keyadm/hooks.c keyadm/install_diff.c keyadm/main.c keyadm/out.c \
              keyadm/policy.c keyadm/priv.c keyadm/scan_walk.c keyadm/sessions.c
KEYADM_HDR := keyadm/fleet.h keyadm/hooks.h keyadm/keyadm.h
all: $(KEYADM)
CLEAN_EXTRA += $(KEYADM)

# Where keyadm looks for apikey.conf and the hooks (SYSCONFDIR=/etc).
KEYADM_DEFS := -DKA_SYSCONF='"$(SYSCONFDIR)/apikey/apikey.conf"' \
               -DKA_HOOKS_DIR='"$(SYSCONFDIR)/apikey/hooks.d"'
# One line: tests/debian/build.t reads the flags of the link from it.
$(KEYADM): $(KEYADM_SRC) $(KEYADM_HDR) $(CORE_LIB)
	$(CC) $(CFLAGS) $(SODIUM_CFLAGS) $(KEYADM_DEFS) -fPIE -o $@ $(KEYADM_SRC) $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS) $(ZLIB_LIBS)
