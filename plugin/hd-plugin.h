/*
 * hd-plugin.h: what a device plugin may fill in
 *
 * A plugin serves one hypervisor's way of handing a device to a guest
 * (vfio-pci for KVM, pciback for Xen).  It fills in only the slots it
 * needs; the engine calls them through the runners in hd-plugin-private.h,
 * which treat an empty slot as success and name the plugin in errors.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-context.h"
#include "hd-domain.h"

typedef struct _HdPlanDevice HdPlanDevice;

typedef struct {
	const char *name;
	HdHypervisor hypervisor; /* the domains this plugin serves */

	/* refuse a request this plugin cannot honour, before anything changes */
	gboolean (*check)(HdContext *ctx, const HdPlanDevice *dev, GError **error);
} HdPlugin;
