/*
 * hostdevctl attach: hot-plug a PCI device into a running domain
 *
 * libvirt runs no hook on attach-device, so a managed='no' device would be
 * the administrator's to bind.  This binds it exactly as the hook's
 * prepare would (the same plan, checks and journal), asks libvirt to
 * attach it, and gives it back if libvirt refuses.  A managed='yes'
 * device gets the same checks and goes to libvirt, which binds it itself.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hostdevctl-virt.h"
#include "hostdevctl.h"

/* one line per device the attach changed: "vm1: 0000:01:00.0: attached, on vfio-pci" */
static void
hdctl_attach_print(const char *name, const HdPlan *plan)
{
	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		const char *how = i == 0 ? "attached" : "taken with it";

		if (dev->action == HD_ACTION_BIND)
			printf("%s: %s: %s, on %s\n", name, dev->info->bdf, how, dev->target_driver);
		else
			printf("%s: %s: %s; libvirt binds it (managed='yes')\n", name, dev->info->bdf, how);
	}
}

/* bind, attach, and on libvirt's refusal give back; the lock is not held
 * while libvirt works (hostdevctl-hotplug.c says why that is safe) */
static int
hdctl_attach_live(const HdctlCommon *common, HdctlVirtDomain *vd, const HdctlScope *scope, HdDomain *device,
		  const char *xml)
{
	g_autoptr(HdDomain) owned = device;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) undo_error = NULL;
	g_autoptr(HdContext) ctx = hdctl_common_open(common, &error);
	g_autoptr(HdPlan) plan = NULL;
	g_autofree gchar *message = NULL;
	char bdf[HD_ADDRESS_STRLEN];

	if (ctx == NULL)
		return hdctl_report_error(vd->name, error);
	hdctl_hotplug_bdf(owned, bdf);
	plan = hdctl_hotplug_bind(ctx, vd->name, g_steal_pointer(&owned), &error);
	if (plan == NULL)
		return hdctl_report_error(vd->name, error);
	if (hdctl_virt_attach(vd, xml, hdctl_virt_flags(scope), &error)) {
		hdctl_attach_print(vd->name, plan);
		return EXIT_SUCCESS;
	}
	hdctl_hotplug_unbind(ctx, plan, &undo_error);
	message = hdctl_hotplug_attach_refused_message(vd->name, bdf, error->message, undo_error);
	fprintf(stderr, "hostdevctl: %s: %s\n", vd->name, message);
	return EXIT_FAILURE;
}

/* --config alone: the definition changes, and the hook binds at the next start */
static int
hdctl_attach_config(HdctlVirtDomain *vd, const HdctlScope *scope, const HdDomain *device, const char *xml)
{
	g_autoptr(GError) error = NULL;
	char bdf[HD_ADDRESS_STRLEN];

	hdctl_hotplug_bdf(device, bdf);
	if (!hdctl_virt_attach(vd, xml, hdctl_virt_flags(scope), &error)) {
		g_autofree gchar *message = hdctl_hotplug_attach_refused_message(vd->name, bdf, error->message, NULL);
		fprintf(stderr, "hostdevctl: %s: %s\n", vd->name, message);
		return EXIT_FAILURE;
	}
	printf("%s: %s: added to the definition; hostdev-hook binds it at the next start\n", vd->name, bdf);
	return EXIT_SUCCESS;
}

int
hdctl_attach(int argc, char **argv)
{
	static const char summary[] =
	    "Hot-plug the <hostdev> or <interface type='hostdev'> in FILE.xml ('-': stdin) into DOMAIN "
	    "(a name or UUID): bind it as the hook's prepare would, then attach it through libvirt; "
	    "if libvirt refuses, it is put back as it was.";
	g_auto(HdctlCommon) common = {0};
	g_auto(HdctlVirtOptions) options = {0};
	g_auto(HdctlVirtRequest) req = {0};
	int status;
	const GOptionEntry entries[] = {
		{"connect", 'c', 0, G_OPTION_ARG_STRING, &options.uri,
		 "libvirt URI (default: libvirt's own, e.g. LIBVIRT_DEFAULT_URI)", "URI"},
		{"live", 0, 0, G_OPTION_ARG_NONE, &options.live, "Attach to the running guest", NULL},
		{"config", 0, 0, G_OPTION_ARG_NONE, &options.config,
		 "Add it to the definition too; alone, nothing is bound until the next start", NULL},
		{"current", 0, 0, G_OPTION_ARG_NONE, &options.current,
		 "The running guest if it runs, else the definition (the default)", NULL},
		{NULL},
	};

	if (!hdctl_parse_options("attach", "DOMAIN FILE.xml", summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	if (argc != 3) {
		fprintf(stderr, "hostdevctl: attach: expected DOMAIN and FILE.xml\n");
		return 2;
	}
	status = hdctl_virt_open_request("attach", &options, argv[1], argv[2], &req);
	if (status >= 0)
		return status;
	if (!req.scope.live)
		return hdctl_attach_config(&req.vd, &req.scope, req.device, req.xml);
	return hdctl_attach_live(&common, &req.vd, &req.scope, g_steal_pointer(&req.device), req.xml);
}
