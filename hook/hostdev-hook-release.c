/*
 * hostdev-hook-release: the part of the hook that gives devices back
 *
 * Run only by hostdev-hook, with libvirt's argv, for "release end" of a
 * domain that has a journal.  The journal says everything a release
 * needs, so this program links neither the XML parser nor the libraries
 * only planning uses (hd-hook-release.c): it starts faster than
 * hostdev-hook-engine, and a release is on the critical path of every
 * `virsh destroy` and every domain's stop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-hook.h"
#include "hd-log.h"

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	HdHookArgs args;

	if (argc < 4) {
		fprintf(stderr, "usage: %s DOMAIN release end [EXTRA...]\n", argv[0]);
		return 2;
	}
	hd_log_use_system_log("hostdev-hook");
	hd_hook_args_init(&args, argv);
	if (hd_hook_op_classify(args.operation, args.sub_operation) != HD_HOOK_OP_RELEASE) {
		fprintf(stderr, "%s: only releases: run hostdev-hook for \"%s %s\"\n", argv[0], args.operation,
			args.sub_operation);
		return 2;
	}
	if (hd_hook_release(&args, &error))
		return EXIT_SUCCESS;
	/* libvirt ignores a release's status: what failed must be in the log,
	 * and `hostdevctl recover` retries it */
	hd_log_action(G_LOG_LEVEL_CRITICAL, args.domain_name, NULL, args.operation, "%s: %s", args.domain_name,
		      error->message);
	return EXIT_SUCCESS;
}
