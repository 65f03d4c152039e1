/*
 * hd-vfio-plugin.c: KVM and QEMU domains, through vfio-pci
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-bind.h"
#include "hd-error.h"
#include "hd-plan.h"
#include "hd-plugin.h"

/*
 * VFIO hands a guest an IOMMU group.  A device with a group proves the
 * IOMMU is on; only without one is the host's group list read, to tell a
 * host without an IOMMU from a device the IOMMU does not cover.
 */
static gboolean
hd_vfio_check_iommu(HdContext *ctx, const HdPlanDevice *dev, GError **error)
{
	g_autoptr(GPtrArray) groups = NULL;

	if (!dev->info->exists || dev->info->iommu_group != NULL)
		return TRUE;
	groups = hd_sysfs_list(ctx->sysfs, "kernel/iommu_groups", NULL);
	if (groups != NULL && groups->len > 0) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "the device has no IOMMU group, so VFIO cannot isolate it");
		return FALSE;
	}
	g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
			    "the host has no IOMMU groups (/sys/kernel/iommu_groups is empty): enable "
			    "VT-d or AMD-Vi in the firmware and boot with intel_iommu=on or amd_iommu=on");
	return FALSE;
}

/* libvirt's QEMU driver knows two backends; only VFIO is still alive */
static gboolean
hd_vfio_check(HdContext *ctx, const HdPlanDevice *dev, GError **error)
{
	switch (dev->request->backend) {
	case HD_BACKEND_DEFAULT:
	case HD_BACKEND_VFIO:
		return hd_vfio_check_iommu(ctx, dev, error);
	case HD_BACKEND_KVM:
		g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "<driver name='kvm'/> is legacy KVM assignment, removed from "
				    "libvirt and Linux; use <driver name='vfio'/> or no <driver>");
		return FALSE;
	case HD_BACKEND_XEN:
	default:
		g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "<driver name='xen'/> is for Xen domains, not KVM");
		return FALSE;
	}
}

/* the kernel's generic way: driver_override, unbind, drivers_probe */
static gboolean
hd_vfio_bind(HdContext *ctx, const HdPlanDevice *dev, HdStepFunc step, gpointer step_data, GError **error)
{
	return hd_bind_with_override(ctx, dev->info->bdf, dev->target_driver, step, step_data, error);
}

const HdPlugin hd_vfio_plugin = {
	.name = "vfio-pci",
	.hypervisor = HD_HYPERVISOR_KVM,
	.check = hd_vfio_check,
	.bind = hd_vfio_bind,
	.unbind = hd_bind_restore,
};
