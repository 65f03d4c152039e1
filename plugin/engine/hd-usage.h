/*
 * hd-usage.h: is the host visibly using a device it is asked to give away?
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-device.h"

/*
 * Why the host is using the device, in words for the `virsh start` user
 * (NULL in *reason when it is not): a network interface below it, at any
 * depth, with an address or a route, or a member of a bond, bridge or VLAN
 * that has one; a block device below it that is mounted, swapped on, held
 * by another block device, or a member of a mounted or swapped LVM volume
 * or RAID array; or the framebuffer of the active console.
 */
gboolean hd_usage_check(HdContext *ctx, const HdDeviceInfo *info, gchar **reason, GError **error);

/*
 * The same for the devices of one plan: what the host's classes show
 * (where each interface and block device sits, what each interface is
 * built on) is read once into @index and kept, since planning changes
 * nothing.  An index must not outlive the plan: executing it does.
 */
typedef struct _HdUsageIndex HdUsageIndex;

HdUsageIndex *hd_usage_index_new(void);
void hd_usage_index_free(HdUsageIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdUsageIndex, hd_usage_index_free)
gboolean hd_usage_check_indexed(HdContext *ctx, HdUsageIndex *index, const HdDeviceInfo *info, gchar **reason,
				GError **error);

/* the netlink side, for a network interface of @ifindex; tests replace it */
gboolean hd_usage_netdev_netlink(int ifindex, gpointer user_data, gchar **reason, GError **error);
