/* The usage-events reader on arbitrary files: the events file is
 * writable by the services' group, so its lines are not trusted.
 * Checks: no crash; every line (a run of bytes ending in a newline) is
 * either one event or one bad line, so that a hostile line can neither
 * hide the next one nor make two, and an unterminated tail (a write in
 * progress) is neither; every event
 * handed on is sane (a known result, a time from 2000 on, an id or none,
 * a valid user name or none, fields of printable ASCII without spaces:
 * nothing a terminal or JSON could take for anything but text). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apikey_admin.h"
#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *path;

static int plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

static int seen(const struct ak_event *ev, void *ctx)
{
	if (ev->time_ms < 946684800000 || ev->result > AK_UNAVAILABLE ||
	    (ev->id[0] != '\0' && !ak_id_valid(ev->id)) ||
	    (strcmp(ev->user, "-") != 0 && !ak_user_valid(ev->user)) || !plain(ev->service) ||
	    !plain(ev->source))
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
	if (ak_events_each(&bad, path, seen, &events, &e) != 0 || events + bad != lines)
		__builtin_trap();
	return 0;
}
