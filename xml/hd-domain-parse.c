/*
 * hd-domain-parse.c: find the PCI devices a libvirt domain asks for
 *
 * The input comes from libvirt, from an administrator, or from anyone who
 * can write a file that ends up on our stdin, so the parser is deliberately
 * narrow: no network, no DTD, no entities (hd-xml-tree.c reads the
 * document, and says how).  Every error names the element
 * (by address when it has one, otherwise by line) and the reason, because
 * it ends up verbatim in the `virsh start` error message.
 *
 * The model it builds is in hd-domain.c: what only restores a journal
 * links the model, never this parser.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-domain.h"

#include <stdio.h>
#include <string.h>

#include "hd-enum.h"
#include "hd-error.h"
#include "hd-names.h"
#include "hd-xml-tree.h"

#define HD_VLAN_ID_MAX 4095u

/* ---- small tree helpers ------------------------------------------------ */

static gboolean
hd_xml_is_ours(const HdXmlNode *node)
{
	return node->type == HD_XML_ELEMENT && g_strcmp0(node->ns, HD_METADATA_NS) == 0;
}

/* a copy, which the request keeps or the caller frees */
static gchar *
hd_xml_prop(const HdXmlNode *node, const char *name)
{
	return g_strdup(hd_xml_node_attr(node, name));
}

static gchar *
hd_xml_child_text(const HdXmlNode *parent, const char *name)
{
	const HdXmlNode *child = hd_xml_node_child(parent, name);

	return child != NULL ? g_strstrip(hd_xml_node_text(child)) : NULL;
}

/* libvirt's virTristateBool: "yes" or "no", and absent means @fallback */
static gboolean
hd_xml_prop_bool(const HdXmlNode *node,
		 const char *name,
		 gboolean fallback,
		 gboolean *out,
		 GError **error)
{
	const char *value = hd_xml_node_attr(node, name);

	if (value == NULL)
		*out = fallback;
	else if (g_strcmp0(value, "yes") == 0)
		*out = TRUE;
	else if (g_strcmp0(value, "no") == 0)
		*out = FALSE;
	else {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid %s='%s': expected 'yes' or 'no'", name, value);
		return FALSE;
	}
	return TRUE;
}

/* ---- requests ---------------------------------------------------------- */

static HdDeviceRequest *
hd_device_request_new(HdSource source, const HdXmlNode *node)
{
	HdDeviceRequest *req = g_new0(HdDeviceRequest, 1);

	req->source = source;
	req->line = node->line;
	req->vlan_tags = g_array_new(FALSE, FALSE, sizeof(HdVlanTag));
	return req;
}

/* "<hostdev> at line 12": names an element whose address we lack */
static void
hd_prefix_element(GError **error, const HdXmlNode *node)
{
	g_prefix_error(error, "<%s> at line %u: ", node->name, node->line);
}

static void
hd_prefix_address(GError **error, const HdAddress *addr)
{
	char bdf[HD_ADDRESS_STRLEN];

	hd_address_format(addr, bdf);
	g_prefix_error(error, "%s: ", bdf);
}

/* <address domain= bus= slot= function=/>; absent attributes mean 0, as in libvirt */
static gboolean
hd_parse_pci_address(const HdXmlNode *node, HdAddress *out, GError **error)
{
	static const struct {
		const char *attribute;
		guint max;
		gsize offset;
	} fields[] = {
		{"domain", HD_ADDRESS_DOMAIN_MAX, G_STRUCT_OFFSET(HdAddress, domain)},
		{"bus", HD_ADDRESS_BUS_MAX, G_STRUCT_OFFSET(HdAddress, bus)},
		{"slot", HD_ADDRESS_SLOT_MAX, G_STRUCT_OFFSET(HdAddress, slot)},
		{"function", HD_ADDRESS_FUNCTION_MAX, G_STRUCT_OFFSET(HdAddress, function)},
	};
	HdAddress addr = {0};

	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		g_autofree gchar *value = hd_xml_prop(node, fields[i].attribute);
		guint *slot = G_STRUCT_MEMBER_P(&addr, fields[i].offset);

		if (value != NULL &&
		    !hd_address_parse_component(value, fields[i].attribute, fields[i].max, slot, error))
			return FALSE;
	}
	*out = addr;
	return TRUE;
}

