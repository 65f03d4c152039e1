/*
 * hd-vfio-plugin.c: KVM and QEMU domains, through vfio-pci and its variants
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "hd-plugin.h"
#include "hd-vfio-variant.h"

#define HD_VFIO_GENERIC_DRIVER "vfio-pci"
#define HD_VFIO_GENERIC_MODULE "vfio-pci"

static gboolean
hd_vfio_select(HdContext *ctx, const HdDevice *dev)
{
	return hd_device_get_hypervisor(dev) == HD_HYPERVISOR_KVM;
}

/*
 * VFIO hands a guest an IOMMU group.  A device with a group proves the
 * IOMMU is on; only without one is the host's group list read, to tell a
 * host without an IOMMU from a device the IOMMU does not cover.
 */
static gboolean
hd_vfio_check_iommu(HdContext *ctx, const HdDevice *dev, GError **error)
{
	g_autoptr(GPtrArray) groups = NULL;

	if (!hd_device_exists(dev) || hd_device_get_iommu_group(dev) != NULL)
		return TRUE;
	groups = hd_sysfs_list(hd_context_get_sysfs(ctx), "kernel/iommu_groups", NULL);
	if (groups != NULL && groups->len > 0) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "the device has no IOMMU group, so VFIO cannot isolate it");
		return FALSE;
	}
	g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
			    "the host has no IOMMU groups (/sys/kernel/iommu_groups is empty): enable "
			    "VT-d or AMD-Vi in the firmware and boot with intel_iommu=on or amd_iommu=on");
	return FALSE;
}

/* libvirt's QEMU driver knows two backends; only VFIO is still alive */
static gboolean
hd_vfio_check_backend(const HdDeviceRequest *req, GError **error)
{
	switch (req->backend) {
	case HD_BACKEND_DEFAULT:
	case HD_BACKEND_VFIO:
		return TRUE;
	case HD_BACKEND_KVM:
		g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "<driver name='kvm'/> is legacy KVM assignment, removed from "
				    "libvirt and Linux; use <driver name='vfio'/> or no <driver>");
		return FALSE;
	case HD_BACKEND_XEN:
	default:
		g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "<driver name='xen'/> is for Xen domains, not KVM");
		return FALSE;
	}
}

/* the module modules.alias names for the device, NULL for the generic one */
static gchar *
hd_vfio_find_variant(HdContext *ctx, const HdDevice *dev, GError **error)
{
	const char *modules_dir = hd_context_get_modules_dir(ctx);
	g_autofree gchar *attr = hd_function_attr_path(hd_device_get_bdf(dev), "modalias");
	g_autofree gchar *modalias = NULL;
	g_autofree gchar *alias_path = NULL;
	g_autofree gchar *module = NULL;
	g_autoptr(GError) local = NULL;

	if (modules_dir == NULL || !hd_device_exists(dev))
		return NULL;
	modalias = hd_sysfs_read(hd_context_get_sysfs(ctx), attr, &local);
	if (modalias == NULL) {
		/* a device without a modalias matches no alias, like an unknown one */
		g_debug("%s: no modalias, so no variant driver: %s", hd_device_get_bdf(dev), local->message);
		return NULL;
	}
	g_clear_error(&local);
	alias_path = g_build_filename(modules_dir, "modules.alias", NULL);
	module = hd_vfio_variant_find(modalias, alias_path, &local);
	/* a kernel built without a module index has no variants to offer */
	if (g_error_matches(local, HD_ERROR, HD_ERROR_NOT_FOUND)) {
		g_debug("no variant drivers: %s", local->message);
		return NULL;
	}
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	if (module == NULL || hd_vfio_variant_is_generic(module))
		return NULL;
	return g_steal_pointer(&module);
}

/*
 * The stub, in libvirt's order of precedence: our metadata's driver='...',
 * then <driver model='...'/> (which 'vfio-pci' itself forces), then the
 * variant modules.alias names unless the policy turns that off, then the
 * policy's stub.  A variant is named by its module; bind learns the
 * driver's own name once the module is loaded.
 */
