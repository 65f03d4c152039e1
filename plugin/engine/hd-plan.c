/*
 * hd-plan.c: what prepare would do, computed before anything changes
 *
 * For each request: read the device, let every plugin say whether it takes
 * part (its chain), refuse what the host's policy or a plugin refuses, then
 * let the chain expand the plan (group companions, a VF's PF) and describe
 * the steps it will take.  Only failures to read the host are errors here;
 * a refusal is a device's state, so a plan can show every reason at once.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-plan.h"

#include <string.h>

#include "hd-error.h"
#include "hd-plugin-private.h"
#include "hd-usage.h"

static void
hd_plan_device_free(HdPlanDevice *dev)
{
	hd_device_info_free(dev->info);
	g_ptr_array_unref(dev->chain);
	g_ptr_array_unref(dev->steps);
	g_free(dev->target_driver);
	g_free(dev->target_module);
	g_free(dev->parent);
	g_free(dev->reason);
	g_free(dev);
}

static void
hd_plan_owner_free(HdOwner *owner)
{
	hd_owner_clear(owner);
	g_free(owner);
}

void
hd_plan_free(HdPlan *plan)
{
	if (plan == NULL)
		return;
	g_ptr_array_unref(plan->devices);
	g_hash_table_unref(plan->by_address);
	g_ptr_array_unref(plan->own_requests);
	if (plan->owners != NULL)
		g_hash_table_unref(plan->owners);
	if (plan->memo != NULL)
		g_hash_table_unref(plan->memo);
	hd_domain_free(plan->domain);
	hd_owner_clear(&plan->owner);
	g_free(plan->uuid);
	g_free(plan);
}

/* ---- what plugins see of a planned device ---------------------------------- */

const char *
hd_device_get_bdf(const HdDevice *dev)
{
	return dev->info->bdf;
}

gboolean
hd_device_exists(const HdDevice *dev)
{
	return dev->info->exists;
}

const char *
hd_device_get_driver(const HdDevice *dev)
{
	return dev->info->driver;
}

const char *
hd_device_get_iommu_group(const HdDevice *dev)
{
	return dev->info->iommu_group;
}

const HdDeviceRequest *
hd_device_get_request(const HdDevice *dev)
{
	return dev->request;
}

const HdOwner *
hd_device_get_owner(const HdDevice *dev)
{
	return &dev->plan->owner;
}

const HdDomain *
hd_device_get_domain(const HdDevice *dev)
{
	return dev->plan->domain;
}

gboolean
hd_device_is_already_bound(const HdDevice *dev)
{
	return dev->already_bound;
}

HdHypervisor
hd_device_get_hypervisor(const HdDevice *dev)
{
	return dev->plan->hypervisor;
}

const char *
hd_device_get_target_driver(const HdDevice *dev)
{
	return dev->target_driver;
}

const char *
hd_device_get_target_module(const HdDevice *dev)
{
	return dev->target_module;
}

void
hd_device_set_target_driver(HdDevice *dev, const char *driver, const char *module)
{
	g_free(dev->target_driver);
	g_free(dev->target_module);
	dev->target_driver = g_strdup(driver);
	dev->target_module = g_strdup(module);
}

gboolean
hd_device_plan_includes(const HdDevice *dev, const char *bdf)
{
	HdAddress addr;

	return hd_address_parse_bdf(bdf, &addr, NULL) &&
	       g_hash_table_contains(dev->plan->by_address, GUINT_TO_POINTER(hd_address_key(&addr)));
}

/*
 * The host's owners (boot-time binding, hostdevctl assign) hold a device
 * on its stub for domains to use, as `xl pci-assignable-add` does: to a
 * domain such a device is free, and the domain's own journal finds it on
 * the stub and leaves it there on release.  To another host owner it is
 * held.
 */
static gboolean
hd_plan_owner_lends_to(const HdOwner *holder, const HdOwner *asker)
{
	return holder->kind == HD_OWNER_HOST && asker->kind == HD_OWNER_DOMAIN;
}

const HdOwner *
hd_device_other_owner(const HdDevice *dev, const char *bdf)
{
	const HdOwner *owner = g_hash_table_lookup(dev->plan->owners, bdf);

	if (owner == NULL || hd_owner_equal(owner, &dev->plan->owner) ||
	    hd_plan_owner_lends_to(owner, &dev->plan->owner))
		return NULL;
	return owner;
}