/* <source><address .../></source> of a hostdev or hostdev interface */
static gboolean
hd_parse_source_address(const HdXmlNode *device, gboolean typed, HdAddress *out, GError **error)
{
	const HdXmlNode *source = hd_xml_node_child(device, "source");
	const HdXmlNode *address = source != NULL ? hd_xml_node_child(source, "address") : NULL;

	if (address == NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "missing <source><address/></source>");
		return FALSE;
	}
	if (typed) {
		g_autofree gchar *type = hd_xml_prop(address, "type");
		if (type != NULL && g_strcmp0(type, "pci") != 0) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "source address type '%s' is not 'pci'", type);
			return FALSE;
		}
	}
	return hd_parse_pci_address(address, out, error);
}

/* <driver name='vfio|xen|kvm' model='VARIANT'/>: libvirt 10's model picks a
 * VFIO variant driver by its module's name ('vfio-pci' forces the generic) */
static gboolean
hd_parse_backend(const HdXmlNode *device, HdDeviceRequest *req, GError **error)
{
	const HdXmlNode *driver = hd_xml_node_child(device, "driver");
	g_autofree gchar *name = driver != NULL ? hd_xml_prop(driver, "name") : NULL;
	g_autofree gchar *model = driver != NULL ? hd_xml_prop(driver, "model") : NULL;
	HdBackend backend = HD_BACKEND_DEFAULT;

	if (name != NULL && !hd_backend_from_string(name, &backend)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "unknown <driver name='%s'>: expected vfio, xen or kvm", name);
		return FALSE;
	}
	req->backend = backend;
	if (model != NULL && !hd_driver_name_check(model, "<driver model=", error))
		return FALSE;
	req->driver_model = g_steal_pointer(&model);
	return TRUE;
}

static HdDeviceRequest *
hd_parse_hostdev(const HdXmlNode *node, GError **error)
{
	g_autoptr(HdDeviceRequest) req = hd_device_request_new(HD_SOURCE_HOSTDEV, node);
	const HdXmlNode *source = hd_xml_node_child(node, "source");
	gboolean write_filtering = TRUE;

	if (!hd_parse_source_address(node, FALSE, &req->address, error)) {
		hd_prefix_element(error, node);
		return NULL;
	}
	if (!hd_xml_prop_bool(node, "managed", FALSE, &req->managed, error) ||
	    !hd_parse_backend(node, req, error) ||
	    !hd_xml_prop_bool(source, "writeFiltering", TRUE, &write_filtering, error)) {
		hd_prefix_address(error, &req->address);
		return NULL;
	}
	req->permissive = !write_filtering;
	req->write_filtering_off = !write_filtering;
	return g_steal_pointer(&req);
}

/* a unicast MAC, as libvirt takes one; @shown names the attribute in errors */
static gboolean
hd_mac_parse(const char *value, const char *shown, gchar **out, GError **error)
{
	guint8 octets[6];

	if (!g_regex_match_simple("^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$", value, G_REGEX_DOLLAR_ENDONLY, 0) ||
	    sscanf(value, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx",
		   &octets[0], &octets[1], &octets[2], &octets[3], &octets[4], &octets[5]) != 6) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid %s: expected xx:xx:xx:xx:xx:xx", shown);
		return FALSE;
	}
	if (octets[0] & 1) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid %s: a multicast address cannot name a NIC", shown);
		return FALSE;
	}
	*out = g_ascii_strdown(value, -1);
	return TRUE;
}

static gboolean
hd_parse_mac(const HdXmlNode *iface, gchar **out, GError **error)
{
	const HdXmlNode *mac = hd_xml_node_child(iface, "mac");
	g_autofree gchar *value = mac != NULL ? hd_xml_prop(mac, "address") : NULL;
	g_autofree gchar *shown = NULL;

	if (value == NULL)
		return TRUE;
	shown = g_strdup_printf("<mac address='%s'>", value);
	return hd_mac_parse(value, shown, out, error);
}

static gboolean
hd_parse_vlan_tag(const HdXmlNode *tag, HdVlanTag *out, GError **error)
{
	g_autofree gchar *id = hd_xml_prop(tag, "id");
	g_autofree gchar *native = hd_xml_prop(tag, "nativeMode");

	if (id == NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "<vlan><tag> without an id");
		return FALSE;
	}
	if (!hd_address_parse_component(id, "vlan tag id", HD_VLAN_ID_MAX, &out->id, error))
		return FALSE;
	if (native == NULL)
		out->native_mode = HD_VLAN_NATIVE_NONE;
	else if (g_strcmp0(native, "tagged") == 0)
		out->native_mode = HD_VLAN_NATIVE_TAGGED;
	else if (g_strcmp0(native, "untagged") == 0)
		out->native_mode = HD_VLAN_NATIVE_UNTAGGED;
	else {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid vlan nativeMode='%s': expected tagged or untagged", native);
		return FALSE;
	}
	return TRUE;
}

