/*
 * hd-bind.c: moving one PCI device between drivers through sysfs
 *
 * The sequence is libvirt's (virPCIDeviceBindWithDriverOverride): write
 * driver_override, unbind, write drivers_probe.  Unlike libvirt we then
 * verify, because drivers_probe reports success even when no driver takes
 * the device, and we restore the exact original driver, which a bare
 * reprobe does not promise.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-bind.h"

#include "hd-device.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hd-log.h"
#include "hd-plan.h"

#define HD_BIND_POLL_US 5000

static gchar *
hd_bind_attr(const char *bdf, const char *attribute)
{
	return hd_function_attr_path(bdf, attribute);
}

/* the bound driver (NULL: none) and driver_override (NULL: unset) */
gboolean
hd_bind_read_state(HdContext *ctx, const char *bdf, gchar **driver, gchar **override, GError **error)
{
	g_autofree gchar *driver_link = hd_bind_attr(bdf, "driver");
	g_autofree gchar *override_path = hd_bind_attr(bdf, "driver_override");
	g_autoptr(GError) local = NULL;
	g_autofree gchar *name = hd_sysfs_read_link_name(ctx->sysfs, driver_link, &local);
	g_autofree gchar *value = NULL;

	if (name == NULL && !g_error_matches(local, HD_ERROR, HD_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (override != NULL) {
		value = hd_sysfs_read(ctx->sysfs, override_path, error);
		if (value == NULL)
			return FALSE;
		/* the kernel shows an unset override as "(null)" */
		*override = g_strcmp0(value, "(null)") != 0 && *value != '\0' ? g_steal_pointer(&value) : NULL;
	}
	*driver = g_steal_pointer(&name);
	return TRUE;
}

gboolean
hd_driver_is_loaded(HdContext *ctx, const char *driver)
{
	g_autofree gchar *dir = g_build_filename("bus", "pci", "drivers", driver, NULL);

	return hd_sysfs_exists(ctx->sysfs, dir);
}

/* load @module when the kernel does not know @driver yet; the binder
 * names the module, since a driver's name need not be its module's */
gboolean
hd_bind_ensure_driver(HdContext *ctx, const char *driver, const char *module, GError **error)
{
	if (hd_driver_is_loaded(ctx, driver))
		return TRUE;
	if (!hd_context_load_module(ctx, module != NULL ? module : driver, error))
		return FALSE;
	if (hd_driver_is_loaded(ctx, driver))
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND,
		    "module %s loaded, but no PCI driver named %s appeared", module != NULL ? module : driver,
		    driver);
	return FALSE;
}

/*
 * Wait, boundedly, for the kernel to show @want bound.  Probing runs
 * asynchronously for some drivers, so "no driver yet" is worth waiting for;
 * another driver is the kernel's final answer.  FALSE with no error: @seen
 * is what the device has instead.
 */
static gboolean
hd_bind_wait_for(HdContext *ctx, const char *bdf, const char *want, gchar **seen, GError **error)
{
	gint64 deadline = 0;

	for (;;) {
		g_autofree gchar *driver = NULL;

		if (!hd_bind_read_state(ctx, bdf, &driver, NULL, error))
			return FALSE;
		if (g_strcmp0(driver, want) == 0)
			return TRUE;
		/* the policy's bound, only once there is something to wait
		 * for: most drivers probe before drivers_probe returns, and
		 * a restore then never reads the policy (hd-context.h) */
		if (deadline == 0)
			deadline = g_get_monotonic_time() +
				   (gint64)hd_context_get_policy(ctx)->bind_timeout_ms * 1000;
		if (driver != NULL || g_get_monotonic_time() >= deadline) {
			*seen = g_steal_pointer(&driver);
			return FALSE;
		}
		g_usleep(HD_BIND_POLL_US);
	}
}

static gboolean
hd_bind_unbind(HdContext *ctx, const char *bdf, GError **error)
{
	g_autofree gchar *unbind = hd_bind_attr(bdf, "driver/unbind");

	return hd_sysfs_write(ctx->sysfs, unbind, bdf, error);
}

static gboolean
hd_bind_probe(HdContext *ctx, const char *bdf, GError **error)
{
	return hd_sysfs_write(ctx->sysfs, "bus/pci/drivers_probe", bdf, error);
}

gboolean
hd_pci_bind_by_override(HdContext *ctx,
			const char *bdf,
			const char *driver,
			const char *module,
			HdEntry *entry,
			GError **error)
{
	g_autofree gchar *override = hd_bind_attr(bdf, "driver_override");
	g_autofree gchar *current = NULL;
	g_autofree gchar *original_override = NULL;
	g_autofree gchar *seen = NULL;
	g_autoptr(GError) local = NULL;

	if (!hd_bind_read_state(ctx, bdf, &current, &original_override, error))
		return FALSE;
	hd_entry_set_string(entry, "original_driver", current);
	hd_entry_set_string(entry, "original_override", original_override);
	hd_entry_set_string(entry, "target_driver", driver);
	/* never unbind a device from the driver it should be on: a guest may
	 * hold it, and vfio-pci's unbind then blocks until the guest lets go;
	 * it was found there, so release leaves it there */
	if (g_strcmp0(current, driver) == 0) {
		hd_entry_set_bool(entry, "found_bound", TRUE);
		return hd_entry_step(entry, "found-bound", error);
	}
	if (!hd_bind_ensure_driver(ctx, driver, module, error))
		return FALSE;
	if (!hd_entry_step(entry, "set-override", error) || !hd_sysfs_write(ctx->sysfs, override, driver, error))
		return FALSE;
	if (current != NULL && (!hd_entry_step(entry, "unbind", error) || !hd_bind_unbind(ctx, bdf, error)))
		return FALSE;
	if (!hd_entry_step(entry, "probe", error) || !hd_bind_probe(ctx, bdf, error))
		return FALSE;
	if (hd_bind_wait_for(ctx, bdf, driver, &seen, &local))
		return TRUE;
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_set_error(error, HD_ERROR, HD_ERROR_FAILED,
		    "%s did not take the device within %u ms (driver now: %s)", driver,
		    hd_context_get_policy(ctx)->bind_timeout_ms, seen != NULL ? seen : "none");
	return FALSE;
}

void
hd_pci_describe_bind_by_override(HdContext *ctx, const HdDevice *dev, GPtrArray *steps)
{
	const char *current = hd_device_get_driver(dev);
	const char *driver = hd_device_get_target_driver(dev);
	const char *module = hd_device_get_target_module(dev);

	if (g_strcmp0(current, driver) == 0)
		return;
	if (!hd_driver_is_loaded(ctx, driver))
		g_ptr_array_add(steps, g_strdup_printf("load module %s for %s", module != NULL ? module : driver,
						       driver));
	g_ptr_array_add(steps, g_strdup_printf("write %s to driver_override", driver));
	if (current != NULL)
		g_ptr_array_add(steps, g_strdup_printf("unbind from %s", current));
	g_ptr_array_add(steps, g_strdup_printf("write %s to drivers_probe", hd_device_get_bdf(dev)));
	g_ptr_array_add(steps,
			g_strdup_printf("wait up to %u ms for %s to bind", hd_context_get_policy(ctx)->bind_timeout_ms, driver));
}

/* the original driver may have to be asked by name: the kernel's own choice
 * after a reprobe can be another driver, or none if its module is gone */
static gboolean
hd_bind_explicitly(HdContext *ctx, const char *bdf, const char *driver, GError **error)
{
	g_autofree gchar *bind = g_build_filename("bus", "pci", "drivers", driver, "bind", NULL);
	g_autofree gchar *current = NULL;
	g_autofree gchar *seen = NULL;
	g_autoptr(GError) local = NULL;

	if (!hd_bind_read_state(ctx, bdf, &current, NULL, error))
		return FALSE;
	if (current != NULL && !hd_bind_unbind(ctx, bdf, error))
		return FALSE;
	if (!hd_bind_ensure_driver(ctx, driver, NULL, error))
		return FALSE;
	/* a module load can bind the device by itself */
	if (!hd_bind_read_state(ctx, bdf, &current, NULL, error))
		return FALSE;
	if (g_strcmp0(current, driver) == 0)
		return TRUE;
	if (!hd_sysfs_write(ctx->sysfs, bind, bdf, error))
		return FALSE;
	if (hd_bind_wait_for(ctx, bdf, driver, &seen, &local))
		return TRUE;
	if (local == NULL)
		g_set_error(&local, HD_ERROR, HD_ERROR_FAILED, "%s did not take the device back (driver now: %s)",
			    driver, seen != NULL ? seen : "none");
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

/* with driver_override clear: from the current driver to the original one */
static gboolean
hd_bind_restore_driver(HdContext *ctx, const char *bdf, const char *original_driver, GError **error)
{
	g_autofree gchar *current = NULL;
	g_autofree gchar *seen = NULL;
	g_autoptr(GError) local = NULL;

	if (!hd_bind_read_state(ctx, bdf, &current, NULL, error))
		return FALSE;
	if (g_strcmp0(current, original_driver) == 0)
		return TRUE;
	if (current != NULL && !hd_bind_unbind(ctx, bdf, error))
		return FALSE;
	if (original_driver == NULL)
		return TRUE;
	/* its module is gone (single-GPU scripts unload it): load it by name */
	if (!hd_driver_is_loaded(ctx, original_driver))
		return hd_bind_explicitly(ctx, bdf, original_driver, error);
	if (!hd_bind_probe(ctx, bdf, error))
		return FALSE;
	if (hd_bind_wait_for(ctx, bdf, original_driver, &seen, &local))
		return TRUE;
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	hd_log_action(G_LOG_LEVEL_INFO, NULL, bdf, "restore",
		      "reprobe chose %s, not %s: binding %s explicitly", seen != NULL ? seen : "no driver",
		      original_driver, original_driver);
	return hd_bind_explicitly(ctx, bdf, original_driver, error);
}

/*
 * Put a device back as the journal found it, from whatever point a prepare
 * reached: leave the target driver, get the original driver (or none) back,
 * and only then restore the original driver_override, because the kernel
 * lets an override veto every other driver, the original one included.
 * An override naming the original driver is the exception: it may be all
 * that lets that driver have the device (pci-stub and other drivers that
 * claim no IDs), and without it a reprobe hands the device to whichever
 * host driver claims its IDs, so it goes first.  Safe to repeat.
 */
gboolean
hd_pci_restore_driver(HdContext *ctx, HdEntry *entry, GError **error)
{
	const char *bdf = hd_entry_get_address(entry);
	const char *original_driver = hd_entry_get_string(entry, "original_driver");
	const char *original_override = hd_entry_get_string(entry, "original_override");
	g_autofree gchar *override = hd_bind_attr(bdf, "driver_override");
	gboolean override_first = original_override != NULL && g_strcmp0(original_override, original_driver) == 0;

	if (hd_entry_get_bool(entry, "found_bound"))
		return TRUE;
	/* the journal may have been edited: a name must not climb out of sysfs */
	if ((original_driver != NULL && !hd_driver_name_check(original_driver, "original driver ", error)) ||
	    (original_override != NULL && !hd_driver_name_check(original_override, "original override ", error)))
		return FALSE;
	/* "\n" clears an override, as libvirt writes it */
	if (!hd_sysfs_write(ctx->sysfs, override, override_first ? original_override : "\n", error) ||
	    !hd_bind_restore_driver(ctx, bdf, original_driver, error))
		return FALSE;
	return original_override == NULL || override_first ||
	       hd_sysfs_write(ctx->sysfs, override, original_override, error);
}
