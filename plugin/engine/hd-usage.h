/*
 * hd-usage.h: is the host visibly using a device it is asked to give away?
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-device.h"

/*
 * Why the host is using the device, in words for the `virsh start` user
 * (NULL in *reason when it is not): a network interface with an address or
 * a route, a block device that is mounted, swapped on or held by another
 * block device, or the framebuffer of the active console.
 */
gboolean hd_usage_check(HdContext *ctx, const HdDeviceInfo *info, gchar **reason, GError **error);

/* the netlink side, for a network interface of @ifindex; tests replace it */
gboolean hd_usage_netdev_netlink(int ifindex, gpointer user_data, gchar **reason, GError **error);
