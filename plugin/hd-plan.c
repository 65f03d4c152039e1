/*
 * hd-plan.c: what prepare would do, computed before anything changes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-plan.h"

#include "hd-error.h"
#include "hd-plugin-private.h"

static void
hd_plan_device_free(HdPlanDevice *dev)
{
	hd_device_info_free(dev->info);
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
	}
	return dev;
}

HdPlan *
hd_plan_new(HdContext *ctx, HdDomain *domain, GError **error)
{
	g_autoptr(HdPlan) plan = g_new0(HdPlan, 1);

	plan->domain = domain;
	plan->hypervisor = hd_plan_guess_hypervisor(domain);
	plan->devices = g_ptr_array_new_with_free_func((GDestroyNotify)hd_plan_device_free);
	for (guint i = 0; i < domain->requests->len; i++) {
		const HdDeviceRequest *req = g_ptr_array_index(domain->requests, i);
		HdPlanDevice *dev = hd_plan_device_new(ctx, plan, req, error);

		if (dev == NULL) {
			char bdf[HD_ADDRESS_STRLEN];
			hd_address_format(&req->address, bdf);
			g_prefix_error(error, "%s: ", bdf);
			return NULL;
		}
		g_ptr_array_add(plan->devices, dev);
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