static gboolean
hd_vfio_choose_driver(HdContext *ctx, HdDevice *dev, GError **error)
{
	const HdDeviceRequest *req = hd_device_get_request(dev);
	const HdPolicy *policy = hd_context_get_policy(ctx);
	g_autofree gchar *variant = NULL;
	g_autoptr(GError) local = NULL;
	gboolean variants = TRUE;

	if (req->target_driver != NULL)
		return TRUE;
	if (req->driver_model != NULL) {
		if (hd_vfio_variant_is_generic(req->driver_model))
			hd_device_set_target_driver(dev, HD_VFIO_GENERIC_DRIVER, HD_VFIO_GENERIC_MODULE);
		else
			hd_device_set_target_driver(dev, req->driver_model, req->driver_model);
		return TRUE;
	}
	if (!hd_policy_get_boolean(policy, "vfio", "variant-drivers", TRUE, &variants, error))
		return FALSE;
	if (variants)
		variant = hd_vfio_find_variant(ctx, dev, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (variant != NULL) {
		hd_device_set_target_driver(dev, variant, variant);
		return TRUE;
	}
	hd_device_set_target_driver(dev, policy->kvm_stub, policy->kvm_stub);
	return TRUE;
}

/*
 * A domain may name its driver, but a device is bound only to a stub:
 * vfio-pci, pci-stub, pciback, a VFIO variant modules.alias lists, or a
 * driver the host's policy allows.  Any other name would have root load
 * that module and hand it the device ("driver='nvme'" on a NIC).
 */
static gboolean
hd_vfio_check_requested_driver(HdContext *ctx, const HdDevice *dev, GError **error)
{
	const HdDeviceRequest *req = hd_device_get_request(dev);
	const char *name = req->target_driver != NULL ? req->target_driver : req->driver_model;
	const char *modules_dir = hd_context_get_modules_dir(ctx);
	g_autofree gchar *alias_path = NULL;
	gboolean listed = FALSE;

	if (name == NULL || hd_vfio_variant_is_generic(name) ||
	    hd_policy_driver_allowed(hd_context_get_policy(ctx), name))
		return TRUE;
	if (modules_dir != NULL) {
		alias_path = g_build_filename(modules_dir, "modules.alias", NULL);
		if (!hd_vfio_variant_is_listed(name, alias_path, &listed, NULL))
			listed = FALSE;
	}
	if (listed)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
		    "driver '%s' is not a VFIO driver: a device is bound only to vfio-pci, pci-stub, a VFIO "
		    "variant that modules.alias lists, or a driver the host's policy allows ([drivers] allow)",
		    name);
	return FALSE;
}

static gboolean
hd_vfio_check(HdContext *ctx, HdDevice *dev, GError **error)
{
	return hd_vfio_check_backend(hd_device_get_request(dev), error) &&
	       hd_vfio_check_requested_driver(ctx, dev, error) && hd_vfio_check_iommu(ctx, dev, error) &&
	       hd_vfio_choose_driver(ctx, dev, error);
}

/* ---- the IOMMU group --------------------------------------------------------- */

/* does @bdf, in @dev's group, keep the group from being viable? */
static gboolean
hd_vfio_member_blocks(HdContext *ctx, const HdDevice *dev, const char *bdf, gboolean *blocks, gchar **driver,
		      GError **error)
{
	g_auto(HdFunctionState) other = {0};

	if (!hd_function_read(ctx, bdf, &other, error))
		return FALSE;
	*blocks = !other.is_bridge && other.driver != NULL &&
		  g_strcmp0(other.driver, hd_device_get_target_driver(dev)) != 0 &&
		  g_strcmp0(other.driver, HD_VFIO_GENERIC_DRIVER) != 0;
	*driver = g_steal_pointer(&other.driver);
	return TRUE;
}

/*
 * VFIO gives a guest a whole IOMMU group, and the kernel refuses the group
 * while any other endpoint in it has a host driver ("group is not viable").
 * Bridges do not count, nor devices that are unbound, on vfio-pci, or asked
 * for by the same request.  With take-group='yes' the others are taken too,
 * and restored too; otherwise they are named, with their drivers.
 */
