/*
 * hd-pci.h: libpci, for device identity and the pci.ids names
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-address.h"

typedef struct _HdPci HdPci;

typedef struct {
	guint16 vendor_id;
	guint16 device_id;
	guint16 class_code; /* base class << 8 | subclass */
	gboolean is_bridge; /* a PCI-to-PCI or CardBus bridge, never an endpoint */
	gchar *vendor_name; /* from pci.ids, NULL when unknown */
	gchar *device_name;
} HdPciIdentity;

HdPci *hd_pci_new(const char *sysfs_root, GError **error);
void hd_pci_free(HdPci *pci);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdPci, hd_pci_free)

gboolean hd_pci_identify(HdPci *pci,
			 const HdAddress *addr,
			 gboolean with_names,
			 HdPciIdentity *out,
			 GError **error);
void hd_pci_identity_clear(HdPciIdentity *identity);
