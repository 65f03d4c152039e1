/*
 * test-schema.c: xml/hostdev-hook.rng, and the C parser's agreement with it
 *
 * The schema is what we publish: administrators validate their metadata
 * against it (virt-xml-validate, editors), so it must accept exactly the
 * documents hd_domain_parse() accepts.  Each row is checked twice: once
 * against the schema, with the verdict the row records, and once against
 * the parser, which must reach the same verdict unless the row says why
 * it cannot (a known bug, or a rule RELAX NG cannot express).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "hd-domain.h"
#include "hd-error.h"
#include "libxml2-autocleanups.h"

/* ---- the schema ------------------------------------------------------- */

static gchar *
schema_path(void)
{
	const char *env = g_getenv("HOSTDEV_HOOK_SCHEMA");

	if (env != NULL)
		return g_strdup(env);
	return g_test_build_filename(G_TEST_DIST, "..", "xml", "hostdev-hook.rng", NULL);
}

/* libxml2 would print to stderr; keep the messages for the test log */
static void
collect_error(void *user_data, xmlErrorPtr error)
{
	GString *messages = user_data;

	g_string_append_printf(messages, "line %d: %s", error->line,
			       error->message != NULL ? error->message : "(no message)\n");
}

static xmlRelaxNG *
load_schema(void)
{
	g_autofree gchar *path = schema_path();
	g_autoptr(xmlRelaxNGParserCtxt) parser = xmlRelaxNGNewParserCtxt(path);
	g_autoptr(GString) messages = g_string_new(NULL);
	xmlRelaxNG *schema;

	g_assert_nonnull(parser);
	xmlRelaxNGSetParserStructuredErrors(parser, collect_error, messages);
	schema = xmlRelaxNGParse(parser);
	if (schema == NULL)
		g_error("%s does not compile: %s", path, messages->str);
	return schema;
}

/* compiled once: every row validates against the same grammar */
static xmlRelaxNG *metadata_schema;

