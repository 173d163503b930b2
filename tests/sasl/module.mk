# sasl-try: one exchange between the real libsasl2 client and server, for
# tests/sasl/*.t and the demo. The client uses the system's stock plugins.
# Built by `make` too: the documentation uses it to check a setup.
all: tests/sasl/sasl-try
TEST_BINS += tests/sasl/sasl-try
CLEAN_EXTRA += tests/sasl/sasl-try
tests/sasl/sasl-try: tests/sasl/sasl-try.c
	$(CC) $(TEST_CFLAGS) -DCLIENT_PLUGIN_DIR='"/usr/lib/$(MULTIARCH)/sasl2"' -o $@ $< \
		$(LDFLAGS) -pie -lsasl2
