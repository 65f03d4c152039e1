/*
 * hostdev-hook: the program libvirt runs, from qemu.d/ and libxl.d/
 *
 * Every VM start on the host runs this, for every operation, and almost
 * none of those runs concern a PCI device.  So this front links nothing but
 * libc: it drains stdin, decides whether the operation and the document can
 * possibly need work, and only then hands them to the engine that loads
 * GLib and the rest: hostdev-hook-engine to prepare or reconnect,
 * hostdev-hook-release, which has no XML parser, to release.  It never writes to stdout (libvirt
 * takes output on migrate and restore as replacement XML) and never runs a
 * shell or calls back into libvirt, which holds the domain's lock.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hd-config.h"
#include "hd-hook-op.h"

#define HD_ENGINE_NAME "hostdev-hook-engine"
#define HD_RELEASE_ENGINE_NAME "hostdev-hook-release"

/* the one line libvirt shows the user when prepare fails */
static int
hd_refuse(const char *domain, const char *subject, const char *reason)
{
	fprintf(stderr, "hostdev-hook: %s: %s: %s\n", domain, subject, reason);
	return EXIT_FAILURE;
}

/* the engines are installed beside us, in libexecdir or in the build tree */
static int
hd_engine_path(const char *name, char *path, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", path, size - 1);
	char *slash;

	if (n < 0)
		return errno;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash == NULL || (size_t)(slash - path) + 2 + strlen(name) > size)
		return ENAMETOOLONG;
	strcpy(slash + 1, name);
	return 0;
}

static int
hd_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* the document on our stdin again, for the engine */
static int
hd_stdin_from(const char *xml, size_t len)
{
	int fd = memfd_create("domain-xml", MFD_CLOEXEC);
	int err;

	if (fd < 0)
		return errno;
	err = hd_write_all(fd, xml, len);
	if (err == 0 && lseek(fd, 0, SEEK_SET) < 0)
		err = errno;
	if (err == 0 && dup2(fd, STDIN_FILENO) < 0)
		err = errno;
	close(fd);
	return err;
}

/* replace ourselves with engine @name, with the document on its stdin
 * unless @xml is NULL (a release reads only its journal); returns only on
 * failure, with an errno value */
static int
hd_exec_engine(const char *name, char **argv, const char *xml, size_t len)
{
	char engine[PATH_MAX];
	int devnull;
	int err = hd_engine_path(name, engine, sizeof(engine));

	if (err == 0 && xml != NULL)
		err = hd_stdin_from(xml, len);
	if (err != 0)
		return err;
	/* whatever a library might print must not reach libvirt's stdout */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		return errno;
	if (dup2(devnull, STDOUT_FILENO) < 0)
		err = errno;
	close(devnull);
	if (err != 0)
		return err;
	/* argv[0] stays libvirt's path: the engine checks qemu.d against libxl.d */
	execv(engine, argv);
	return errno;
}

/* decide what to do with a fully read document; execs the engine or
 * returns the exit status */
static int
hd_dispatch(char **argv, HdHookOp op, const char *xml, size_t len, bool too_large)
{
	const char *engine = HD_ENGINE_NAME;
	HdHookArgs args;
	int err;

	hd_hook_args_init(&args, argv);
	switch (op) {
	case HD_HOOK_OP_PREPARE:
		if (too_large)
			return hd_refuse(argv[1], "domain XML", "larger than 16 MiB, refused");
		if (!hd_hook_xml_may_request_devices(xml, len))
			return 0;
		break;
	case HD_HOOK_OP_RELEASE:
	case HD_HOOK_OP_RECONNECT:
		/* only a journal says what was lent out: without one there is
		 * nothing to undo or check, whatever the document says */
		if (!hd_hook_has_journal(args.state_dir, args.domain_name))
			return 0;
		/* the journal is enough to release; an oversized document is dropped */
		if (too_large)
			len = 0;
		if (op == HD_HOOK_OP_RELEASE) {
			engine = HD_RELEASE_ENGINE_NAME;
			xml = NULL;
		}
		break;
	case HD_HOOK_OP_IGNORE:
	default:
		return 0;
	}

	err = hd_exec_engine(engine, argv, xml, len);
	if (op == HD_HOOK_OP_PREPARE)
		return hd_refuse(argv[1], engine, strerror(err));
	fprintf(stderr, "hostdev-hook: %s: cannot run %s: %s\n", argv[1], engine, strerror(err));
	return 0;
}

int
main(int argc, char **argv)
{
	HdHookOp op;
	char *xml = NULL;
	size_t len = 0;
	bool too_large = false;
	int err;
	int status;

	/* libvirt always passes four arguments or more: this is a person asking */
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("hostdev-hook %s\n", HD_VERSION);
		return EXIT_SUCCESS;
	}
	if (argc < 4) {
		fprintf(stderr,
			"usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA...] < DOMAIN.xml\n"
			"libvirt runs this from its qemu.d and libxl.d hook directories.\n",
			argv[0]);
		return 2;
	}
	op = hd_hook_op_classify(argv[2], argv[3]);

	/* drain stdin whatever the operation, so libvirt never hits EPIPE */
	err = hd_hook_read_input(STDIN_FILENO, &xml, &len, &too_large);
	if (err != 0)
		return op == HD_HOOK_OP_PREPARE ? hd_refuse(argv[1], "domain XML", strerror(err)) : 0;
	status = hd_dispatch(argv, op, xml, len, too_large);
	free(xml);
	return status;
}
