/*
 * hd-hook.c: the engine's side of libvirt's hook protocol
 *
 * The front executable has already decided that this invocation may
 * concern PCI devices; from here on we parse, plan and act.  Release,
 * which needs no parsing, is in hd-hook-release.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-hook.h"

#include "hd-engine.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hd-log.h"
#include "hd-plan.h"

static const char *
hd_hook_driver_name(HdHookDriver driver)
{
	return driver == HD_HOOK_DRIVER_LIBXL ? "libxl" : "qemu";
}

/* a Xen domain in qemu.d means the installation is wrong; say so rather
 * than bind devices to a stub the hypervisor cannot use */
static gboolean
hd_hook_check_driver(const HdHookArgs *args, const HdDomain *domain, GError **error)
{
	HdHookDriver driver = hd_hook_driver_from_path(args->argv0);
	HdHypervisor expected = driver == HD_HOOK_DRIVER_LIBXL ? HD_HYPERVISOR_XEN : HD_HYPERVISOR_KVM;

	if (driver == HD_HOOK_DRIVER_UNKNOWN || domain->hypervisor == expected)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
		    "domain: type '%s' does not belong to libvirt's %s driver, yet its hook ran us as %s",
		    domain->type, hd_hook_driver_name(driver), args->argv0);
	return FALSE;
}

/* the context of @args' roots, policy read: prepare and reconnect plan */
static HdContext *
hd_hook_open(const HdHookArgs *args, GError **error)
{
	g_autoptr(HdContext) ctx = hd_context_new(args->sysfs_root, args->policy_path, error);

	if (ctx == NULL || !hd_context_set_state_dir(ctx, args->state_dir, error))
		return NULL;
	return g_steal_pointer(&ctx);
}

/*
 * Plan under the state lock: ownership and groups must not change under
 * us.  The engine lets the lock go once the plan's devices are claimed,
 * so that a domain with other devices can plan while this one binds.
 */
gboolean
hd_hook_prepare_domain(HdContext *ctx, const char *name, HdDomain *domain, GError **error)
{
	g_autoptr(HdDomain) owned = domain;
	g_autoptr(HdStateLock) lock = hd_state_lock_acquire(ctx->state_dir, error);
	g_autoptr(HdPlan) plan = NULL;

	if (lock == NULL) {
		g_prefix_error(error, "host: ");
		return FALSE;
	}
	/* owners are libvirt's names for domains, not the XML's <name> */
	plan = hd_plan_new_for_domain(ctx, name, g_steal_pointer(&owned), error);
	if (plan == NULL)
		return FALSE;
	if (!hd_plan_accept(plan, "prepare", "request", error))
		return FALSE;
	return hd_engine_prepare_and_unlock(ctx, plan, g_steal_pointer(&lock), error);
}

static gboolean
hd_hook_prepare(const HdHookArgs *args, const char *xml, gsize len, GError **error)
{
	g_autoptr(HdDomain) domain = hd_domain_parse(xml, len, error);
	g_autoptr(HdContext) ctx = NULL;

	if (domain == NULL)
		return FALSE;
	if (domain->requests->len == 0 && domain->vf_requests->len == 0) {
		hd_log_action(G_LOG_LEVEL_DEBUG, args->domain_name, NULL, "prepare",
			      "no PCI devices requested");
		return TRUE;
	}
	if (!hd_hook_check_driver(args, domain, error))
		return FALSE;
	ctx = hd_hook_open(args, error);
	if (ctx == NULL) {
		g_prefix_error(error, "host: ");
		return FALSE;
	}
	return hd_hook_prepare_domain(ctx, args->domain_name, g_steal_pointer(&domain), error);
}

/*
 * libvirtd restarted while the domain ran.  Nothing is changed here: a
 * failed reconnect hook makes libvirt kill the domain, so differences
 * between the journal and the domain are logged for the administrator.
 */
static void
hd_hook_reconnect(const HdHookArgs *args, const char *xml, gsize len)
{
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)args->domain_name};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdJournal) journal = hd_journal_load(args->state_dir, &owner, &error);
	g_autoptr(HdDomain) domain = journal != NULL ? hd_domain_parse(xml, len, &error) : NULL;

	if (domain == NULL) {
		hd_log_action(G_LOG_LEVEL_WARNING, args->domain_name, NULL, "reconnect",
			      "cannot check the journal: %s", error->message);
		return;
	}
	for (guint i = 0; i < journal->entries->len; i++) {
		HdEntry *entry = g_ptr_array_index(journal->entries, i);
		HdAddress addr;

		if (!hd_entry_is_done(entry))
			hd_log_action(G_LOG_LEVEL_WARNING, args->domain_name, entry->address, "reconnect",
				      "journal shows an unfinished %s by %s (step %s)", hd_phase_to_string(entry->phase),
				      entry->plugin, entry->step);
		else if (entry->phase == HD_PHASE_BIND && hd_address_parse_bdf(entry->address, &addr, NULL) &&
			 hd_domain_find_request(domain, &addr) == NULL)
			hd_log_action(G_LOG_LEVEL_WARNING, args->domain_name, entry->address, "reconnect",
				      "journalled for this domain, which no longer asks for it");
	}
	hd_log_action(G_LOG_LEVEL_INFO, args->domain_name, NULL, "reconnect",
		      "%u change(s) recorded", journal->entries->len);
}

gboolean
hd_hook_run(const HdHookArgs *args, const char *xml, gsize len, GError **error)
{
	gboolean ok = TRUE;

	switch (hd_hook_op_classify(args->operation, args->sub_operation)) {
	case HD_HOOK_OP_PREPARE:
		ok = hd_hook_prepare(args, xml, len, error);
		break;
	case HD_HOOK_OP_RELEASE:
		ok = hd_hook_release(args, error);
		break;
	case HD_HOOK_OP_RECONNECT:
		hd_hook_reconnect(args, xml, len);
		break;
	case HD_HOOK_OP_IGNORE:
	default:
		break;
	}
	return ok;
}
