/*
 * hd-admin.h: the host's own owners: boot-time binding and assignable devices
 *
 * `hostdevctl boot` and `hostdevctl assign` bind devices for the host
 * rather than for a domain, through the same plan, journal and restore as
 * the hook: owner "boot" for the policy's [boot] set, one owner
 * "assign-DDDD-BB-DD-F" per assigned device.  Such a device is free for
 * domains (hd-plan.c lends it), and given back by `boot --undo` and
 * `unassign`, which refuse while a domain uses it.
 *
 * Every function here expects the caller to hold the state lock
 * (hd_state_lock_acquire), as the hook does.  Refusals are one line,
 * "DEVICE: cause; what to do", and change nothing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-context.h"
#include "hd-domain.h"

#define HD_ADMIN_BOOT_OWNER "boot"
#define HD_ADMIN_ASSIGN_PREFIX "assign-"

/* the hypervisor whose stub the host's owners bind to: [boot] hypervisor=,
 * or with auto a Xen dom0 (<proc>/xen/capabilities says control_d) */
gboolean hd_admin_host_hypervisor(HdContext *ctx, HdHypervisor *out, GError **error);
/* @driver is the policy's stub for one hypervisor: that one; otherwise as
 * hd_admin_host_hypervisor() says */
gboolean hd_admin_hypervisor_for_driver(HdContext *ctx, const char *driver, HdHypervisor *out, GError **error);

/* bind the [boot] set and create its VFs; done already: nothing, and
 * *already_done says so.  One line per device goes to @report. */
gboolean hd_admin_boot(HdContext *ctx, HdHypervisor hypervisor, GString *report, gboolean *already_done,
		       GError **error);
gboolean hd_admin_boot_undo(HdContext *ctx, GString *report, GError **error);

/* @driver NULL: the hypervisor's stub; @take_group: the IOMMU group's
 * other endpoints too, given back with it.  A device already assignable
 * is left as it is, and *already_done says so. */
gboolean hd_admin_assign(HdContext *ctx,
			 const HdAddress *addr,
			 const char *driver,
			 gboolean take_group,
			 HdHypervisor hypervisor,
			 GString *report,
			 gboolean *already_done,
			 GError **error);
gboolean hd_admin_unassign(HdContext *ctx, const HdAddress *addr, GString *report, GError **error);

/* every device the host holds for domains: owner, drivers, who uses it */
gchar *hd_admin_list_assignable(HdContext *ctx, gboolean json, GError **error);
