/*
 * hd-pciback-plugin.c: Xen domains, through xen-pciback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-bind.h"
#include "hd-error.h"
#include "hd-plan.h"
#include "hd-plugin.h"

/* libxl forces the backend to 'xen'; anything else was written by hand */
static gboolean
hd_pciback_check(HdContext *ctx, const HdPlanDevice *dev, GError **error)
{
	if (dev->request->backend == HD_BACKEND_DEFAULT || dev->request->backend == HD_BACKEND_XEN)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
		    "<driver name='%s'/> is for KVM domains, not Xen",
		    hd_backend_to_string(dev->request->backend));
	return FALSE;
}

/* the kernel's generic way: pcistub_probe() seizes a device whose
 * driver_override names pciback, so new_slot is not needed */
static gboolean
hd_pciback_bind(HdContext *ctx, const HdPlanDevice *dev, HdStepFunc step, gpointer step_data, GError **error)
{
	return hd_bind_with_override(ctx, dev->info->bdf, dev->target_driver, step, step_data, error);
}

const HdPlugin hd_pciback_plugin = {
	.name = "pciback",
	.hypervisor = HD_HYPERVISOR_XEN,
	.check = hd_pciback_check,
	.bind = hd_pciback_bind,
	.unbind = hd_bind_restore,
};
