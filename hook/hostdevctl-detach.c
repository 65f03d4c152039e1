/*
 * hostdevctl detach: hot-unplug a PCI device and give it back to the host
 *
 * libvirt asks the guest to let go and returns; the guest may take its
 * time, or refuse.  The device is restored only once the running domain's
 * XML no longer shows it (or the domain stopped): restoring it earlier
 * would take it from under a guest still using it.  Until then it stays
 * bound and journalled, and a second run, once it has left, finishes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-device.h"
#include "hd-journal.h"
#include "hostdevctl-virt.h"
#include "hostdevctl.h"

#define HDCTL_DETACH_TIMEOUT_S 30

/* an earlier detach that timed out, whose device has left since */
static gboolean
hdctl_detach_is_journalled(HdContext *ctx, const char *name, const char *bdf, GError **error)
{
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)name};
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, &owner, error);

	if (journal == NULL)
		return FALSE;
	for (guint i = 0; i < journal->entries->len; i++) {
		if (g_strcmp0(((const HdEntry *)g_ptr_array_index(journal->entries, i))->address, bdf) == 0)
			return TRUE;
	}
	return FALSE;
}

/* libvirt detaches; the guest lets go; FALSE once reported */
static gboolean
hdctl_detach_from_guest(HdctlVirtDomain *vd, const HdctlScope *scope, const HdAddress *addr, const char *xml,
			gboolean in_guest, guint timeout_s, HdDomain **remaining)
{
	g_autoptr(GError) error = NULL;
	char bdf[HD_ADDRESS_STRLEN];

	hd_address_format(addr, bdf);
	if (!hdctl_virt_detach(vd, xml, hdctl_virt_flags(scope), &error)) {
		g_autofree gchar *message = hdctl_hotplug_detach_refused_message(bdf, error->message, in_guest);
		fprintf(stderr, "hostdevctl: %s: %s\n", vd->name, message);
		return FALSE;
	}
	if (!hdctl_virt_wait_removed(vd, addr, timeout_s, remaining, &error)) {
		hdctl_report_error(vd->name, error);
		return FALSE;
	}
	return TRUE;
}

static void
hdctl_detach_print(HdContext *ctx, const char *name, const HdAddress *addr, const char *bdf)
{
	g_autoptr(HdDeviceInfo) info = hd_device_info_read(ctx, addr, NULL);

	if (info == NULL)
		printf("%s: %s: detached\n", name, bdf);
	else
		printf("%s: %s: detached, back on %s\n", name, bdf, info->driver != NULL ? info->driver : "no driver");
}

/* the definition only (--config alone, or its half of a finished --live --config): nothing of ours */
static int
hdctl_detach_config(HdctlVirtDomain *vd, const HdctlScope *scope, const HdDomain *device, const char *xml)
{
	g_autoptr(GError) error = NULL;
	char bdf[HD_ADDRESS_STRLEN];

	hdctl_hotplug_bdf(device, bdf);
	if (!hdctl_virt_detach(vd, xml, hdctl_virt_flags(scope), &error)) {
		g_autofree gchar *message = hdctl_hotplug_detach_refused_message(bdf, error->message, FALSE);
		fprintf(stderr, "hostdevctl: %s: %s\n", vd->name, message);
		return EXIT_FAILURE;
	}
	printf("%s: %s: removed from the definition\n", vd->name, bdf);
	return EXIT_SUCCESS;
}