/* libvirt's rules: several tags need trunk='yes', and one native tag at most */
static gboolean
hd_parse_vlan(const HdXmlNode *iface, HdDeviceRequest *req, GError **error)
{
	const HdXmlNode *vlan = hd_xml_node_child(iface, "vlan");
	gboolean trunk_set;
	guint natives = 0;

	if (vlan == NULL)
		return TRUE;
	trunk_set = hd_xml_node_attr(vlan, "trunk") != NULL;
	if (!hd_xml_prop_bool(vlan, "trunk", FALSE, &req->vlan_trunk, error))
		return FALSE;
	for (const HdXmlNode *n = vlan->children; n != NULL; n = n->next) {
		HdVlanTag tag;

		if (!hd_xml_node_is(n, NULL, "tag"))
			continue;
		if (!hd_parse_vlan_tag(n, &tag, error))
			return FALSE;
		natives += tag.native_mode != HD_VLAN_NATIVE_NONE;
		g_array_append_val(req->vlan_tags, tag);
	}
	if (req->vlan_tags->len == 0) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA, "<vlan> without any <tag>");
		return FALSE;
	}
	if (req->vlan_tags->len > 1 && !req->vlan_trunk) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    trunk_set ? "<vlan trunk='no'> cannot carry several tags"
					      : "several vlan tags need <vlan trunk='yes'>");
		return FALSE;
	}
	if (req->vlan_tags->len > 1)
		req->vlan_trunk = TRUE;
	if (natives > 1) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "only one vlan tag may have a nativeMode");
		return FALSE;
	}
	return TRUE;
}

/*
 * A hostdev interface hands the VF itself to the guest, so options of an
 * emulated NIC (a tap backend, a packet filter, virtio queues) cannot apply;
 * libvirt refuses to start such a domain (its net-hostdev-fail test).
 */
static gboolean
hd_check_interface_options(const HdXmlNode *iface, GError **error)
{
	static const char *const refused[] = {"filterref", "backend", "tune", "bandwidth"};
	const HdXmlNode *driver = hd_xml_node_child(iface, "driver");

	for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
		if (hd_xml_node_child(iface, refused[i]) != NULL) {
			g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "<%s> does not apply to <interface type='hostdev'>: "
				    "the guest gets the VF itself", refused[i]);
			return FALSE;
		}
	}
	for (guint i = 0; driver != NULL && i < driver->n_attrs; i++) {
		const char *name = driver->attrs[i].name;

		if (g_strcmp0(name, "name") != 0 && g_strcmp0(name, "model") != 0) {
			g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "<driver %s=...> does not apply to <interface type='hostdev'>: "
				    "the guest gets the VF itself", name);
			return FALSE;
		}
	}
	return TRUE;
}

static HdDeviceRequest *
hd_parse_hostdev_interface(const HdXmlNode *node, GError **error)
{
	g_autoptr(HdDeviceRequest) req = hd_device_request_new(HD_SOURCE_INTERFACE, node);

	if (!hd_parse_source_address(node, TRUE, &req->address, error)) {
		hd_prefix_element(error, node);
		return NULL;
	}
	if (!hd_xml_prop_bool(node, "managed", FALSE, &req->managed, error) ||
	    !hd_parse_backend(node, req, error) ||
	    !hd_parse_mac(node, &req->mac, error) ||
	    !hd_parse_vlan(node, req, error) ||
	    !hd_check_interface_options(node, error)) {
		hd_prefix_address(error, &req->address);
		return NULL;
	}
	req->has_virtualport = hd_xml_node_child(node, "virtualport") != NULL;
	return g_steal_pointer(&req);
}

/* ---- our metadata ------------------------------------------------------ */

/*
 * Our elements are empty, but for the root, which holds only our elements.
 * Text, a child or an attribute we do not know (or one in a namespace) would
 * be an option silently unapplied, so each is refused, as the schema does.
 */
static void
hd_meta_set_unknown_attribute(GError **error, const HdXmlAttr *attr)
{
	g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "unknown attribute '%s%s%s'",
		    attr->prefix != NULL ? attr->prefix : "", attr->prefix != NULL ? ":" : "", attr->name);
}

static gboolean
hd_meta_check_attributes(const HdXmlNode *node, const char *const *allowed, GError **error)
{
	for (guint i = 0; i < node->n_attrs; i++) {
		const HdXmlAttr *a = &node->attrs[i];

		if (a->ns == NULL && g_strv_contains(allowed, a->name))
			continue;
		hd_meta_set_unknown_attribute(error, a);
		hd_prefix_element(error, node);
		return FALSE;
	}
	return TRUE;
}