void
hd_device_set_parent(HdDevice *dev, const char *pf_bdf)
{
	g_free(dev->parent);
	dev->parent = g_strdup(pf_bdf);
}

const char *
hd_device_get_parent(const HdDevice *dev)
{
	return dev->parent;
}

/* a managed='yes' device is bound by libvirt, after our prepare: of its
 * chain only the provisioners (which make it exist) and the configurators
 * (which set it up through another device, as a VF through its PF) run */
gboolean
hd_plan_device_runs_phase(const HdPlanDevice *dev, HdPhase phase)
{
	if (dev->action == HD_ACTION_PROVISION)
		return phase == HD_PHASE_PROVISION || (phase == HD_PHASE_CONFIGURE && dev->request->managed);
	return dev->action == HD_ACTION_BIND;
}

typedef struct {
	gpointer data;
	GDestroyNotify destroy;
} HdPlanMemo;

static void
hd_plan_memo_free(HdPlanMemo *memo)
{
	if (memo->destroy != NULL)
		memo->destroy(memo->data);
	g_free(memo);
}

gpointer
hd_device_get_planning_memo(const HdDevice *dev, const char *key)
{
	HdPlanMemo *memo = dev->plan->memo != NULL ? g_hash_table_lookup(dev->plan->memo, key) : NULL;

	return memo != NULL ? memo->data : NULL;
}

void
hd_device_set_planning_memo(const HdDevice *dev, const char *key, gpointer data, GDestroyNotify destroy)
{
	HdPlan *plan = dev->plan;
	HdPlanMemo *memo;

	/* a slot running on the engine's threads: the host is changing */
	if (!plan->planning) {
		if (destroy != NULL)
			destroy(data);
		return;
	}
	memo = g_new0(HdPlanMemo, 1);
	memo->data = data;
	memo->destroy = destroy;
	if (plan->memo == NULL)
		plan->memo = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)hd_plan_memo_free);
	g_hash_table_replace(plan->memo, g_strdup(key), memo);
}

void
hd_device_refuse(HdDevice *dev, const char *format, ...)
{
	va_list args;

	if (dev->action == HD_ACTION_ERROR)
		return;
	/* a managed='yes' device's plan said "skip"; now it says why not */
	dev->action = HD_ACTION_ERROR;
	g_free(dev->reason);
	va_start(args, format);
	dev->reason = g_strdup_vprintf(format, args);
	va_end(args);
}

/* ---- deciding one device ----------------------------------------------------- */

static void
hd_plan_device_check_owner(HdPlanDevice *dev)
{
	const HdOwner *owner = hd_device_other_owner(dev, dev->info->bdf);
	g_autofree gchar *who = NULL;

	if (owner == NULL)
		return;
	who = hd_owner_describe(owner);
	if (owner->kind == HD_OWNER_DOMAIN)
		hd_device_refuse(dev, "in use by %s, which hostdev-hook prepared it for", who);
	else
		hd_device_refuse(dev, "held by %s through hostdev-hook", who);
}

/* the host's interfaces and block devices, read once for all devices */
#define HD_PLAN_MEMO_USAGE "hd-usage"

static HdUsageIndex *
hd_plan_usage_index(HdPlanDevice *dev)
{
	HdUsageIndex *index = hd_device_get_planning_memo(dev, HD_PLAN_MEMO_USAGE);

	if (index != NULL)
		return index;
	hd_device_set_planning_memo(dev, HD_PLAN_MEMO_USAGE, hd_usage_index_new(),
				    (GDestroyNotify)hd_usage_index_free);
	return hd_device_get_planning_memo(dev, HD_PLAN_MEMO_USAGE);
}

/* the host visibly uses it: refuse, unless the request insists */
static gboolean
hd_plan_device_check_usage(HdContext *ctx, HdPlanDevice *dev, GError **error)
{
	HdUsageIndex *index = hd_plan_usage_index(dev);
	g_autofree gchar *reason = NULL;

	if (!(index != NULL ? hd_usage_check_indexed(ctx, index, dev->info, &reason, error)
			    : hd_usage_check(ctx, dev->info, &reason, error)))
		return FALSE;
	if (reason == NULL)
		return TRUE;
	/* the host's own owners (boot, hostdevctl assign) have no force='yes' */
	if (dev->plan->owner.kind == HD_OWNER_HOST)
		hd_device_refuse(dev, "in use by the host: %s; stop using it first", reason);
	else
		hd_device_refuse(dev, "in use by the host: %s; set force='yes' in the domain's hostdev-hook "
				      "metadata to take it anyway", reason);
	return TRUE;
}