static int
hdctl_detach_live(const HdctlCommon *common, HdctlVirtDomain *vd, const HdctlScope *scope, HdDomain *live,
		  HdDomain *device, const char *xml, guint timeout_s)
{
	g_autoptr(HdDomain) owned_live = live;
	g_autoptr(HdDomain) owned_device = device;
	g_autoptr(HdDomain) remaining = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = hdctl_common_open(common, &error);
	const HdDeviceRequest *req = g_ptr_array_index(owned_device->requests, 0);
	HdAddress addr = req->address;
	char bdf[HD_ADDRESS_STRLEN];
	gboolean in_guest;
	gboolean held;

	if (ctx == NULL)
		return hdctl_report_error(vd->name, error);
	hd_address_format(&addr, bdf);
	in_guest = hd_domain_find_request(owned_live, &addr) != NULL;
	/* not in the guest, yet journalled: an earlier run gave up waiting
	 * and the guest has let go since; finish its job */
	held = !in_guest && hdctl_detach_is_journalled(ctx, vd->name, bdf, &error);
	if (error != NULL)
		return hdctl_report_error(vd->name, error);
	if (held && scope->config && hdctl_detach_config(vd, &(HdctlScope){.config = TRUE}, owned_device, xml) != 0)
		return EXIT_FAILURE;
	if (held)
		remaining = g_steal_pointer(&owned_live);
	else if (!hdctl_detach_from_guest(vd, scope, &addr, xml, in_guest, timeout_s, &remaining))
		return EXIT_FAILURE;
	if (!hdctl_hotplug_release(ctx, vd->name, g_steal_pointer(&owned_device), g_steal_pointer(&remaining),
				   &error)) {
		fprintf(stderr,
			"hostdevctl: %s: %s: it left the guest, but putting it back failed: %s; it stays journalled: "
			"'hostdevctl detach' again retries, and the domain's stop restores it\n",
			vd->name, bdf, error->message);
		return EXIT_FAILURE;
	}
	hdctl_detach_print(ctx, vd->name, &addr, bdf);
	return EXIT_SUCCESS;
}

int
hdctl_detach(int argc, char **argv)
{
	static const char summary[] =
	    "Hot-unplug the device FILE.xml ('-': stdin) describes from DOMAIN (a name or UUID) through "
	    "libvirt, wait until the guest has let go of it, then give it back to the host exactly as the "
	    "domain's release would.";
	g_auto(HdctlCommon) common = {0};
	g_auto(HdctlVirtOptions) options = {.timeout_s = HDCTL_DETACH_TIMEOUT_S};
	g_auto(HdctlVirtRequest) req = {0};
	int status;
	const GOptionEntry entries[] = {
		{"connect", 'c', 0, G_OPTION_ARG_STRING, &options.uri,
		 "libvirt URI (default: libvirt's own, e.g. LIBVIRT_DEFAULT_URI)", "URI"},
		{"live", 0, 0, G_OPTION_ARG_NONE, &options.live, "Detach from the running guest", NULL},
		{"config", 0, 0, G_OPTION_ARG_NONE, &options.config, "Remove it from the definition too", NULL},
		{"current", 0, 0, G_OPTION_ARG_NONE, &options.current,
		 "The running guest if it runs, else the definition (the default)", NULL},
		{"timeout", 0, 0, G_OPTION_ARG_INT, &options.timeout_s,
		 "How long the guest may take to let go (default 30)", "SECONDS"},
		{NULL},
	};

	if (!hdctl_parse_options("detach", "DOMAIN FILE.xml", summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	if (argc != 3) {
		fprintf(stderr, "hostdevctl: detach: expected DOMAIN and FILE.xml\n");
		return 2;
	}
	if (options.timeout_s < 0 || options.timeout_s > 3600) {
		fprintf(stderr, "hostdevctl: detach: --timeout %d: expected 0 to 3600 seconds\n", options.timeout_s);
		return 2;
	}
	status = hdctl_virt_open_request("detach", &options, argv[1], argv[2], &req);
	if (status >= 0)
		return status;
	if (!req.scope.live)
		return hdctl_detach_config(&req.vd, &req.scope, req.device, req.xml);
	return hdctl_detach_live(&common, &req.vd, &req.scope, g_steal_pointer(&req.domain),
				 g_steal_pointer(&req.device), req.xml, (guint)options.timeout_s);
}
