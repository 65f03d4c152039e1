/*
 * fuzz-domain.c: the domain XML parser, with the hook's front as oracle
 *
 * hostdev-hook (the libc-only front) reads every document libvirt sends and
 * runs the engine only when hd_hook_xml_may_request_devices() says the
 * document may ask for a PCI device.  A document the front waves through as
 * "nothing to do" while hd_domain_parse() finds a request in it is a device
 * that prepare never bound and libvirt then hands to the guest unchecked:
 * that disagreement aborts, as would a crash, a leak or a broken model.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fuzz-common.h"
#include "hd-domain.h"
#include "hd-hook-op.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet(NULL);
	return 0;
}

/* what the engine and the plan rely on in every model the parser returns */
static void
fuzz_check_model(HdDomain *domain)
{
	if (domain->root_element == NULL || domain->requests == NULL || domain->vf_requests == NULL ||
	    domain->by_address == NULL)
		fuzz_fail("a parsed domain lacks its root name or a list");
	/* one request per address: a duplicate would be bound twice */
	if (g_hash_table_size(domain->by_address) != domain->requests->len)
		fuzz_fail("%u requests but %u indexed addresses", domain->requests->len,
			  g_hash_table_size(domain->by_address));
	for (guint i = 0; i < domain->requests->len; i++) {
		HdDeviceRequest *req = g_ptr_array_index(domain->requests, i);
		const HdAddress *a = &req->address;

		if (hd_domain_find_request(domain, a) != req)
			fuzz_fail("request %u is not the one indexed under its address", i);
		if (a->domain > HD_ADDRESS_DOMAIN_MAX || a->bus > HD_ADDRESS_BUS_MAX ||
		    a->slot > HD_ADDRESS_SLOT_MAX || a->function > HD_ADDRESS_FUNCTION_MAX)
			fuzz_fail("request %u: address %x:%x:%x.%x past libvirt's limits", i, a->domain, a->bus,
				  a->slot, a->function);
		if (hd_source_to_string(req->source) == NULL || req->vlan_tags == NULL)
			fuzz_fail("request %u: no source name or no vlan array", i);
	}
	for (guint i = 0; i < domain->vf_requests->len; i++) {
		const HdVfRequest *vfs = &g_array_index(domain->vf_requests, HdVfRequest, i);

		if (vfs->count == 0 || vfs->count > G_MAXUINT16)
			fuzz_fail("vfs request %u: count %u", i, vfs->count);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *xml = (const char *)data;
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = hd_domain_parse(xml, size, &error);
	guint asked;

	if (domain == NULL) {
		if (error == NULL)
			fuzz_fail("hd_domain_parse() failed without an error");
		return 0;
	}
	if (error != NULL)
		fuzz_fail("hd_domain_parse() succeeded and set an error: %s", error->message);
	fuzz_check_model(domain);

	asked = domain->requests->len + domain->vf_requests->len;
	if (asked > 0 && !hd_hook_xml_may_request_devices(xml, size))
		fuzz_fail("the front says nothing to do, the parser finds %u device request%s "
			  "(first at line %u): prepare would never bind it",
			  asked, asked == 1 ? "" : "s",
			  domain->requests->len > 0
			      ? ((HdDeviceRequest *)g_ptr_array_index(domain->requests, 0))->line
			      : 0);
	return 0;
}
