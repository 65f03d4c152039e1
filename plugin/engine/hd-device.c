/*
 * hd-device.c: what the host says about one PCI device, right now
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-device.h"

#include <string.h>

#include "hd-error.h"
#include "hd-usage.h"

/* "bus/pci/devices/<bdf>/<attribute>", relative to the sysfs root */
gchar *
hd_function_attr_path(const char *bdf, const char *attribute)
{
	return g_build_filename("bus", "pci", "devices", bdf, attribute, NULL);
}

/* the name a link points to, or NULL when the link is absent */
static gboolean
hd_device_read_optional_link(HdContext *ctx, const char *bdf, const char *link, gchar **out, GError **error)
{
	g_autofree gchar *path = hd_function_attr_path(bdf, link);
	g_autoptr(GError) local = NULL;

	*out = hd_sysfs_read_link_name(ctx->sysfs, path, &local);
	if (*out == NULL && !g_error_matches(local, HD_ERROR, HD_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

HdDeviceInfo *
hd_device_info_read(HdContext *ctx, const HdAddress *addr, GError **error)
{
	g_autoptr(HdDeviceInfo) info = g_new0(HdDeviceInfo, 1);
	g_autofree gchar *dir = NULL;
	HdPci *pci;

	info->address = *addr;
	hd_address_format(addr, info->bdf);
	dir = hd_function_attr_path(info->bdf, NULL);
	info->exists = hd_sysfs_exists(ctx->sysfs, dir);
	if (!info->exists)
		return g_steal_pointer(&info);

	pci = hd_context_get_pci(ctx, error);
	if (pci == NULL || !hd_pci_identify(pci, addr, ctx->want_names, &info->identity, error) ||
	    !hd_device_read_optional_link(ctx, info->bdf, "driver", &info->driver, error) ||
	    !hd_device_read_optional_link(ctx, info->bdf, "iommu_group", &info->iommu_group, error))
		return NULL;
	return g_steal_pointer(&info);
}

void
hd_device_info_free(HdDeviceInfo *info)
{
	if (info == NULL)
		return;
	hd_pci_identity_clear(&info->identity);
	g_free(info->driver);
	g_free(info->iommu_group);
	g_free(info);
}

gboolean
hd_function_read(HdContext *ctx, const char *bdf, HdFunctionState *out, GError **error)
{
	g_autoptr(HdDeviceInfo) info = NULL;
	HdAddress addr;

	memset(out, 0, sizeof(*out));
	if (!hd_address_parse_bdf(bdf, &addr, error))
		return FALSE;
	info = hd_device_info_read(ctx, &addr, error);
	if (info == NULL)
		return FALSE;
	g_strlcpy(out->bdf, info->bdf, sizeof(out->bdf));
	out->exists = info->exists;
	out->is_bridge = info->identity.is_bridge;
	out->vendor_id = info->identity.vendor_id;
	out->device_id = info->identity.device_id;
	out->driver = g_steal_pointer(&info->driver);
	out->iommu_group = g_steal_pointer(&info->iommu_group);
	return TRUE;
}

void
hd_function_state_clear(HdFunctionState *state)
{
	g_clear_pointer(&state->driver, g_free);
	g_clear_pointer(&state->iommu_group, g_free);
}

static gboolean
hd_function_read_id(HdContext *ctx, const char *bdf, const char *attribute, guint16 *out, GError **error)
{
	g_autofree gchar *path = hd_function_attr_path(bdf, attribute);
	g_autofree gchar *text = hd_sysfs_read(ctx->sysfs, path, error);
	guint64 value = 0;

	if (text == NULL)
		return FALSE;
	if (!g_ascii_string_to_unsigned(g_strstrip(text) + (g_str_has_prefix(text, "0x") ? 2 : 0), 16, 0, 0xffff,
					&value, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: '%s' is not a PCI id", path, text);
		return FALSE;
	}
	*out = (guint16)value;
	return TRUE;
}

gboolean
hd_function_read_ids(HdContext *ctx, const char *bdf, HdPciIds *out, GError **error)
{
	return hd_function_read_id(ctx, bdf, "vendor", &out->vendor, error) &&
	       hd_function_read_id(ctx, bdf, "device", &out->device, error) &&
	       hd_function_read_id(ctx, bdf, "subsystem_vendor", &out->subvendor, error) &&
	       hd_function_read_id(ctx, bdf, "subsystem_device", &out->subdevice, error);
}

gboolean
hd_function_check_usage(HdContext *ctx, const char *bdf, gchar **reason, GError **error)
{
	g_autoptr(HdDeviceInfo) info = NULL;
	HdAddress addr;

	*reason = NULL;
	if (!hd_address_parse_bdf(bdf, &addr, error))
		return FALSE;
	info = hd_device_info_read(ctx, &addr, error);
	if (info == NULL)
		return FALSE;
	return !info->exists || hd_usage_check(ctx, info, reason, error);
}