static gboolean
schema_accepts(const char *metadata, GString *messages)
{
	g_autoptr(xmlDoc) doc = xmlReadMemory(metadata, (int)strlen(metadata), "metadata.xml", NULL,
					      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	g_autoptr(xmlRelaxNGValidCtxt) validator = NULL;

	/* a row that is not even XML would test libxml2, not the schema */
	g_assert_nonnull(doc);
	validator = xmlRelaxNGNewValidCtxt(metadata_schema);
	g_assert_nonnull(validator);
	xmlRelaxNGSetValidStructuredErrors(validator, collect_error, messages);
	return xmlRelaxNGValidateDoc(validator, doc) == 0;
}

static gboolean
parser_accepts(const char *metadata, GError **error)
{
	g_autofree gchar *xml = g_strdup_printf("<domain type='kvm'>\n"
						"  <name>schema</name>\n"
						"  <metadata>\n%s\n  </metadata>\n"
						"  <devices/>\n"
						"</domain>\n",
						metadata);
	g_autoptr(HdDomain) domain = hd_domain_parse(xml, strlen(xml), error);

	return domain != NULL;
}

/* ---- the rows ---------------------------------------------------------- */

typedef enum {
	PARSER_AGREES,
	/* the parser must reach the opposite verdict, for the reason given */
	PARSER_DIFFERS_BY_DESIGN,
} ParserVerdict;

typedef struct {
	const char *name;
	const char *metadata;
	gboolean valid; /* the schema's verdict */
	ParserVerdict parser;
	const char *why; /* for PARSER_DIFFERS_BY_DESIGN */
} SchemaCase;

#define NS "urn:hostdev-hook:1"
#define OPEN "<hd:hostdev-hook xmlns:hd='" NS "'>"
#define CLOSE "</hd:hostdev-hook>"
#define DEVICE(attrs) OPEN "<hd:device " attrs "/>" CLOSE
#define VFS(attrs) OPEN "<hd:vfs " attrs "/>" CLOSE
#define VALID TRUE
#define INVALID FALSE
#define BY_DESIGN(why) PARSER_DIFFERS_BY_DESIGN, why

#define DRIVER_64 "a123456789b123456789c123456789d123456789e123456789f123456789g123"
#define DRIVER_65 DRIVER_64 "h"

static const SchemaCase schema_cases[] = {
	/* documents the schema accepts */
	{"empty", OPEN CLOSE, VALID},
	{"default-namespace", "<hostdev-hook xmlns='" NS "'><device address='0000:03:00.0'/></hostdev-hook>", VALID},
	{"device-address-only", DEVICE("address='0000:03:00.0'"), VALID},
	{"device-every-attribute",
	 DEVICE("address='0000:03:00.0' driver='vfio-pci' permissive='no' take-group='yes' force='no'"), VALID},
	{"device-address-without-domain", DEVICE("address='03:00.0'"), VALID},
	{"device-address-upper-case", DEVICE("address='00AB:CD:1F.7'"), VALID},
	{"device-address-short-fields", DEVICE("address='1:2:3.4'"), VALID},
	{"device-driver-punctuation", DEVICE("address='0000:03:00.0' driver='mlx5_vfio-pci.v2'"), VALID},
	{"device-driver-64-characters", DEVICE("address='0000:03:00.0' driver='" DRIVER_64 "'"), VALID},
	{"device-driver-leading-underscore", DEVICE("address='0000:03:00.0' driver='_stub'"), VALID},
	{"vfs", VFS("pf='0000:5e:00.0' count='4'"), VALID},
	{"vfs-count-one", VFS("pf='0000:5e:00.0' count='1'"), VALID},
	{"vfs-count-max", VFS("pf='0000:5e:00.0' count='65535'"), VALID},
	{"vfs-count-leading-zero", VFS("pf='0000:5e:00.0' count='04'"), VALID},
	{"vfs-count-leading-space", VFS("pf='0000:5e:00.0' count=' 4'"), VALID},
	{"vfs-count-surrounding-space", VFS("pf='0000:5e:00.0' count=' 4 '"), VALID},
	{"vfs-count-decimal-08", VFS("pf='0000:5e:00.0' count='08'"), VALID},
	{"devices-and-vfs-interleaved",
	 OPEN "<hd:vfs pf='0000:5e:00.0' count='2'/><hd:device address='0000:03:00.0'/>"
	      "<hd:vfs pf='0000:5f:00.0' count='2'/><hd:device address='0000:04:00.0'/>" CLOSE, VALID},
	{"device-vf-every-setting",
	 DEVICE("address='0000:05:10.2' mac='52:54:00:6d:90:02' vlan='42' trust='yes' spoofchk='no' "
		"link-state='enable' min-tx-rate='10' max-tx-rate='1000' query-rss='no'"), VALID},
	{"device-vf-mac-upper-case", DEVICE("address='0000:05:10.2' mac='52:54:00:AB:CD:EF'"), VALID},
	{"device-vf-mac-locally-administered", DEVICE("address='0000:05:10.2' mac='02:00:00:00:00:01'"), VALID},
	{"device-vf-vlan-zero", DEVICE("address='0000:05:10.2' vlan='0'"), VALID},
	{"device-vf-vlan-4095", DEVICE("address='0000:05:10.2' vlan='4095'"), VALID},
	{"device-vf-vlan-leading-zeros", DEVICE("address='0000:05:10.2' vlan='0042'"), VALID},
	{"device-vf-vlan-surrounding-space", DEVICE("address='0000:05:10.2' vlan=' 42 '"), VALID},
	{"device-vf-link-state-auto", DEVICE("address='0000:05:10.2' link-state='auto'"), VALID},
	{"device-vf-link-state-disable", DEVICE("address='0000:05:10.2' link-state='disable'"), VALID},
	{"device-vf-rate-zero", DEVICE("address='0000:05:10.2' min-tx-rate='0' max-tx-rate='0'"), VALID},
	{"device-vf-rate-max", DEVICE("address='0000:05:10.2' max-tx-rate='4294967295'"), VALID},
	{"device-vf-query-rss", DEVICE("address='0000:05:10.2' query-rss='yes'"), VALID},
	{"vfs-pf-netdev", VFS("pf='enp2s0' count='2'"), VALID},
	{"vfs-pf-netdev-with-dot-and-dash", VFS("pf='eth0.100-x' count='2'"), VALID},
	{"vfs-pf-netdev-15-characters", VFS("pf='enp129s0f1np1xy' count='2'"), VALID},
	{"vfs-pf-netdev-digits", VFS("pf='5e' count='2'"), VALID},
	{"comments-and-blank-text",
	 OPEN "\n  <!-- the GPU -->\n  <hd:device address='0000:03:00.0'/>\n" CLOSE, VALID},
	/* blanks around yes/no are refused by both, as libvirt refuses them */
	/* RELAX NG cannot say "unique", so duplicates are the parser's job */
	{"two-devices-one-address",
	 OPEN "<hd:device address='0000:03:00.0'/><hd:device address='03:00.0' force='yes'/>" CLOSE, VALID,
	 BY_DESIGN("one address, two sets of options: the parser cannot tell which one is meant")},

	/* documents the schema refuses */
	{"unknown-device-attribute", DEVICE("address='0000:03:00.0' colour='red'"), INVALID},
	{"misspelt-device-attribute", DEVICE("address='0000:03:00.0' take_group='yes'"), INVALID},
	{"foreign-attribute", OPEN "<hd:device xmlns:x='urn:example:x' address='0000:03:00.0' x:note='gpu'/>" CLOSE,
	 INVALID},
	{"address-in-our-namespace", DEVICE("hd:address='0000:03:00.0'"), INVALID},
	{"unknown-vfs-attribute", VFS("pf='0000:5e:00.0' count='4' driver='ixgbevf'"), INVALID},
	{"unknown-element", OPEN "<hd:frobnicate/>" CLOSE, INVALID},
	{"foreign-element", OPEN "<x:device xmlns:x='urn:example:x' address='0000:03:00.0'/>" CLOSE, INVALID},
	{"element-inside-device", OPEN "<hd:device address='0000:03:00.0'><hd:driver name='x'/></hd:device>" CLOSE,
	 INVALID},
	{"element-inside-vfs", OPEN "<hd:vfs pf='0000:5e:00.0' count='4'><hd:vf index='0'/></hd:vfs>" CLOSE,
	 INVALID},
	{"text-inside-device", OPEN "<hd:device address='0000:03:00.0'>vfio-pci</hd:device>" CLOSE, INVALID},
	{"text-inside-root", OPEN "take-group" CLOSE, INVALID},
	{"attribute-on-root", "<hd:hostdev-hook xmlns:hd='" NS "' version='2'/>", INVALID},
	{"device-as-root", "<hd:device xmlns:hd='" NS "' address='0000:03:00.0'/>", INVALID},
	{"other-version-namespace", "<hostdev-hook xmlns='urn:hostdev-hook:2'><device address='x'/></hostdev-hook>",
	 INVALID, BY_DESIGN("metadata in any other namespace belongs to someone else and is skipped")},
	{"device-without-address", DEVICE("take-group='yes'"), INVALID},
	{"device-address-slot-20", DEVICE("address='0000:03:20.0'"), INVALID},
	{"device-address-function-8", DEVICE("address='0000:03:00.8'"), INVALID},
	{"device-address-domain-10000", DEVICE("address='10000:03:00.0'"), INVALID},
	{"device-address-no-function", DEVICE("address='0000:03:00'"), INVALID},
	{"device-address-leading-blank", DEVICE("address=' 0000:03:00.0'"), INVALID},
	{"device-address-libvirt-name", DEVICE("address='pci_0000_03_00_0'"), INVALID},
	{"device-address-five-digit-domain", DEVICE("address='00000:03:00.0'"), INVALID},
	{"device-address-three-digit-bus", DEVICE("address='0000:003:00.0'"), INVALID},
	{"device-address-three-digit-slot", DEVICE("address='0000:03:000.0'"), INVALID},
	{"device-address-two-digit-function", DEVICE("address='0000:03:00.00'"), INVALID},
	{"yes-no-true", DEVICE("address='0000:03:00.0' take-group='true'"), INVALID},
	{"yes-no-upper-case", DEVICE("address='0000:03:00.0' force='YES'"), INVALID},
	{"yes-no-empty", DEVICE("address='0000:03:00.0' permissive=''"), INVALID},
	{"yes-no-with-blanks", DEVICE("address='0000:03:00.0' take-group=' yes '"), INVALID},
	{"driver-empty", DEVICE("address='0000:03:00.0' driver=''"), INVALID},
	{"driver-path", DEVICE("address='0000:03:00.0' driver='../vfio-pci'"), INVALID},
	{"driver-leading-dot", DEVICE("address='0000:03:00.0' driver='.vfio'"), INVALID},
	{"driver-leading-dash", DEVICE("address='0000:03:00.0' driver='-vfio'"), INVALID},
	{"driver-65-characters", DEVICE("address='0000:03:00.0' driver='" DRIVER_65 "'"), INVALID},
	{"driver-with-blank", DEVICE("address='0000:03:00.0' driver='vfio pci'"), INVALID},
	{"driver-non-ascii", DEVICE("address='0000:03:00.0' driver='vfi\xc3\xb6'"), INVALID},
	/* XSD allows the sign, but libxml2 (what virt-xml-validate runs) does not */
	{"vfs-count-plus-sign", VFS("pf='0000:5e:00.0' count='+4'"), INVALID},
	{"vfs-count-zero", VFS("pf='0000:5e:00.0' count='0'"), INVALID},
	{"vfs-count-negative", VFS("pf='0000:5e:00.0' count='-1'"), INVALID},
	{"vfs-count-too-big", VFS("pf='0000:5e:00.0' count='65536'"), INVALID},
	{"vfs-count-hex", VFS("pf='0000:5e:00.0' count='0x4'"), INVALID},
	{"vfs-count-empty", VFS("pf='0000:5e:00.0' count=''"), INVALID},
	{"vfs-count-fraction", VFS("pf='0000:5e:00.0' count='4.0'"), INVALID},
	{"vfs-without-count", VFS("pf='0000:5e:00.0'"), INVALID},
	{"vfs-without-pf", VFS("count='4'"), INVALID},
	{"vfs-bad-pf", VFS("pf='0000:5e:00.8' count='4'"), INVALID},
	{"vfs-pf-netdev-16-characters", VFS("pf='enp129s0f1np1xyz' count='2'"), INVALID},
	{"vfs-pf-netdev-slash", VFS("pf='eth/0' count='2'"), INVALID},
	{"vfs-pf-netdev-dot-dot", VFS("pf='..' count='2'"), INVALID},
	{"vfs-pf-netdev-leading-dot", VFS("pf='.eth0' count='2'"), INVALID},
	{"vfs-pf-netdev-leading-dash", VFS("pf='-eth0' count='2'"), INVALID},
	{"vfs-pf-netdev-blank", VFS("pf='eth 0' count='2'"), INVALID},
	{"vfs-pf-netdev-surrounding-space", VFS("pf=' eth0' count='2'"), INVALID},
	{"vfs-pf-empty", VFS("pf='' count='2'"), INVALID},
	{"vfs-pf-netdev-non-ascii", VFS("pf='eth\xc3\xb6' count='2'"), INVALID},
	{"device-vf-mac-multicast", DEVICE("address='0000:05:10.2' mac='01:00:5e:00:00:01'"), INVALID},
	{"device-vf-mac-broadcast", DEVICE("address='0000:05:10.2' mac='ff:ff:ff:ff:ff:ff'"), INVALID},
	{"device-vf-mac-dashes", DEVICE("address='0000:05:10.2' mac='52-54-00-00-00-01'"), INVALID},
	{"device-vf-mac-short", DEVICE("address='0000:05:10.2' mac='52:54:00:00:01'"), INVALID},
	{"device-vf-mac-single-digit-octet", DEVICE("address='0000:05:10.2' mac='2:54:00:00:00:01'"), INVALID},
	{"device-vf-mac-blank", DEVICE("address='0000:05:10.2' mac=' 52:54:00:00:00:01'"), INVALID},
	{"device-vf-vlan-4096", DEVICE("address='0000:05:10.2' vlan='4096'"), INVALID},
	{"device-vf-vlan-negative", DEVICE("address='0000:05:10.2' vlan='-1'"), INVALID},
	{"device-vf-vlan-plus-sign", DEVICE("address='0000:05:10.2' vlan='+42'"), INVALID},
	{"device-vf-vlan-hex", DEVICE("address='0000:05:10.2' vlan='0x10'"), INVALID},
	{"device-vf-vlan-empty", DEVICE("address='0000:05:10.2' vlan=''"), INVALID},
	{"device-vf-rate-too-big", DEVICE("address='0000:05:10.2' max-tx-rate='4294967296'"), INVALID},
	{"device-vf-rate-negative", DEVICE("address='0000:05:10.2' min-tx-rate='-1'"), INVALID},
	{"device-vf-rate-fraction", DEVICE("address='0000:05:10.2' max-tx-rate='1.5'"), INVALID},
	{"device-vf-rate-unit", DEVICE("address='0000:05:10.2' max-tx-rate='100M'"), INVALID},
	{"device-vf-trust-true", DEVICE("address='0000:05:10.2' trust='true'"), INVALID},
	{"device-vf-spoofchk-upper-case", DEVICE("address='0000:05:10.2' spoofchk='NO'"), INVALID},
	{"device-vf-query-rss-1", DEVICE("address='0000:05:10.2' query-rss='1'"), INVALID},
	{"device-vf-link-state-up", DEVICE("address='0000:05:10.2' link-state='up'"), INVALID},
	{"device-vf-link-state-upper-case", DEVICE("address='0000:05:10.2' link-state='Auto'"), INVALID},
	{"device-vf-link-state-empty", DEVICE("address='0000:05:10.2' link-state=''"), INVALID},
	{"vfs-vf-setting", VFS("pf='0000:5e:00.0' count='4' trust='yes'"), INVALID},
};

/* ---- the tests --------------------------------------------------------- */

static void
test_schema_compiles(void)
{
	g_assert_nonnull(metadata_schema);
}

static void
test_schema_verdict(gconstpointer data)
{
	const SchemaCase *c = data;
	g_autoptr(GString) messages = g_string_new(NULL);
	gboolean accepted = schema_accepts(c->metadata, messages);

	if (messages->len > 0)
		g_test_message("schema: %s", messages->str);
	g_assert_cmpint(accepted, ==, c->valid);
}

static void
test_parser_agreement(gconstpointer data)
{
	const SchemaCase *c = data;
	g_autoptr(GString) messages = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	gboolean schema = schema_accepts(c->metadata, messages);
	gboolean parser = parser_accepts(c->metadata, &error);

	if (error != NULL) {
		g_test_message("parser: %s", error->message);
		g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	}
	switch (c->parser) {
	case PARSER_DIFFERS_BY_DESIGN:
		g_test_message("differs by design: %s", c->why);
		g_assert_cmpint(parser, ==, !schema);
		return;
	case PARSER_AGREES:
	default:
		break;
	}
	g_assert_cmpint(parser, ==, schema);
}

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	metadata_schema = load_schema();

	g_test_add_func("/schema/compiles", test_schema_compiles);
	for (guint i = 0; i < G_N_ELEMENTS(schema_cases); i++) {
		g_autofree gchar *verdict = g_strdup_printf("/schema/verdict/%s", schema_cases[i].name);
		g_autofree gchar *agreement = g_strdup_printf("/schema/parser-agrees/%s", schema_cases[i].name);

		g_test_add_data_func(verdict, &schema_cases[i], test_schema_verdict);
		g_test_add_data_func(agreement, &schema_cases[i], test_parser_agreement);
	}

	status = g_test_run();
	xmlRelaxNGFree(metadata_schema);
	return status;
}
