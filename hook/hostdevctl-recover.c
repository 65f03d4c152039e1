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
#include "hd-journal.h"
#include "hostdevctl.h"

static gboolean
hdctl_recover_domains(HdContext *ctx, GPtrArray *domains)
{
	gboolean ok = TRUE;

	for (guint i = 0; i < domains->len; i++) {
		const char *domain = g_ptr_array_index(domains, i);
		g_autoptr(GError) error = NULL;

		if (!hd_engine_release(ctx, domain, &error)) {
			hdctl_report_error(domain, error);
			ok = FALSE;
			continue;
		}
		printf("%s: restored\n", domain);
	}
	return ok;
}

int
hdctl_recover(int argc, char **argv)
{
	static const char summary[] =
	    "Restore every device a domain's journal holds to its original driver "
	    "and driver_override, then drop the journal.  Only for domains that are "
	    "not running: their guests would lose the devices.";
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(HdStateLock) lock = NULL;
	g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func(g_free);
	gboolean all = FALSE;
	const GOptionEntry entries[] = {
		{"all", 0, 0, G_OPTION_ARG_NONE, &all, "Every domain with a journal", NULL},
		{NULL},
	};

	if (!hdctl_parse_options("recover", "DOMAIN|--all", summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	if ((all && argc != 1) || (!all && argc != 2)) {
		fprintf(stderr, "hostdevctl: recover: expected one DOMAIN, or --all\n");
		return 2;
	}
	ctx = hdctl_common_open(&common, &error);
	if (ctx == NULL)
		return hdctl_report_error("recover", error);
	lock = hd_state_lock_acquire(ctx->state_dir, &error);
	if (lock == NULL)
		return hdctl_report_error("recover", error);
	if (all) {
		g_autoptr(GPtrArray) journals = hd_journal_load_all(ctx->state_dir, &error);
		if (journals == NULL)
			return hdctl_report_error("recover", error);
		for (guint i = 0; i < journals->len; i++)
			g_ptr_array_add(domains, g_strdup(((HdJournal *)g_ptr_array_index(journals, i))->domain));
	} else {
		g_ptr_array_add(domains, g_strdup(argv[1]));
	}
	return hdctl_recover_domains(ctx, domains) ? EXIT_SUCCESS : EXIT_FAILURE;
}
