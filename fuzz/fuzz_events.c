/* The usage-events reader on arbitrary files: the events file is
 * writable by the services' group, so its lines are not trusted.
 * Checks: no crash; every line (a run of bytes ending in a newline) is
 * either one event or one bad line, so that a hostile line can neither
 * hide the next one nor make two, and an unterminated tail (a write in
 * progress) is neither; every event
 * handed on is sane (a known result, a time, an id or none, fields
 * without tabs or newlines). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apikey.h"
#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *path;

static int plain(const char *s)
{
	return strpbrk(s, "\t\n") == NULL;
}

static int seen(const struct ak_event *ev, void *ctx)
{
	if (ev->time_ms <= 0 || ev->result > AK_UNAVAILABLE ||
	    (ev->id[0] != '\0' && !ak_id_valid(ev->id)) || !plain(ev->user) ||
	    !plain(ev->service) || !plain(ev->source))
		__builtin_trap();
	++*(size_t *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ak_error e = {AK_OK, ""};
	size_t lines = 0, events = 0, bad = 0, i;
	int fd;

	if (path == NULL && (path = fx_file("keys.events")) == NULL)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (ak_events_each(path, seen, &events, &bad, &e) != AK_OK || events + bad != lines)
		__builtin_trap();
	return 0;
}
