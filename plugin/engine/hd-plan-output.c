/*
 * hd-plan-output.c: a plan, for people and for programs, and its verdict
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-error.h"
#include "hd-json.h"
#include "hd-log.h"
#include "hd-plan.h"

static const char *
hd_yes_no(gboolean value)
{
	return value ? "yes" : "no";
}

static gchar *
hd_vlan_to_text(const HdDeviceRequest *req)
{
	g_autoptr(GString) text = g_string_new(req->vlan_trunk ? "trunk " : "");

	for (guint i = 0; i < req->vlan_tags->len; i++) {
		const HdVlanTag *tag = &g_array_index(req->vlan_tags, HdVlanTag, i);
		g_string_append_printf(text, "%s%u", i > 0 ? "," : "", tag->id);
		if (tag->native_mode != HD_VLAN_NATIVE_NONE)
			g_string_append_printf(text, "(native %s)",
					       tag->native_mode == HD_VLAN_NATIVE_TAGGED ? "tagged" : "untagged");
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* "vfio-pci" or "sriov, vfio-pci, vfconfig": who will act, in order */
static gchar *
hd_plan_device_chain_string(const HdPlanDevice *dev)
{
	g_autoptr(GString) chain = g_string_new(NULL);

	for (guint i = 0; i < dev->chain->len; i++)
		g_string_append_printf(chain, "%s%s", i > 0 ? ", " : "",
				       ((const HdPlugin *)g_ptr_array_index(dev->chain, i))->name);
	return g_string_free(g_steal_pointer(&chain), FALSE);
}

static void
hd_plan_device_to_text(const HdPlanDevice *dev, GString *out)
{
	const HdDeviceRequest *req = dev->request;
	const HdDeviceInfo *info = dev->info;
	const char *backend = hd_backend_to_string(req->backend);
	g_autofree gchar *action = hd_plan_device_action_string(dev);
	g_autofree gchar *chain = hd_plan_device_chain_string(dev);

	g_string_append_printf(out, "%s  %s  managed=%s  driver=%s  permissive=%s\n",
			       info->bdf, hd_source_to_string(req->source), hd_yes_no(req->managed),
			       backend != NULL ? backend : "default", hd_yes_no(req->permissive));
	if (req->source == HD_SOURCE_INTERFACE) {
		g_autofree gchar *vlan = hd_vlan_to_text(req);
		g_string_append_printf(out, "    mac: %s  vlan: %s%s\n",
				       req->mac != NULL ? req->mac : "-",
				       *vlan != '\0' ? vlan : "-",
				       req->has_virtualport ? "  (virtualport)" : "");
	}
	if (info->exists) {
		g_string_append_printf(out, "    device: %04x:%04x %s %s\n",
				       info->identity.vendor_id, info->identity.device_id,
				       info->identity.vendor_name != NULL ? info->identity.vendor_name : "[unknown vendor]",
				       info->identity.device_name != NULL ? info->identity.device_name : "[unknown device]");
		g_string_append_printf(out, "    current driver: %s  iommu group: %s\n",
				       info->driver != NULL ? info->driver : "(none)",
				       info->iommu_group != NULL ? info->iommu_group : "(none)");
	} else if (dev->parent != NULL) {
		g_string_append_printf(out, "    device: a virtual function of %s, not created yet\n", dev->parent);
	} else {
		g_string_append(out, "    device: not present\n");
	}
	if (dev->action == HD_ACTION_BIND)
		g_string_append_printf(out, "    action: bind to %s%s\n", action,
				       dev->already_bound ? " (already bound, nothing to do)" : "");
	else
		g_string_append_printf(out, "    action: %s\n", action);
	if (dev->action == HD_ACTION_BIND || dev->action == HD_ACTION_PROVISION)
		g_string_append_printf(out, "    plugins: %s\n", chain);
	for (guint i = 0; i < dev->steps->len; i++)
		g_string_append_printf(out, "      %u. %s\n", i + 1, (const char *)g_ptr_array_index(dev->steps, i));
}

/* "domain vm1 (type kvm)", "domain - (<hostdev>)" or "host boot" */
static void
hd_plan_header_to_text(const HdPlan *plan, GString *out)
{
	const HdDomain *domain = plan->domain;

	if (domain == NULL)
		g_string_append_printf(out, "%s %s",
				       plan->owner.kind == HD_OWNER_HOST ? "host" : "domain", plan->owner.name);
	else
		g_string_append_printf(out, "domain %s (%s%s%s)", plan->owner.name != NULL ? plan->owner.name : "-",
				       domain->type != NULL ? "type " : "<",
				       domain->type != NULL ? domain->type : domain->root_element,
				       domain->type != NULL ? "" : ">");
	g_string_append_printf(out, ", hypervisor %s: %u PCI device%s\n", hd_hypervisor_to_string(plan->hypervisor),
			       plan->devices->len, plan->devices->len == 1 ? "" : "s");
}

