/*
 * hostdevctl-hotplug.c: the host's side of `hostdevctl attach` and `detach`
 *
 * An attach binds under the state lock, as the hook's prepare does, then
 * lets the lock go before libvirt is asked: libvirt may take seconds, and
 * every hook of every other domain waits for that lock.  The device stays
 * reserved meanwhile, because the reservation is the journal, not the
 * lock: any other plan made in between sees the entries and refuses it.
 * What can happen in between is the domain's own end: its "release end"
 * hook gives back everything its journal holds, this device included, and
 * libvirt then refuses the attach; the rollback finds nothing left to undo.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hostdevctl-hotplug.h"

#include "hd-engine.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hd-log.h"

gboolean
hdctl_scope_check_options(gboolean live, gboolean config, gboolean current, GError **error)
{
	if (current && (live || config)) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "--current cannot be combined with --live or --config");
		return FALSE;
	}
	return TRUE;
}

/* as virsh: with neither flag, the running guest if there is one, else
 * the definition */
gboolean
hdctl_scope_resolve(gboolean live, gboolean config, gboolean running, const char *domain, HdctlScope *scope,
		    GError **error)
{
	if (!live && !config) {
		live = running;
		config = !running;
	}
	if (live && !running) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "%s is not running, and --live needs a running guest; use --config to change its "
			    "definition, which hostdev-hook serves at the next start",
			    domain);
		return FALSE;
	}
	scope->live = live;
	scope->config = config;
	return TRUE;
}

const char *
hdctl_hotplug_bdf(const HdDomain *device, char bdf[HD_ADDRESS_STRLEN])
{
	const HdDeviceRequest *req = g_ptr_array_index(device->requests, 0);

	hd_address_format(&req->address, bdf);
	return bdf;
}

gboolean
hdctl_hotplug_check_requests(const HdDomain *device, GError **error)
{
	if (device->requests->len > 0)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
		    "<%s> asks for no PCI device: hostdevctl hot-plugs <hostdev type='pci'> and "
		    "<interface type='hostdev'>; use virsh attach-device or detach-device for it",
		    device->root_element);
	return FALSE;
}

/* a second attach of what the domain holds would, on its rollback, undo
 * the first attach's entries too: refuse it before anything changes */
static gboolean
hdctl_hotplug_check_not_held(HdContext *ctx, const HdOwner *owner, const HdDomain *device, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, owner, error);

	if (journal == NULL)
		return FALSE;
	for (guint i = 0; i < device->requests->len; i++) {
		const HdDeviceRequest *req = g_ptr_array_index(device->requests, i);
		char bdf[HD_ADDRESS_STRLEN];

		hd_address_format(&req->address, bdf);
		for (guint j = 0; j < journal->entries->len; j++) {
			const HdEntry *entry = g_ptr_array_index(journal->entries, j);

			if (g_strcmp0(entry->address, bdf) != 0)
				continue;
			g_set_error(error, HD_ERROR, HD_ERROR_CONFLICT,
				    "%s: already lent to %s by hostdev-hook; detach it first (hostdevctl detach)", bdf,
				    owner->name);
			return FALSE;
		}
	}
	return TRUE;
}

HdPlan *
hdctl_hotplug_bind(HdContext *ctx, const char *name, HdDomain *device, GError **error)
{
	g_autoptr(HdDomain) owned = device;
	g_autoptr(HdStateLock) lock = hd_state_lock_acquire(ctx->state_dir, error);
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)name};
	g_autoptr(HdPlan) plan = NULL;

	if (lock == NULL) {
		g_prefix_error(error, "host: ");
		return NULL;
	}
	if (!hdctl_hotplug_check_not_held(ctx, &owner, owned, error))
		return NULL;
	plan = hd_plan_new_for_domain(ctx, name, g_steal_pointer(&owned), error);
	if (plan == NULL)
		return NULL;
	if (!hd_plan_accept(plan, "attach", "hot-plug request", error) || !hd_engine_attach(ctx, plan, error))
		return NULL;
	return g_steal_pointer(&plan);
}

/* the devices whose chain ran, and so may have journal entries */
static gboolean
hdctl_plan_device_ran(const HdPlanDevice *dev)
{
	return dev->action == HD_ACTION_BIND || dev->action == HD_ACTION_PROVISION;
}

/* newest first, as the engine undoes; every device is tried */
gboolean
hdctl_hotplug_unbind(HdContext *ctx, const HdPlan *plan, GError **error)
{
	g_autoptr(HdStateLock) lock = hd_state_lock_acquire(ctx->state_dir, error);
	g_autoptr(GError) first = NULL;

	if (lock == NULL)
		return FALSE;
	for (guint i = plan->devices->len; i > 0; i--) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i - 1);
		g_autoptr(GError) local = NULL;

		if (!hdctl_plan_device_ran(dev))
			continue;
		if (!hd_engine_release_device(ctx, &plan->owner, dev->info->bdf, &local) && first == NULL)
			first = g_steal_pointer(&local);
	}
	if (first != NULL) {
		g_propagate_error(error, g_steal_pointer(&first));
		return FALSE;
	}
	return TRUE;
}

