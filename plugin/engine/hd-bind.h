/*
 * hd-bind.h: moving one PCI device between drivers through sysfs
 *
 * The binders' side is in hd-plugin.h (hd_pci_bind_by_override() and its
 * undo); this is what the engine itself needs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-context.h"

/* the bound driver (NULL: none) and driver_override (NULL: unset) */
gboolean hd_bind_read_state(HdContext *ctx, const char *bdf, gchar **driver, gchar **override, GError **error);
gboolean hd_bind_ensure_driver(HdContext *ctx, const char *driver, const char *module, GError **error);
