/*
 * hostdev-hook: the program libvirt runs, from qemu.d/ and libxl.d/
 *
 * Every VM start on the host runs this, for every operation, and almost
 * none of those runs concern a PCI device.  So this front links nothing but
 * libc: it drains stdin, decides whether the operation and the document can
 * possibly need work, and only then opens, in this same process, the engine
 * module that loads GLib and the rest: hostdev-hook-engine.so to prepare
 * or reconnect, hostdev-hook-release.so, which has no XML parser, to
 * release.  Opening a module rather than exec'ing a program spares every
 * such run a second exec(), about 50 ms under TCG.  It never writes to stdout (libvirt
 * takes output on migrate and restore as replacement XML) and never runs a
 * shell or calls back into libvirt, which holds the domain's lock.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hd-config.h"
#include "hd-hook-op.h"

#define HD_ENGINE_MODULE "hostdev-hook-engine.so"
#define HD_RELEASE_MODULE "hostdev-hook-release.so"

/* the one line libvirt shows the user when prepare fails */
static int
hd_refuse(const char *domain, const char *subject, const char *reason)
{
	fprintf(stderr, "hostdev-hook: %s: %s: %s\n", domain, subject, reason);
	return EXIT_FAILURE;
}

/*
 * Where module @name is: beside us in a build tree, where the tests run
 * us, or else in HD_MODULE_DIR, where it is installed.  Beside us first,
 * so that a build never runs an older installed module.
 */
static int
hd_module_path(const char *name, char *path, size_t size)
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
	if (access(path, F_OK) == 0)
		return 0;
	if ((size_t)snprintf(path, size, "%s/%s", HD_MODULE_DIR, name) >= size)
		return ENAMETOOLONG;
	return 0;
}

/* whatever a library might print must not reach libvirt's stdout, which
 * it takes as replacement XML on migrate and restore */
static int
hd_silence_stdout(void)
{
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (devnull < 0)
		return errno;
	if (dup2(devnull, STDOUT_FILENO) < 0)
		err = errno;
	close(devnull);
	return err;
}

/*
 * Run the invocation in engine module @name; returns its exit status, or
 * -1 with *why set when the module cannot be run.  The module stays open
 * until we exit: it has started threads and registered handlers.
 */
static int
hd_run_module(const char *name, int argc, char **argv, const char *xml, size_t len, const char **why)
{
	char path[PATH_MAX];
	HdHookModuleMain entry;
	void *module;
	int err = hd_module_path(name, path, sizeof(path));

	if (err == 0)
		err = hd_silence_stdout();
	if (err != 0) {
		*why = strerror(err);
		return -1;
	}
	/* now: a module that cannot be resolved fails here, not halfway
	 * through a bind; local: its libraries are its own business */
	module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (module == NULL) {
		*why = dlerror();
		return -1;
	}
	*(void **)&entry = dlsym(module, HD_HOOK_MODULE_ENTRY);
	if (entry == NULL) {
		*why = dlerror();
		return -1;
	}
	return entry(argc, argv, xml, len);
}

/* decide what to do with a fully read document, and do it; returns the
 * exit status */
static int
hd_dispatch(int argc, char **argv, HdHookOp op, const char *xml, size_t len, bool too_large)
{
	const char *module = HD_ENGINE_MODULE;
	const char *why = NULL;
	HdHookArgs args;
	int status;

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
		hd_hook_args_init(&args, argv);
		if (!hd_hook_has_journal(args.state_dir, args.domain_name))
			return 0;
		/* the journal is enough to release; an oversized document is dropped */
		if (too_large)
			len = 0;
		if (op == HD_HOOK_OP_RELEASE) {
			module = HD_RELEASE_MODULE;
			xml = NULL;
			len = 0;
		}
		break;
	case HD_HOOK_OP_IGNORE:
	default:
		return 0;
	}

	status = hd_run_module(module, argc, argv, xml, len, &why);
	if (status >= 0)
		return status;
	if (op == HD_HOOK_OP_PREPARE)
		return hd_refuse(argv[1], module, why);
	fprintf(stderr, "hostdev-hook: %s: cannot run %s: %s\n", argv[1], module, why);
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
	status = hd_dispatch(argc, argv, op, xml, len, too_large);
	free(xml);
	return status;
}
