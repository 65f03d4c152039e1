/*
 * hd-address.h: PCI host addresses as libvirt writes and reads them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* libvirt's limits for a host PCI address (virPCIDeviceAddressIsValid) */
#define HD_ADDRESS_DOMAIN_MAX	0xffffu
#define HD_ADDRESS_BUS_MAX	0xffu
#define HD_ADDRESS_SLOT_MAX	0x1fu
#define HD_ADDRESS_FUNCTION_MAX 0x7u

/* "DDDD:BB:DD.F" plus the terminating NUL */
#define HD_ADDRESS_STRLEN 13

typedef struct {
	guint domain;
	guint bus;
	guint slot;
	guint function;
} HdAddress;

gboolean hd_address_parse_component(const char *value,
				    const char *attribute,
				    guint max,
				    guint *out,
				    GError **error);
gboolean hd_address_parse_bdf(const char *bdf, HdAddress *out, GError **error);
void hd_address_format(const HdAddress *addr, char buf[HD_ADDRESS_STRLEN]);
gboolean hd_address_equal(const HdAddress *a, const HdAddress *b);

/* the 32 bits of an address packed as the kernel's PCI_DEVID() would, plus the domain */
static inline guint32
hd_address_key(const HdAddress *addr)
{
	return (addr->domain << 16) | (addr->bus << 8) | (addr->slot << 3) | addr->function;
}