/* every device @domain's plan holds or would hold: its requests and their
 * companions (an IOMMU group's other members, a VF's PF) */
static GHashTable *
hdctl_hotplug_plan_addresses(HdContext *ctx, const char *name, HdDomain *domain, GPtrArray *order, GError **error)
{
	g_autoptr(HdPlan) plan = hd_plan_new_for_domain(ctx, name, domain, error);
	g_autoptr(GHashTable) addresses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	if (plan == NULL)
		return NULL;
	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);

		if (g_hash_table_add(addresses, g_strdup(dev->info->bdf)) && order != NULL)
			g_ptr_array_add(order, g_strdup(dev->info->bdf));
	}
	return g_steal_pointer(&addresses);
}

gboolean
hdctl_hotplug_release(HdContext *ctx, const char *name, HdDomain *device, HdDomain *remaining, GError **error)
{
	g_autoptr(HdDomain) owned_device = device;
	g_autoptr(HdDomain) owned_remaining = remaining;
	g_autoptr(HdStateLock) lock = hd_state_lock_acquire(ctx->state_dir, error);
	g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) brought = NULL;
	g_autoptr(GHashTable) needed = NULL;
	g_autoptr(GError) first = NULL;
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)name};

	if (lock == NULL)
		return FALSE;
	/* planned again, now, for its companions: the journal does not say
	 * which device brought which */
	brought = hdctl_hotplug_plan_addresses(ctx, name, g_steal_pointer(&owned_device), order, error);
	if (brought == NULL)
		return FALSE;
	/* a companion another device of the guest still needs stays */
	if (owned_remaining != NULL) {
		needed = hdctl_hotplug_plan_addresses(ctx, name, g_steal_pointer(&owned_remaining), NULL, error);
		if (needed == NULL)
			return FALSE;
	}
	for (guint i = order->len; i > 0; i--) {
		const char *bdf = g_ptr_array_index(order, i - 1);
		g_autoptr(GError) local = NULL;

		if (needed != NULL && g_hash_table_contains(needed, bdf)) {
			hd_log_action(G_LOG_LEVEL_INFO, name, bdf, "detach", "kept: the guest still needs it");
			continue;
		}
		if (!hd_engine_release_device(ctx, &owner, bdf, &local) && first == NULL)
			first = g_steal_pointer(&local);
	}
	if (first != NULL) {
		g_propagate_error(error, g_steal_pointer(&first));
		return FALSE;
	}
	return TRUE;
}

/* FILE, or stdin for "-" */
gchar *
hdctl_hotplug_read_device(const char *path, gsize *len, GError **error)
{
	g_autoptr(GIOChannel) in = NULL;
	g_autofree gchar *contents = NULL;

	if (g_strcmp0(path, "-") != 0)
		return g_file_get_contents(path, &contents, len, error) ? g_steal_pointer(&contents) : NULL;
	in = g_io_channel_unix_new(0);
	if (g_io_channel_set_encoding(in, NULL, error) != G_IO_STATUS_NORMAL ||
	    g_io_channel_read_to_end(in, &contents, len, error) != G_IO_STATUS_NORMAL)
		return NULL;
	return g_steal_pointer(&contents);
}

gchar *
hdctl_hotplug_attach_refused_message(const char *domain,
				     const char *bdf,
				     const char *libvirt_message,
				     const GError *undo_error)
{
	if (undo_error == NULL)
		return g_strdup_printf("%s: libvirt refused to attach it: %s; the host is as it was", bdf,
				       libvirt_message);
	return g_strdup_printf("%s: libvirt refused to attach it: %s; putting it back failed too: %s; it stays "
			       "journalled for %s: 'hostdevctl detach' retries, and its stop restores it",
			       bdf, libvirt_message, undo_error->message, domain);
}

gchar *
hdctl_hotplug_detach_refused_message(const char *bdf, const char *libvirt_message, gboolean in_guest)
{
	if (!in_guest)
		return g_strdup_printf("%s: libvirt refused to detach it: %s", bdf, libvirt_message);
	return g_strdup_printf("%s: libvirt refused to detach it: %s; it stays in the guest, and bound", bdf,
			       libvirt_message);
}

gchar *
hdctl_hotplug_timeout_message(const char *domain, const char *bdf, guint seconds)
{
	return g_strdup_printf("%s: still in the guest after %u s: the guest has not let go of it; it stays bound "
			       "and journalled: run 'hostdevctl detach' again once it has left, or it is restored "
			       "when %s stops",
			       bdf, seconds, domain);
}
