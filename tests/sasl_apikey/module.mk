# tests/sasl_apikey/module.mk: sasl-try, one exchange between the real
# libsasl2 client and server, for tests/sasl_apikey/*.t, the deploy tests
# and the demo. The client uses the system's stock plugins. Built by
# `make` too: sasl_apikey(8) uses it to check a setup.
# Products: tests/sasl_apikey/sasl-try
# Sources:  tests/sasl_apikey/sasl-try.c
# Needs:    tests/module.mk (TEST_CFLAGS), tests/lib/module.mk (TL_SASLCB), the top
#           Makefile (SASL_CFLAGS, SASL_LIBS)
$(call needs,TEST_CFLAGS TL_SASLCB)
all: tests/sasl_apikey/sasl-try
TEST_BINS += tests/sasl_apikey/sasl-try
CLEAN_EXTRA += tests/sasl_apikey/sasl-try
tests/sasl_apikey/sasl-try: tests/sasl_apikey/sasl-try.c $(TL_SASLCB)
	$(CC) $(TEST_CFLAGS) $(SASL_CFLAGS) -DCLIENT_PLUGIN_DIR='"/usr/lib/$(MULTIARCH)/sasl2"' -o $@ $< \
		$(TL_SASLCB) $(LDFLAGS) -pie $(SASL_LIBS)
