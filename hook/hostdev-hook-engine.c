/*
 * hostdev-hook-engine.so: the part of the hook that prepares and reconnects
 *
 * Opened only by hostdev-hook, in its own process, once it has seen that
 * PCI devices may be involved in a "prepare begin" or "reconnect begin":
 * it parses the domain, plans and acts.  A module rather than a program,
 * because a second exec() is, under TCG, about 50 ms of every domain
 * start and stop that involves a device; the front stays libc-only and
 * loads GLib and the rest only through this.  A release opens
 * hostdev-hook-release.so instead, which has no XML parser.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-error.h"
#include "hd-hook.h"
#include "hd-log.h"

int
hd_hook_module_main(int argc, char **argv, const char *xml, size_t len)
{
	g_autoptr(GError) error = NULL;
	HdHookArgs args;

	hd_log_use_system_log("hostdev-hook");
	hd_hook_args_init(&args, argv);
	if (hd_hook_run(&args, xml, len, &error))
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