static gboolean
hd_vfio_expand(HdContext *ctx, HdDevice *dev, GError **error)
{
	const char *group = hd_device_get_iommu_group(dev);
	g_autofree gchar *dir = NULL;
	g_autoptr(GPtrArray) members = NULL;
	g_autoptr(GString) blockers = g_string_new(NULL);

	if (group == NULL)
		return TRUE;
	dir = g_build_filename("kernel", "iommu_groups", group, "devices", NULL);
	members = hd_sysfs_list(hd_context_get_sysfs(ctx), dir, error);
	if (members == NULL)
		return FALSE;
	for (guint i = 0; i < members->len; i++) {
		const char *bdf = g_ptr_array_index(members, i);
		const HdOwner *owner = NULL;
		g_autofree gchar *driver = NULL;
		gboolean blocks = FALSE;

		if (hd_device_plan_includes(dev, bdf))
			continue;
		/* a group cannot serve two guests, even with every member on vfio-pci */
		owner = hd_device_other_owner(dev, bdf);
		if (owner != NULL) {
			g_autofree gchar *who = hd_owner_describe(owner);
			hd_device_refuse(dev, "IOMMU group %s is not viable: %s in the same group is lent to %s, and "
					      "a group cannot serve two guests", group, bdf, who);
			return TRUE;
		}
		if (!hd_vfio_member_blocks(ctx, dev, bdf, &blocks, &driver, error))
			return FALSE;
		if (!blocks)
			continue;
		if (hd_device_get_request(dev)->take_group) {
			if (!hd_device_add_companion(ctx, dev, bdf, error))
				return FALSE;
			continue;
		}
		g_string_append_printf(blockers, "%s%s (%s)", blockers->len > 0 ? ", " : "", bdf, driver);
	}
	if (blockers->len > 0) {
		gboolean several = strchr(blockers->str, ',') != NULL;
		hd_device_refuse(dev, "IOMMU group %s is not viable: %s still %s the host; ask for %s too, or set "
				      "take-group='yes' in the domain's hostdev-hook metadata", group, blockers->str,
				 several ? "serve" : "serves", several ? "them" : "it");
	}
	return TRUE;
}

/* ---- binding ------------------------------------------------------------------- */

/*
 * The PCI driver a loaded module registered.  Most register under the
 * module's own name, or with '-' for '_' (vfio_pci is vfio-pci); only the
 * others need sysfs's module directory.
 */
static gchar *
hd_vfio_loaded_driver(HdContext *ctx, const char *module, GError **error)
{
	g_autofree gchar *dashed = g_strdelimit(g_strdup(module), "_", '-');

	if (hd_driver_is_loaded(ctx, module))
		return g_strdup(module);
	if (hd_driver_is_loaded(ctx, dashed))
		return g_steal_pointer(&dashed);
	return hd_vfio_variant_driver_name(hd_sysfs_get_root(hd_context_get_sysfs(ctx)), module, error);
}

/*
 * A variant's driver is known by name only once its module is loaded.  An
 * automatic choice whose module will not load falls back to plain
 * vfio-pci, which serves every device; a forced one fails the bind.
 */
static gboolean
hd_vfio_resolve_variant(HdContext *ctx, const HdDevice *dev, gchar **driver, gchar **module, GError **error)
{
	const HdDeviceRequest *req = hd_device_get_request(dev);
	const char *target = hd_device_get_target_driver(dev);
	const char *target_module = hd_device_get_target_module(dev);
	g_autoptr(GError) local = NULL;

	*driver = g_strdup(target);
	*module = g_strdup(target_module);
	if (target_module == NULL || hd_vfio_variant_is_generic(target_module) ||
	    g_strcmp0(target_module, hd_context_get_policy(ctx)->kvm_stub) == 0 || hd_driver_is_loaded(ctx, target))
		return TRUE;
	if (hd_context_load_module(ctx, target_module, &local)) {
		g_autofree gchar *found = hd_vfio_loaded_driver(ctx, target_module, &local);
		if (found != NULL) {
			g_free(*driver);
			*driver = g_steal_pointer(&found);
			return TRUE;
		}
	}
	if (req->driver_model != NULL) {
		g_propagate_prefixed_error(error, g_steal_pointer(&local), "VFIO variant %s: ", target_module);
		return FALSE;
	}
	g_warning("%s: VFIO variant %s is unusable (%s); binding plain %s instead", hd_device_get_bdf(dev),
		  target_module, local->message, HD_VFIO_GENERIC_DRIVER);
	g_free(*driver);
	g_free(*module);
	*driver = g_strdup(HD_VFIO_GENERIC_DRIVER);
	*module = g_strdup(HD_VFIO_GENERIC_MODULE);
	return TRUE;
}

static gboolean
hd_vfio_bind(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	g_autofree gchar *driver = NULL;
	g_autofree gchar *module = NULL;

	if (!hd_vfio_resolve_variant(ctx, dev, &driver, &module, error))
		return FALSE;
	return hd_pci_bind_by_override(ctx, hd_device_get_bdf(dev), driver, module, entry, error);
}

static void
hd_vfio_describe(HdContext *ctx, const HdDevice *dev, GPtrArray *steps)
{
	hd_pci_describe_bind_by_override(ctx, dev, steps);
}

const HdPlugin hd_plugin_vfio = {
	.name = "vfio-pci",
	.select = hd_vfio_select,
	.check = hd_vfio_check,
	.expand = hd_vfio_expand,
	.describe = hd_vfio_describe,
	.bind = hd_vfio_bind,
	.unbind = hd_pci_restore_driver,
};
