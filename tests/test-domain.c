/*
 * test-domain.c: what hd_domain_parse() finds in a domain, and what it refuses
 *
 * The parser's input comes from libvirt, an administrator or anyone who can
 * get a file onto our stdin, and its errors reach `virsh start` verbatim.
 * So besides the devices themselves these tests pin down that every refusal
 * names its element (by address or by line), that hostile documents are
 * refused before they can read a file or expand an entity, and that large
 * documents stay cheap.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "hd-domain.h"
#include "hd-error.h"
#include "test-table.h"

/* ---- helpers ----------------------------------------------------------- */

static gchar *
fixture_path(const char *name)
{
	return g_test_build_filename(G_TEST_DIST, "xml", name, NULL);
}

static gchar *
load_fixture(const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = fixture_path(name);
	gchar *contents = NULL;

	g_file_get_contents(path, &contents, NULL, &error);
	g_assert_no_error(error);
	return contents;
}

static HdDomain *
parse_fixture(const char *name, GError **error)
{
	g_autofree gchar *path = fixture_path(name);

	return hd_domain_parse_file(path, error);
}

static HdDomain *
parse_text(const char *xml, GError **error)
{
	return hd_domain_parse(xml, strlen(xml), error);
}

/* the smallest domain libvirt would accept around some devices; the
 * devices start on line 4 */
static gchar *
wrap_devices(const char *devices)
{
	return g_strdup_printf("<domain type='kvm'>\n"
			       "  <name>test</name>\n"
			       "  <devices>\n"
			       "%s\n"
			       "  </devices>\n"
			       "</domain>\n",
			       devices);
}

/* one PCI hostdev at 0000:03:00.0 and our metadata */
static gchar *
wrap_metadata(const char *metadata)
{
	return g_strdup_printf("<domain type='kvm'>\n"
			       "  <name>test</name>\n"
			       "  <metadata>\n"
			       "%s\n"
			       "  </metadata>\n"
			       "  <devices>\n"
			       "    <hostdev mode='subsystem' type='pci'>\n"
			       "      <source><address bus='0x03'/></source>\n"
			       "    </hostdev>\n"
			       "  </devices>\n"
			       "</domain>\n",
			       metadata);
}

/*
 * The lines (1-based, document order) whose first non-blank text starts
 * with one of @prefixes.  Tests derive expected line numbers from the
 * document this way instead of hard-coding them, so a fixture may be
 * edited without renumbering the test.
 */
static GArray *
lines_starting_with(const char *text, const char *const *prefixes)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GArray *found = g_array_new(FALSE, FALSE, sizeof(guint));

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *start = lines[i] + strspn(lines[i], " \t");

		for (guint p = 0; prefixes[p] != NULL; p++) {
			if (g_str_has_prefix(start, prefixes[p])) {
				guint line = i + 1;
				g_array_append_val(found, line);
				break;
			}
		}
	}
	return found;
}

/* <hostdev> and <interface> elements: the ones libvirt asks with */
static GArray *
device_lines(const char *text)
{
	static const char *const prefixes[] = {"<hostdev ", "<hostdev>", "<interface ", NULL};

	return lines_starting_with(text, prefixes);
}

static HdDeviceRequest *
request_at(const HdDomain *domain, guint i)
{
	g_assert_cmpuint(i, <, domain->requests->len);
	return g_ptr_array_index(domain->requests, i);
}

static void
assert_address(const HdAddress *addr, const char *expected)
{
	char bdf[HD_ADDRESS_STRLEN];

	hd_address_format(addr, bdf);
	g_assert_cmpstr(bdf, ==, expected);
}

/* the message is logged: it is what `virsh start` would print */
static void
assert_refused(const GError *error, HdError code)
{
	if (error != NULL)
		g_test_message("refused: %s", error->message);
	g_assert_error(error, HD_ERROR, (gint)code);
}

static void
assert_message_contains(const GError *error, const char *needle)
{
	g_assert_nonnull(g_strstr_len(error->message, -1, needle));
}

static void
assert_message_starts_with(const GError *error, const char *prefix)
{
	g_assert_true(g_str_has_prefix(error->message, prefix));
}

/* ---- a full domain ----------------------------------------------------- */

