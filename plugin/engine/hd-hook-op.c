/*
 * hd-hook-op.c: the hook protocol's first decisions, in plain C
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-hook-op.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hd-config.h"

static const char *
hd_env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);

	return value != NULL && *value != '\0' ? value : fallback;
}

void
hd_hook_args_init(HdHookArgs *args, char **argv)
{
	*args = (HdHookArgs){
		.argv0 = argv[0],
		.domain_name = argv[1],
		.operation = argv[2],
		.sub_operation = argv[3],
		.sysfs_root = hd_env_or("HOSTDEV_HOOK_SYSFS_ROOT", "/sys"),
		.policy_path = hd_env_or("HOSTDEV_HOOK_POLICY", HD_POLICY_FILE),
		.state_dir = hd_env_or("HOSTDEV_HOOK_STATE_DIR", HD_STATE_DIR),
	};
}

/*
 * Only two operations change anything.  Every other one, including those a
 * future libvirt may add, is a no-op, so that a new libvirt can never make
 * an old hook refuse to start a domain.
 */
HdHookOp
hd_hook_op_classify(const char *operation, const char *sub_operation)
{
	if (operation == NULL || sub_operation == NULL)
		return HD_HOOK_OP_IGNORE;
	if (strcmp(operation, "prepare") == 0 && strcmp(sub_operation, "begin") == 0)
		return HD_HOOK_OP_PREPARE;
	if (strcmp(operation, "release") == 0 && strcmp(sub_operation, "end") == 0)
		return HD_HOOK_OP_RELEASE;
	if (strcmp(operation, "reconnect") == 0 && strcmp(sub_operation, "begin") == 0)
		return HD_HOOK_OP_RECONNECT;
	return HD_HOOK_OP_IGNORE;
}

/* libvirt runs hooks as hooks/<driver> or hooks/<driver>.d/<script> */
HdHookDriver
hd_hook_driver_from_path(const char *argv0)
{
	const char *base = argv0 != NULL ? strrchr(argv0, '/') : NULL;
	const char *dir_end = base;
	const char *dir = base;

	if (base == NULL)
		return HD_HOOK_DRIVER_UNKNOWN;
	base++;
	while (dir > argv0 && dir[-1] != '/')
		dir--;
	if (strcmp(base, "qemu") == 0 ||
	    ((size_t)(dir_end - dir) == strlen("qemu.d") && strncmp(dir, "qemu.d", 6) == 0))
		return HD_HOOK_DRIVER_QEMU;
	if (strcmp(base, "libxl") == 0 ||
	    ((size_t)(dir_end - dir) == strlen("libxl.d") && strncmp(dir, "libxl.d", 7) == 0))
		return HD_HOOK_DRIVER_LIBXL;
	return HD_HOOK_DRIVER_UNKNOWN;
}

/*
 * Could this document ask for a PCI device?  Every way of asking spells
 * "hostdev" in ASCII: <hostdev>, type='hostdev' and our namespace URI
 * urn:hostdev-hook:1.  The test must never say no to a document that does
 * ask, so anything that could hide the word counts as a yes and the full
 * parser decides: a character reference, or another encoding (a declared
 * one, a byte-order mark, or the NUL bytes of UTF-16).  libvirt writes
 * UTF-8 with no XML declaration, so its documents never take that path.
 * A yes that turns out to be wrong only costs a parse.
 */
bool
hd_hook_xml_may_request_devices(const char *xml, size_t len)
{
	size_t head = len < 256 ? len : 256;

	if (len >= 2 && ((unsigned char)xml[0] == 0xfe || (unsigned char)xml[0] == 0xff ||
			 (unsigned char)xml[0] == 0xef))
		return true;
	if (memmem(xml, head, "encoding", 8) != NULL)
		return true;
	if (memchr(xml, '\0', len) != NULL)
		return true;
	if (memmem(xml, len, "&#", 2) != NULL)
		return true;
	return memmem(xml, len, "hostdev", 7) != NULL;
}

int
hd_hook_read_input(int fd, char **out, size_t *len, bool *too_large)
{
	size_t capacity = 64 * 1024;
	size_t used = 0;
	char *buf = malloc(capacity + 1);
	char sink[64 * 1024];

	*too_large = false;
	if (buf == NULL)
		return ENOMEM;
	for (;;) {
		char *into = used < capacity ? buf + used : sink;
		size_t room = used < capacity ? capacity - used : sizeof(sink);
		ssize_t got = read(fd, into, room);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int errnum = errno;
			free(buf);
			return errnum;
		}
		if (got == 0)
			break;
		if (into == sink) {
			*too_large = true;
			continue;
		}
		used += (size_t)got;
		if (used == capacity && capacity < HD_HOOK_MAX_INPUT) {
			size_t bigger = capacity * 4 < HD_HOOK_MAX_INPUT ? capacity * 4 : HD_HOOK_MAX_INPUT;
			char *grown = realloc(buf, bigger + 1);
			if (grown == NULL) {
				free(buf);
				return ENOMEM;
			}
			buf = grown;
			capacity = bigger;
		}
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
}

/* FNV-1a, 64 bits: enough to tell apart the few names that need it */
static uint64_t
hd_journal_name_hash(const char *name)
{
	uint64_t hash = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		hash ^= *p;
		hash *= 0x100000001b3ull;
	}
	return hash;
}

/*
 * libvirt accepts any name without '/', up to what its own XML file name
 * allows; a file name here must also not be hidden, and must leave room
 * for the suffix.  A name that is plain enough is its own file name, as
 * version 1 wrote it; any other (leading '.' or '~', or long) becomes
 * "~HASH", and the journal inside says whose it is.
 */
bool
hd_journal_path(const char *state_dir, const char *domain, char *path, size_t size)
{
	size_t len = domain != NULL ? strlen(domain) : 0;
	int n;

	if (len == 0 || strchr(domain, '/') != NULL)
		return false;
	if (domain[0] != '.' && domain[0] != HD_JOURNAL_HASHED_PREFIX && len <= HD_JOURNAL_PLAIN_NAME_MAX)
		n = snprintf(path, size, "%s/%s" HD_JOURNAL_SUFFIX, state_dir, domain);
	else
		n = snprintf(path, size, "%s/%c%016" PRIx64 HD_JOURNAL_SUFFIX, state_dir, HD_JOURNAL_HASHED_PREFIX,
			     hd_journal_name_hash(domain));
	return n > 0 && (size_t)n < size;
}

bool
hd_hook_has_journal(const char *state_dir, const char *domain)
{
	char path[PATH_MAX];

	return hd_journal_path(state_dir, domain, path, sizeof(path)) && access(path, F_OK) == 0;
}
