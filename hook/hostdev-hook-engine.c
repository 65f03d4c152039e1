/*
 * hostdev-hook-engine: the part of the hook that does the work
 *
 * Run only by hostdev-hook, with libvirt's argv and the domain XML on
 * stdin, once the front has seen that PCI devices may be involved.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hd-config.h"
#include "hd-error.h"
#include "hd-hook.h"
#include "hd-log.h"

/* test roots; libvirt runs hooks with a scrubbed environment, so these are
 * never inherited from the daemon */
static const char *
hd_env_or(const char *name, const char *fallback)
{
	const char *value = g_getenv(name);

	return value != NULL && *value != '\0' ? value : fallback;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = NULL;
	size_t len = 0;
	bool too_large = false;
	int err;
	HdHookArgs args;

	if (argc < 4) {
		fprintf(stderr, "usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA...] < DOMAIN.xml\n", argv[0]);
		return 2;
	}
	hd_log_use_system_log("hostdev-hook");
	args = (HdHookArgs){
		.argv0 = argv[0],
		.domain_name = argv[1],
		.operation = argv[2],
		.sub_operation = argv[3],
		.sysfs_root = hd_env_or("HOSTDEV_HOOK_SYSFS_ROOT", "/sys"),
		.policy_path = hd_env_or("HOSTDEV_HOOK_POLICY", HD_POLICY_FILE),
		.state_dir = hd_env_or("HOSTDEV_HOOK_STATE_DIR", HD_STATE_DIR),
	};
	err = hd_hook_read_input(STDIN_FILENO, &xml, &len, &too_large);
	if (err != 0 || too_large)
		g_set_error(&error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: domain XML: %s",
			    args.domain_name, err != 0 ? g_strerror(err) : "larger than 16 MiB, refused");
	if (error == NULL && hd_hook_run(&args, xml, len, &error))
		return EXIT_SUCCESS;

	/* only a failed prepare may stop the domain; libvirt ignores the rest */
	if (hd_hook_op_classify(args.operation, args.sub_operation) != HD_HOOK_OP_PREPARE) {
		hd_log_action(G_LOG_LEVEL_CRITICAL, args.domain_name, NULL, args.operation,
			      "%s", error->message);
		return EXIT_SUCCESS;
	}
	/* libvirt shows stderr to the `virsh start` user: exactly one line */
	g_strdelimit(error->message, "\r\n", ' ');
	fprintf(stderr, "hostdev-hook: %s\n", error->message);
	return EXIT_FAILURE;
}
