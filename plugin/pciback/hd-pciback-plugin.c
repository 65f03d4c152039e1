/*
 * hd-pciback-plugin.c: Xen domains, through xen-pciback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-plugin.h"

/* xen-pciback registers its driver as "pciback" and has no alias by that
 * name, so the module must be asked for by its own */
#define HD_PCIBACK_MODULE "xen-pciback"

static gboolean
hd_pciback_select(HdContext *ctx, const HdDevice *dev)
{
	return hd_device_get_hypervisor(dev) == HD_HYPERVISOR_XEN;
}

/* libxl forces the backend to 'xen'; anything else was written by hand */
static gboolean
hd_pciback_check(HdContext *ctx, HdDevice *dev, GError **error)
{
	const HdDeviceRequest *req = hd_device_get_request(dev);
	const char *stub = hd_context_get_policy(ctx)->xen_stub;

	if (req->backend != HD_BACKEND_DEFAULT && req->backend != HD_BACKEND_XEN) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "<driver name='%s'/> is for KVM domains, not Xen",
			    hd_backend_to_string(req->backend));
		return FALSE;
	}
	if (req->target_driver == NULL)
		hd_device_set_target_driver(dev, stub, g_strcmp0(stub, "pciback") == 0 ? HD_PCIBACK_MODULE : stub);
	return TRUE;
}

/* the kernel's generic way: pcistub_probe() seizes a device whose
 * driver_override names pciback, so new_slot is not needed */
static gboolean
hd_pciback_bind(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	return hd_pci_bind_by_override(ctx, hd_device_get_bdf(dev), hd_device_get_target_driver(dev),
				       hd_device_get_target_module(dev), entry, error);
}

static void
hd_pciback_describe(HdContext *ctx, const HdDevice *dev, GPtrArray *steps)
{
	hd_pci_describe_bind_by_override(ctx, dev, steps);
}

const HdPlugin hd_plugin_pciback = {
	.name = "pciback",
	.select = hd_pciback_select,
	.check = hd_pciback_check,
	.describe = hd_pciback_describe,
	.bind = hd_pciback_bind,
	.unbind = hd_pci_restore_driver,
};