/* every plugin that wants a part; exactly one of them must bind, except
 * for an <hd:vfs> request, which only provisioners serve */
static void
hd_plan_device_select_chain(HdContext *ctx, HdPlanDevice *dev)
{
	for (guint i = 0; hd_builtin_plugins[i] != NULL; i++) {
		const HdPlugin *plugin = hd_builtin_plugins[i];

		if (dev->request->provision_vfs > 0 && plugin->provision == NULL)
			continue;
		if (!hd_plugin_runner_select(plugin, ctx, dev))
			continue;
		g_ptr_array_add(dev->chain, (gpointer)plugin);
		if (plugin->bind == NULL)
			continue;
		if (dev->binder != NULL)
			hd_device_refuse(dev, "both the %s and the %s plugin would bind it; this is a bug",
					 dev->binder->name, plugin->name);
		dev->binder = plugin;
	}
}

/* every member's check, in chain order; the first refusal stands */
static void
hd_plan_device_run_checks(HdContext *ctx, HdPlanDevice *dev)
{
	for (guint i = 0; i < dev->chain->len && dev->action != HD_ACTION_ERROR; i++) {
		g_autoptr(GError) refusal = NULL;

		if (!hd_plugin_runner_check(g_ptr_array_index(dev->chain, i), ctx, dev, &refusal))
			hd_device_refuse(dev, "%s", refusal->message);
	}
}

static gboolean
hd_plan_device_has_provisioner(const HdPlanDevice *dev)
{
	for (guint i = 0; i < dev->chain->len; i++) {
		if (((const HdPlugin *)g_ptr_array_index(dev->chain, i))->provision != NULL)
			return TRUE;
	}
	return FALSE;
}

/* <hd:vfs>: the PF stays where it is; its provisioners decide */
static void
hd_plan_device_decide_provision(HdContext *ctx, HdPlanDevice *dev)
{
	dev->action = HD_ACTION_PROVISION;
	if (!dev->info->exists)
		hd_device_refuse(dev, "no such PCI device on this host");
	else if (!hd_plan_device_has_provisioner(dev))
		hd_device_refuse(dev, "no plugin can create virtual functions on this device");
	else
		hd_plan_device_run_checks(ctx, dev);
}

/* [deny] and [allow] of the host's policy, by address, ids and class */
static gboolean
hd_plan_device_check_lists(HdContext *ctx, HdPlanDevice *dev, GError **error)
{
	g_autofree gchar *class_path = NULL;
	g_autofree gchar *class_text = NULL;
	g_autofree gchar *reason = NULL;
	guint64 class_code = 0;
	HdPciIds ids;

	if (!dev->info->exists || (hd_context_get_policy(ctx)->allow->len == 0 && hd_context_get_policy(ctx)->deny->len == 0))
		return TRUE;
	class_path = hd_function_attr_path(dev->info->bdf, "class");
	class_text = hd_sysfs_read(ctx->sysfs, class_path, error);
	if (class_text == NULL || !hd_function_read_ids(ctx, dev->info->bdf, &ids, error))
		return FALSE;
	if (!g_ascii_string_to_unsigned(g_strstrip(class_text) + (g_str_has_prefix(class_text, "0x") ? 2 : 0), 16, 0,
					0xffffff, &class_code, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: '%s' is not a PCI class", class_path,
			    class_text);
		return FALSE;
	}
	if (!hd_policy_check_device(hd_context_get_policy(ctx), &dev->request->address, &ids, (guint32)class_code, &reason))
		hd_device_refuse(dev, "%s", reason);
	return TRUE;
}

/*
 * managed='yes': libvirt detaches the device itself, right after our
 * prepare, and does not create it; when a provisioner takes part (a VF
 * that does not exist yet, or one whose PF must not change under it),
 * the device is provisioned and configured, and libvirt binds it.
 */
static void
hd_plan_device_decide_managed(HdContext *ctx, HdPlanDevice *dev)
{
	if (!hd_plan_device_has_provisioner(dev)) {
		dev->action = HD_ACTION_SKIP;
		dev->reason = g_strdup("managed by libvirt");
		return;
	}
	dev->action = HD_ACTION_PROVISION;
	hd_plan_device_run_checks(ctx, dev);
	if (dev->action == HD_ACTION_PROVISION && !dev->info->exists && dev->parent == NULL)
		hd_device_refuse(dev, "no such PCI device on this host");
}

