/*
 * hostdev-hook-engine: the part of the hook that does the work
 *
 * Run only by hostdev-hook, with libvirt's argv and the domain XML on
 * stdin, once the front has seen that PCI devices may be involved: for
 * prepare and reconnect, which parse the domain.  A release runs
 * hostdev-hook-release instead.
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
	hd_hook_args_init(&args, argv);
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