/* nothing inside but comments and blanks */
static gboolean
hd_meta_check_empty(const HdXmlNode *node, GError **error)
{
	/* the tree keeps no comment, processing instruction or blank text */
	for (const HdXmlNode *n = node->children; n != NULL; n = n->next) {
		if (n->type == HD_XML_ELEMENT)
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "unexpected <%s> inside", n->name);
		else
			g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA, "unexpected text inside");
		hd_prefix_element(error, node);
		return FALSE;
	}
	return TRUE;
}

typedef gboolean (*HdAttrHandler)(HdDeviceRequest *req, const char *value, GError **error);

static gboolean
hd_meta_bool(const char *name, const char *value, gboolean *out, GError **error)
{
	if (g_strcmp0(value, "yes") == 0)
		*out = TRUE;
	else if (g_strcmp0(value, "no") == 0)
		*out = FALSE;
	else {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid %s='%s': expected 'yes' or 'no'", name, value);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hd_meta_permissive(HdDeviceRequest *req, const char *value, GError **error)
{
	return hd_meta_bool("permissive", value, &req->permissive, error);
}

static gboolean
hd_meta_take_group(HdDeviceRequest *req, const char *value, GError **error)
{
	return hd_meta_bool("take-group", value, &req->take_group, error);
}

static gboolean
hd_meta_force(HdDeviceRequest *req, const char *value, GError **error)
{
	return hd_meta_bool("force", value, &req->force, error);
}

static gboolean
hd_meta_driver(HdDeviceRequest *req, const char *value, GError **error)
{
	if (!hd_driver_name_check(value, "driver=", error))
		return FALSE;
	g_free(req->target_driver);
	req->target_driver = g_strdup(value);
	return TRUE;
}

static gboolean
hd_meta_address(HdDeviceRequest *req, const char *value, GError **error)
{
	return hd_address_parse_bdf(value, &req->address, error);
}

/* ---- an SR-IOV VF's settings ---- */

static gboolean
hd_meta_tristate(const char *name, const char *value, HdTristate *out, GError **error)
{
	gboolean yes = FALSE;

	if (!hd_meta_bool(name, value, &yes, error))
		return FALSE;
	*out = yes ? HD_TRISTATE_YES : HD_TRISTATE_NO;
	return TRUE;
}

/* decimal, blanks around it allowed, as XML Schema's integer types */
static gboolean
hd_meta_uint(const char *name, const char *value, guint max, guint *out, GError **error)
{
	g_autofree gchar *stripped = g_strstrip(g_strdup(value));
	guint64 number = 0;

	if (!g_ascii_string_to_unsigned(stripped, 10, 0, max, &number, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid %s='%s': expected a decimal number from 0 to %u", name, value, max);
		return FALSE;
	}
	*out = (guint)number;
	return TRUE;
}

static gboolean
hd_meta_mac(HdDeviceRequest *req, const char *value, GError **error)
{
	g_autofree gchar *shown = g_strdup_printf("mac='%s'", value);

	g_clear_pointer(&req->vf.mac, g_free);
	return hd_mac_parse(value, shown, &req->vf.mac, error);
}

static gboolean
hd_meta_vlan(HdDeviceRequest *req, const char *value, GError **error)
{
	req->vf.has_vlan = TRUE;
	return hd_meta_uint("vlan", value, HD_VLAN_ID_MAX, &req->vf.vlan, error);
}

static gboolean
hd_meta_trust(HdDeviceRequest *req, const char *value, GError **error)
{
	return hd_meta_tristate("trust", value, &req->vf.trust, error);
}

static gboolean
hd_meta_spoofchk(HdDeviceRequest *req, const char *value, GError **error)
{
	return hd_meta_tristate("spoofchk", value, &req->vf.spoofchk, error);
}

static gboolean
hd_meta_query_rss(HdDeviceRequest *req, const char *value, GError **error)
{
	return hd_meta_tristate("query-rss", value, &req->vf.query_rss, error);
}

static const HdEnumName hd_vf_link_states[] = {
	{HD_VF_LINK_STATE_AUTO, "auto"},
	{HD_VF_LINK_STATE_ENABLE, "enable"},
	{HD_VF_LINK_STATE_DISABLE, "disable"},
	{0, NULL},
};

static gboolean
hd_meta_link_state(HdDeviceRequest *req, const char *value, GError **error)
{
	int state = HD_VF_LINK_STATE_ABSENT;

	if (!hd_enum_from_string(hd_vf_link_states, value, &state)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid link-state='%s': expected auto, enable or disable", value);
		return FALSE;
	}
	req->vf.link_state = (HdVfLinkState)state;
	return TRUE;
}

static gboolean
hd_meta_min_tx_rate(HdDeviceRequest *req, const char *value, GError **error)
{
	req->vf.has_min_tx_rate = TRUE;
	return hd_meta_uint("min-tx-rate", value, G_MAXUINT32, &req->vf.min_tx_rate, error);
}

static gboolean
hd_meta_max_tx_rate(HdDeviceRequest *req, const char *value, GError **error)
{
	req->vf.has_max_tx_rate = TRUE;
	return hd_meta_uint("max-tx-rate", value, G_MAXUINT32, &req->vf.max_tx_rate, error);
}

static const struct {
	const char *name;
	HdAttrHandler handler;
} hd_meta_device_attrs[] = {
	{"address", hd_meta_address},
	{"driver", hd_meta_driver},
	{"permissive", hd_meta_permissive},
	{"take-group", hd_meta_take_group},
	{"force", hd_meta_force},
	{"mac", hd_meta_mac},
	{"vlan", hd_meta_vlan},
	{"trust", hd_meta_trust},
	{"spoofchk", hd_meta_spoofchk},
	{"link-state", hd_meta_link_state},
	{"min-tx-rate", hd_meta_min_tx_rate},
	{"max-tx-rate", hd_meta_max_tx_rate},
	{"query-rss", hd_meta_query_rss},
};

/* <hd:device address='0000:03:00.0' driver= permissive= take-group= force=
 *            mac= vlan= trust= spoofchk= link-state= min-tx-rate= max-tx-rate= query-rss=/> */
static HdDeviceRequest *
hd_parse_meta_device(const HdXmlNode *node, GError **error)
{
	g_autoptr(HdDeviceRequest) req = hd_device_request_new(HD_SOURCE_METADATA, node);

	if (hd_xml_node_attr(node, "address") == NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA, "missing address='DDDD:BB:DD.F'");
		hd_prefix_element(error, node);
		return NULL;
	}
	for (guint n = 0; n < node->n_attrs; n++) {
		const HdXmlAttr *a = &node->attrs[n];
		gboolean known = FALSE;

		/* hd:address is not address: our attributes carry no namespace */
		for (guint i = 0; i < G_N_ELEMENTS(hd_meta_device_attrs) && !known && a->ns == NULL; i++) {
			if (g_strcmp0(a->name, hd_meta_device_attrs[i].name) != 0)
				continue;
			known = TRUE;
			if (!hd_meta_device_attrs[i].handler(req, a->value, error)) {
				hd_prefix_element(error, node);
				return NULL;
			}
		}
		if (!known) {
			hd_meta_set_unknown_attribute(error, a);
			hd_prefix_element(error, node);
			return NULL;
		}
	}
	if (!hd_meta_check_empty(node, error))
		return NULL;
	req->has_metadata = TRUE;
	return g_steal_pointer(&req);
}

/*
 * A network interface name as pf='...' may give it: what Linux allows
 * (IFNAMSIZ, no '/', ':' or blank), narrowed to the characters interface
 * names are made of, so it can never climb out of class/net.  No PCI
 * address is one: they all contain ':'.
 */
static gboolean
hd_netdev_name_is_valid(const char *name)
{
	return g_regex_match_simple("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$", name, G_REGEX_DOLLAR_ENDONLY, 0);
}

/* pf='0000:05:00.0' or pf='enp5s0' */
static gboolean
hd_parse_meta_pf(const char *pf, HdVfRequest *out, GError **error)
{
	if (strchr(pf, ':') != NULL)
		return hd_address_parse_bdf(pf, &out->pf, error);
	if (!hd_netdev_name_is_valid(pf)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid pf='%s': expected a PCI address DDDD:BB:DD.F or a network interface name", pf);
		return FALSE;
	}
	out->pf_name = g_strdup(pf);
	return TRUE;
}

/* <hd:vfs pf='0000:05:00.0' count='4'/>; count is decimal, as xsd:unsignedShort */
static gboolean
hd_parse_meta_vfs(const HdXmlNode *node, HdVfRequest *out, GError **error)
{
	static const char *const allowed[] = {"pf", "count", NULL};
	g_autofree gchar *pf = hd_xml_prop(node, "pf");
	g_autofree gchar *count = hd_xml_prop(node, "count");
	guint64 value = 0;

	out->line = node->line;
	if (!hd_meta_check_attributes(node, allowed, error) || !hd_meta_check_empty(node, error))
		return FALSE;
	if (pf == NULL || count == NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "needs both pf='DDDD:BB:DD.F' (or an interface name) and count='N'");
	} else if (hd_parse_meta_pf(pf, out, error)) {
		if (g_ascii_string_to_unsigned(g_strstrip(count), 10, 1, G_MAXUINT16, &value, NULL)) {
			out->count = (guint)value;
			return TRUE;
		}
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "invalid count '%s': expected a decimal number from 1 to %u", count, G_MAXUINT16);
	}
	hd_prefix_element(error, node);
	return FALSE;
}