static void
hd_plan_device_decide(HdContext *ctx, HdPlanDevice *dev)
{
	const HdDeviceRequest *req = dev->request;

	if (req->provision_vfs > 0) {
		hd_plan_device_decide_provision(ctx, dev);
		return;
	}
	if (hd_policy_is_protected(hd_context_get_policy(ctx), &req->address)) {
		hd_device_refuse(dev, "protected by the host's hostdev-hook policy");
	} else if (req->managed) {
		hd_plan_device_decide_managed(ctx, dev);
	} else if (dev->binder == NULL && dev->plan->hypervisor == HD_HYPERVISOR_UNKNOWN) {
		hd_device_refuse(dev, "domain type '%s' is not supported: hostdev-hook serves kvm, qemu and xen",
				 dev->plan->domain != NULL ? dev->plan->domain->type : "unknown");
	} else if (dev->binder == NULL) {
		hd_device_refuse(dev, "no plugin binds devices for %s", hd_hypervisor_to_string(dev->plan->hypervisor));
	} else {
		hd_plan_device_run_checks(ctx, dev);
	}
	if (dev->action != HD_ACTION_BIND)
		return;
	/* a VF a provisioner will create is checked against its PF instead */
	if (!dev->info->exists && (dev->parent == NULL || !hd_plan_device_has_provisioner(dev)))
		hd_device_refuse(dev, "no such PCI device on this host");
	else if (!dev->info->exists)
		return;
	else if (dev->info->identity.is_bridge)
		hd_device_refuse(dev, "a PCI bridge cannot be assigned; only endpoints can");
	else
		hd_plan_device_check_owner(dev);
}

/*
 * Will the device leave its host driver?  Ours does when we bind it; a
 * managed='yes' one does too, right after our prepare, when libvirt
 * detaches it, and nothing in libvirt asks whether the host still uses
 * it: so the same checks guard both.
 */
static gboolean
hd_plan_device_takes_from_host(const HdPlanDevice *dev)
{
	if (!dev->info->exists)
		return FALSE;
	if (dev->action == HD_ACTION_BIND)
		return !dev->already_bound;
	return (dev->action == HD_ACTION_SKIP || dev->action == HD_ACTION_PROVISION) && dev->request->managed;
}

static HdPlanDevice *
hd_plan_device_new(HdContext *ctx, HdPlan *plan, const HdDeviceRequest *req, GError **error)
{
	g_autoptr(GError) local = NULL;
	HdPlanDevice *dev = g_new0(HdPlanDevice, 1);

	dev->plan = plan;
	dev->request = req;
	dev->chain = g_ptr_array_new();
	dev->steps = g_ptr_array_new_with_free_func(g_free);
	dev->action = HD_ACTION_BIND;
	/* the domain's own choice; a binder fills in its default in check */
	if (req->target_driver != NULL)
		hd_device_set_target_driver(dev, req->target_driver, NULL);
	dev->info = hd_device_info_read(ctx, &req->address, error);
	if (dev->info == NULL) {
		hd_plan_device_free(dev);
		return NULL;
	}
	hd_plan_device_select_chain(ctx, dev);
	hd_plan_device_decide(ctx, dev);
	/* managed='yes' devices too: libvirt takes them right after us */
	if ((dev->action == HD_ACTION_BIND || dev->action == HD_ACTION_SKIP ||
	     (dev->action == HD_ACTION_PROVISION && req->managed)) &&
	    !hd_plan_device_check_lists(ctx, dev, error)) {
		hd_plan_device_free(dev);
		return NULL;
	}
	dev->already_bound = dev->action == HD_ACTION_BIND && dev->target_driver != NULL &&
			     g_strcmp0(dev->info->driver, dev->target_driver) == 0;
	if (hd_plan_device_takes_from_host(dev) && !req->force && !hd_plan_device_check_usage(ctx, dev, error)) {
		hd_plan_device_free(dev);
		return NULL;
	}
	return dev;
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
	g_hash_table_insert(plan->by_address, GUINT_TO_POINTER(hd_address_key(&req->address)), dev);
	return TRUE;
}

