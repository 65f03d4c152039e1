/*
 * test-address.c: PCI host addresses, as libvirt's XML and sysfs spell them
 *
 * An address attribute is read the way libvirt reads it (strtoul in base 0,
 * virStrToLong_uip), so a hand-written domain means the same device to us
 * as to libvirt.  Every form strtoul accepts is accepted, every limit is
 * checked one either side, and each refusal names the attribute and value,
 * because that message is what the administrator sees in `virsh start`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "hd-address.h"
#include "hd-error.h"
#include "test-table.h"

/* ---- one attribute: hd_address_parse_component ----------------------- */

typedef struct {
	const char *name; /* test path below /address/component/ */
	const char *attribute;
	guint max;
	const char *value;
	gboolean ok;
	guint expected; /* when ok */
} ComponentCase;

#define DOMAIN_MAX HD_ADDRESS_DOMAIN_MAX
#define BUS_MAX HD_ADDRESS_BUS_MAX
#define SLOT_MAX HD_ADDRESS_SLOT_MAX
#define FUNCTION_MAX HD_ADDRESS_FUNCTION_MAX

static const ComponentCase component_cases[] = {
	/* the spellings strtoul(base 0) accepts */
	{"form/decimal", "bus", BUS_MAX, "16", TRUE, 16},
	{"form/hex-lower-prefix", "bus", BUS_MAX, "0x10", TRUE, 0x10},
	{"form/hex-upper-prefix-and-digits", "bus", BUS_MAX, "0X1f", TRUE, 0x1f},
	{"form/hex-upper-digits", "bus", BUS_MAX, "0xAB", TRUE, 0xab},
	{"form/hex-leading-zeros", "domain", DOMAIN_MAX, "0x0000", TRUE, 0},
	{"form/octal", "bus", BUS_MAX, "010", TRUE, 8},
	{"form/zero", "bus", BUS_MAX, "0", TRUE, 0},
	{"form/double-zero-is-octal-zero", "bus", BUS_MAX, "00", TRUE, 0},
	{"form/leading-space", "bus", BUS_MAX, " 5", TRUE, 5},
	{"form/leading-tab-and-newline", "bus", BUS_MAX, "\t\n5", TRUE, 5},
	{"form/plus-sign", "bus", BUS_MAX, "+5", TRUE, 5},
	{"form/space-then-plus", "bus", BUS_MAX, " +0x5", TRUE, 5},

	/* what strtoul stops early on, or libvirt refuses outright */
	{"reject/empty", "bus", BUS_MAX, "", FALSE, 0},
	{"reject/only-space", "bus", BUS_MAX, " ", FALSE, 0},
	{"reject/minus-one", "bus", BUS_MAX, "-1", FALSE, 0},
	{"reject/minus-zero", "bus", BUS_MAX, "-0", FALSE, 0},
	{"reject/minus-after-hex-prefix", "bus", BUS_MAX, "0x-1", FALSE, 0},
	{"reject/octal-8", "bus", BUS_MAX, "08", FALSE, 0},
	{"reject/octal-9", "bus", BUS_MAX, "09", FALSE, 0},
	{"reject/hex-prefix-without-digits", "bus", BUS_MAX, "0x", FALSE, 0},
	{"reject/trailing-space", "bus", BUS_MAX, "5 ", FALSE, 0},
	{"reject/trailing-letter", "bus", BUS_MAX, "1e", FALSE, 0},
	{"reject/bad-hex-digit", "bus", BUS_MAX, "0x1g", FALSE, 0},
	{"reject/double-sign", "bus", BUS_MAX, "+-5", FALSE, 0},
	{"reject/word", "bus", BUS_MAX, "three", FALSE, 0},
	{"reject/overflow", "domain", DOMAIN_MAX, "99999999999999999999", FALSE, 0},
	{"reject/hex-overflow", "domain", DOMAIN_MAX, "0xffffffffffffffffff", FALSE, 0},
	/* 2^32 + 1 would wrap to 1 if anything truncated to guint first */
	{"reject/wraps-to-one-in-32-bits", "function", FUNCTION_MAX, "4294967297", FALSE, 0},

	/* every limit, one either side, in hex, decimal and octal */
	{"limit/domain/hex-max", "domain", DOMAIN_MAX, "0xffff", TRUE, 0xffff},
	{"limit/domain/hex-max-plus-one", "domain", DOMAIN_MAX, "0x10000", FALSE, 0},
	{"limit/domain/decimal-max", "domain", DOMAIN_MAX, "65535", TRUE, 0xffff},
	{"limit/domain/decimal-max-plus-one", "domain", DOMAIN_MAX, "65536", FALSE, 0},
	{"limit/domain/octal-max", "domain", DOMAIN_MAX, "0177777", TRUE, 0xffff},
	{"limit/domain/octal-max-plus-one", "domain", DOMAIN_MAX, "0200000", FALSE, 0},
	{"limit/bus/hex-max", "bus", BUS_MAX, "0xff", TRUE, 0xff},
	{"limit/bus/hex-max-plus-one", "bus", BUS_MAX, "0x100", FALSE, 0},
	{"limit/bus/decimal-max", "bus", BUS_MAX, "255", TRUE, 0xff},
	{"limit/bus/decimal-max-plus-one", "bus", BUS_MAX, "256", FALSE, 0},
	{"limit/bus/octal-max", "bus", BUS_MAX, "0377", TRUE, 0xff},
	{"limit/bus/octal-max-plus-one", "bus", BUS_MAX, "0400", FALSE, 0},
	{"limit/slot/hex-max", "slot", SLOT_MAX, "0x1f", TRUE, 0x1f},
	{"limit/slot/hex-max-plus-one", "slot", SLOT_MAX, "0x20", FALSE, 0},
	{"limit/slot/decimal-max", "slot", SLOT_MAX, "31", TRUE, 0x1f},
	{"limit/slot/decimal-max-plus-one", "slot", SLOT_MAX, "32", FALSE, 0},
	{"limit/slot/octal-max", "slot", SLOT_MAX, "037", TRUE, 0x1f},
	{"limit/slot/octal-max-plus-one", "slot", SLOT_MAX, "040", FALSE, 0},
	{"limit/function/hex-max", "function", FUNCTION_MAX, "0x7", TRUE, 7},
	{"limit/function/hex-max-plus-one", "function", FUNCTION_MAX, "0x8", FALSE, 0},
	{"limit/function/decimal-max", "function", FUNCTION_MAX, "7", TRUE, 7},
	{"limit/function/decimal-max-plus-one", "function", FUNCTION_MAX, "8", FALSE, 0},
	{"limit/function/octal-max", "function", FUNCTION_MAX, "07", TRUE, 7},
	{"limit/function/octal-max-plus-one", "function", FUNCTION_MAX, "010", FALSE, 0},
};

