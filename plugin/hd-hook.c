/*
 * hd-hook.c: the engine's side of libvirt's hook protocol
 *
 * The front executable has already decided that this invocation may
 * concern PCI devices; from here on we parse, plan and act.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-hook.h"

#include "hd-error.h"
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

static gboolean
hd_hook_prepare(const HdHookArgs *args, const char *xml, gsize len, GError **error)
{
	g_autoptr(HdDomain) domain = hd_domain_parse(xml, len, error);
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(HdPlan) plan = NULL;
	const HdPlanDevice *refused;

	if (domain == NULL)
		return FALSE;
	if (domain->requests->len == 0) {
		hd_log_action(G_LOG_LEVEL_DEBUG, args->domain_name, NULL, "prepare",
			      "no PCI devices requested");
		return TRUE;
	}
	if (!hd_hook_check_driver(args, domain, error))
		return FALSE;
	ctx = hd_context_new(args->sysfs_root, args->policy_path, error);
	if (ctx == NULL) {
		g_prefix_error(error, "host: ");
		return FALSE;
	}
	plan = hd_plan_new(ctx, g_steal_pointer(&domain), error);
	if (plan == NULL)
		return FALSE;
	refused = hd_plan_first_error(plan);
	if (refused != NULL) {
		hd_log_action(G_LOG_LEVEL_WARNING, args->domain_name, refused->info->bdf, "refuse",
			      "refusing to prepare: %s", refused->reason);
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "%s: %s",
			    refused->info->bdf, refused->reason);
		return FALSE;
	}
	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		g_autofree gchar *action = hd_plan_device_action_string(dev);

		hd_log_action(G_LOG_LEVEL_INFO, args->domain_name, dev->info->bdf, "validate",
			      "request from <%s> accepted: %s", hd_source_to_string(dev->request->source),
			      action);
	}
	return TRUE;
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
		/* nothing is bound yet, so nothing is recorded to undo */
		hd_log_action(G_LOG_LEVEL_INFO, args->domain_name, NULL, "release",
			      "nothing to restore");
		break;
	case HD_HOOK_OP_IGNORE:
	default:
		break;
	}
	if (!ok)
		g_prefix_error(error, "%s: ", args->domain_name);
	return ok;
}