gchar *
hd_plan_to_text(const HdPlan *plan)
{
	g_autoptr(GString) out = g_string_new(NULL);

	hd_plan_header_to_text(plan, out);
	for (guint i = 0; i < plan->devices->len; i++)
		hd_plan_device_to_text(g_ptr_array_index(plan->devices, i), out);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static json_object *
hd_plan_device_to_json(const HdPlanDevice *dev)
{
	const HdDeviceRequest *req = dev->request;
	const HdDeviceInfo *info = dev->info;
	g_autofree gchar *action = hd_plan_device_action_string(dev);
	g_autofree gchar *vendor_id = NULL;
	g_autofree gchar *device_id = NULL;
	g_autoptr(json_object) object = json_object_new_object();
	json_object *vlan = NULL;
	json_object *plugins = json_object_new_array();

	if (info->exists) {
		vendor_id = g_strdup_printf("%04x", info->identity.vendor_id);
		device_id = g_strdup_printf("%04x", info->identity.device_id);
	}
	hd_json_add_string(object, "address", info->bdf);
	hd_json_add_string(object, "source", hd_source_to_string(req->source));
	hd_json_add_bool(object, "managed", req->managed);
	hd_json_add_string(object, "driver", hd_backend_to_string(req->backend));
	hd_json_add_bool(object, "permissive", req->permissive);
	hd_json_add_string(object, "mac", req->mac);
	/* no tags is null, not [] */
	if (req->vlan_tags->len > 0) {
		vlan = json_object_new_array();
		for (guint i = 0; i < req->vlan_tags->len; i++)
			hd_json_append(vlan, json_object_new_int64(g_array_index(req->vlan_tags, HdVlanTag, i).id));
	}
	hd_json_add(object, "vlan", vlan);
	hd_json_add_bool(object, "vlan_trunk", req->vlan_trunk);
	hd_json_add_bool(object, "virtualport", req->has_virtualport);
	hd_json_add_bool(object, "exists", info->exists);
	hd_json_add_string(object, "parent", dev->parent);
	hd_json_add_string(object, "vendor_id", vendor_id);
	hd_json_add_string(object, "device_id", device_id);
	hd_json_add_string(object, "vendor_name", info->identity.vendor_name);
	hd_json_add_string(object, "device_name", info->identity.device_name);
	hd_json_add_string(object, "current_driver", info->driver);
	hd_json_add_string(object, "iommu_group", info->iommu_group);
	hd_json_add_string(object, "action", action);
	hd_json_add_string(object, "target_driver", dev->action == HD_ACTION_BIND ? dev->target_driver : NULL);
	hd_json_add_bool(object, "already_bound", dev->action == HD_ACTION_BIND && dev->already_bound);
	for (guint i = 0; i < dev->chain->len; i++)
		hd_json_append(plugins,
			       json_object_new_string(((const HdPlugin *)g_ptr_array_index(dev->chain, i))->name));
	hd_json_add(object, "plugins", plugins);
	hd_json_add(object, "steps", hd_json_string_array(dev->steps));
	return g_steal_pointer(&object);
}

gchar *
hd_plan_to_json(const HdPlan *plan)
{
	g_autoptr(json_object) root = json_object_new_object();
	json_object *devices = json_object_new_array();

	hd_json_add_string(root, plan->owner.kind == HD_OWNER_HOST ? "host" : "domain", plan->owner.name);
	hd_json_add_string(root, "uuid", plan->uuid);
	hd_json_add_string(root, "type", plan->domain != NULL ? plan->domain->type : NULL);
	hd_json_add_string(root, "hypervisor", hd_hypervisor_to_string(plan->hypervisor));
	for (guint i = 0; i < plan->devices->len; i++)
		hd_json_append(devices, hd_plan_device_to_json(g_ptr_array_index(plan->devices, i)));
	hd_json_add(root, "devices", devices);
	return hd_json_to_data(root);
}

gboolean
hd_plan_accept(const HdPlan *plan, const char *operation, const char *request, GError **error)
{
	const HdPlanDevice *refused = hd_plan_first_error(plan);

	if (refused != NULL) {
		hd_log_action(G_LOG_LEVEL_WARNING, plan->owner.name, refused->info->bdf, "refuse", "refusing to %s: %s",
			      operation, refused->reason);
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "%s: %s", refused->info->bdf, refused->reason);
		return FALSE;
	}
	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		g_autofree gchar *action = hd_plan_device_action_string(dev);

		hd_log_action(G_LOG_LEVEL_INFO, plan->owner.name, dev->info->bdf, "plan", "%s from <%s>: %s", request,
			      hd_source_to_string(dev->request->source), action);
	}
	return TRUE;
}
