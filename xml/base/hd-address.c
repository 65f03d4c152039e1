/*
 * hd-address.c: PCI host addresses as libvirt writes and reads them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-address.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hd-error.h"

/*
 * libvirt reads each address attribute with strtoul() in base 0
 * (virStrToLong_uip): "0x" selects hex, a leading "0" selects octal and
 * anything else is decimal.  The whole string must be consumed and a minus
 * sign is refused, because strtoul() would silently wrap it around.
 */
gboolean
hd_address_parse_component(const char *value,
			   const char *attribute,
			   guint max,
			   guint *out,
			   GError **error)
{
	char *end = NULL;
	unsigned long parsed;

	if (value == NULL || *value == '\0' || strchr(value, '-') != NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid %s '%s': not an unsigned number",
			    attribute, value != NULL ? value : "");
		return FALSE;
	}
	errno = 0;
	parsed = strtoul(value, &end, 0);
	if (errno != 0 || end == value || *end != '\0') {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid %s '%s': not a number in decimal, 0x-hex or 0-octal form",
			    attribute, value);
		return FALSE;
	}
	if (parsed > max) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid %s '%s': must be <= 0x%x", attribute, value, max);
		return FALSE;
	}
	*out = (guint)parsed;
	return TRUE;
}

static gboolean
hd_address_parse_hex_field(const char *text, gsize len, guint max, guint *out)
{
	guint value = 0;

	if (len == 0 || len > (g_bit_storage(max) + 3) / 4) /* no more digits than max has */
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		int digit = g_ascii_xdigit_value(text[i]);
		if (digit < 0)
			return FALSE;
		value = value * 16 + (guint)digit;
		if (value > max)
			return FALSE;
	}
	*out = value;
	return TRUE;
}

/*
 * The sysfs spelling "DDDD:BB:DD.F" (domain optional, as lspci prints it).
 * Used by our metadata and the command line, never by libvirt's own XML.
 */
gboolean
hd_address_parse_bdf(const char *bdf, HdAddress *out, GError **error)
{
	const char *dot = strrchr(bdf, '.');
	const char *colon2 = dot != NULL ? g_strrstr_len(bdf, dot - bdf, ":") : NULL;
	const char *colon1 = colon2 != NULL ? g_strrstr_len(bdf, colon2 - bdf, ":") : NULL;
	const char *bus_start = colon1 != NULL ? colon1 + 1 : bdf;
	HdAddress addr = {0};

	if (dot == NULL || colon2 == NULL ||
	    (colon1 != NULL &&
	     !hd_address_parse_hex_field(bdf, colon1 - bdf, HD_ADDRESS_DOMAIN_MAX, &addr.domain)) ||
	    !hd_address_parse_hex_field(bus_start, colon2 - bus_start, HD_ADDRESS_BUS_MAX, &addr.bus) ||
	    !hd_address_parse_hex_field(colon2 + 1, dot - colon2 - 1, HD_ADDRESS_SLOT_MAX, &addr.slot) ||
	    !hd_address_parse_hex_field(dot + 1, strlen(dot + 1), HD_ADDRESS_FUNCTION_MAX, &addr.function)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid PCI address '%s': expected DDDD:BB:DD.F in hex, "
			    "bus <= ff, slot <= 1f, function <= 7", bdf);
		return FALSE;
	}
	*out = addr;
	return TRUE;
}

void
hd_address_format(const HdAddress *addr, char buf[HD_ADDRESS_STRLEN])
{
	g_snprintf(buf, HD_ADDRESS_STRLEN, "%04x:%02x:%02x.%x",
		   addr->domain, addr->bus, addr->slot, addr->function);
}

gboolean
hd_address_equal(const HdAddress *a, const HdAddress *b)
{
	return a->domain == b->domain && a->bus == b->bus &&
	       a->slot == b->slot && a->function == b->function;
}
