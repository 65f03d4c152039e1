/*
 * hd-plan.c: what prepare would do, computed before anything changes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-plan.h"

#include <string.h>

#include "hd-bind.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hd-plugin-private.h"
#include "hd-usage.h"

static void
hd_plan_device_free(HdPlanDevice *dev)
{
	hd_device_info_free(dev->info);
	if (dev->steps != NULL)
		g_ptr_array_unref(dev->steps);
	g_free(dev->target_driver);
	g_free(dev->reason);
	g_free(dev);
}

void
hd_plan_free(HdPlan *plan)
{
	if (plan == NULL)
		return;
	g_ptr_array_unref(plan->devices);
	if (plan->owners != NULL)
		g_hash_table_unref(plan->owners);
	hd_domain_free(plan->domain);
	g_free(plan);
}

static void
hd_plan_device_refuse(HdPlanDevice *dev, const char *reason)
{
	dev->action = HD_ACTION_ERROR;
	dev->reason = g_strdup(reason);
}

/*
 * A device snippet or network document names no hypervisor; go by the
 * backend libvirt would use, as libxl forces 'xen' and QEMU defaults to VFIO.
 */
static HdHypervisor
hd_plan_guess_hypervisor(const HdDomain *domain)
{
	if (domain->type != NULL)
		return domain->hypervisor;
	for (guint i = 0; i < domain->requests->len; i++) {
		const HdDeviceRequest *req = g_ptr_array_index(domain->requests, i);
		if (req->backend == HD_BACKEND_XEN)
			return HD_HYPERVISOR_XEN;
	}
	return HD_HYPERVISOR_KVM;
}

static const char *
hd_plan_default_stub(HdContext *ctx, HdHypervisor hypervisor)
{
	return hypervisor == HD_HYPERVISOR_XEN ? ctx->policy->xen_stub : ctx->policy->kvm_stub;
}

/* a device another domain's journal holds is lent out already */
static void
hd_plan_device_check_owner(const HdPlan *plan, HdPlanDevice *dev)
{
	const char *owner = g_hash_table_lookup(plan->owners, dev->info->bdf);

	if (owner != NULL && g_strcmp0(owner, plan->domain->name) != 0) {
		g_autofree gchar *why = g_strdup_printf("in use by domain '%s', which hostdev-hook prepared it for",
							 owner);
		hd_plan_device_refuse(dev, why);
	}
}

/* the host visibly uses it: refuse, unless the domain insists */
static gboolean
hd_plan_device_check_usage(HdContext *ctx, HdPlanDevice *dev, GError **error)
{
	g_autofree gchar *reason = NULL;
	g_autofree gchar *why = NULL;

	if (!hd_usage_check(ctx, dev->info, &reason, error))
		return FALSE;
	if (reason == NULL)
		return TRUE;
	why = g_strdup_printf("in use by the host: %s; set force='yes' in the domain's hostdev-hook "
			      "metadata to take it anyway", reason);
	hd_plan_device_refuse(dev, why);
	return TRUE;
}

