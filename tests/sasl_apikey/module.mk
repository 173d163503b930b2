# sasl-try: one exchange between the real libsasl2 client and server, for
# tests/sasl_apikey/*.t and the demo. The client uses the system's stock plugins.
# Built by `make` too: the documentation uses it to check a setup.
all: tests/sasl_apikey/sasl-try
TEST_BINS += tests/sasl_apikey/sasl-try
CLEAN_EXTRA += tests/sasl_apikey/sasl-try
tests/sasl_apikey/sasl-try: tests/sasl_apikey/sasl-try.c
	$(CC) $(TEST_CFLAGS) -DCLIENT_PLUGIN_DIR='"/usr/lib/$(MULTIARCH)/sasl2"' -o $@ $< \
		$(LDFLAGS) -pie -lsasl2
