/*
 * hd-hook-release.c: "release end", from the journal alone
 *
 * A release parses nothing: the domain's journal says what was changed
 * and how to put it back.  So this file, and what it links, has no XML
 * parser, and hostdev-hook-release.so, which the front opens for a
 * release, loads without it (hd-hook.c has the operations that parse).
 * What both engine modules share is here too, for the same reason.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-hook.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "hd-engine.h"
#include "hd-journal.h"
#include "hd-log.h"

/*
 * No state lock: release changes only what this domain's journal holds,
 * each unit under its own lock, and libvirt never prepares a domain while
 * releasing it.  Other plans see each device as this domain's until it is
 * back where it was.
 */
gboolean
hd_hook_release_domain(HdContext *ctx, const char *name, GError **error)
{
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)name};

	/* the journals in it are acted on: they must be ours alone */
	if (!hd_state_dir_check(ctx->state_dir, error)) {
		g_prefix_error(error, "host: ");
		return FALSE;
	}
	return hd_engine_release(ctx, &owner, error);
}

/* the policy is read only if the restore asks for it (hd-context.h) */
gboolean
hd_hook_release(const HdHookArgs *args, GError **error)
{
	g_autoptr(HdContext) ctx = hd_context_new_for_restore(args->sysfs_root, args->policy_path, error);

	if (ctx == NULL || !hd_context_set_state_dir(ctx, args->state_dir, error))
		return FALSE;
	return hd_hook_release_domain(ctx, args->domain_name, error);
}

void
hd_hook_module_start(HdHookArgs *args, char **argv)
{
	/*
	 * One malloc arena for the process.  glibc gives a thread that finds
	 * the arena busy one of its own, and each costs its touched pages:
	 * in the bench guest, 4 of 16 prepares of four NICs peaked at 6.3 to
	 * 6.6 MiB instead of 4.5 to 4.8.  The units spend their time in the
	 * kernel, not in malloc(), so sharing one arena costs them nothing
	 * measurable; it must be set before the first worker starts.
	 */
	mallopt(M_ARENA_MAX, 1);
	hd_log_use_system_log("hostdev-hook");
	hd_hook_args_init(args, argv);
}

int
hd_hook_exit_status(const HdHookArgs *args, GError *failure)
{
	g_autoptr(GError) error = failure;

	if (error == NULL)
		return EXIT_SUCCESS;
	g_prefix_error(&error, "%s: ", args->domain_name);
	/* a failed release is retried by `hostdevctl recover`: the log says what */
	if (hd_hook_op_classify(args->operation, args->sub_operation) != HD_HOOK_OP_PREPARE) {
		hd_log_action(G_LOG_LEVEL_CRITICAL, args->domain_name, NULL, args->operation, "%s", error->message);
		return EXIT_SUCCESS;
	}
	/* libvirt shows stderr to the `virsh start` user: exactly one line */
	g_strdelimit(error->message, "\r\n", ' ');
	fprintf(stderr, "hostdev-hook: %s\n", error->message);
	return EXIT_FAILURE;
}
