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
 * The tree under the parser (xml/hd-xml-tree.c) has a second oracle:
 * libxml2, the reader libvirt uses.  Where both read a document, their
 * trees must be the same, down to the lines; and what libxml2 reads, the
 * tree must read, but for what it refuses by design: a document type
 * declaration, bytes that are not UTF-8 (libxml2 decodes EBCDIC, say),
 * and names with characters only XML 1.0's fifth edition allows.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <libxml/parser.h>
#include <string.h>

#include "fuzz-common.h"
#include "hd-domain.h"
#include "hd-hook-op.h"
#include "hd-xml-tree.h"
#include "xml-tree-oracle.h"

static void
fuzz_libxml2_silence(void *user_data, xmlErrorPtr error)
{
}

static void
fuzz_libxml2_generic_silence(void *ctx, const char *msg, ...)
{
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet(NULL);
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, fuzz_libxml2_generic_silence);
	return 0;
}

/* ---- the tree against libxml2 ----------------------------------------- */

static gboolean
fuzz_is_ascii(const xmlChar *name)
{
	for (; name != NULL && *name != '\0'; name++) {
		if (*name >= 0x80)
			return FALSE;
	}
	return TRUE;
}

/* a name beyond ASCII in libxml2's tree: XML 1.0's fifth edition allows
 * characters in names expat's tables (the fourth's) do not */
static gboolean
fuzz_has_wide_name(xmlNode *node)
{
	for (; node != NULL; node = node->next) {
		if (!fuzz_is_ascii(node->name) || (node->ns != NULL && !fuzz_is_ascii(node->ns->prefix)))
			return TRUE;
		for (xmlNs *ns = node->type == XML_ELEMENT_NODE ? node->nsDef : NULL; ns != NULL; ns = ns->next) {
			if (!fuzz_is_ascii(ns->prefix))
				return TRUE;
		}
		for (xmlAttr *a = node->type == XML_ELEMENT_NODE ? node->properties : NULL; a != NULL; a = a->next) {
			if (!fuzz_is_ascii(a->name) || (a->ns != NULL && !fuzz_is_ascii(a->ns->prefix)))
				return TRUE;
		}
		if (node->type == XML_ELEMENT_NODE && fuzz_has_wide_name(node->children))
			return TRUE;
	}
	return FALSE;
}

/* what the tree refuses by design (docs/design.md, "XML: expat") */
static gboolean
fuzz_refused_by_design(const char *xml, size_t size, xmlDoc *theirs)
{
	return memmem(xml, size, "<!DOCTYPE", 9) != NULL || !g_utf8_validate_len(xml, size, NULL) ||
	       fuzz_has_wide_name(xmlDocGetRootElement(theirs)) || fuzz_has_wide_name(theirs->children);
}

static void
fuzz_check_tree(const char *xml, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) ours = hd_xml_doc_parse(xml, size, "fuzz XML", &error);
	xmlParserCtxt *ctxt = xmlNewParserCtxt();
	xmlDoc *theirs;
	gboolean they_read;

	if (ctxt == NULL)
		fuzz_fail("libxml2 cannot allocate a parser");
	ctxt->sax->serror = fuzz_libxml2_silence;
	/* as the tree: the bytes are UTF-8 whatever they declare */
	theirs = xmlCtxtReadMemory(ctxt, xml, (int)size, "fuzz.xml", NULL,
				   XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC);
	they_read = theirs != NULL && ctxt->wellFormed && ctxt->nsWellFormed;
	/* the tree may read some markup libxml2 refuses (docs/design.md lists
	 * it): libvirt, which writes the hook's input, never writes such */
	if (ours != NULL && they_read) {
		g_autofree gchar *difference =
		    oracle_element_difference(hd_xml_doc_root(ours), xmlDocGetRootElement(theirs));

		if (difference != NULL)
			fuzz_fail("the trees differ: %s", difference);
	}
	else if (ours == NULL && they_read && !fuzz_refused_by_design(xml, size, theirs))
		fuzz_fail("the tree refuses what libxml2 reads: %s", error->message);
	xmlFreeDoc(theirs);
	xmlFreeParserCtxt(ctxt);
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
	g_autoptr(HdDomain) domain = NULL;
	guint asked;

	if (size > G_MAXINT)
		return 0;
	fuzz_check_tree(xml, size);
	domain = hd_domain_parse(xml, size, &error);

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
