/*
 * hostdevctl recover: put back what a journal says was lent out
 *
 * For a domain libvirt no longer runs: after a crash of the host's
 * libvirtd, a hook killed mid-prepare, or a libxl start that failed after
 * prepare (libxl calls no release then).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-engine.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hd-running.h"
#include "hostdevctl.h"

static void
hdctl_owner_free(HdOwner *owner)
{
	hd_owner_clear(owner);
	g_free(owner);
}

/* a guest that still runs keeps its devices, unless the admin insists */
static gboolean
hdctl_recover_check_running(HdContext *ctx, const HdOwner *owner, gboolean force, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, owner, error);
	g_autofree gchar *why = NULL;

	if (journal == NULL || !hd_running_check(ctx, journal, &why, error))
		return FALSE;
	if (why == NULL)
		return TRUE;
	if (force) {
		fprintf(stderr, "hostdevctl: recover: %s; going on, as --force says\n", why);
		return TRUE;
	}
	g_set_error(error, HD_ERROR, HD_ERROR_BUSY,
		    "%s; stop it first (virsh destroy), or add --force to take its devices anyway", why);
	return FALSE;
}

static gboolean
hdctl_recover_owners(HdContext *ctx, GPtrArray *owners, gboolean force)
{
	gboolean ok = TRUE;

	for (guint i = 0; i < owners->len; i++) {
		const HdOwner *owner = g_ptr_array_index(owners, i);
		g_autofree gchar *label =
		    owner->kind == HD_OWNER_DOMAIN ? g_strdup(owner->name) : g_strdup_printf("host:%s", owner->name);
		g_autoptr(GError) error = NULL;

		if (!hdctl_recover_check_running(ctx, owner, force, &error) ||
		    !hd_engine_release(ctx, owner, &error)) {
			hdctl_report_error(label, error);
			ok = FALSE;
			continue;
		}
		printf("%s: restored\n", label);
	}
	return ok;
}

int
hdctl_recover(int argc, char **argv)
{
	static const char summary[] =
	    "Restore every device a domain's journal holds to its original driver "
	    "and driver_override, then drop the journal.  Only for domains that are "
	    "not running: a domain whose libvirt pid file names a live process, or "
	    "whose devices' /dev/vfio nodes a process holds, is refused unless --force.";
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(HdStateLock) lock = NULL;
	g_autoptr(GPtrArray) owners = g_ptr_array_new_with_free_func((GDestroyNotify)hdctl_owner_free);
	gboolean all = FALSE;
	gboolean force = FALSE;
	const GOptionEntry entries[] = {
		{"all", 0, 0, G_OPTION_ARG_NONE, &all, "Every domain with a journal", NULL},
		{"force", 0, 0, G_OPTION_ARG_NONE, &force, "Even from a domain that still runs", NULL},
		{NULL},
	};

	if (!hdctl_parse_options("recover", "DOMAIN|--all", summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	if ((all && argc != 1) || (!all && argc != 2)) {
		fprintf(stderr, "hostdevctl: recover: expected one DOMAIN, or --all\n");
		return 2;
	}
	ctx = hdctl_common_open_for_restore(&common, &error);
	if (ctx == NULL)
		return hdctl_report_error("recover", error);
	lock = hd_state_lock_acquire(ctx->state_dir, &error);
	if (lock == NULL)
		return hdctl_report_error("recover", error);
	if (all) {
		g_autoptr(GPtrArray) journals = hd_journal_load_all(ctx->state_dir, &error);
		if (journals == NULL)
			return hdctl_report_error("recover", error);
		for (guint i = 0; i < journals->len; i++) {
			const HdOwner *held = &((HdJournal *)g_ptr_array_index(journals, i))->owner;
			HdOwner *owner;

			/* not a leftover: boot and assign hold devices for domains on purpose */
			if (held->kind == HD_OWNER_HOST) {
				printf("host:%s: left alone, held for domains; 'hostdevctl boot --undo' or "
				       "'hostdevctl unassign' gives it back\n", held->name);
				continue;
			}
			owner = g_new0(HdOwner, 1);
			hd_owner_copy(owner, held);
			g_ptr_array_add(owners, owner);
		}
	} else {
		HdOwner *owner = g_new0(HdOwner, 1);
		owner->kind = HD_OWNER_DOMAIN;
		owner->name = g_strdup(argv[1]);
		g_ptr_array_add(owners, owner);
	}
	return hdctl_recover_owners(ctx, owners, force) ? EXIT_SUCCESS : EXIT_FAILURE;
}