/* the message must let an administrator find the attribute in the XML */
static void
assert_message_names(const GError *error, const char *attribute, const char *value)
{
	g_autofree gchar *quoted = g_strdup_printf("'%s'", value);

	g_assert_nonnull(g_strstr_len(error->message, -1, attribute));
	g_assert_nonnull(g_strstr_len(error->message, -1, quoted));
}

static void
test_component(gconstpointer data)
{
	const ComponentCase *c = data;
	g_autoptr(GError) error = NULL;
	/* a sentinel shows that a refusal leaves the output alone */
	guint out = 0xdeadbeef;
	gboolean ok = hd_address_parse_component(c->value, c->attribute, c->max, &out, &error);

	if (c->ok) {
		g_assert_no_error(error);
		g_assert_true(ok);
		g_assert_cmpuint(out, ==, c->expected);
		return;
	}
	g_assert_false(ok);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_cmpuint(out, ==, 0xdeadbeef);
	assert_message_names(error, c->attribute, c->value);
}

/* libvirt never hands us a missing attribute (it defaults to 0 before us),
 * but the function must still refuse NULL cleanly rather than crash */
static void
test_component_null(void)
{
	g_autoptr(GError) error = NULL;
	guint out = 42;

	g_assert_false(hd_address_parse_component(NULL, "slot", SLOT_MAX, &out, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_nonnull(g_strstr_len(error->message, -1, "slot"));
	g_assert_cmpuint(out, ==, 42);
}

/* ---- the sysfs spelling: hd_address_parse_bdf ------------------------- */

typedef struct {
	const char *name;
	const char *bdf;
	gboolean ok;
	HdAddress expected;
} BdfCase;

static const BdfCase bdf_cases[] = {
	{"full", "0000:03:00.0", TRUE, {0, 3, 0, 0}},
	{"without-domain", "03:00.0", TRUE, {0, 3, 0, 0}},
	{"upper-case-hex", "00AB:CD:1F.7", TRUE, {0xab, 0xcd, 0x1f, 7}},
	{"mixed-case-hex", "abCD:eF:0a.1", TRUE, {0xabcd, 0xef, 0xa, 1}},
	{"every-maximum", "ffff:ff:1f.7", TRUE, {0xffff, 0xff, 0x1f, 7}},
	{"every-field-distinct", "0001:02:03.4", TRUE, {1, 2, 3, 4}},
	{"short-fields", "1:2:3.4", TRUE, {1, 2, 3, 4}},

	{"no-function", "0000:03:00", FALSE},
	{"slot-too-big", "0000:03:20.0", FALSE},
	{"function-too-big", "0000:03:00.8", FALSE},
	{"domain-too-big", "10000:00:00.0", FALSE},
	{"bus-too-big", "0000:100:00.0", FALSE},
	{"garbage", "not-an-address", FALSE},
	{"empty", "", FALSE},
	{"only-separators", "::.", FALSE},
	{"empty-bus", "0000::00.0", FALSE},
	{"empty-function", "0000:03:00.", FALSE},
	{"empty-domain", ":03:00.0", FALSE},
	{"extra-field", "0000:0000:03:00.0", FALSE},
	{"two-dots", "0000:03:00.0.0", FALSE},
	{"hex-prefix", "0x0000:03:00.0", FALSE},
	{"plus-sign", "+0:03:00.0", FALSE},
	{"leading-space", " 0000:03:00.0", FALSE},
	{"trailing-space", "0000:03:00.0 ", FALSE},
	{"trailing-newline", "0000:03:00.0\n", FALSE},
	{"libvirt-nodedev-name", "pci_0000_03_00_0", FALSE},
	/* no field is longer than its maximum is wide, as in the schema */
	{"five-digit-domain", "00000:03:00.0", FALSE},
	{"three-digit-bus", "0000:003:00.0", FALSE},
	{"three-digit-slot", "0000:03:000.0", FALSE},
	{"two-digit-function", "0000:03:00.00", FALSE},
};

static void
test_bdf(gconstpointer data)
{
	const BdfCase *c = data;
	g_autoptr(GError) error = NULL;
	HdAddress out = {0xdead, 0xdead, 0xdead, 0xdead};
	gboolean ok = hd_address_parse_bdf(c->bdf, &out, &error);

	if (c->ok) {
		g_assert_no_error(error);
		g_assert_true(ok);
		g_assert_true(hd_address_equal(&out, &c->expected));
		return;
	}
	g_assert_false(ok);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_nonnull(g_strstr_len(error->message, -1, c->bdf));
	g_assert_cmpuint(out.domain, ==, 0xdead);
}

/* ---- hd_address_format ------------------------------------------------ */

typedef struct {
	const char *name;
	HdAddress address;
	const char *expected;
} FormatCase;

static const FormatCase format_cases[] = {
	{"zero", {0, 0, 0, 0}, "0000:00:00.0"},
	{"every-maximum", {0xffff, 0xff, 0x1f, 7}, "ffff:ff:1f.7"},
	{"lower-case-and-padded", {0xabcd, 0xa, 0x1, 2}, "abcd:0a:01.2"},
	{"typical-vf", {0, 0x3b, 0x10, 3}, "0000:3b:10.3"},
};

/* the format is the kernel's own, and parsing it gives the address back */
static void
test_format(gconstpointer data)
{
	const FormatCase *c = data;
	g_autoptr(GError) error = NULL;
	char buf[HD_ADDRESS_STRLEN];
	HdAddress back = {0};

	hd_address_format(&c->address, buf);
	g_assert_cmpstr(buf, ==, c->expected);
	g_assert_cmpuint(strlen(buf), ==, HD_ADDRESS_STRLEN - 1);

	g_assert_true(hd_address_parse_bdf(buf, &back, &error));
	g_assert_no_error(error);
	g_assert_true(hd_address_equal(&back, &c->address));
}

/* upper case in, lower case out: sysfs names are lower case */
static void
test_format_lowers_parsed_upper_case(void)
{
	g_autoptr(GError) error = NULL;
	HdAddress addr;
	char buf[HD_ADDRESS_STRLEN];

	g_assert_true(hd_address_parse_bdf("00AB:CD:1F.7", &addr, &error));
	g_assert_no_error(error);
	hd_address_format(&addr, buf);
	g_assert_cmpstr(buf, ==, "00ab:cd:1f.7");
}

/* ---- hd_address_key and hd_address_equal ----------------------------- */

typedef struct {
	const char *name;
	HdAddress address;
	guint32 expected;
} KeyCase;

static const KeyCase key_cases[] = {
	{"zero", {0, 0, 0, 0}, 0},
	{"function-is-low-bits", {0, 0, 0, 7}, 0x7},
	{"slot-above-function", {0, 0, 1, 0}, 0x8},
	{"bus-above-slot", {0, 1, 0, 0}, 0x100},
	{"domain-above-bus", {1, 0, 0, 0}, 0x10000},
	{"every-maximum", {0xffff, 0xff, 0x1f, 7}, 0xffffffff},
	/* the same packing as the kernel's PCI_DEVID(bus, PCI_DEVFN(slot, fn)) */
	{"like-pci-devid", {0, 0x3b, 0x10, 3}, (0x3b << 8) | ((0x10 << 3) | 3)},
};

static void
test_key(gconstpointer data)
{
	const KeyCase *c = data;

	g_assert_cmphex(hd_address_key(&c->address), ==, c->expected);
}

/* the parser indexes requests by key, so two devices must never share one;
 * walk every bus/slot/function of a few domains and look for a collision */
static void
test_key_is_injective(void)
{
	static const guint domains[] = {0, 1, 0xffff};
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (guint d = 0; d < G_N_ELEMENTS(domains); d++) {
		for (guint bus = 0; bus <= BUS_MAX; bus++) {
			for (guint slot = 0; slot <= SLOT_MAX; slot++) {
				for (guint fn = 0; fn <= FUNCTION_MAX; fn++) {
					HdAddress addr = {domains[d], bus, slot, fn};
					gpointer key = GUINT_TO_POINTER(hd_address_key(&addr));

					g_assert_false(g_hash_table_contains(seen, key));
					g_hash_table_add(seen, key);
				}
			}
		}
	}
	g_assert_cmpuint(g_hash_table_size(seen), ==, G_N_ELEMENTS(domains) * 256 * 32 * 8);
}

static void
test_equal(void)
{
	const HdAddress a = {1, 2, 3, 4};
	const HdAddress same = {1, 2, 3, 4};
	const HdAddress others[] = {{0, 2, 3, 4}, {1, 0, 3, 4}, {1, 2, 0, 4}, {1, 2, 3, 0}};

	g_assert_true(hd_address_equal(&a, &same));
	for (guint i = 0; i < G_N_ELEMENTS(others); i++) {
		g_assert_false(hd_address_equal(&a, &others[i]));
		g_assert_cmphex(hd_address_key(&a), !=, hd_address_key(&others[i]));
	}
}

/* ---- registration ------------------------------------------------------ */

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	ADD_TABLE("/address/component", component_cases, test_component);
	g_test_add_func("/address/component/reject/null", test_component_null);
	ADD_TABLE("/address/bdf", bdf_cases, test_bdf);
	ADD_TABLE("/address/format", format_cases, test_format);
	g_test_add_func("/address/format/lowers-parsed-upper-case", test_format_lowers_parsed_upper_case);
	ADD_TABLE("/address/key", key_cases, test_key);
	g_test_add_func("/address/key/injective", test_key_is_injective);
	g_test_add_func("/address/equal", test_equal);

	return g_test_run();
}
