/*
 * hd-domain.c: the model of what a domain asks for, without the parser
 *
 * hd-domain-parse.c builds it from libvirt's XML.  The model is apart
 * because the engine's plan and plugins use it and the release engine
 * links those: a process that only restores a journal needs no parser.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-domain.h"

#include "hd-enum.h"

void
hd_device_request_free(HdDeviceRequest *req)
{
	if (req == NULL)
		return;
	g_free(req->mac);
	g_free(req->vf.mac);
	g_array_unref(req->vlan_tags);
	g_free(req->target_driver);
	g_free(req->driver_model);
	g_free(req);
}

static void
hd_vf_request_clear(gpointer data)
{
	HdVfRequest *vfs = data;

	g_free(vfs->pf_name);
}

HdDomain *
hd_domain_new(const char *root_element)
{
	HdDomain *domain = g_new0(HdDomain, 1);

	domain->root_element = g_strdup(root_element);
	domain->requests = g_ptr_array_new_with_free_func((GDestroyNotify)hd_device_request_free);
	domain->vf_requests = g_array_new(FALSE, FALSE, sizeof(HdVfRequest));
	g_array_set_clear_func(domain->vf_requests, hd_vf_request_clear);
	domain->by_address = g_hash_table_new(g_direct_hash, g_direct_equal);
	return domain;
}

void
hd_domain_free(HdDomain *domain)
{
	if (domain == NULL)
		return;
	g_free(domain->root_element);
	g_free(domain->name);
	g_free(domain->uuid);
	g_free(domain->os_type);
	g_free(domain->type);
	if (domain->requests != NULL)
		g_ptr_array_unref(domain->requests);
	if (domain->vf_requests != NULL)
		g_array_unref(domain->vf_requests);
	if (domain->by_address != NULL)
		g_hash_table_unref(domain->by_address);
	g_free(domain);
}

HdDeviceRequest *
hd_domain_find_request(HdDomain *domain, const HdAddress *addr)
{
	return g_hash_table_lookup(domain->by_address, GUINT_TO_POINTER(hd_address_key(addr)));
}

/* a device that goes with @of (its IOMMU group's other members, a VF's
 * PF), to be bound and restored with it, with @of's options */
HdDeviceRequest *
hd_device_request_new_companion(const HdAddress *addr, const HdDeviceRequest *of)
{
	HdDeviceRequest *req = g_new0(HdDeviceRequest, 1);

	req->address = *addr;
	req->source = HD_SOURCE_GROUP;
	req->line = of->line;
	req->vlan_tags = g_array_new(FALSE, FALSE, sizeof(HdVlanTag));
	req->target_driver = g_strdup(of->target_driver);
	req->force = of->force;
	return req;
}

HdDeviceRequest *
hd_device_request_new_vfs(const HdVfRequest *vfs)
{
	HdDeviceRequest *req = g_new0(HdDeviceRequest, 1);

	req->address = vfs->pf;
	req->source = HD_SOURCE_METADATA;
	req->vlan_tags = g_array_new(FALSE, FALSE, sizeof(HdVlanTag));
	req->line = vfs->line;
	req->has_metadata = TRUE;
	req->provision_vfs = vfs->count;
	return req;
}

gboolean
hd_vf_settings_any(const HdVfSettings *vf)
{
	return vf->mac != NULL || vf->has_vlan || vf->trust != HD_TRISTATE_ABSENT ||
	       vf->spoofchk != HD_TRISTATE_ABSENT || vf->query_rss != HD_TRISTATE_ABSENT ||
	       vf->link_state != HD_VF_LINK_STATE_ABSENT || vf->has_min_tx_rate || vf->has_max_tx_rate;
}

static const HdEnumName hd_backend_names[] = {
	{HD_BACKEND_DEFAULT, "default"},
	{HD_BACKEND_VFIO, "vfio"},
	{HD_BACKEND_XEN, "xen"},
	{HD_BACKEND_KVM, "kvm"},
	{0, NULL},
};

static const HdEnumName hd_hypervisor_names[] = {
	{HD_HYPERVISOR_UNKNOWN, "unknown"},
	{HD_HYPERVISOR_KVM, "kvm"},
	{HD_HYPERVISOR_XEN, "xen"},
	{0, NULL},
};

static const HdEnumName hd_source_names[] = {
	{HD_SOURCE_HOSTDEV, "hostdev"},
	{HD_SOURCE_INTERFACE, "interface"},
	{HD_SOURCE_METADATA, "metadata"},
	{HD_SOURCE_NETWORK, "network"},
	{HD_SOURCE_GROUP, "group"},
	{HD_SOURCE_POLICY, "policy"},
	{HD_SOURCE_ADMIN, "admin"},
	{HD_SOURCE_COMPANION, "companion"},
	{0, NULL},
};

const char *
hd_hypervisor_to_string(HdHypervisor hypervisor)
{
	return hd_enum_to_string(hd_hypervisor_names, hypervisor);
}

gboolean
hd_hypervisor_from_string(const char *name, HdHypervisor *out)
{
	int value;

	if (!hd_enum_from_string(hd_hypervisor_names, name, &value) || value == HD_HYPERVISOR_UNKNOWN)
		return FALSE;
	*out = (HdHypervisor)value;
	return TRUE;
}

const char *
hd_source_to_string(HdSource source)
{
	return hd_enum_to_string(hd_source_names, source);
}

gboolean
hd_backend_from_string(const char *name, HdBackend *out)
{
	int value;

	if (!hd_enum_from_string(hd_backend_names, name, &value))
		return FALSE;
	*out = (HdBackend)value;
	return TRUE;
}

/* NULL for the default: libvirt writes no <driver> then */
const char *
hd_backend_to_string(HdBackend backend)
{
	return backend == HD_BACKEND_DEFAULT ? NULL : hd_enum_to_string(hd_backend_names, backend);
}
