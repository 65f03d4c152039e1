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

#include "hd-bind.h"
#include "hd-context.h"
#include "hd-domain.h"
#include "hd-journal.h"

typedef struct _HdPlanDevice HdPlanDevice;

/*
 * Each "do" slot runs only after the engine has journalled that it is about
 * to; its "undo" partner must cope with any prefix of it having happened,
 * and must be safe to repeat, because a crash can interrupt either.
 */
typedef struct {
	const char *name;
	HdHypervisor hypervisor; /* the domains this plugin serves */

	/* refuse a request this plugin cannot honour, before anything changes */
	gboolean (*check)(HdContext *ctx, const HdPlanDevice *dev, GError **error);

	/* before binding: make the device exist (create a VF, say) */
	gboolean (*provision)(HdContext *ctx, const HdPlanDevice *dev, GError **error);
	gboolean (*unprovision)(HdContext *ctx, const HdJournalEntry *entry, GError **error);

	/* move the device to its stub driver, reporting each step to @step
	 * before it is taken; unbind puts back the original driver */
	gboolean (*bind)(HdContext *ctx, const HdPlanDevice *dev, HdStepFunc step, gpointer step_data, GError **error);
	gboolean (*unbind)(HdContext *ctx, const HdJournalEntry *entry, GError **error);

	/* on the bound device: permissive mode, quirks, a VF's MAC and VLAN */
	gboolean (*configure)(HdContext *ctx, const HdPlanDevice *dev, GError **error);
	gboolean (*unconfigure)(HdContext *ctx, const HdJournalEntry *entry, GError **error);
} HdPlugin;