static gboolean
hd_parse_metadata(const HdXmlNode *metadata, HdDomain *domain, GPtrArray *meta_devices, GError **error)
{
	for (const HdXmlNode *top = metadata->children; top != NULL; top = top->next) {
		if (!hd_xml_is_ours(top))
			continue;
		if (g_strcmp0(top->name, "hostdev-hook") != 0) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "<%s> at line %u: unknown element in namespace %s", top->name, top->line,
				    HD_METADATA_NS);
			return FALSE;
		}
		static const char *const no_attributes[] = {NULL};

		if (!hd_meta_check_attributes(top, no_attributes, error))
			return FALSE;
		for (const HdXmlNode *n = top->children; n != NULL; n = n->next) {
			if (n->type != HD_XML_ELEMENT) {
				g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA, "unexpected text inside");
				hd_prefix_element(error, top);
				return FALSE;
			}
			if (hd_xml_is_ours(n) && g_strcmp0(n->name, "device") == 0) {
				HdDeviceRequest *req = hd_parse_meta_device(n, error);
				if (req == NULL)
					return FALSE;
				g_ptr_array_add(meta_devices, req);
			} else if (hd_xml_is_ours(n) && g_strcmp0(n->name, "vfs") == 0) {
				HdVfRequest vfs = {0};
				if (!hd_parse_meta_vfs(n, &vfs, error)) {
					g_free(vfs.pf_name);
					return FALSE;
				}
				g_array_append_val(domain->vf_requests, vfs);
			} else {
				g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
					    "<%s> at line %u: unknown element inside <hostdev-hook>", n->name,
					    n->line);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* ---- the document ------------------------------------------------------ */

