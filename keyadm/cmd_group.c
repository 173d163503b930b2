/* keyadm group GROUP (and init --group): one command gives a service's
 * group everything beside the store that the service reads or appends
 * to: the directory, the store and the usage events file (never the writers' lock:
 * a reader that can open it could hold it).
 * Every file is opened (no symbolic link followed) and checked before the
 * first is changed; a failure puts back the groups already changed. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyadm.h"

#define TARGETS 4

struct target {
	char path[4096 + 16];
	int fd, dir;
	mode_t need; /* what the group must be allowed, for the warning */
	struct stat sb;
};

/* GROUP: a name, or a number that is a group. */
gid_t ka_group_resolve(const char *name)
{
	const struct group *gr = getgrnam(name);
	char *end;
	unsigned long n;

	if (gr != NULL)
		return gr->gr_gid;
	errno = 0;
	n = strtoul(name, &end, 10);
	if (name[0] >= '0' && name[0] <= '9' && *end == '\0' && errno == 0 && n < 0x7fffffffUL &&
	    (gr = getgrgid((gid_t)n)) != NULL)
		return gr->gr_gid;
	ka_usage("no such group (see getent group)");
}

/* A missing lock or events file is not an error: there is nothing to give. */
static int target_open(struct target *t, int dir, int may_miss)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

	t->dir = dir;
	t->fd = open(t->path, flags | (dir ? O_DIRECTORY : 0));
	if (t->fd < 0) {
		if (errno == ENOENT && may_miss)
			return 0;
		ka_die(KA_EXIT_FAIL, "%s: %s (nothing was changed)", t->path, strerror(errno));
	}
	if (fstat(t->fd, &t->sb) != 0 || (dir ? !S_ISDIR(t->sb.st_mode) : !S_ISREG(t->sb.st_mode)))
		ka_die(KA_EXIT_FAIL, "%s: not a %s (nothing was changed)", t->path,
		       dir ? "directory" : "regular file");
	if (t->sb.st_uid != 0 && t->sb.st_uid != geteuid())
		ka_die(KA_EXIT_FAIL, "%s: not owned by root (nothing was changed)", t->path);
	return 1;
}

/* before: init's check, when the directory and the store may not be there yet */
static size_t targets_open(const struct ka_ctx *c, struct target *t, int before)
{
	size_t n = 0;
	char buf[sizeof(t[0].path)];

	snprintf(buf, sizeof(buf), "%s", c->db);
	snprintf(t[n].path, sizeof(t[n].path), "%s", dirname(buf));
	t[n].need = S_IRGRP | S_IXGRP;
	n += (size_t)target_open(&t[n], 1, before);
	snprintf(t[n].path, sizeof(t[n].path), "%s", c->db);
	t[n].need = S_IRGRP;
	n += (size_t)target_open(&t[n], 0, before);
	if (!c->events_off) {
		snprintf(t[n].path, sizeof(t[n].path), "%s", c->events);
		t[n].need = S_IRGRP | S_IWGRP;
		n += (size_t)target_open(&t[n], 0, 1);
	}
	return n;
}

/* All or nothing: the groups changed so far are put back on a failure. */
static void targets_chgrp(struct target *t, size_t n, gid_t gid)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (fchown(t[i].fd, (uid_t)-1, gid) == 0)
			continue;
		ka_warn("%s: cannot change the group: %s", t[i].path, strerror(errno));
		for (j = 0; j < i; j++)
			if (fchown(t[j].fd, (uid_t)-1, t[j].sb.st_gid) != 0)
				ka_warn("%s: cannot put back group %u", t[j].path,
				        (unsigned)t[j].sb.st_gid);
		ka_die(KA_EXIT_FAIL, "nothing was changed");
	}
}

/* init --group: what is already there is checked before anything is made. */
void ka_group_precheck(const struct ka_ctx *c)
{
	struct target t[TARGETS];
	size_t i, n;

	memset(t, 0, sizeof(t));
	n = targets_open(c, t, 1);
	for (i = 0; i < n; i++)
		close(t[i].fd);
}

void ka_group_apply(const struct ka_ctx *c, gid_t gid, const char *name)
{
	struct target t[TARGETS];
	size_t i, n;

	memset(t, 0, sizeof(t));
	n = targets_open(c, t, 0);
	targets_chgrp(t, n, gid);
	for (i = 0; i < n; i++) {
		fprintf(stderr, "keyadm: %s: group %s\n", t[i].path, name);
		if ((t[i].sb.st_mode & t[i].need) != t[i].need)
			ka_warn("%s: mode %04o does not let the group %s it", t[i].path,
			        (unsigned)(t[i].sb.st_mode & 07777),
			        t[i].need & S_IWGRP ? "append to" : "read");
		close(t[i].fd);
	}
}

int ka_cmd_group(const struct ka_ctx *c)
{
	const char *name = c->o->args[0];
	gid_t gid = ka_group_resolve(name);

	ak_store_close(ka_store_open(c)); /* a store, and one keyadm trusts */
	ka_group_apply(c, gid, name);
	ka_events_create(c, gid); /* a store made before the events file was */
	return KA_EXIT_OK;
}
