/*
 * hostdevctl boot: bind the policy's [boot] devices and create its VFs
 *
 * Run early at boot by hostdev-hook-boot.service, after udev has settled
 * and before libvirt and xendomains; `--undo` gives everything back.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-admin.h"
#include "hd-journal.h"
#include "hostdevctl.h"

/* --hypervisor, else the policy's [boot] hypervisor= and auto-detection */
gboolean
hdctl_host_hypervisor(HdContext *ctx, const char *name, const char *driver, HdHypervisor *out, GError **error)
{
	if (name == NULL)
		return hd_admin_hypervisor_for_driver(ctx, driver, out, error);
	if (g_strcmp0(name, "kvm") == 0 || g_strcmp0(name, "xen") == 0)
		return hd_hypervisor_from_string(name, out);
	g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "--hypervisor %s: expected kvm or xen", name);
	return FALSE;
}

static gboolean
hdctl_boot_run(HdContext *ctx, gboolean undo, const char *hypervisor_name, GString *report, GError **error)
{
	HdHypervisor hypervisor = HD_HYPERVISOR_UNKNOWN;
	gboolean already = FALSE;

	if (undo)
		return hd_admin_boot_undo(ctx, report, error);
	return hdctl_host_hypervisor(ctx, hypervisor_name, NULL, &hypervisor, error) &&
	       hd_admin_boot(ctx, hypervisor, report, &already, error);
}

int
hdctl_boot(int argc, char **argv)
{
	static const char summary[] =
	    "Bind the devices the policy's [boot] group names to their stub (vfio-pci, or pciback on a Xen "
	    "dom0) and create its virtual functions, for the host: domains may use them, and give them back "
	    "to the stub.  Done once; a second run changes nothing.  --undo gives every device back as it "
	    "was, refused while a domain uses one.";
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(HdStateLock) lock = NULL;
	g_autoptr(GString) report = g_string_new(NULL);
	g_autofree gchar *hypervisor = NULL;
	gboolean undo = FALSE;
	const GOptionEntry entries[] = {
		{"undo", 0, 0, G_OPTION_ARG_NONE, &undo, "Give back everything boot bound or created", NULL},
		{"hypervisor", 0, 0, G_OPTION_ARG_STRING, &hypervisor,
		 "kvm (vfio-pci) or xen (pciback), instead of [boot] hypervisor= and detection", "NAME"},
		{NULL},
	};

	if (!hdctl_parse_options("boot", NULL, summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	if (argc != 1) {
		fprintf(stderr, "hostdevctl: boot: expected no argument\n");
		return 2;
	}
	ctx = hdctl_common_open(&common, &error);
	if (ctx == NULL)
		return hdctl_report_error("boot", error);
	/* the hook's lock: a domain starting now waits for us, and we for it */
	lock = hd_state_lock_acquire(ctx->state_dir, &error);
	if (lock == NULL || !hdctl_boot_run(ctx, undo, hypervisor, report, &error))
		return hdctl_report_error(undo ? "boot --undo" : "boot", error);
	fputs(report->str, stdout);
	return EXIT_SUCCESS;
}