static gboolean
hd_domain_add_request(HdDomain *domain, HdDeviceRequest *req, GError **error)
{
	g_autoptr(HdDeviceRequest) owned = req;
	HdDeviceRequest *other = hd_domain_find_request(domain, &req->address);

	if (other != NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "requested twice, at lines %u and %u", other->line, req->line);
		hd_prefix_address(error, &req->address);
		return FALSE;
	}
	g_hash_table_insert(domain->by_address, GUINT_TO_POINTER(hd_address_key(&req->address)), req);
	g_ptr_array_add(domain->requests, g_steal_pointer(&owned));
	return TRUE;
}

/*
 * libvirt sets an <interface type='hostdev'>'s MAC and VLAN through the PF
 * after our prepare, from the interface's own <mac> and <vlan>: ours would
 * be overwritten, so asking for both is a mistake, said at once.
 */
static gboolean
hd_domain_merge_vf_settings(HdDeviceRequest *target, HdDeviceRequest *meta, GError **error)
{
	if (target->source == HD_SOURCE_INTERFACE && (meta->vf.mac != NULL || meta->vf.has_vlan)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "<hd:device> %s= is for a plain <hostdev>: this <interface type='hostdev'> takes its "
			    "own <%s>, which libvirt sets; move it there",
			    meta->vf.mac != NULL ? "mac" : "vlan", meta->vf.mac != NULL ? "mac" : "vlan");
		hd_prefix_address(error, &meta->address);
		return FALSE;
	}
	g_free(target->vf.mac);
	target->vf = meta->vf;
	meta->vf.mac = NULL;
	return TRUE;
}

/*
 * Our metadata may annotate a device that <hostdev> or <interface> asks for,
 * or ask for one on its own (a group companion to keep off the host, say).
 * Metadata-only requests follow the libvirt elements, in document order.
 */
static gboolean
hd_domain_merge_metadata(HdDomain *domain, GPtrArray *meta_devices, GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (guint i = 0; i < meta_devices->len; i++) {
		g_autoptr(HdDeviceRequest) meta = g_steal_pointer(&g_ptr_array_index(meta_devices, i));
		gpointer key = GUINT_TO_POINTER(hd_address_key(&meta->address));
		HdDeviceRequest *target = hd_domain_find_request(domain, &meta->address);

		if (!g_hash_table_add(seen, key)) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "more than one <hd:device> for this address (line %u)", meta->line);
			hd_prefix_address(error, &meta->address);
			return FALSE;
		}
		if (target == NULL) {
			if (!hd_domain_add_request(domain, g_steal_pointer(&meta), error))
				return FALSE;
			continue;
		}
		if (!hd_domain_merge_vf_settings(target, meta, error))
			return FALSE;
		target->has_metadata = TRUE;
		target->permissive = target->permissive || meta->permissive;
		target->take_group = meta->take_group;
		target->force = meta->force;
		target->target_driver = g_steal_pointer(&meta->target_driver);
	}
	return TRUE;
}

