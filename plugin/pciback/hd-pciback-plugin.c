/*
 * hd-pciback-plugin.c: Xen domains, through xen-pciback
 *
 * pciback is more than a stub driver: it keeps a slot list of the devices
 * it may seize, and per-device data (permissive mode, config-space quirks)
 * that only an unbind from pciback clears.  So a lend must leave the slot
 * list as it found it, and anything we set on a device pciback already
 * held must be cleared by seizing it afresh.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "hd-plugin.h"

/* xen-pciback registers its driver as "pciback" and has no alias by that
 * name, so the module must be asked for by its own */
#define HD_PCIBACK_MODULE "xen-pciback"
#define HD_PCIBACK_DIR	  "bus/pci/drivers/pciback"

static gboolean
hd_pciback_select(HdContext *ctx, const HdDevice *dev)
{
	return hd_device_get_hypervisor(dev) == HD_HYPERVISOR_XEN;
}

/* ---- pciback's lists ----------------------------------------------------------- */

static gchar *
hd_pciback_path(const char *file)
{
	return g_build_filename(HD_PCIBACK_DIR, file, NULL);
}

/* is @bdf a line of pciback's @file (slots, permissive)? */
static gboolean
hd_pciback_lists(HdContext *ctx, const char *file, const char *bdf, gboolean *listed, GError **error)
{
	g_autofree gchar *path = hd_pciback_path(file);
	g_autofree gchar *text = hd_sysfs_read(hd_context_get_sysfs(ctx), path, error);
	g_auto(GStrv) lines = NULL;

	if (text == NULL)
		return FALSE;
	lines = g_strsplit(text, "\n", -1);
	*listed = g_strv_contains((const char *const *)lines, bdf);
	return TRUE;
}

static gboolean
hd_pciback_write(HdContext *ctx, const char *file, const char *value, GError **error)
{
	g_autofree gchar *path = hd_pciback_path(file);

	return hd_sysfs_write(hd_context_get_sysfs(ctx), path, value, error);
}

/* ---- what a device asks for ---------------------------------------------------- */

static gboolean
hd_pciback_wants_permissive(HdContext *ctx, const HdDevice *dev, const HdPciIds *ids)
{
	return hd_device_get_request(dev)->permissive || hd_policy_wants_permissive(hd_context_get_policy(ctx), ids);
}

static gboolean
hd_pciback_is_hvm(const HdDevice *dev)
{
	const HdDomain *domain = hd_device_get_domain(dev);

	return domain != NULL && g_strcmp0(domain->os_type, "hvm") == 0;
}

/*
 * An HVM guest's config space is filtered by QEMU in dom0, not by pciback,
 * and libxl passes permissive=true to QEMU only when the hostdev says
 * writeFiltering='no'; pciback's flag alone would be silently useless.
 */
static gboolean
hd_pciback_check_permissive(HdContext *ctx, const HdDevice *dev, GError **error)
{
	HdPciIds ids;

	if (!hd_device_exists(dev) || !hd_pciback_is_hvm(dev) || hd_device_get_request(dev)->write_filtering_off)
		return TRUE;
	if (!hd_function_read_ids(ctx, hd_device_get_bdf(dev), &ids, error))
		return FALSE;
	if (!hd_pciback_wants_permissive(ctx, dev, &ids))
		return TRUE;
	g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
			    "permissive mode for an HVM guest needs <source writeFiltering='no'> on the hostdev, "
			    "which is how libxl tells QEMU; add it");
	return FALSE;
}

/* libxl forces the backend to 'xen'; anything else was written by hand */
static gboolean
hd_pciback_check(HdContext *ctx, HdDevice *dev, GError **error)
{
	const HdDeviceRequest *req = hd_device_get_request(dev);
	const char *stub = hd_context_get_policy(ctx)->xen_stub;

	if (req->backend != HD_BACKEND_DEFAULT && req->backend != HD_BACKEND_XEN) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "<driver name='%s'/> is for KVM domains, not Xen",
			    hd_backend_to_string(req->backend));
		return FALSE;
	}
	/* a stub, or a driver the host's policy allows: never any module */
	if (req->target_driver != NULL && !hd_policy_driver_allowed(hd_context_get_policy(ctx), req->target_driver)) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
			    "driver '%s' is not a stub: a Xen device is bound only to pciback, pci-stub, or a "
			    "driver the host's policy allows ([drivers] allow)",
			    req->target_driver);
		return FALSE;
	}
	if (req->target_driver == NULL)
		hd_device_set_target_driver(dev, stub, g_strcmp0(stub, "pciback") == 0 ? HD_PCIBACK_MODULE : stub);
	return hd_pciback_check_permissive(ctx, dev, error);
}

/* ---- bind ------------------------------------------------------------------------ */

static gboolean
hd_pciback_is_target(const HdDevice *dev)
{
	return g_strcmp0(hd_device_get_target_driver(dev), "pciback") == 0;
}

/*
 * The kernel's generic way: pcistub_probe() seizes a device whose
 * driver_override names pciback, and adds it to the slot list, where it
 * stays until remove_slot: so whether it was there before is recorded.
 */
static gboolean
hd_pciback_bind(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	const char *bdf = hd_device_get_bdf(dev);
	const char *driver = hd_device_get_target_driver(dev);
	gboolean listed = FALSE;

	if (hd_pciback_is_target(dev)) {
		if ((!hd_driver_is_loaded(ctx, driver) &&
		     !hd_context_load_module(ctx, hd_device_get_target_module(dev), error)) ||
		    !hd_pciback_lists(ctx, "slots", bdf, &listed, error))
			return FALSE;
		hd_entry_set_bool(entry, "slot_before", listed);
	}
	return hd_pci_bind_by_override(ctx, bdf, driver, hd_device_get_target_module(dev), entry, error);
}

