/*
 * hostdevctl assign, unassign, list-assignable: xl pci-assignable-* for
 * KVM and Xen, journalled, with the hook's checks and exact restore
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-admin.h"
#include "hd-journal.h"
#include "hostdevctl.h"

/* the context and the hook's lock, for a subcommand that changes the host */
static HdContext *
hdctl_open_locked(const HdctlCommon *common, HdStateLock **lock, GError **error)
{
	g_autoptr(HdContext) ctx = hdctl_common_open(common, error);

	if (ctx == NULL)
		return NULL;
	*lock = hd_state_lock_acquire(ctx->state_dir, error);
	return *lock != NULL ? g_steal_pointer(&ctx) : NULL;
}

static gboolean
hdctl_parse_bdf_argument(int argc, char **argv, HdAddress *addr, GError **error)
{
	if (argc != 2) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "expected one DDDD:BB:DD.F address");
		return FALSE;
	}
	return hd_address_parse_bdf(argv[1], addr, error);
}

int
hdctl_assign(int argc, char **argv)
{
	static const char summary[] =
	    "Bind the device to its stub (vfio-pci, or pciback on a Xen dom0; --driver to choose) for "
	    "domains to use, as xl pci-assignable-add does, after the hook's checks: policy, in use, IOMMU "
	    "group.  A device already assignable is left as it is, exit status 0.";
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(HdStateLock) lock = NULL;
	g_autoptr(GString) report = g_string_new(NULL);
	g_autofree gchar *driver = NULL;
	g_autofree gchar *hypervisor_name = NULL;
	HdHypervisor hypervisor = HD_HYPERVISOR_UNKNOWN;
	gboolean already = FALSE;
	gboolean take_group = FALSE;
	HdAddress addr;
	const GOptionEntry entries[] = {
		{"take-group", 0, 0, G_OPTION_ARG_NONE, &take_group,
		 "Take the other endpoints of its IOMMU group too (KVM), given back with it", NULL},
		{"driver", 0, 0, G_OPTION_ARG_STRING, &driver, "The stub to bind to (default: the hypervisor's)",
		 "DRIVER"},
		{"hypervisor", 0, 0, G_OPTION_ARG_STRING, &hypervisor_name,
		 "kvm or xen, instead of the driver's, [boot] hypervisor= and detection", "NAME"},
		{NULL},
	};

	if (!hdctl_parse_options("assign", "BDF", summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	if (!hdctl_parse_bdf_argument(argc, argv, &addr, &error))
		return hdctl_report_error("assign", error);
	ctx = hdctl_open_locked(&common, &lock, &error);
	if (ctx == NULL || !hdctl_host_hypervisor(ctx, hypervisor_name, driver, &hypervisor, &error) ||
	    !hd_admin_assign(ctx, &addr, driver, take_group, hypervisor, report, &already, &error))
		return hdctl_report_error("assign", error);
	fputs(report->str, stdout);
	return EXIT_SUCCESS;
}

int
hdctl_unassign(int argc, char **argv)
{
	static const char summary[] =
	    "Give a device hostdevctl assign bound back to its original driver and driver_override, as "
	    "xl pci-assignable-remove -r does; refused while a domain uses it.";
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(HdStateLock) lock = NULL;
	g_autoptr(GString) report = g_string_new(NULL);
	HdAddress addr;
	const GOptionEntry entries[] = {{NULL}};

	if (!hdctl_parse_options("unassign", "BDF", summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	if (!hdctl_parse_bdf_argument(argc, argv, &addr, &error))
		return hdctl_report_error("unassign", error);
	ctx = hdctl_open_locked(&common, &lock, &error);
	if (ctx == NULL || !hd_admin_unassign(ctx, &addr, report, &error))
		return hdctl_report_error("unassign", error);
	fputs(report->str, stdout);
	return EXIT_SUCCESS;
}

int
hdctl_list_assignable(int argc, char **argv)
{
	static const char summary[] =
	    "List the devices the host holds on a stub for domains (bound at boot, or by hostdevctl "
	    "assign): owner, driver, original driver and the domain using each, and the PFs whose VFs "
	    "boot created.";

	return hdctl_print_report("list-assignable", summary, hd_admin_list_assignable, argc, argv);
}