static const HdEnumName hd_domain_types[] = {
	{HD_HYPERVISOR_KVM, "kvm"},
	{HD_HYPERVISOR_KVM, "qemu"},
	{HD_HYPERVISOR_XEN, "xen"},
	{0, NULL},
};

static HdHypervisor
hd_hypervisor_from_type(const char *type)
{
	int hypervisor = HD_HYPERVISOR_UNKNOWN;

	hd_enum_from_string(hd_domain_types, type, &hypervisor);
	return (HdHypervisor)hypervisor;
}

static gboolean
hd_parse_device_element(HdDomain *domain, const HdXmlNode *node, GError **error)
{
	g_autofree gchar *mode = NULL;
	g_autofree gchar *type = NULL;
	HdDeviceRequest *req = NULL;

	if (hd_xml_node_is(node, NULL, "hostdev")) {
		mode = hd_xml_prop(node, "mode");
		type = hd_xml_prop(node, "type");
		if (g_strcmp0(mode != NULL ? mode : "subsystem", "subsystem") != 0 ||
		    g_strcmp0(type, "pci") != 0) {
			g_debug("ignoring <hostdev mode='%s' type='%s'> at line %u: not a PCI device",
				mode != NULL ? mode : "subsystem", type != NULL ? type : "",
				node->line);
			return TRUE;
		}
		req = hd_parse_hostdev(node, error);
	} else if (hd_xml_node_is(node, NULL, "interface")) {
		type = hd_xml_prop(node, "type");
		if (g_strcmp0(type, "hostdev") != 0) {
			g_debug("ignoring <interface type='%s'> at line %u: not a hostdev interface",
				type != NULL ? type : "", node->line);
			return TRUE;
		}
		req = hd_parse_hostdev_interface(node, error);
	} else {
		return TRUE;
	}
	return req != NULL && hd_domain_add_request(domain, req, error);
}

static gboolean
hd_parse_domain_element(HdDomain *domain, const HdXmlNode *root, GError **error)
{
	g_autoptr(GPtrArray) meta_devices =
	    g_ptr_array_new_with_free_func((GDestroyNotify)hd_device_request_free);
	const HdXmlNode *metadata = hd_xml_node_child(root, "metadata");
	const HdXmlNode *devices = hd_xml_node_child(root, "devices");
	const HdXmlNode *os;

	domain->type = hd_xml_prop(root, "type");
	domain->name = hd_xml_child_text(root, "name");
	domain->uuid = hd_xml_child_text(root, "uuid");
	os = hd_xml_node_child(root, "os");
	domain->os_type = os != NULL ? hd_xml_child_text(os, "type") : NULL;
	domain->hypervisor = hd_hypervisor_from_type(domain->type);
	if (domain->type == NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "domain XML: <domain> has no type attribute");
		return FALSE;
	}
	if (metadata != NULL && !hd_parse_metadata(metadata, domain, meta_devices, error))
		return FALSE;
	for (const HdXmlNode *n = devices != NULL ? devices->children : NULL; n != NULL; n = n->next) {
		if (!hd_parse_device_element(domain, n, error))
			return FALSE;
	}
	return hd_domain_merge_metadata(domain, meta_devices, error);
}

/* <network><forward mode='hostdev'><address type='pci' .../>...: a VF pool */
static gboolean
hd_parse_network_element(HdDomain *domain, const HdXmlNode *root, GError **error)
{
	const HdXmlNode *forward = hd_xml_node_child(root, "forward");
	g_autofree gchar *mode = forward != NULL ? hd_xml_prop(forward, "mode") : NULL;
	gboolean managed = FALSE;

	domain->name = hd_xml_child_text(root, "name");
	domain->uuid = hd_xml_child_text(root, "uuid");
	if (g_strcmp0(mode, "hostdev") != 0)
		return TRUE;
	if (!hd_xml_prop_bool(forward, "managed", FALSE, &managed, error))
		return FALSE;
	for (const HdXmlNode *n = forward->children; n != NULL; n = n->next) {
		g_autoptr(HdDeviceRequest) req = NULL;

		if (!hd_xml_node_is(n, NULL, "address"))
			continue;
		req = hd_device_request_new(HD_SOURCE_NETWORK, n);
		req->managed = managed;
		if (!hd_parse_pci_address(n, &req->address, error) ||
		    !hd_parse_backend(forward, req, error)) {
			hd_prefix_element(error, n);
			return FALSE;
		}
		if (!hd_domain_add_request(domain, g_steal_pointer(&req), error))
			return FALSE;
	}
	return TRUE;
}