/* off pciback (which clears permissive and quirks), out of the slot list
 * unless it was there before, then back to the original driver */
static gboolean
hd_pciback_unbind(HdContext *ctx, HdEntry *entry, GError **error)
{
	const char *bdf = hd_entry_get_address(entry);
	g_autofree gchar *driver_link = hd_function_attr_path(bdf, "driver");
	g_autofree gchar *driver = NULL;
	gboolean listed = FALSE;

	if (hd_entry_get_bool(entry, "found_bound") ||
	    g_strcmp0(hd_entry_get_string(entry, "target_driver"), "pciback") != 0)
		return hd_pci_restore_driver(ctx, entry, error);
	driver = hd_sysfs_read_link_name(hd_context_get_sysfs(ctx), driver_link, NULL);
	if (g_strcmp0(driver, "pciback") == 0 && !hd_pciback_write(ctx, "unbind", bdf, error))
		return FALSE;
	if (!hd_entry_get_bool(entry, "slot_before") && hd_driver_is_loaded(ctx, "pciback")) {
		if (!hd_pciback_lists(ctx, "slots", bdf, &listed, error) ||
		    (listed && !hd_pciback_write(ctx, "remove_slot", bdf, error)))
			return FALSE;
	}
	return hd_pci_restore_driver(ctx, entry, error);
}

/* ---- configure: permissive and quirks -------------------------------------------- */

static gboolean
hd_pciback_write_quirks(HdContext *ctx, const char *bdf, const HdQuirk *quirk, HdEntry *entry, GError **error)
{
	hd_entry_set_string(entry, "quirk", quirk->label);
	if (!hd_entry_step(entry, "quirks", error))
		return FALSE;
	for (guint i = 0; i < quirk->fields->len; i++) {
		const HdQuirkField *field = &g_array_index(quirk->fields, HdQuirkField, i);
		g_autofree gchar *value = g_strdup_printf("%s-%08x:%u:%08x", bdf, field->reg, field->size, field->mask);

		if (!hd_pciback_write(ctx, "quirks", value, error)) {
			g_prefix_error(error, "quirk %s: ", quirk->label);
			return FALSE;
		}
	}
	return TRUE;
}

/* after the bind: pciback takes both only for a device it holds */
static gboolean
hd_pciback_configure(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	const char *bdf = hd_device_get_bdf(dev);
	const HdQuirk *quirk;
	gboolean permissive_before = FALSE;
	HdPciIds ids;

	if (!hd_pciback_is_target(dev))
		return TRUE;
	if (!hd_function_read_ids(ctx, bdf, &ids, error) ||
	    !hd_pciback_lists(ctx, "permissive", bdf, &permissive_before, error))
		return FALSE;
	hd_entry_set_bool(entry, "found_bound", hd_device_is_already_bound(dev));
	hd_entry_set_bool(entry, "permissive_before", permissive_before);
	if (hd_pciback_wants_permissive(ctx, dev, &ids) && !permissive_before) {
		hd_entry_set_bool(entry, "set_permissive", TRUE);
		if (!hd_entry_step(entry, "permissive", error) || !hd_pciback_write(ctx, "permissive", bdf, error))
			return FALSE;
	}
	quirk = hd_policy_find_quirk(hd_context_get_policy(ctx), &ids);
	return quirk == NULL || hd_pciback_write_quirks(ctx, bdf, quirk, entry, error);
}

/*
 * A device we bound is cleared by the bind entry's undo, which unbinds it.
 * One pciback held before us keeps pciback, so only seizing it afresh
 * drops what we set; a permissive flag it had before is set again.
 */
static gboolean
hd_pciback_unconfigure(HdContext *ctx, HdEntry *entry, GError **error)
{
	const char *bdf = hd_entry_get_address(entry);
	gboolean ours = hd_entry_get_bool(entry, "set_permissive") || hd_entry_get_string(entry, "quirk") != NULL;

	if (!hd_entry_get_bool(entry, "found_bound") || !ours)
		return TRUE;
	if (!hd_pciback_write(ctx, "unbind", bdf, error) || !hd_pciback_write(ctx, "bind", bdf, error))
		return FALSE;
	return !hd_entry_get_bool(entry, "permissive_before") || hd_pciback_write(ctx, "permissive", bdf, error);
}

static void
hd_pciback_describe(HdContext *ctx, const HdDevice *dev, GPtrArray *steps)
{
	const char *bdf = hd_device_get_bdf(dev);
	const HdQuirk *quirk;
	HdPciIds ids;

	hd_pci_describe_bind_by_override(ctx, dev, steps);
	if (!hd_pciback_is_target(dev) || !hd_function_read_ids(ctx, bdf, &ids, NULL))
		return;
	if (hd_pciback_wants_permissive(ctx, dev, &ids))
		g_ptr_array_add(steps, g_strdup_printf("write %s to pciback/permissive", bdf));
	quirk = hd_policy_find_quirk(hd_context_get_policy(ctx), &ids);
	for (guint i = 0; quirk != NULL && i < quirk->fields->len; i++) {
		const HdQuirkField *field = &g_array_index(quirk->fields, HdQuirkField, i);
		g_ptr_array_add(steps, g_strdup_printf("write %s-%08x:%u:%08x to pciback/quirks (quirk %s)", bdf,
						       field->reg, field->size, field->mask, quirk->label));
	}
}

const HdPlugin hd_plugin_pciback = {
	.name = "pciback",
	.select = hd_pciback_select,
	.check = hd_pciback_check,
	.describe = hd_pciback_describe,
	.bind = hd_pciback_bind,
	.unbind = hd_pciback_unbind,
	.configure = hd_pciback_configure,
	.unconfigure = hd_pciback_unconfigure,
};
