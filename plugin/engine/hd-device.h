/*
 * hd-device.h: what the host says about one PCI device, right now
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-context.h"

typedef struct {
	HdAddress address;
	char bdf[HD_ADDRESS_STRLEN];
	gboolean exists;
	HdPciIdentity identity; /* zero when the device does not exist */
	gchar *driver;		/* NULL when no driver is bound */
	gchar *iommu_group;	/* NULL when the device has no IOMMU group */
} HdDeviceInfo;

HdDeviceInfo *hd_device_info_read(HdContext *ctx, const HdAddress *addr, GError **error);
void hd_device_info_free(HdDeviceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdDeviceInfo, hd_device_info_free)