/* <networkport><plug type='hostdev-pci' managed=...><address .../></plug> */
static gboolean
hd_parse_networkport_element(HdDomain *domain, const HdXmlNode *root, GError **error)
{
	const HdXmlNode *owner = hd_xml_node_child(root, "owner");
	const HdXmlNode *plug = hd_xml_node_child(root, "plug");
	const HdXmlNode *address = plug != NULL ? hd_xml_node_child(plug, "address") : NULL;
	g_autofree gchar *type = plug != NULL ? hd_xml_prop(plug, "type") : NULL;
	g_autoptr(HdDeviceRequest) req = NULL;

	if (owner != NULL) {
		domain->name = hd_xml_child_text(owner, "name");
		domain->uuid = hd_xml_child_text(owner, "uuid");
	}
	if (g_strcmp0(type, "hostdev-pci") != 0)
		return TRUE;
	req = hd_device_request_new(HD_SOURCE_NETWORK, plug);
	if (address == NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA, "missing <address/>");
		hd_prefix_element(error, plug);
		return FALSE;
	}
	if (!hd_parse_pci_address(address, &req->address, error) ||
	    !hd_xml_prop_bool(plug, "managed", FALSE, &req->managed, error) ||
	    !hd_parse_backend(plug, req, error)) {
		hd_prefix_element(error, plug);
		return FALSE;
	}
	return hd_domain_add_request(domain, g_steal_pointer(&req), error);
}

HdDomain *
hd_domain_parse(const char *xml, gsize len, GError **error)
{
	g_autoptr(HdXmlDoc) doc = hd_xml_doc_parse(xml, len, "domain XML", error);
	g_autoptr(HdDomain) domain = NULL;
	const HdXmlNode *root;
	gboolean ok;

	if (doc == NULL)
		return NULL;
	root = hd_xml_doc_root(doc);
	domain = hd_domain_new(root->name);

	if (hd_xml_node_is(root, NULL, "domain"))
		ok = hd_parse_domain_element(domain, root, error);
	else if (hd_xml_node_is(root, NULL, "hostdev") || hd_xml_node_is(root, NULL, "interface"))
		ok = hd_parse_device_element(domain, root, error);
	else if (hd_xml_node_is(root, NULL, "network"))
		ok = hd_parse_network_element(domain, root, error);
	else if (hd_xml_node_is(root, NULL, "networkport"))
		ok = hd_parse_networkport_element(domain, root, error);
	else {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "domain XML: unexpected root element <%s>: expected <domain>",
			    root->name);
		ok = FALSE;
	}
	return ok ? g_steal_pointer(&domain) : NULL;
}

/*
 * What `virsh attach-device` and `detach-device` take: one <hostdev> or
 * <interface> element.  It names no hypervisor and no owner, so it is
 * read as a device of @domain, the running domain's XML, whose name, uuid
 * and type the result takes.  Only the element's own request is in the
 * result: the domain's other devices and <hd:vfs> are the domain's already.
 * An element that asks for no PCI device (<hostdev type='usb'>, an
 * <interface type='network'>) gives no request at all.
 */
HdDomain *
hd_domain_parse_device(const HdDomain *domain, const char *xml, gsize len, GError **error)
{
	g_autoptr(HdXmlDoc) doc = hd_xml_doc_parse(xml, len, "device XML", error);
	g_autoptr(HdDomain) device = NULL;
	const HdXmlNode *root;

	if (doc == NULL)
		return NULL;
	root = hd_xml_doc_root(doc);
	if (!hd_xml_node_is(root, NULL, "hostdev") && !hd_xml_node_is(root, NULL, "interface")) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "device XML: <%s> is not a device to pass through: expected one <hostdev> or "
			    "<interface type='hostdev'>",
			    root->name);
		return NULL;
	}
	device = hd_domain_new(root->name);
	device->name = g_strdup(domain->name);
	device->uuid = g_strdup(domain->uuid);
	device->type = g_strdup(domain->type);
	device->os_type = g_strdup(domain->os_type);
	device->hypervisor = domain->hypervisor;
	if (!hd_parse_device_element(device, root, error)) {
		g_prefix_error(error, "device XML: ");
		return NULL;
	}
	return g_steal_pointer(&device);
}

HdDomain *
hd_domain_parse_file(const char *path, GError **error)
{
	g_autofree gchar *contents = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &contents, &len, error))
		return NULL;
	return hd_domain_parse(contents, len, error);
}