/* decide one device; only a failure to read the host is an error here */
static HdPlanDevice *
hd_plan_device_new(HdContext *ctx, const HdPlan *plan, const HdDeviceRequest *req, GError **error)
{
	g_autoptr(GError) refusal = NULL;
	HdPlanDevice *dev = g_new0(HdPlanDevice, 1);

	dev->request = req;
	dev->info = hd_device_info_read(ctx, &req->address, error);
	if (dev->info == NULL) {
		hd_plan_device_free(dev);
		return NULL;
	}
	dev->plugin = hd_plugin_for_hypervisor(plan->hypervisor);
	dev->target_driver = g_strdup(req->target_driver != NULL
					  ? req->target_driver
					  : hd_plan_default_stub(ctx, plan->hypervisor));
	dev->already_bound = g_strcmp0(dev->info->driver, dev->target_driver) == 0;
	dev->action = HD_ACTION_BIND;

	if (req->managed) {
		dev->action = HD_ACTION_SKIP;
		dev->reason = g_strdup("managed by libvirt");
	} else if (hd_policy_is_protected(ctx->policy, &req->address)) {
		hd_plan_device_refuse(dev, "protected by the host's hostdev-hook policy");
	} else if (dev->plugin == NULL) {
		g_autofree gchar *why = g_strdup_printf(
		    "domain type '%s' is not supported: hostdev-hook serves kvm, qemu and xen",
		    plan->domain->type);
		hd_plan_device_refuse(dev, why);
	} else if (!hd_plugin_runner_check(dev->plugin, ctx, dev, &refusal)) {
		hd_plan_device_refuse(dev, refusal->message);
	} else if (!dev->info->exists) {
		hd_plan_device_refuse(dev, "no such PCI device on this host");
	} else if (dev->info->identity.is_bridge) {
		hd_plan_device_refuse(dev, "a PCI bridge cannot be assigned; only endpoints can");
	} else {
		hd_plan_device_check_owner(plan, dev);
	}
	if (dev->action == HD_ACTION_BIND && !dev->already_bound && !req->force &&
	    !hd_plan_device_check_usage(ctx, dev, error)) {
		hd_plan_device_free(dev);
		return NULL;
	}
	dev->steps = dev->action == HD_ACTION_BIND
			 ? hd_bind_describe(ctx, dev->info->bdf, dev->info->driver, dev->target_driver)
			 : g_ptr_array_new_with_free_func(g_free);
	return dev;
}

/* address -> domain, from every journal in the state directory */
static GHashTable *
hd_plan_load_owners(HdContext *ctx, GError **error)
{
	g_autoptr(GHashTable) owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GPtrArray) journals = NULL;

	if (ctx->state_dir == NULL)
		return g_steal_pointer(&owners);
	journals = hd_journal_load_all(ctx->state_dir, error);
	if (journals == NULL)
		return NULL;
	for (guint i = 0; i < journals->len; i++) {
		HdJournal *journal = g_ptr_array_index(journals, i);
		for (guint j = 0; j < journal->entries->len; j++) {
			HdJournalEntry *entry = g_ptr_array_index(journal->entries, j);
			g_hash_table_insert(owners, g_strdup(entry->address), g_strdup(journal->domain));
		}
	}
	return g_steal_pointer(&owners);
}

static gboolean
hd_plan_add_device(HdContext *ctx, HdPlan *plan, const HdDeviceRequest *req, GError **error)
{
	HdPlanDevice *dev = hd_plan_device_new(ctx, plan, req, error);

	if (dev == NULL) {
		char bdf[HD_ADDRESS_STRLEN];
		hd_address_format(&req->address, bdf);
		g_prefix_error(error, "%s: ", bdf);
		return FALSE;
	}
	g_ptr_array_add(plan->devices, dev);
	return TRUE;
}

/*
 * VFIO gives a guest a whole IOMMU group, and the kernel refuses the group
 * while any other endpoint in it has a host driver ("group is not viable").
 * Bridges do not count, nor devices that are unbound, on vfio-pci, or asked
 * for by this domain.  With take-group='yes' the others are taken too, and
 * restored too; otherwise they are named, with their drivers.
 */