gboolean
hd_device_add_companion(HdContext *ctx, HdDevice *dev, const char *bdf, GError **error)
{
	HdDeviceRequest *req;
	HdAddress addr;

	if (!hd_address_parse_bdf(bdf, &addr, error))
		return FALSE;
	if (g_hash_table_contains(dev->plan->by_address, GUINT_TO_POINTER(hd_address_key(&addr))))
		return TRUE;
	req = hd_device_request_new_companion(&addr, dev->request);
	g_ptr_array_add(dev->plan->own_requests, req);
	return hd_plan_add_device(ctx, dev->plan, req, error);
}

/* ---- the whole plan ------------------------------------------------------------ */

/* a prepare in flight owns what it claimed before it binds it */
static void
hd_plan_add_claims(GHashTable *owners, const HdJournal *journal)
{
	for (guint i = 0; i < journal->claims->len; i++) {
		HdOwner *owner = g_new0(HdOwner, 1);

		hd_owner_copy(owner, &journal->owner);
		g_hash_table_replace(owners, g_strdup(g_ptr_array_index(journal->claims, i)), owner);
	}
}

/* bdf -> owner, of every device some journal binds; provisioning entries
 * (a PF's VF count, say) are shared by their users and own nothing.  A
 * domain's hold on a device wins over the host's, which lends it out. */
static GHashTable *
hd_plan_load_owners(HdContext *ctx, GError **error)
{
	g_autoptr(GHashTable) owners =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)hd_plan_owner_free);
	g_autoptr(GPtrArray) journals = NULL;

	if (ctx->state_dir == NULL)
		return g_steal_pointer(&owners);
	journals = hd_journal_load_all(ctx->state_dir, error);
	if (journals == NULL)
		return NULL;
	for (guint i = 0; i < journals->len; i++) {
		HdJournal *journal = g_ptr_array_index(journals, i);

		for (guint j = 0; j < journal->entries->len; j++) {
			HdEntry *entry = g_ptr_array_index(journal->entries, j);
			HdOwner *owner = g_new0(HdOwner, 1);

			if (entry->phase != HD_PHASE_BIND) {
				g_free(owner);
				continue;
			}
			/* a domain using a device the host lends holds it over the host */
			if (journal->owner.kind == HD_OWNER_HOST && g_hash_table_contains(owners, entry->address)) {
				g_free(owner);
				continue;
			}
			hd_owner_copy(owner, &journal->owner);
			g_hash_table_insert(owners, g_strdup(entry->address), owner);
		}
		hd_plan_add_claims(owners, journal);
	}
	return g_steal_pointer(&owners);
}

/* companions join the end of the list, and are expanded in their turn */
static gboolean
hd_plan_expand(HdContext *ctx, HdPlan *plan, GError **error)
{
	for (guint i = 0; i < plan->devices->len; i++) {
		HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);

		for (guint j = 0; j < dev->chain->len && (dev->action == HD_ACTION_BIND || dev->action == HD_ACTION_PROVISION);
		     j++) {
			if (!hd_plugin_runner_expand(g_ptr_array_index(dev->chain, j), ctx, dev, error)) {
				g_prefix_error(error, "%s: ", dev->info->bdf);
				return FALSE;
			}
		}
	}
	return TRUE;
}

static void
hd_plan_describe(HdContext *ctx, HdPlan *plan)
{
	for (guint i = 0; i < plan->devices->len; i++) {
		HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);

		if (dev->action != HD_ACTION_BIND && dev->action != HD_ACTION_PROVISION)
			continue;
		for (guint j = 0; j < dev->chain->len; j++)
			hd_plugin_runner_describe(g_ptr_array_index(dev->chain, j), ctx, dev, dev->steps);
	}
}

static HdPlan *
hd_plan_alloc(const HdOwner *owner, HdHypervisor hypervisor)
{
	HdPlan *plan = g_new0(HdPlan, 1);

	hd_owner_copy(&plan->owner, owner);
	plan->hypervisor = hypervisor;
	plan->devices = g_ptr_array_new_with_free_func((GDestroyNotify)hd_plan_device_free);
	plan->by_address = g_hash_table_new(g_direct_hash, g_direct_equal);
	plan->own_requests = g_ptr_array_new_with_free_func((GDestroyNotify)hd_device_request_free);
	return plan;
}

/* what planning read of the host goes once the plan is made */
static gboolean
hd_plan_end_planning(HdPlan *plan, gboolean ok)
{
	plan->planning = FALSE;
	g_clear_pointer(&plan->memo, g_hash_table_unref);
	return ok;
}