static void
test_full_document_order(void)
{
	static const struct {
		HdSource source;
		const char *address;
	} expected[] = {
		{HD_SOURCE_HOSTDEV, "0000:3b:00.0"},
		{HD_SOURCE_INTERFACE, "0000:5e:10.3"},
		{HD_SOURCE_HOSTDEV, "0001:02:1f.7"},
		{HD_SOURCE_INTERFACE, "0000:5e:10.4"},
	};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = load_fixture("full-domain.xml");
	g_autoptr(GArray) lines = device_lines(text);
	g_autoptr(HdDomain) domain = parse_text(text, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(domain->requests->len, ==, G_N_ELEMENTS(expected));
	g_assert_cmpuint(lines->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		HdDeviceRequest *req = request_at(domain, i);

		g_assert_cmpint(req->source, ==, expected[i].source);
		assert_address(&req->address, expected[i].address);
		g_assert_cmpuint(req->line, ==, g_array_index(lines, guint, i));
		g_assert_true(hd_domain_find_request(domain, &req->address) == req);
	}
}

static void
test_full_identity(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_fixture("full-domain.xml", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(domain->root_element, ==, "domain");
	g_assert_cmpstr(domain->name, ==, "passthrough-guest");
	g_assert_cmpstr(domain->uuid, ==, "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
	g_assert_cmpstr(domain->type, ==, "kvm");
	g_assert_cmpint(domain->hypervisor, ==, HD_HYPERVISOR_KVM);
	g_assert_cmpuint(domain->vf_requests->len, ==, 0);
}

/* the guest-side <address> of the hostdev and the disk's PCI address are
 * not requests, and nothing of an interface leaks onto a plain hostdev */
static void
test_full_hostdev(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_fixture("full-domain.xml", &error);
	HdDeviceRequest *req;
	const HdAddress guest_side = {0, 0x07, 0, 0};
	const HdAddress disk = {0, 0x04, 0, 0};

	g_assert_no_error(error);
	req = request_at(domain, 0);
	g_assert_true(req->managed);
	g_assert_cmpint(req->backend, ==, HD_BACKEND_VFIO);
	g_assert_false(req->permissive);
	g_assert_null(req->mac);
	g_assert_cmpuint(req->vlan_tags->len, ==, 0);
	g_assert_false(req->vlan_trunk);
	g_assert_false(req->has_virtualport);
	g_assert_false(req->has_metadata);
	g_assert_null(req->target_driver);
	g_assert_false(req->take_group);
	g_assert_false(req->force);
	g_assert_null(hd_domain_find_request(domain, &guest_side));
	g_assert_null(hd_domain_find_request(domain, &disk));
}

static void
test_full_interface(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_fixture("full-domain.xml", &error);
	HdDeviceRequest *req;
	HdVlanTag *tags;

	g_assert_no_error(error);
	req = request_at(domain, 1);
	g_assert_true(req->managed);
	g_assert_cmpint(req->backend, ==, HD_BACKEND_DEFAULT);
	g_assert_cmpstr(req->mac, ==, "52:54:00:ab:cd:ef");
	g_assert_true(req->vlan_trunk);
	g_assert_cmpuint(req->vlan_tags->len, ==, 2);
	tags = (HdVlanTag *)req->vlan_tags->data;
	g_assert_cmpuint(tags[0].id, ==, 42);
	g_assert_cmpint(tags[0].native_mode, ==, HD_VLAN_NATIVE_NONE);
	g_assert_cmpuint(tags[1].id, ==, 47);
	g_assert_cmpint(tags[1].native_mode, ==, HD_VLAN_NATIVE_UNTAGGED);
	g_assert_true(req->has_virtualport);
	g_assert_false(req->permissive);
}

/* managed defaults to no; writeFiltering='no' is Xen's permissive mode */
static void
test_full_unmanaged_permissive(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_fixture("full-domain.xml", &error);
	HdDeviceRequest *hostdev;
	HdDeviceRequest *iface;

	g_assert_no_error(error);
	hostdev = request_at(domain, 2);
	g_assert_false(hostdev->managed);
	g_assert_cmpint(hostdev->backend, ==, HD_BACKEND_XEN);
	g_assert_true(hostdev->permissive);
	iface = request_at(domain, 3);
	g_assert_false(iface->managed);
	g_assert_cmpint(iface->backend, ==, HD_BACKEND_KVM);
	g_assert_null(iface->mac);
	g_assert_cmpuint(iface->vlan_tags->len, ==, 0);
	g_assert_false(iface->has_virtualport);
}

/* ---- <driver name=...> ------------------------------------------------- */

typedef struct {
	const char *name;
	const char *driver; /* the element, or "" for none */
	gboolean ok;
	HdBackend expected;
} BackendCase;

static const BackendCase backend_cases[] = {
	{"absent", "", TRUE, HD_BACKEND_DEFAULT},
	{"vfio", "<driver name='vfio'/>", TRUE, HD_BACKEND_VFIO},
	{"xen", "<driver name='xen'/>", TRUE, HD_BACKEND_XEN},
	{"kvm", "<driver name='kvm'/>", TRUE, HD_BACKEND_KVM},
	{"default", "<driver name='default'/>", TRUE, HD_BACKEND_DEFAULT},
	/* libvirt 10's <driver model=> picks the stub, not the backend */
	{"model-only", "<driver model='vfio-pci'/>", TRUE, HD_BACKEND_DEFAULT},
	{"unknown", "<driver name='pciback'/>", FALSE},
	{"wrong-case", "<driver name='VFIO'/>", FALSE},
};

static void
test_backend(gconstpointer data)
{
	const BackendCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *devices = g_strdup_printf(
	    "<hostdev mode='subsystem' type='pci'>%s"
	    "<source><address bus='0x03'/></source></hostdev>",
	    c->driver);
	g_autofree gchar *xml = wrap_devices(devices);
	g_autoptr(HdDomain) domain = parse_text(xml, &error);

	if (!c->ok) {
		g_assert_null(domain);
		assert_refused(error, HD_ERROR_INVALID_DATA);
		assert_message_contains(error, "0000:03:00.0: ");
		assert_message_contains(error, "<driver name=");
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpint(request_at(domain, 0)->backend, ==, c->expected);
}

static void
test_enum_strings(void)
{
	g_assert_null(hd_backend_to_string(HD_BACKEND_DEFAULT));
	g_assert_cmpstr(hd_backend_to_string(HD_BACKEND_VFIO), ==, "vfio");
	g_assert_cmpstr(hd_backend_to_string(HD_BACKEND_XEN), ==, "xen");
	g_assert_cmpstr(hd_backend_to_string(HD_BACKEND_KVM), ==, "kvm");
	g_assert_cmpstr(hd_source_to_string(HD_SOURCE_HOSTDEV), ==, "hostdev");
	g_assert_cmpstr(hd_source_to_string(HD_SOURCE_INTERFACE), ==, "interface");
	g_assert_cmpstr(hd_source_to_string(HD_SOURCE_METADATA), ==, "metadata");
	g_assert_cmpstr(hd_source_to_string(HD_SOURCE_NETWORK), ==, "network");
	g_assert_cmpstr(hd_hypervisor_to_string(HD_HYPERVISOR_KVM), ==, "kvm");
	g_assert_cmpstr(hd_hypervisor_to_string(HD_HYPERVISOR_XEN), ==, "xen");
	g_assert_cmpstr(hd_hypervisor_to_string(HD_HYPERVISOR_UNKNOWN), ==, "unknown");
}

/* ---- <domain type=...> ------------------------------------------------- */

typedef struct {
	const char *name;
	const char *type; /* NULL: no type attribute */
	HdHypervisor expected;
} HypervisorCase;

static const HypervisorCase hypervisor_cases[] = {
	{"kvm", "kvm", HD_HYPERVISOR_KVM},
	{"qemu", "qemu", HD_HYPERVISOR_KVM},
	{"xen", "xen", HD_HYPERVISOR_XEN},
	{"lxc", "lxc", HD_HYPERVISOR_UNKNOWN},
	{"hvf", "hvf", HD_HYPERVISOR_UNKNOWN},
	/* libvirt's domain types are case-sensitive */
	{"upper-case-kvm", "KVM", HD_HYPERVISOR_UNKNOWN},
	{"missing", NULL},
};

static void
test_hypervisor(gconstpointer data)
{
	const HypervisorCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *attribute = c->type != NULL ? g_strdup_printf(" type='%s'", c->type) : g_strdup("");
	g_autofree gchar *xml = g_strdup_printf("<domain%s><name>hv</name><devices/></domain>", attribute);
	g_autoptr(HdDomain) domain = parse_text(xml, &error);

	if (c->type == NULL) {
		g_assert_null(domain);
		assert_refused(error, HD_ERROR_INVALID_DATA);
		assert_message_contains(error, "no type attribute");
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpstr(domain->type, ==, c->type);
	g_assert_cmpint(domain->hypervisor, ==, c->expected);
	g_assert_cmpuint(domain->requests->len, ==, 0);
}

/* ---- devices that are not our business -------------------------------- */

typedef struct {
	const char *name;
	const char *device;
} IgnoredCase;

static const IgnoredCase ignored_cases[] = {
	{"hostdev-usb", "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/>"
			"<product id='0xbeef'/></source></hostdev>"},
	{"hostdev-scsi", "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/>"
			 "<address bus='0' target='0' unit='0'/></source></hostdev>"},
	{"hostdev-scsi-host", "<hostdev mode='subsystem' type='scsi_host'>"
			      "<source protocol='vhost' wwpn='naa.50014057667280d8'/></hostdev>"},
	{"hostdev-mdev", "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
			 "<address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>"},
	{"hostdev-capabilities-storage", "<hostdev mode='capabilities' type='storage'>"
					 "<source><block>/dev/sdf1</block></source></hostdev>"},
	{"hostdev-capabilities-pci", "<hostdev mode='capabilities' type='pci'><source>"
				     "<address bus='0x09'/></source></hostdev>"},
	/* no type at all is not a PCI hostdev either (libvirt refuses it) */
	{"hostdev-without-type", "<hostdev mode='subsystem'><source><address bus='0x09'/></source></hostdev>"},
	{"interface-network", "<interface type='network'><source network='default'/></interface>"},
	{"interface-bridge", "<interface type='bridge'><source bridge='br0'/></interface>"},
	{"interface-direct", "<interface type='direct'><source dev='eth0' mode='vepa'/></interface>"},
	{"interface-without-type", "<interface><source><address type='pci' bus='0x09'/></source></interface>"},
	{"controller-with-pci-address", "<controller type='pci' index='1' model='pcie-root-port'>"
					"<address type='pci' bus='0x00' slot='0x02'/></controller>"},
	/* an element of another namespace is never libvirt's <hostdev> */
	{"foreign-namespace-hostdev", "<x:hostdev xmlns:x='urn:example:x' mode='subsystem' type='pci'>"
				      "<x:source><x:address bus='0x09'/></x:source></x:hostdev>"},
};

static void
test_ignored(gconstpointer data)
{
	const IgnoredCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = wrap_devices(c->device);
	g_autoptr(HdDomain) domain = parse_text(xml, &error);

	g_assert_no_error(error);
	g_assert_nonnull(domain);
	g_assert_cmpuint(domain->requests->len, ==, 0);
}

/* all of them together, with one real PCI hostdev after them */
static void
test_ignored_mixed_document(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_fixture("ignored-devices.xml", &error);

	g_assert_no_error(error);
	g_assert_cmpuint(domain->requests->len, ==, 1);
	assert_address(&request_at(domain, 0)->address, "0000:0a:00.0");
}

/* ---- addresses --------------------------------------------------------- */

typedef struct {
	const char *name;
	const char *address;
	const char *expected;
} DefaultCase;

/* libvirt fills absent attributes with 0, and so must we */
static const DefaultCase default_cases[] = {
	{"no-attributes", "<address/>", "0000:00:00.0"},
	{"bus-only", "<address bus='0x03'/>", "0000:03:00.0"},
	{"slot-and-function-only", "<address slot='0x1f' function='7'/>", "0000:00:1f.7"},
	{"domain-only", "<address domain='0x0002'/>", "0002:00:00.0"},
	{"decimal-and-octal", "<address domain='2' bus='020' slot='10' function='05'/>", "0002:10:0a.5"},
	/* libvirt's hostdev source address has no type; a type is harmless */
	{"typed-pci", "<address type='pci' bus='0x03'/>", "0000:03:00.0"},
};

static void
test_address_default(gconstpointer data)
{
	const DefaultCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *devices = g_strdup_printf(
	    "<hostdev mode='subsystem' type='pci'><source>%s</source></hostdev>", c->address);
	g_autofree gchar *xml = wrap_devices(devices);
	g_autoptr(HdDomain) domain = parse_text(xml, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(domain->requests->len, ==, 1);
	assert_address(&request_at(domain, 0)->address, c->expected);
}

typedef struct {
	const char *name;
	const char *devices;
	const char *element; /* named with its line in the message */
	const char *message;
} LocatedErrorCase;

/* without an address there is nothing else to name the element by */
static const LocatedErrorCase located_error_cases[] = {
	{"hostdev-without-source", "<hostdev mode='subsystem' type='pci'/>",
	 "<hostdev>", "missing <source><address/></source>"},
	{"hostdev-source-without-address", "<hostdev mode='subsystem' type='pci'>\n"
					   "  <source writeFiltering='no'/>\n</hostdev>",
	 "<hostdev>", "missing <source><address/></source>"},
	{"hostdev-address-outside-source", "<hostdev mode='subsystem' type='pci'>\n"
					   "  <address type='pci' bus='0x03'/>\n</hostdev>",
	 "<hostdev>", "missing <source><address/></source>"},
	{"interface-without-source", "<interface type='hostdev'>\n"
				     "  <mac address='52:54:00:00:00:01'/>\n</interface>",
	 "<interface>", "missing <source><address/></source>"},
	{"bus-too-big", "<hostdev mode='subsystem' type='pci'>\n"
			"  <source><address bus='0x100'/></source>\n</hostdev>",
	 "<hostdev>", "invalid bus '0x100'"},
	{"invalid-octal-slot", "<hostdev mode='subsystem' type='pci'>\n"
			       "  <source><address slot='08'/></source>\n</hostdev>",
	 "<hostdev>", "invalid slot '08'"},
	{"negative-function", "<interface type='hostdev'>\n"
			      "  <source><address type='pci' function='-1'/></source>\n</interface>",
	 "<interface>", "invalid function '-1'"},
	/* the second device is the broken one: the line must be its own */
	{"second-device", "<hostdev mode='subsystem' type='pci'>\n"
			  "  <source><address bus='0x01'/></source>\n</hostdev>\n"
			  "<hostdev mode='subsystem' type='pci'>\n"
			  "  <source/>\n</hostdev>",
	 "<hostdev>", "missing <source><address/></source>"},
};

static void
test_located_error(gconstpointer data)
{
	const LocatedErrorCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = wrap_devices(c->devices);
	g_autoptr(GArray) lines = device_lines(xml);
	g_autoptr(HdDomain) domain = parse_text(xml, &error);
	g_autofree gchar *where = NULL;

	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	g_assert_cmpuint(lines->len, >, 0);
	where = g_strdup_printf("%s at line %u: ", c->element, g_array_index(lines, guint, lines->len - 1));
	assert_message_starts_with(error, where);
	assert_message_contains(error, c->message);
}

/* ---- a device asked for twice ----------------------------------------- */

typedef struct {
	const char *name;
	const char *first;
	const char *second;
	const char *address;
} DuplicateCase;

#define HOSTDEV_AT(attrs) "<hostdev mode='subsystem' type='pci'>\n  <source><address " attrs "/></source>\n</hostdev>"
#define INTERFACE_AT(attrs) \
	"<interface type='hostdev'>\n  <source><address type='pci' " attrs "/></source>\n</interface>"

static const DuplicateCase duplicate_cases[] = {
	{"same-spelling", HOSTDEV_AT("bus='0x06' slot='0x12' function='0x5'"),
	 HOSTDEV_AT("bus='0x06' slot='0x12' function='0x5'"), "0000:06:12.5"},
	{"hex-and-decimal", HOSTDEV_AT("domain='0x0000' bus='0x06' slot='0x12' function='0x5'"),
	 HOSTDEV_AT("domain='0' bus='6' slot='18' function='5'"), "0000:06:12.5"},
	{"hex-and-octal", HOSTDEV_AT("bus='0x06' slot='0x12' function='0x5'"),
	 HOSTDEV_AT("bus='06' slot='022' function='05'"), "0000:06:12.5"},
	{"absent-and-explicit-zero", HOSTDEV_AT(""),
	 HOSTDEV_AT("domain='0x0000' bus='0x00' slot='0x00' function='0x0'"), "0000:00:00.0"},
	{"hostdev-then-interface", HOSTDEV_AT("bus='0x5e' slot='0x10' function='0x1'"),
	 INTERFACE_AT("bus='0x5e' slot='0x10' function='0x1'"), "0000:5e:10.1"},
	{"interface-then-hostdev", INTERFACE_AT("bus='0x5e' slot='0x10' function='0x1'"),
	 HOSTDEV_AT("bus='94' slot='16' function='1'"), "0000:5e:10.1"},
	{"two-interfaces", INTERFACE_AT("domain='0x0001' bus='0x5e'"),
	 INTERFACE_AT("domain='1' bus='94'"), "0001:5e:00.0"},
};

static void
test_duplicate(gconstpointer data)
{
	const DuplicateCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *devices = g_strdup_printf("%s\n<memballoon model='none'/>\n%s", c->first, c->second);
	g_autofree gchar *xml = wrap_devices(devices);
	g_autoptr(GArray) lines = device_lines(xml);
	g_autoptr(HdDomain) domain = parse_text(xml, &error);
	g_autofree gchar *both_lines = NULL;

	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	g_assert_cmpuint(lines->len, ==, 2);
	assert_message_starts_with(error, c->address);
	both_lines = g_strdup_printf("lines %u and %u", g_array_index(lines, guint, 0),
				     g_array_index(lines, guint, 1));
	assert_message_contains(error, both_lines);
}

/* ---- our metadata ------------------------------------------------------ */

static void
test_metadata_annotates_hostdev(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_fixture("metadata.xml", &error);
	HdDeviceRequest *req;

	g_assert_no_error(error);
	req = request_at(domain, 0);
	g_assert_cmpint(req->source, ==, HD_SOURCE_HOSTDEV);
	assert_address(&req->address, "0000:3b:00.0");
	g_assert_true(req->managed);
	g_assert_true(req->has_metadata);
	g_assert_true(req->take_group);
	g_assert_true(req->force);
	g_assert_true(req->permissive);
	g_assert_cmpstr(req->target_driver, ==, "mlx5_vfio_pci");
	/* the interface has no <hd:device> and must not look as if it had */
	req = request_at(domain, 1);
	g_assert_cmpint(req->source, ==, HD_SOURCE_INTERFACE);
	g_assert_false(req->has_metadata);
	g_assert_null(req->target_driver);
}

/* an annotation adds no request; a device of its own comes after libvirt's,
 * and an element of another application is not ours to read */
static void
test_metadata_own_device_last(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = load_fixture("metadata.xml");
	static const char *const hd_device[] = {"<hd:device ", NULL};
	g_autoptr(GArray) meta_lines = lines_starting_with(text, hd_device);
	g_autoptr(HdDomain) domain = parse_text(text, &error);
	const HdAddress other_app = {0, 0x99, 0, 0};
	HdDeviceRequest *req;

	g_assert_no_error(error);
	g_assert_cmpuint(domain->requests->len, ==, 3);
	req = request_at(domain, 2);
	g_assert_cmpint(req->source, ==, HD_SOURCE_METADATA);
	assert_address(&req->address, "0000:3b:00.1");
	g_assert_cmpuint(req->line, ==, g_array_index(meta_lines, guint, 1));
	g_assert_true(req->has_metadata);
	g_assert_cmpstr(req->target_driver, ==, "vfio-pci");
	g_assert_false(req->managed);
	g_assert_false(req->take_group);
	g_assert_false(req->force);
	g_assert_false(req->permissive);
	g_assert_true(hd_domain_find_request(domain, &req->address) == req);
	g_assert_null(hd_domain_find_request(domain, &other_app));
}

static void
test_metadata_vfs(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_fixture("metadata.xml", &error);
	HdVfRequest *vfs;

	g_assert_no_error(error);
	g_assert_cmpuint(domain->vf_requests->len, ==, 2);
	vfs = (HdVfRequest *)domain->vf_requests->data;
	assert_address(&vfs[0].pf, "0000:5e:00.0");
	g_assert_cmpuint(vfs[0].count, ==, 4);
	assert_address(&vfs[1].pf, "0001:af:00.1");
	g_assert_cmpuint(vfs[1].count, ==, 16);
}

/* a metadata annotation must not take managed or the backend away, and
 * permissive is an "or": either source may ask for it */
static void
test_metadata_keeps_libvirt_settings(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text(
	    "<domain type='xen'>\n"
	    "  <name>test</name>\n"
	    "  <metadata>\n"
	    "    <hostdev-hook xmlns='urn:hostdev-hook:1'>\n"
	    "      <device address='02:00.0' permissive='no'/>\n"
	    "    </hostdev-hook>\n"
	    "  </metadata>\n"
	    "  <devices>\n"
	    "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
	    "      <driver name='xen'/>\n"
	    "      <source writeFiltering='no'><address bus='0x02'/></source>\n"
	    "    </hostdev>\n"
	    "  </devices>\n"
	    "</domain>\n",
	    &error);
	HdDeviceRequest *req;

	g_assert_no_error(error);
	g_assert_cmpuint(domain->requests->len, ==, 1);
	req = request_at(domain, 0);
	g_assert_true(req->has_metadata);
	g_assert_true(req->managed);
	g_assert_cmpint(req->backend, ==, HD_BACKEND_XEN);
	g_assert_true(req->permissive);
	g_assert_cmpint(req->source, ==, HD_SOURCE_HOSTDEV);
}

/* <hd:vfs pf='NAME'>: the PF by its network interface, resolved on the host */
static void
test_metadata_vfs_by_netdev(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = wrap_metadata("    <hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'>\n"
					      "      <hd:vfs pf='enp94s0f1' count='2'/>\n"
					      "      <hd:vfs pf='0000:5e:00.0' count='1'/>\n"
					      "    </hd:hostdev-hook>");
	g_autoptr(HdDomain) domain = parse_text(xml, &error);
	HdVfRequest *vfs;

	g_assert_no_error(error);
	g_assert_cmpuint(domain->vf_requests->len, ==, 2);
	vfs = (HdVfRequest *)domain->vf_requests->data;
	g_assert_cmpstr(vfs[0].pf_name, ==, "enp94s0f1");
	g_assert_cmpuint(vfs[0].count, ==, 2);
	g_assert_cmpuint(vfs[0].line, ==, 5);
	g_assert_null(vfs[1].pf_name);
	assert_address(&vfs[1].pf, "0000:5e:00.0");
	g_assert_cmpuint(vfs[1].line, ==, 6);
}

/* a VF's settings annotate a <hostdev>, or ask for the VF on their own */
static void
test_metadata_vf_settings(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = wrap_metadata(
	    "    <hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'>\n"
	    "      <hd:device address='0000:03:00.0' mac='52:54:00:AA:bb:01' vlan=' 42 ' trust='yes'\n"
	    "                 spoofchk='no' link-state='disable' min-tx-rate='0' max-tx-rate='4294967295'\n"
	    "                 query-rss='yes'/>\n"
	    "      <hd:device address='0000:05:10.0' vlan='0' trust='no'/>\n"
	    "    </hd:hostdev-hook>");
	g_autoptr(HdDomain) domain = parse_text(xml, &error);
	const HdVfSettings *vf;

	g_assert_no_error(error);
	g_assert_cmpuint(domain->requests->len, ==, 2);
	vf = &request_at(domain, 0)->vf;
	g_assert_cmpint(request_at(domain, 0)->source, ==, HD_SOURCE_HOSTDEV);
	g_assert_true(hd_vf_settings_any(vf));
	g_assert_cmpstr(vf->mac, ==, "52:54:00:aa:bb:01");
	g_assert_true(vf->has_vlan);
	g_assert_cmpuint(vf->vlan, ==, 42);
	g_assert_cmpint(vf->trust, ==, HD_TRISTATE_YES);
	g_assert_cmpint(vf->spoofchk, ==, HD_TRISTATE_NO);
	g_assert_cmpint(vf->query_rss, ==, HD_TRISTATE_YES);
	g_assert_cmpint(vf->link_state, ==, HD_VF_LINK_STATE_DISABLE);
	g_assert_true(vf->has_min_tx_rate);
	g_assert_cmpuint(vf->min_tx_rate, ==, 0);
	g_assert_true(vf->has_max_tx_rate);
	g_assert_cmpuint(vf->max_tx_rate, ==, G_MAXUINT32);

	vf = &request_at(domain, 1)->vf;
	g_assert_cmpint(request_at(domain, 1)->source, ==, HD_SOURCE_METADATA);
	g_assert_null(vf->mac);
	g_assert_true(vf->has_vlan);
	g_assert_cmpuint(vf->vlan, ==, 0);
	g_assert_cmpint(vf->trust, ==, HD_TRISTATE_NO);
	g_assert_cmpint(vf->spoofchk, ==, HD_TRISTATE_ABSENT);
	g_assert_cmpint(vf->link_state, ==, HD_VF_LINK_STATE_ABSENT);
	g_assert_false(vf->has_max_tx_rate);
}

/* an interface's settings libvirt leaves alone are ours to set; its MAC
 * and VLAN are libvirt's, from its own elements */
static void
test_metadata_vf_settings_interface(void)
{
	g_autoptr(GError) error = NULL;
	static const char iface[] =
	    "<domain type='kvm'>\n"
	    "  <name>test</name>\n"
	    "  <metadata>\n"
	    "    <hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'>\n"
	    "      <hd:device address='0000:5e:10.1' %s/>\n"
	    "    </hd:hostdev-hook>\n"
	    "  </metadata>\n"
	    "  <devices>\n"
	    "    <interface type='hostdev' managed='yes'>\n"
	    "      <source><address type='pci' bus='0x5e' slot='0x10' function='0x1'/></source>\n"
	    "      <mac address='52:54:00:00:00:01'/>\n"
	    "    </interface>\n"
	    "  </devices>\n"
	    "</domain>\n";
	g_autofree gchar *trusted = g_strdup_printf(iface, "trust='yes' spoofchk='no'");
	g_autofree gchar *with_mac = g_strdup_printf(iface, "trust='yes' mac='52:54:00:00:00:02'");
	g_autofree gchar *with_vlan = g_strdup_printf(iface, "vlan='7'");
	g_autoptr(HdDomain) domain = parse_text(trusted, &error);
	g_autoptr(HdDomain) refused = NULL;

	g_assert_no_error(error);
	g_assert_cmpuint(domain->requests->len, ==, 1);
	g_assert_cmpint(request_at(domain, 0)->source, ==, HD_SOURCE_INTERFACE);
	g_assert_cmpint(request_at(domain, 0)->vf.trust, ==, HD_TRISTATE_YES);
	g_assert_cmpint(request_at(domain, 0)->vf.spoofchk, ==, HD_TRISTATE_NO);
	g_assert_cmpstr(request_at(domain, 0)->mac, ==, "52:54:00:00:00:01");

	refused = parse_text(with_mac, &error);
	g_assert_null(refused);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	g_assert_cmpstr(error->message, ==,
			"0000:5e:10.1: <hd:device> mac= is for a plain <hostdev>: this <interface type='hostdev'> "
			"takes its own <mac>, which libvirt sets; move it there");
	g_clear_error(&error);
	refused = parse_text(with_vlan, &error);
	g_assert_null(refused);
	assert_message_contains(error, "<hd:device> vlan= is for a plain <hostdev>");
}

typedef struct {
	const char *name;
	const char *metadata;
	const char *message;
} MetadataErrorCase;

#define HD_OPEN "    <hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'>\n"
#define HD_CLOSE "\n    </hd:hostdev-hook>"

static const MetadataErrorCase metadata_error_cases[] = {
	{"two-devices-annotating-one-hostdev",
	 HD_OPEN "<hd:device address='0000:03:00.0'/>\n<hd:device address='0000:03:00.0' force='yes'/>" HD_CLOSE,
	 "0000:03:00.0: more than one <hd:device>"},
	{"two-devices-of-their-own",
	 HD_OPEN "<hd:device address='0000:04:00.0'/>\n<hd:device address='0000:04:00.0'/>" HD_CLOSE,
	 "0000:04:00.0: more than one <hd:device>"},
	{"two-devices-spelled-differently",
	 HD_OPEN "<hd:device address='0000:04:00.0'/>\n<hd:device address='04:00.0'/>" HD_CLOSE,
	 "0000:04:00.0: more than one <hd:device>"},
	{"unknown-device-attribute",
	 HD_OPEN "<hd:device address='0000:03:00.0' colour='red'/>" HD_CLOSE, "unknown attribute 'colour'"},
	{"misspelt-device-attribute",
	 HD_OPEN "<hd:device address='0000:03:00.0' take_group='yes'/>" HD_CLOSE, "'take_group'"},
	{"unknown-element",
	 HD_OPEN "<hd:frobnicate/>" HD_CLOSE, "<frobnicate>"},
	{"unknown-top-level-element",
	 "<hd:settings xmlns:hd='urn:hostdev-hook:1'/>", "<settings>"},
	{"foreign-element-inside-ours",
	 HD_OPEN "<x:device xmlns:x='urn:example:x' address='0000:03:00.0'/>" HD_CLOSE,
	 "unknown element inside <hostdev-hook>"},
	{"element-inside-device",
	 HD_OPEN "<hd:device address='0000:03:00.0'><hd:option name='x'/></hd:device>" HD_CLOSE,
	 "unexpected <option> inside"},
	{"unknown-vfs-attribute",
	 HD_OPEN "<hd:vfs pf='0000:05:00.0' count='4' driver='ixgbevf'/>" HD_CLOSE,
	 "unknown attribute 'driver'"},
	{"device-without-address",
	 HD_OPEN "<hd:device take-group='yes'/>" HD_CLOSE, "missing address="},
	{"device-bad-address",
	 HD_OPEN "<hd:device address='0000:03:20.0'/>" HD_CLOSE, "invalid PCI address '0000:03:20.0'"},
	{"device-libvirt-address-spelling",
	 HD_OPEN "<hd:device address='pci_0000_03_00_0'/>" HD_CLOSE, "invalid PCI address"},
	{"device-bad-yes-no",
	 HD_OPEN "<hd:device address='0000:03:00.0' take-group='true'/>" HD_CLOSE, "take-group='true'"},
	{"device-bad-force",
	 HD_OPEN "<hd:device address='0000:03:00.0' force='1'/>" HD_CLOSE, "force='1'"},
	{"device-driver-with-slash",
	 HD_OPEN "<hd:device address='0000:03:00.0' driver='../../../bin/sh'/>" HD_CLOSE, "invalid driver="},
	{"device-driver-hidden",
	 HD_OPEN "<hd:device address='0000:03:00.0' driver='.vfio'/>" HD_CLOSE, "invalid driver="},
	{"device-driver-leading-dash",
	 HD_OPEN "<hd:device address='0000:03:00.0' driver='-vfio'/>" HD_CLOSE, "invalid driver="},
	{"device-driver-empty",
	 HD_OPEN "<hd:device address='0000:03:00.0' driver=''/>" HD_CLOSE, "invalid driver="},
	{"vfs-count-zero",
	 HD_OPEN "<hd:vfs pf='0000:05:00.0' count='0'/>" HD_CLOSE, "invalid count '0'"},
	{"vfs-count-negative",
	 HD_OPEN "<hd:vfs pf='0000:05:00.0' count='-4'/>" HD_CLOSE, "count '-4'"},
	{"vfs-count-too-big",
	 HD_OPEN "<hd:vfs pf='0000:05:00.0' count='65536'/>" HD_CLOSE, "count '65536'"},
	{"vfs-without-count",
	 HD_OPEN "<hd:vfs pf='0000:05:00.0'/>" HD_CLOSE, "needs both"},
	{"vfs-without-pf",
	 HD_OPEN "<hd:vfs count='4'/>" HD_CLOSE, "needs both"},
	{"vfs-bad-pf",
	 HD_OPEN "<hd:vfs pf='0000:05:00.9' count='4'/>" HD_CLOSE, "invalid PCI address '0000:05:00.9'"},
	{"vfs-pf-not-a-name",
	 HD_OPEN "<hd:vfs pf='../eth0' count='4'/>" HD_CLOSE,
	 "<vfs> at line 5: invalid pf='../eth0': expected a PCI address DDDD:BB:DD.F or a network interface name"},
	{"vfs-pf-name-too-long",
	 HD_OPEN "<hd:vfs pf='enp129s0f1np1xyz' count='4'/>" HD_CLOSE, "invalid pf='enp129s0f1np1xyz'"},
	{"vf-mac-multicast",
	 HD_OPEN "<hd:device address='0000:03:00.0' mac='01:00:5e:00:00:01'/>" HD_CLOSE,
	 "invalid mac='01:00:5e:00:00:01': a multicast address cannot name a NIC"},
	{"vf-mac-bad",
	 HD_OPEN "<hd:device address='0000:03:00.0' mac='52:54:00:00:00'/>" HD_CLOSE,
	 "invalid mac='52:54:00:00:00': expected xx:xx:xx:xx:xx:xx"},
	{"vf-vlan-4096",
	 HD_OPEN "<hd:device address='0000:03:00.0' vlan='4096'/>" HD_CLOSE,
	 "invalid vlan='4096': expected a decimal number from 0 to 4095"},
	{"vf-vlan-plus",
	 HD_OPEN "<hd:device address='0000:03:00.0' vlan='+4'/>" HD_CLOSE, "invalid vlan='+4'"},
	{"vf-rate-too-big",
	 HD_OPEN "<hd:device address='0000:03:00.0' max-tx-rate='4294967296'/>" HD_CLOSE,
	 "invalid max-tx-rate='4294967296': expected a decimal number from 0 to 4294967295"},
	{"vf-rate-unit",
	 HD_OPEN "<hd:device address='0000:03:00.0' min-tx-rate='10M'/>" HD_CLOSE, "invalid min-tx-rate='10M'"},
	{"vf-trust-not-yes-no",
	 HD_OPEN "<hd:device address='0000:03:00.0' trust='on'/>" HD_CLOSE, "invalid trust='on'"},
	{"vf-spoofchk-not-yes-no",
	 HD_OPEN "<hd:device address='0000:03:00.0' spoofchk='off'/>" HD_CLOSE, "invalid spoofchk='off'"},
	{"vf-query-rss-not-yes-no",
	 HD_OPEN "<hd:device address='0000:03:00.0' query-rss='1'/>" HD_CLOSE, "invalid query-rss='1'"},
	{"vf-link-state-unknown",
	 HD_OPEN "<hd:device address='0000:03:00.0' link-state='up'/>" HD_CLOSE,
	 "invalid link-state='up': expected auto, enable or disable"},
};

static void
test_metadata_error(gconstpointer data)
{
	const MetadataErrorCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = wrap_metadata(c->metadata);
	g_autoptr(HdDomain) domain = parse_text(xml, &error);

	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	assert_message_contains(error, c->message);
}

/* ---- <interface type='hostdev'> rules --------------------------------- */

typedef struct {
	const char *name;
	const char *body;	 /* children besides <source> */
	const char *managed;	 /* NULL: 'yes' */
	const char *source_type; /* NULL: 'pci' */
	gboolean refused;
	HdError code;
	const char *message;
} InterfaceCase;

#define REFUSED(c, m) .refused = TRUE, .code = (c), .message = (m)

static const InterfaceCase interface_cases[] = {
	{"vlan-one-tag", "<vlan><tag id='42'/></vlan>"},
	{"vlan-one-tag-trunk", "<vlan trunk='yes'><tag id='42'/></vlan>"},
	{"vlan-tag-zero", "<vlan><tag id='0'/></vlan>"},
	{"vlan-tag-4095", "<vlan><tag id='4095'/></vlan>"},
	{"vlan-tag-4096", "<vlan><tag id='4096'/></vlan>", REFUSED(HD_ERROR_INVALID_DATA, "vlan tag id '4096'")},
	{"vlan-tag-without-id", "<vlan><tag nativeMode='tagged'/></vlan>",
	 REFUSED(HD_ERROR_INVALID_DATA, "without an id")},
	{"vlan-without-tags", "<vlan trunk='yes'/>", REFUSED(HD_ERROR_INVALID_DATA, "without any <tag>")},
	{"vlan-tags-need-trunk", "<vlan><tag id='42'/><tag id='43'/></vlan>",
	 REFUSED(HD_ERROR_INVALID_DATA, "several vlan tags need <vlan trunk='yes'>")},
	{"vlan-trunk-no-several-tags", "<vlan trunk='no'><tag id='42'/><tag id='43'/></vlan>",
	 REFUSED(HD_ERROR_INVALID_DATA, "<vlan trunk='no'> cannot carry several tags")},
	{"vlan-trunk-not-yes-no", "<vlan trunk='on'><tag id='42'/></vlan>",
	 REFUSED(HD_ERROR_INVALID_DATA, "trunk='on'")},
	{"vlan-one-native-tag", "<vlan trunk='yes'><tag id='42' nativeMode='tagged'/><tag id='43'/></vlan>"},
	{"vlan-two-native-tags",
	 "<vlan trunk='yes'><tag id='42' nativeMode='tagged'/><tag id='43' nativeMode='untagged'/></vlan>",
	 REFUSED(HD_ERROR_INVALID_DATA, "only one vlan tag may have a nativeMode")},
	{"vlan-bad-native-mode", "<vlan><tag id='42' nativeMode='native'/></vlan>",
	 REFUSED(HD_ERROR_INVALID_DATA, "nativeMode='native'")},
	{"mac-upper-case", "<mac address='52:54:00:AA:BB:CC'/>"},
	{"mac-invalid-digit", "<mac address='52:54:00:zz:00:01'/>",
	 REFUSED(HD_ERROR_INVALID_DATA, "invalid <mac address='52:54:00:zz:00:01'>")},
	{"mac-too-short", "<mac address='52:54:00:00:01'/>", REFUSED(HD_ERROR_INVALID_DATA, "invalid <mac address=")},
	{"mac-dashes", "<mac address='52-54-00-00-00-01'/>", REFUSED(HD_ERROR_INVALID_DATA, "invalid <mac address=")},
	/* sscanf("%2hhx") stops quietly at a bad digit, skips blanks and takes
	 * a sign, so each of these once slipped through a length check */
	{"mac-trailing-junk", "<mac address='52:54:00:00:00:0g'/>",
	 REFUSED(HD_ERROR_INVALID_DATA, "invalid <mac address=")},
	{"mac-short-octet-and-junk", "<mac address='2:54:00:00:00:01x'/>",
	 REFUSED(HD_ERROR_INVALID_DATA, "invalid <mac address=")},
	{"mac-leading-space", "<mac address=' 2:54:00:00:00:01'/>",
	 REFUSED(HD_ERROR_INVALID_DATA, "invalid <mac address=")},
	{"mac-signed-octet", "<mac address='+2:54:00:00:00:01'/>",
	 REFUSED(HD_ERROR_INVALID_DATA, "invalid <mac address=")},
	{"mac-trailing-newline", "<mac address='52:54:00:00:00:01&#10;'/>",
	 REFUSED(HD_ERROR_INVALID_DATA, "invalid <mac address=")},
	{"mac-multicast", "<mac address='01:00:5e:00:00:01'/>", REFUSED(HD_ERROR_INVALID_DATA, "multicast")},
	{"mac-broadcast", "<mac address='ff:ff:ff:ff:ff:ff'/>", REFUSED(HD_ERROR_INVALID_DATA, "multicast")},
	{"source-type-usb", "", .source_type = "usb",
	 REFUSED(HD_ERROR_INVALID_DATA, "source address type 'usb' is not 'pci'")},
	{"source-type-pci", "", .source_type = "pci"},
	{"filterref", "<filterref filter='clean-traffic'/>",
	 REFUSED(HD_ERROR_NOT_SUPPORTED, "<filterref> does not apply")},
	{"backend", "<backend tap='/dev/net/tun'/>", REFUSED(HD_ERROR_NOT_SUPPORTED, "<backend> does not apply")},
	{"tune", "<tune><sndbuf>1600</sndbuf></tune>", REFUSED(HD_ERROR_NOT_SUPPORTED, "<tune> does not apply")},
	{"bandwidth", "<bandwidth><inbound average='1000'/></bandwidth>",
	 REFUSED(HD_ERROR_NOT_SUPPORTED, "<bandwidth> does not apply")},
	{"driver-queues", "<driver queues='4'/>", REFUSED(HD_ERROR_NOT_SUPPORTED, "<driver queues=...>")},
	{"driver-vfio", "<driver name='vfio'/>"},
	{"managed-not-yes-no", "", .managed = "on", REFUSED(HD_ERROR_INVALID_DATA, "managed='on'")},
	/* a model and a virtualport are fine: libvirt's own net-hostdev has both */
	{"model-and-virtualport", "<model type='rtl8139'/><virtualport type='802.1Qbg'>"
				  "<parameters managerid='11' typeid='1193047' typeidversion='2'/></virtualport>"},
};

static gchar *
interface_document(const InterfaceCase *c)
{
	g_autofree gchar *iface = g_strdup_printf(
	    "<interface type='hostdev' managed='%s'>\n"
	    "  <source><address type='%s' domain='0x0000' bus='0x5e' slot='0x10' function='0x1'/></source>\n"
	    "  %s\n"
	    "</interface>",
	    c->managed != NULL ? c->managed : "yes", c->source_type != NULL ? c->source_type : "pci", c->body);

	return wrap_devices(iface);
}

static void
test_interface(gconstpointer data)
{
	const InterfaceCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = interface_document(c);
	g_autoptr(HdDomain) domain = parse_text(xml, &error);

	if (!c->refused) {
		g_assert_no_error(error);
		g_assert_cmpuint(domain->requests->len, ==, 1);
		assert_address(&request_at(domain, 0)->address, "0000:5e:10.1");
		return;
	}
	g_assert_null(domain);
	assert_refused(error, c->code);
	assert_message_contains(error, c->message);
	/* once the address is known, it names the device */
	if (c->source_type == NULL)
		assert_message_starts_with(error, "0000:5e:10.1: ");
}

/* upper-case MACs come back lower-case, the form libvirt itself writes */
static void
test_interface_mac_lower_cased(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = wrap_devices(
	    "<interface type='hostdev'><mac address='52:54:00:AA:BB:CC'/>"
	    "<source><address type='pci' bus='0x5e'/></source></interface>");
	g_autoptr(HdDomain) domain = parse_text(xml, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(request_at(domain, 0)->mac, ==, "52:54:00:aa:bb:cc");
}

/* ---- device snippets and network documents ---------------------------- */

static void
test_snippet_hostdev(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_fixture("hostdev-snippet.xml", &error);
	HdDeviceRequest *req;

	g_assert_no_error(error);
	g_assert_cmpstr(domain->root_element, ==, "hostdev");
	g_assert_null(domain->name);
	g_assert_null(domain->uuid);
	g_assert_null(domain->type);
	g_assert_cmpint(domain->hypervisor, ==, HD_HYPERVISOR_UNKNOWN);
	g_assert_cmpuint(domain->requests->len, ==, 1);
	req = request_at(domain, 0);
	g_assert_cmpint(req->source, ==, HD_SOURCE_HOSTDEV);
	assert_address(&req->address, "0000:81:00.2");
	g_assert_true(req->managed);
	g_assert_cmpint(req->backend, ==, HD_BACKEND_VFIO);
	g_assert_cmpuint(req->line, ==, 1);
}

static void
test_snippet_interface(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text(
	    "<interface type='hostdev' managed='yes'>\n"
	    "  <source><address type='pci' domain='0x0000' bus='0x5e' slot='0x10' function='0x2'/></source>\n"
	    "  <mac address='52:54:00:6d:90:02'/>\n"
	    "</interface>\n",
	    &error);
	HdDeviceRequest *req;

	g_assert_no_error(error);
	g_assert_cmpstr(domain->root_element, ==, "interface");
	g_assert_null(domain->name);
	g_assert_cmpuint(domain->requests->len, ==, 1);
	req = request_at(domain, 0);
	g_assert_cmpint(req->source, ==, HD_SOURCE_INTERFACE);
	assert_address(&req->address, "0000:5e:10.2");
	g_assert_cmpstr(req->mac, ==, "52:54:00:6d:90:02");
}

static void
test_snippet_other_device(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text("<interface type='network'><source network='default'/></interface>",
						&error);

	g_assert_no_error(error);
	g_assert_cmpstr(domain->root_element, ==, "interface");
	g_assert_cmpuint(domain->requests->len, ==, 0);
}

static void
test_networkport_hostdev_pci(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_fixture("networkport-hostdev-pci.xml", &error);
	HdDeviceRequest *req;

	g_assert_no_error(error);
	g_assert_cmpstr(domain->root_element, ==, "networkport");
	/* the port's owner is the domain the device is for */
	g_assert_cmpstr(domain->name, ==, "port-owner");
	g_assert_cmpstr(domain->uuid, ==, "8e3b7b1c-5f0a-4c55-9d5e-2b8f4f0e6c22");
	g_assert_cmpuint(domain->requests->len, ==, 1);
	req = request_at(domain, 0);
	g_assert_cmpint(req->source, ==, HD_SOURCE_NETWORK);
	assert_address(&req->address, "0002:18:02.5");
	g_assert_true(req->managed);
	g_assert_cmpint(req->backend, ==, HD_BACKEND_VFIO);
}

static void
test_networkport_other_plug(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text(
	    "<networkport><owner><name>vm</name></owner>"
	    "<plug type='direct' dev='eth0' mode='vepa'/></networkport>",
	    &error);

	g_assert_no_error(error);
	g_assert_cmpstr(domain->name, ==, "vm");
	g_assert_cmpuint(domain->requests->len, ==, 0);
}

static void
test_networkport_without_address(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text("<networkport>\n"
						"  <plug type='hostdev-pci' managed='yes'/>\n"
						"</networkport>\n",
						&error);

	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	assert_message_contains(error, "<plug> at line 2: missing <address/>");
}

/* four addresses in three spellings, in pool order */
static void
test_network_hostdev_pool(void)
{
	static const char *const expected[] = {"0000:5e:02.1", "0000:5e:02.2", "0000:5e:02.3", "0000:5e:02.4"};
	static const char *const address_prefix[] = {"<address ", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = load_fixture("network-hostdev-pool.xml");
	g_autoptr(GArray) lines = lines_starting_with(text, address_prefix);
	g_autoptr(HdDomain) domain = parse_text(text, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(domain->root_element, ==, "network");
	g_assert_cmpstr(domain->name, ==, "vf-pool");
	g_assert_cmpuint(domain->requests->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		HdDeviceRequest *req = request_at(domain, i);

		g_assert_cmpint(req->source, ==, HD_SOURCE_NETWORK);
		assert_address(&req->address, expected[i]);
		g_assert_true(req->managed);
		g_assert_cmpint(req->backend, ==, HD_BACKEND_VFIO);
		g_assert_cmpuint(req->line, ==, g_array_index(lines, guint, i));
	}
}

static void
test_network_other_forward_mode(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text(
	    "<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/></network>", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(domain->name, ==, "default");
	g_assert_cmpuint(domain->requests->len, ==, 0);
}

static void
test_network_duplicate_address(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text("<network>\n"
						"  <name>pool</name>\n"
						"  <forward mode='hostdev'>\n"
						"    <address type='pci' bus='0x5e' slot='0x02' function='0x1'/>\n"
						"    <address type='pci' bus='94' slot='2' function='1'/>\n"
						"  </forward>\n"
						"</network>\n",
						&error);

	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	assert_message_contains(error, "0000:5e:02.1: requested twice, at lines 4 and 5");
}

typedef struct {
	const char *name;
	const char *xml;
	const char *message;
} RootCase;

static const RootCase unknown_root_cases[] = {
	{"storage-pool", "<pool type='dir'><name>images</name></pool>", "unexpected root element <pool>"},
	{"capabilities", "<capabilities><host/></capabilities>", "unexpected root element <capabilities>"},
	/* a <domain> in a namespace is some other vocabulary's domain */
	{"namespaced-domain", "<domain xmlns='urn:example:x' type='kvm'/>", "unexpected root element <domain>"},
};

static void
test_unknown_root(gconstpointer data)
{
	const RootCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text(c->xml, &error);

	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	assert_message_contains(error, c->message);
}

/* ---- malformed XML ----------------------------------------------------- */

typedef struct {
	const char *name;
	const char *xml;
	gssize len; /* -1: up to the NUL */
} MalformedCase;

static const MalformedCase malformed_cases[] = {
	{"unclosed-tag", "<domain type='kvm'>\n  <name>x</name>\n  <devices>\n", -1},
	{"mismatched-end-tag", "<domain type='kvm'><name>x</nam></domain>", -1},
	{"garbage", "this is not XML at all", -1},
	{"binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 16},
	{"empty", "", -1},
	{"whitespace-only", " \n\t\r\n  ", -1},
	{"declaration-only", "<?xml version='1.0'?>\n", -1},
	{"two-root-elements", "<domain type='kvm'/><domain type='kvm'/>", -1},
	{"unquoted-attribute", "<domain type=kvm/>", -1},
	{"duplicate-attribute", "<domain type='kvm' type='xen'/>", -1},
	{"nul-inside", "<domain type='kvm'>\0</domain>", 29},
	{"truncated-utf8", "<domain type='kvm'><name>\xc3</name></domain>", -1},
	{"unbound-prefix", "<domain type='kvm'><hd:x/></domain>", -1},
};

static void
test_malformed(gconstpointer data)
{
	const MalformedCase *c = data;
	g_autoptr(GError) error = NULL;
	gsize len = c->len < 0 ? strlen(c->xml) : (gsize)c->len;
	g_autoptr(HdDomain) domain = hd_domain_parse(c->xml, len, &error);

	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	assert_message_starts_with(error, "domain XML: line ");
}

/* ---- hostile documents ------------------------------------------------- */

/* whatever a hostile document tries, it is refused in well under this */
#define HOSTILE_SECONDS_MAX 5.0

/* one entity of 50 kB referenced 50 000 times: 2.5 GB once expanded */
static gchar *
quadratic_blowup_document(void)
{
	GString *doc = g_string_new("<?xml version='1.0'?>\n<!DOCTYPE domain [\n  <!ENTITY a \"");

	for (guint i = 0; i < 50 * 1000; i++)
		g_string_append_c(doc, 'a');
	g_string_append(doc, "\">\n]>\n<domain type='kvm'>\n  <name>");
	for (guint i = 0; i < 50 * 1000; i++)
		g_string_append(doc, "&a;");
	g_string_append(doc, "</name>\n</domain>\n");
	return g_string_free(doc, FALSE);
}

typedef struct {
	const char *name;
	const char *fixture;
	gchar *(*generate)(void);
} HostileCase;

static const HostileCase hostile_cases[] = {
	{"external-entity-file", "hostile-xxe-file.xml"},
	{"external-dtd-file", "hostile-external-dtd.xml"},
	{"external-dtd-http", "hostile-http-dtd.xml"},
	{"parameter-entity", "hostile-parameter-entity.xml"},
	{"billion-laughs", "hostile-billion-laughs.xml"},
	{"quadratic-blowup", NULL, quadratic_blowup_document},
};

static void
test_hostile(gconstpointer data)
{
	const HostileCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = c->generate != NULL ? c->generate() : load_fixture(c->fixture);
	g_autoptr(HdDomain) domain = NULL;

	g_test_timer_start();
	domain = parse_text(xml, &error);
	g_assert_cmpfloat(g_test_timer_elapsed(), <, HOSTILE_SECONDS_MAX);

	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	assert_message_starts_with(error, "domain XML: ");
	assert_message_contains(error, "<!DOCTYPE>");
	/* the first line of any /etc/passwd */
	g_assert_null(g_strstr_len(error->message, -1, "root:"));
}

/* without a DTD nothing can declare it, so it is unknown */
static void
test_hostile_undeclared_entity(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = wrap_devices("<hostdev mode='subsystem' type='pci'>"
					     "<source><address bus='&foo;'/></source></hostdev>");
	g_autoptr(HdDomain) domain = parse_text(xml, &error);

	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	assert_message_starts_with(error, "domain XML: line 4: ");
	assert_message_contains(error, "foo");
}

/* refusing DTDs must not break the five predefined entities or character
 * references, which libvirt's own formatter writes */
static void
test_hostile_predefined_entities_still_work(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text(
	    "<domain type='kvm'><name>a&amp;b&lt;&#x63;&#100;&gt;</name><devices>"
	    "<hostdev mode='subsystem' type='pci'><source><address bus='&#x30;x03'/></source></hostdev>"
	    "</devices></domain>",
	    &error);

	g_assert_no_error(error);
	g_assert_cmpstr(domain->name, ==, "a&b<cd>");
	assert_address(&request_at(domain, 0)->address, "0000:03:00.0");
}

/* XInclude is a processing step a reader runs only when asked, and ours
 * never does: an include element is just an element */
static void
test_hostile_xinclude_not_processed(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = parse_text(
	    "<domain type='kvm' xmlns:xi='http://www.w3.org/2001/XInclude'>"
	    "<name><xi:include href='/etc/passwd' parse='text'/></name><devices/></domain>",
	    &error);

	g_assert_no_error(error);
	g_assert_cmpstr(domain->name, ==, "");
}

/* the tree stops at 256 levels, libxml2's limit without XML_PARSE_HUGE,
 * which libvirt's own parser keeps */
static void
test_hostile_deep_nesting(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) xml = g_string_new("<domain type='kvm'><devices>");
	g_autoptr(HdDomain) domain = NULL;

	for (guint i = 0; i < 100 * 1000; i++)
		g_string_append(xml, "<a>");
	for (guint i = 0; i < 100 * 1000; i++)
		g_string_append(xml, "</a>");
	g_string_append(xml, "</devices></domain>");

	domain = hd_domain_parse(xml->str, xml->len, &error);
	g_assert_null(domain);
	assert_refused(error, HD_ERROR_INVALID_DATA);
	assert_message_starts_with(error, "domain XML: line 1: ");
}

/* ---- encodings --------------------------------------------------------- */

typedef struct {
	const char *name;
	const char *declared; /* encoding= of the XML declaration; NULL: none */
	const char *charset;  /* what the bytes are in */
	const char *bom;
	gboolean parses;      /* libvirt sends UTF-8: only that is read */
} EncodingCase;

/* Anything but UTF-8 is refused, whatever it declares: the hook's front
 * looks for the word "hostdev" in the bytes as they are, and a parser
 * that decoded EBCDIC or UTF-16 could find devices the front never saw. */
static const EncodingCase encoding_cases[] = {
	{"utf-16le-with-bom", "UTF-16", "UTF-16LE", "\xff\xfe", FALSE},
	{"utf-16be-with-bom", "UTF-16", "UTF-16BE", "\xfe\xff", FALSE},
	{"utf-16le-bom-without-declaration", NULL, "UTF-16LE", "\xff\xfe", FALSE},
	{"utf-8-with-bom", "UTF-8", "UTF-8", "\xef\xbb\xbf", TRUE},
	{"utf-8", NULL, "UTF-8", "", TRUE},
	{"iso-8859-1", "ISO-8859-1", "ISO-8859-1", "", FALSE},
	{"ebcdic", "IBM037", "IBM037", "", FALSE},
};

static void
test_encoding(gconstpointer data)
{
	const EncodingCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *declaration =
	    c->declared != NULL ? g_strdup_printf("<?xml version='1.0' encoding='%s'?>\n", c->declared) : g_strdup("");
	g_autofree gchar *utf8 = g_strdup_printf(
	    "%s<domain type='kvm'>\n"
	    "  <name>g\xc3\xa4st-\xc3\xa9t\xc3\xa9</name>\n"
	    "  <devices>\n"
	    "    <hostdev mode='subsystem' type='pci'><source><address bus='0x03'/></source></hostdev>\n"
	    "  </devices>\n"
	    "</domain>\n",
	    declaration);
	gsize converted_len = 0;
	g_autofree gchar *converted = g_convert(utf8, -1, c->charset, "UTF-8", NULL, &converted_len, &error);
	g_autoptr(GByteArray) bytes = g_byte_array_new();
	g_autoptr(HdDomain) domain = NULL;

	g_assert_no_error(error);
	g_byte_array_append(bytes, (const guint8 *)c->bom, strlen(c->bom));
	g_byte_array_append(bytes, (const guint8 *)converted, converted_len);

	domain = hd_domain_parse((const char *)bytes->data, bytes->len, &error);
	if (!c->parses) {
		g_assert_null(domain);
		g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
		assert_message_starts_with(error, "domain XML: line ");
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpstr(domain->name, ==, "g\xc3\xa4st-\xc3\xa9t\xc3\xa9");
	g_assert_cmpuint(domain->requests->len, ==, 1);
	assert_address(&request_at(domain, 0)->address, "0000:03:00.0");
	g_assert_cmpuint(request_at(domain, 0)->line, ==, c->declared != NULL ? 5 : 4);
}

/* ---- size -------------------------------------------------------------- */

#define BIG_DOCUMENT_BYTES (20u * 1024 * 1024)
#define BIG_NUMBERED_HOSTDEVS 1000u

static void
append_hostdev(GString *doc, GArray *expected, HdAddress addr)
{
	g_string_append_printf(doc,
			       "    <hostdev mode='subsystem' type='pci' managed='yes'><source>"
			       "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
			       "</source></hostdev>\n",
			       addr.domain, addr.bus, addr.slot, addr.function);
	g_array_append_val(expected, addr);
}

/* filler a domain may really carry by the thousand: controllers */
static void
append_filler_until(GString *doc, gsize len)
{
	static guint index;

	while (doc->len < len) {
		g_string_append_printf(doc,
				       "    <controller type='pci' index='%u' model='pcie-root-port'>"
				       "<address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>"
				       "</controller>\n",
				       index++);
	}
}

static void
test_size_many_devices(void)
{
	const HdAddress start = {0, 1, 0, 0}, middle = {0, 2, 0, 0}, end = {0, 3, 0, 0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) doc = g_string_new("<domain type='kvm'>\n  <name>big</name>\n  <devices>\n");
	g_autoptr(GArray) expected = g_array_new(FALSE, FALSE, sizeof(HdAddress));
	g_autoptr(HdDomain) domain = NULL;

	append_hostdev(doc, expected, start);
	for (guint i = 0; i < BIG_NUMBERED_HOSTDEVS; i++) {
		/* every device distinct: domain 1, counting through function, slot, bus */
		HdAddress numbered = {1, i / 256, (i / 8) % 32, i % 8};

		append_filler_until(doc, (gsize)BIG_DOCUMENT_BYTES / (BIG_NUMBERED_HOSTDEVS + 1) * (i + 1));
		if (i == BIG_NUMBERED_HOSTDEVS / 2)
			append_hostdev(doc, expected, middle);
		append_hostdev(doc, expected, numbered);
	}
	append_filler_until(doc, BIG_DOCUMENT_BYTES);
	append_hostdev(doc, expected, end);
	g_string_append(doc, "  </devices>\n</domain>\n");
	g_assert_cmpuint(doc->len, >, BIG_DOCUMENT_BYTES);

	domain = hd_domain_parse(doc->str, doc->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(domain->requests->len, ==, expected->len);
	for (guint i = 0; i < expected->len; i++) {
		const HdAddress *want = &g_array_index(expected, HdAddress, i);
		HdDeviceRequest *req = request_at(domain, i);

		g_assert_true(hd_address_equal(&req->address, want));
		g_assert_true(hd_domain_find_request(domain, want) == req);
	}
}

/*
 * A text node has no limit of its own: the hook reads at most 16 MiB, and
 * a tree of a document that size is bounded by it.  What cuts the text into
 * pieces for the parser (line breaks, references) must not cut the document
 * short: the device after a 20 MB <description> is still found.  (libxml2,
 * which the parser used before, refused the last case and returned a
 * truncated document with the error.)
 */
typedef struct {
	const char *name;
	const char *interruption; /* written every 1000 bytes; NULL: none */
} TextNodeCase;

static const TextNodeCase text_node_cases[] = {
	{"plain-run", NULL},
	{"run-with-newlines", "\n"},
	{"interrupted-by-references", "&amp;"},
};

static void
test_size_huge_text_node(gconstpointer data)
{
	const TextNodeCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) doc = g_string_new("<domain type='kvm'>\n  <name>big-text</name>\n  <description>");
	gsize text_start = doc->len;
	g_autoptr(HdDomain) domain = NULL;

	g_string_set_size(doc, text_start + BIG_DOCUMENT_BYTES);
	memset(doc->str + text_start, 'a', BIG_DOCUMENT_BYTES);
	for (gsize at = 1000; c->interruption != NULL && at + 8 < BIG_DOCUMENT_BYTES; at += 1000)
		memcpy(doc->str + text_start + at, c->interruption, strlen(c->interruption));
	g_string_append(doc, "</description>\n  <devices>\n"
			     "    <hostdev mode='subsystem' type='pci'>"
			     "<source><address bus='0x03'/></source></hostdev>\n"
			     "  </devices>\n</domain>\n");

	domain = hd_domain_parse(doc->str, doc->len, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(domain->name, ==, "big-text");
	g_assert_cmpuint(domain->requests->len, ==, 1);
	assert_address(&request_at(domain, 0)->address, "0000:03:00.0");
}

static void
test_file_missing(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = hd_domain_parse_file("/nonexistent/hostdev-hook/domain.xml", &error);

	g_assert_null(domain);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* ---- registration ------------------------------------------------------ */

/* ---- a device to hot-plug, read as a device of a running domain ---------- */

static const char hotplug_domain_xml[] =
	"<domain type='qemu'>\n"
	"  <name>vm-hot</name>\n"
	"  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>\n"
	"  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
	"  <devices>\n"
	"    <hostdev mode='subsystem' type='pci' managed='no'>\n"
	"      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>\n"
	"    </hostdev>\n"
	"  </devices>\n"
	"</domain>\n";

static HdDomain *
parse_hotplug(const char *device_xml, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(HdDomain) domain = parse_text(hotplug_domain_xml, &local);

	g_assert_no_error(local);
	return hd_domain_parse_device(domain, device_xml, strlen(device_xml), error);
}

/* the element's request only, under the domain's name, uuid and type */
static void
test_hotplug_hostdev(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) device = parse_hotplug("<hostdev mode='subsystem' type='pci' managed='no'>\n"
						   "  <source><address domain='0x0000' bus='0x02' slot='0x00' "
						   "function='0x0'/></source>\n"
						   "  <address type='pci' domain='0x0000' bus='0x00' slot='0x09' "
						   "function='0x0'/>\n"
						   "</hostdev>\n",
						   &error);
	const HdDeviceRequest *req;
	char bdf[HD_ADDRESS_STRLEN];

	g_assert_no_error(error);
	g_assert_cmpstr(device->root_element, ==, "hostdev");
	g_assert_cmpstr(device->name, ==, "vm-hot");
	g_assert_cmpstr(device->uuid, ==, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
	g_assert_cmpstr(device->type, ==, "qemu");
	g_assert_cmpstr(device->os_type, ==, "hvm");
	g_assert_cmpint(device->hypervisor, ==, HD_HYPERVISOR_KVM);
	/* the domain's own 01:00.0 is not part of it */
	g_assert_cmpuint(device->requests->len, ==, 1);
	g_assert_cmpuint(device->vf_requests->len, ==, 0);
	req = g_ptr_array_index(device->requests, 0);
	hd_address_format(&req->address, bdf);
	g_assert_cmpstr(bdf, ==, "0000:02:00.0");
	g_assert_false(req->managed);
	g_assert_cmpint(req->source, ==, HD_SOURCE_HOSTDEV);
	g_assert_cmpuint(req->line, ==, 1);
}

static void
test_hotplug_interface(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) device = parse_hotplug("<interface type='hostdev' managed='yes'>\n"
						   "  <mac address='52:54:00:6D:90:02'/>\n"
						   "  <source><address type='pci' domain='0x0000' bus='0x03' slot='0x00' "
						   "function='0x2'/></source>\n"
						   "</interface>\n",
						   &error);
	const HdDeviceRequest *req;

	g_assert_no_error(error);
	g_assert_cmpuint(device->requests->len, ==, 1);
	req = g_ptr_array_index(device->requests, 0);
	g_assert_cmpint(req->source, ==, HD_SOURCE_INTERFACE);
	g_assert_true(req->managed);
	g_assert_cmpstr(req->mac, ==, "52:54:00:6d:90:02");
}

/* a USB hostdev, a network interface: valid, but nothing of ours */
static void
test_hotplug_not_pci(void)
{
	static const char *const elements[] = {
		"<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source>"
		"</hostdev>",
		"<interface type='network'><source network='default'/></interface>",
	};

	for (guint i = 0; i < G_N_ELEMENTS(elements); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HdDomain) device = parse_hotplug(elements[i], &error);

		g_assert_no_error(error);
		g_assert_cmpuint(device->requests->len, ==, 0);
	}
}

static const struct {
	const char *name;
	const char *xml;
	const char *message;
} hotplug_refused[] = {
	{"whole-domain", "<domain type='kvm'><name>x</name></domain>",
	 "device XML: <domain> is not a device to pass through: expected one <hostdev> or <interface type='hostdev'>"},
	{"disk", "<disk type='file' device='disk'/>",
	 "device XML: <disk> is not a device to pass through: expected one <hostdev> or <interface type='hostdev'>"},
	{"not-well-formed", "<hostdev mode='subsystem' type='pci'>\n<source>",
	 "device XML: line 2: the document ends before </source>"},
	{"no-address", "<hostdev mode='subsystem' type='pci' managed='no'><source/></hostdev>",
	 "device XML: <hostdev> at line 1: missing <source><address/></source>"},
	{"latin-1", "<hostdev mode='subsystem' type='pci'><!-- caf\xe9 --></hostdev>",
	 "device XML: line 1: byte 0xe9 is not UTF-8, the only encoding libvirt sends"},
};

static void
test_hotplug_refused(gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) device = parse_hotplug(hotplug_refused[i].xml, &error);

	g_assert_null(device);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_cmpstr(error->message, ==, hotplug_refused[i].message);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/domain/full/document-order", test_full_document_order);
	g_test_add_func("/domain/full/identity", test_full_identity);
	g_test_add_func("/domain/full/hostdev", test_full_hostdev);
	g_test_add_func("/domain/full/interface", test_full_interface);
	g_test_add_func("/domain/full/unmanaged-permissive", test_full_unmanaged_permissive);
	ADD_TABLE("/domain/backend", backend_cases, test_backend);
	g_test_add_func("/domain/enum-strings", test_enum_strings);
	ADD_TABLE("/domain/hypervisor", hypervisor_cases, test_hypervisor);

	ADD_TABLE("/domain/ignored", ignored_cases, test_ignored);
	g_test_add_func("/domain/ignored/mixed-document", test_ignored_mixed_document);
	ADD_TABLE("/domain/address-default", default_cases, test_address_default);
	ADD_TABLE("/domain/located-error", located_error_cases, test_located_error);
	ADD_TABLE("/domain/duplicate", duplicate_cases, test_duplicate);

	g_test_add_func("/domain/metadata/annotates-hostdev", test_metadata_annotates_hostdev);
	g_test_add_func("/domain/metadata/own-device-last", test_metadata_own_device_last);
	g_test_add_func("/domain/metadata/vfs", test_metadata_vfs);
	g_test_add_func("/domain/metadata/vfs-by-netdev", test_metadata_vfs_by_netdev);
	g_test_add_func("/domain/metadata/vf-settings", test_metadata_vf_settings);
	g_test_add_func("/domain/metadata/vf-settings-interface", test_metadata_vf_settings_interface);
	g_test_add_func("/domain/metadata/keeps-libvirt-settings", test_metadata_keeps_libvirt_settings);
	ADD_TABLE("/domain/metadata/error", metadata_error_cases, test_metadata_error);

	ADD_TABLE("/domain/interface", interface_cases, test_interface);
	g_test_add_func("/domain/interface/mac-lower-cased", test_interface_mac_lower_cased);

	g_test_add_func("/domain/hotplug/hostdev", test_hotplug_hostdev);
	g_test_add_func("/domain/hotplug/interface", test_hotplug_interface);
	g_test_add_func("/domain/hotplug/not-pci", test_hotplug_not_pci);
	for (guint i = 0; i < G_N_ELEMENTS(hotplug_refused); i++) {
		g_autofree gchar *path = g_strdup_printf("/domain/hotplug/refused/%s", hotplug_refused[i].name);
		g_test_add_data_func(path, GUINT_TO_POINTER(i), test_hotplug_refused);
	}
	g_test_add_func("/domain/snippet/hostdev", test_snippet_hostdev);
	g_test_add_func("/domain/snippet/interface", test_snippet_interface);
	g_test_add_func("/domain/snippet/other-device", test_snippet_other_device);
	g_test_add_func("/domain/networkport/hostdev-pci", test_networkport_hostdev_pci);
	g_test_add_func("/domain/networkport/other-plug", test_networkport_other_plug);
	g_test_add_func("/domain/networkport/without-address", test_networkport_without_address);
	g_test_add_func("/domain/network/hostdev-pool", test_network_hostdev_pool);
	g_test_add_func("/domain/network/other-forward-mode", test_network_other_forward_mode);
	g_test_add_func("/domain/network/duplicate-address", test_network_duplicate_address);
	ADD_TABLE("/domain/unknown-root", unknown_root_cases, test_unknown_root);

	ADD_TABLE("/domain/malformed", malformed_cases, test_malformed);
	ADD_TABLE("/domain/hostile", hostile_cases, test_hostile);
	g_test_add_func("/domain/hostile/undeclared-entity", test_hostile_undeclared_entity);
	g_test_add_func("/domain/hostile/predefined-entities-still-work", test_hostile_predefined_entities_still_work);
	g_test_add_func("/domain/hostile/xinclude-not-processed", test_hostile_xinclude_not_processed);
	g_test_add_func("/domain/hostile/deep-nesting", test_hostile_deep_nesting);
	ADD_TABLE("/domain/encoding", encoding_cases, test_encoding);

	g_test_add_func("/domain/size/20-mb-many-devices", test_size_many_devices);
	ADD_TABLE("/domain/size/20-mb-text-node", text_node_cases, test_size_huge_text_node);
	g_test_add_func("/domain/file/missing", test_file_missing);

	return g_test_run();
}