static gboolean
hd_plan_check_group(HdContext *ctx, HdPlan *plan, HdPlanDevice *dev, GError **error)
{
	g_autofree gchar *dir = NULL;
	g_autoptr(GPtrArray) members = NULL;
	g_autoptr(GString) blockers = g_string_new(NULL);

	if (dev->action != HD_ACTION_BIND || dev->info->iommu_group == NULL)
		return TRUE;
	dir = g_build_filename("kernel", "iommu_groups", dev->info->iommu_group, "devices", NULL);
	members = hd_sysfs_list(ctx->sysfs, dir, error);
	if (members == NULL)
		return FALSE;
	for (guint i = 0; i < members->len; i++) {
		const char *bdf = g_ptr_array_index(members, i);
		g_autoptr(HdDeviceInfo) other = NULL;
		const char *owner;
		HdAddress addr;

		if (!hd_address_parse_bdf(bdf, &addr, error))
			return FALSE;
		if (hd_domain_find_request(plan->domain, &addr) != NULL)
			continue;
		/* a group cannot serve two guests, even with every member on vfio-pci */
		owner = g_hash_table_lookup(plan->owners, bdf);
		if (owner != NULL && g_strcmp0(owner, plan->domain->name) != 0) {
			g_autofree gchar *why = g_strdup_printf(
			    "IOMMU group %s is not viable: %s in the same group is lent to domain '%s', and "
			    "a group cannot serve two guests", dev->info->iommu_group, bdf, owner);
			hd_plan_device_refuse(dev, why);
			return TRUE;
		}
		other = hd_device_info_read(ctx, &addr, error);
		if (other == NULL)
			return FALSE;
		if (other->identity.is_bridge || other->driver == NULL ||
		    g_strcmp0(other->driver, dev->target_driver) == 0)
			continue;
		if (dev->request->take_group) {
			HdDeviceRequest *companion = hd_domain_add_group_companion(plan->domain, &addr, dev->request);
			if (!hd_plan_add_device(ctx, plan, companion, error))
				return FALSE;
			continue;
		}
		g_string_append_printf(blockers, "%s%s (%s)", blockers->len > 0 ? ", " : "", bdf, other->driver);
	}
	if (blockers->len > 0) {
		gboolean several = strchr(blockers->str, ',') != NULL;
		g_autofree gchar *why = g_strdup_printf(
		    "IOMMU group %s is not viable: %s still %s the host; ask for %s too, or set "
		    "take-group='yes' in the domain's hostdev-hook metadata",
		    dev->info->iommu_group, blockers->str, several ? "serve" : "serves", several ? "them" : "it");
		hd_plan_device_refuse(dev, why);
	}
	return TRUE;
}

HdPlan *
hd_plan_new(HdContext *ctx, HdDomain *domain, GError **error)
{
	g_autoptr(HdPlan) plan = g_new0(HdPlan, 1);

	plan->domain = domain;
	plan->hypervisor = hd_plan_guess_hypervisor(domain);
	plan->devices = g_ptr_array_new_with_free_func((GDestroyNotify)hd_plan_device_free);
	plan->owners = hd_plan_load_owners(ctx, error);
	if (plan->owners == NULL)
		return NULL;
	for (guint i = 0; i < domain->requests->len; i++) {
		if (!hd_plan_add_device(ctx, plan, g_ptr_array_index(domain->requests, i), error))
			return NULL;
	}
	/* only VFIO's groups must be whole; companions join the end of the list */
	for (guint i = 0; plan->hypervisor == HD_HYPERVISOR_KVM && i < plan->devices->len; i++) {
		if (!hd_plan_check_group(ctx, plan, g_ptr_array_index(plan->devices, i), error))
			return NULL;
	}
	return g_steal_pointer(&plan);
}

const HdPlanDevice *
hd_plan_first_error(const HdPlan *plan)
{
	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		if (dev->action == HD_ACTION_ERROR)
			return dev;
	}
	return NULL;
}

/* "vfio-pci", "skip: managed by libvirt" or "error: no such PCI device" */
gchar *
hd_plan_device_action_string(const HdPlanDevice *dev)
{
	switch (dev->action) {
	case HD_ACTION_BIND:
		return g_strdup(dev->target_driver);
	case HD_ACTION_SKIP:
		return g_strdup_printf("skip: %s", dev->reason);
	case HD_ACTION_ERROR:
	default:
		return g_strdup_printf("error: %s", dev->reason);
	}
}