static gboolean
hd_plan_build_requests(HdContext *ctx, HdPlan *plan, const GPtrArray *requests, GError **error)
{
	plan->owners = hd_plan_load_owners(ctx, error);
	if (plan->owners == NULL)
		return FALSE;
	for (guint i = 0; i < requests->len; i++) {
		if (!hd_plan_add_device(ctx, plan, g_ptr_array_index(requests, i), error))
			return FALSE;
	}
	if (!hd_plan_expand(ctx, plan, error))
		return FALSE;
	hd_plan_describe(ctx, plan);
	return TRUE;
}

static gboolean
hd_plan_build(HdContext *ctx, HdPlan *plan, const GPtrArray *requests, GError **error)
{
	plan->planning = TRUE;
	return hd_plan_end_planning(plan, hd_plan_build_requests(ctx, plan, requests, error));
}

HdPlan *
hd_plan_new(HdContext *ctx, const HdOwner *owner, HdHypervisor hypervisor, const GPtrArray *requests, GError **error)
{
	g_autoptr(HdPlan) plan = hd_plan_alloc(owner, hypervisor);

	if (!hd_plan_build(ctx, plan, requests, error))
		return NULL;
	return g_steal_pointer(&plan);
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

/* <hd:vfs pf='enp5s0'>: the PCI function class/net/NAME/device leads to */
static gboolean
hd_plan_resolve_netdev(HdContext *ctx, const HdVfRequest *vfs, HdAddress *out, GError **error)
{
	g_autofree gchar *link = g_build_filename("class", "net", vfs->pf_name, "device", NULL);
	g_autofree gchar *subsystem = g_build_filename(link, "subsystem", NULL);
	g_autofree gchar *bus = hd_sysfs_read_link_name(ctx->sysfs, subsystem, NULL);
	g_autofree gchar *bdf = NULL;

	if (!hd_sysfs_exists(ctx->sysfs, link)) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND,
			    "<hd:vfs pf='%s'> at line %u: this host has no network interface %s of a PCI device; "
			    "name the PF by its address instead", vfs->pf_name, vfs->line, vfs->pf_name);
		return FALSE;
	}
	bdf = hd_sysfs_read_link_name(ctx->sysfs, link, error);
	if (bdf == NULL)
		return FALSE;
	if (g_strcmp0(bus, "pci") != 0 || !hd_address_parse_bdf(bdf, out, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
			    "<hd:vfs pf='%s'> at line %u: %s is not a PCI device's interface (its device is %s)",
			    vfs->pf_name, vfs->line, vfs->pf_name, bdf);
		return FALSE;
	}
	return TRUE;
}

static HdDeviceRequest *
hd_plan_vfs_request(HdContext *ctx, const HdVfRequest *vfs, GError **error)
{
	HdVfRequest resolved = *vfs;

	if (vfs->pf_name != NULL && !hd_plan_resolve_netdev(ctx, vfs, &resolved.pf, error))
		return NULL;
	return hd_device_request_new_vfs(&resolved);
}

HdPlan *
hd_plan_new_for_domain(HdContext *ctx, const char *name, HdDomain *domain, GError **error)
{
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)(name != NULL ? name : domain->name)};
	g_autoptr(HdPlan) plan = hd_plan_alloc(&owner, hd_plan_guess_hypervisor(domain));

	g_autoptr(GPtrArray) requests = g_ptr_array_new();

	plan->domain = domain;
	plan->uuid = g_strdup(domain->uuid);
	/* <hd:vfs> first: its VFs exist before the devices that may use them */
	for (guint i = 0; i < domain->vf_requests->len; i++) {
		HdDeviceRequest *req = hd_plan_vfs_request(ctx, &g_array_index(domain->vf_requests, HdVfRequest, i), error);

		if (req == NULL)
			return NULL;
		g_ptr_array_add(plan->own_requests, req);
		g_ptr_array_add(requests, req);
	}
	for (guint i = 0; i < domain->requests->len; i++)
		g_ptr_array_add(requests, g_ptr_array_index(domain->requests, i));
	if (!hd_plan_build(ctx, plan, requests, error))
		return NULL;
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
	case HD_ACTION_PROVISION:
		if (dev->request->provision_vfs == 0)
			return g_strdup("provision, then libvirt binds it (managed)");
		return g_strdup_printf("provision %u virtual function%s", dev->request->provision_vfs,
				       dev->request->provision_vfs == 1 ? "" : "s");
	case HD_ACTION_ERROR:
	default:
		return g_strdup_printf("error: %s", dev->reason);
	}
}
