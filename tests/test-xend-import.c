/*
 * test-xend-import.c: xend's PCI policy files to a drop-in, and the refusals
 *
 * The upstream files are verbatim from xen-project/xen tools/examples/ as
 * they were before xend's removal (commit 9e8672f1c3, 2013): the importer
 * must take what every xend host was installed with.  Every refusal names
 * the file and the exact line.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "hd-error.h"
#include "hd-sxp.h"
#include "hd-xend-import.h"
#include "test-helpers.h"

/* tools/examples/xend-pci-permissive.sxp */
static const char upstream_permissive[] =
	"###############################################################################\n"
	"# Configuration file for granting quiry PCI devices full write access to their \n"
	"# configuration space.  This file should only be used when you are unable to \n"
	"# determine the exact registers required by your device.  Even so, it should \n"
	"# be used only temporarily.\n"
	"# \n"
	"# SEND A MESSAGE TO xen-devel@lists.xensource.com IF YOU USE THIS FILE.\n"
	"# \n"
	"# Using this file should NOT be necessary.  If you must use it to make some\n"
	"# device work, send a message to the above list with as much information about \n"
	"# your device as possible so the developers can make accomodations for it.  \n"
	"# Once developers make the necessary updates you can remove the corresponding\n"
	"# entry for your device. \n"
	"###############################################################################\n"
	"# Entries are formated as follows:  <vendor>:<device>[:<subvendor>:<subdevice>]\n"
	"# \n"
	"# Example: Appending to an existing list\n"
	"#  \n"
	"# (unconstrained_dev_ids\n"
	"#     ('XXXX:XXXX:XXXX:XXXX'\t# existing entry\n"
	"#      'YYYY:YYYY:YYYY:YYYY' \t# new entry 1\n"
	"#      'ZZZZ:ZZZZ')\t\t# new entry 2\n"
	"# )\n"
	"###############################################################################\n"
	"(unconstrained_dev_ids\n"
	"     #('0123:4567:89AB:CDEF')\n"
	")\n";

/* tools/examples/xend-pci-quirks.sxp */
static const char upstream_quirks[] =
	"###############################################################################\n"
	"# Configuration file for quirky PCI devices that require write-access to \n"
	"# parts of the configuration space.  Use this file to specific PCI device\n"
	"# IDs and the configuration space fields to which those devices must be\n"
	"# able to write.\n"
	"#\n"
	"# Length is important, so be sure to match new entries with the \n"
	"# lengths of comparable existing entries. \n"
	"#\n"
	"# Additions to this file take effect as soon as a new domain with a \n"
	"# matching device is started.  However, to remove a field that was \n"
	"# previously applied to a device you must unbind the device from \n"
	"# pciback.\n"
	"###############################################################################\n"
	"# This is a bogus entry to show how a new device would be added to the list\n"
	"#\n"
	"# (new_quirky_dev_name\n"
	"#    (pci_ids \n"
	"#       ('0123:4567:890A:BCEF') \n"
	"#    )\n"
	"#\n"
	"#    (pci_config_space_fields \n"
	"#       ('12345678:1:00000000')\n"
	"#    )\n"
	"# )\n"
	"###############################################################################\n"
	"\n"
	"(tg3\n"
	"    (pci_ids\n"
	"\t# Entries are formated as follows:  \n"
	"\t#     <vendor>:<device>[:<subvendor>:<subdevice>]\n"
	"        ('14e4:1644'   # Broadcom Tigon3 5700\n"
	"    \t '14e4:1645'   # Broadcom Tigon3 5701\n"
	"         '14e4:1646'   # Broadcom Tigon3 5702\n"
	"         '14e4:1647'   # Broadcom Tigon3 5703\n"
	"         '14e4:1648'   # Broadcom Tigon3 5704\n"
	"         '14e4:164d'   # Broadcom Tigon3 5702FE\n"
	"         '14e4:1653'   # Broadcom Tigon3 5705\n"
	"         '14e4:1654'   # Broadcom Tigon3 5705_2\n"
	"         '14e4:165d'   # Broadcom Tigon3 5705M\n"
	"         '14e4:165e'   # Broadcom Tigon3 5705M_2\n"
	"         '14e4:16a6'   # Broadcom Tigon3 5702X\n"
	"         '14e4:16a7'   # Broadcom Tigon3 5703X\n"
	"         '14e4:16a8'   # Broadcom Tigon3 5704S\n"
	"         '14e4:16c6'   # Broadcom Tigon3 5702A3\n"
	"         '14e4:16c7'   # Broadcom Tigon3 5703A3\n"
	"         '14e4:1696'   # Broadcom Tigon3 5782\n"
	"         '14e4:169c'   # Broadcom Tigon3 5788\n"
	"         '14e4:169d'   # Broadcom Tigon3 5789\n"
	"         '14e4:170d'   # Broadcom Tigon3 5901\n"
	"         '14e4:1649'   # Broadcom Tigon3 5704S_2\n"
	"         '14e4:166e'   # Broadcom Tigon3 5705F\n"
	"         '14e4:1658'   # Broadcom Tigon3 5720\n"
	"         '14e4:1659'   # Broadcom Tigon3 5721\n"
	"         '14e4:1676'   # Broadcom Tigon3 5750\n"
	"         '14e4:1677'   # Broadcom Tigon3 5751\n"
	"         '14e4:167c'   # Broadcom Tigon3 5750M\n"
	"         '14e4:167d'   # Broadcom Tigon3 5751M\n"
	"         '14e4:167e'   # Broadcom Tigon3 5751F\n"
	"         '14e4:1600'   # Broadcom Tigon3 5752\n"
	"         '14e4:1601'   # Broadcom Tigon3 5752M\n"
	"         '14e4:16f7'   # Broadcom Tigon3 5753\n"
	"         '14e4:16fd'   # Broadcom Tigon3 5753M\n"
	"         '14e4:16fe'   # Broadcom Tigon3 5753F\n"
	"         '14e4:1668'   # Broadcom Tigon3 5714\n"
	"         '14e4:1678'   # Broadcom Tigon3 5715\n"
	"         '14e4:166a'   # Broadcom Tigon3 5780\n"
	"         '14e4:166b'   # Broadcom Tigon3 5780S\n"
	"         '14e4:16dd'   # Broadcom Tigon3 5781\n"
	"         '1148:4400'   # Syskonnect 9DXX\n"
	"         '1148:4500'   # Syskonnect 9MXX\n"
	"         '173b:03e8'   # Altima AC1000\n"
	"         '173b:03e9'   # Altima AC1001\n"
	"         '173b:03eb'   # Altima AC1003\n"
	"         '173b:03ea'   # Altima AC9100\n"
	"         '106b:1645')  # Apple Tigon3\n"
	"    )\n"
	"\n"
	"    (pci_config_space_fields\n"
	"\t# Entries are formated as follows:  \n"
	"    \t#     <register>:<size>:<mask>\n"
	"    \t# size is measured in bytes (1,2,4 are valid sizes)\n"
	"    \t# mask is currently unused; use all zero's\n"
	"        ('00000078:4:00000000'   # TG3PCI_REG_BASE_ADDR\n"
	"         '0000007c:4:00000000'   # TG3PCI_MEM_WIN_BASE_ADDR\n"
	"         '00000080:4:00000000'   # TG3PCI_REG_DATA\n"
	"         '00000084:4:00000000'   # TG3PCI_MEM_WIN_DATA\n"
	"         '00000090:4:00000000'   # TG3PCI_MISC_LOCAL_CTRL\n"
	"         '00000068:4:00000000'   # TG3PCI_MISC_HOST_CTRL\n"
	"         '0000009C:4:00000000'   # TG3PCI_STD_RING_PROD_IDX + TG3_64BIT_REG_LOW\n"
	"         '00000098:4:00000000'   # TG3PCI_STD_RING_PROD_IDX + TG3_64BIT_REG_HIGH\n"
	"         '000000a4:4:00000000'   # TG3PCI_RCV_RET_RING_CON_IDX + TG3_64BIT_REG_LOW\n"
	"         '000000a0:4:00000000'   # TG3PCI_RCV_RET_RING_CON_IDX + TG3_64BIT_REG_HIGH\n"
	"         '00000070:4:00000000')  # TG3PCI_PCISTATE\n"
	"    )\n"
	")\n";

/* the tg3 block as xen-pciback.md lists it, in the file's order */
static const char *const tg3_devices[] = {
	"14e4:1644", "14e4:1645", "14e4:1646", "14e4:1647", "14e4:1648", "14e4:164d", "14e4:1653",
	"14e4:1654", "14e4:165d", "14e4:165e", "14e4:16a6", "14e4:16a7", "14e4:16a8", "14e4:16c6",
	"14e4:16c7", "14e4:1696", "14e4:169c", "14e4:169d", "14e4:170d", "14e4:1649", "14e4:166e",
	"14e4:1658", "14e4:1659", "14e4:1676", "14e4:1677", "14e4:167c", "14e4:167d", "14e4:167e",
	"14e4:1600", "14e4:1601", "14e4:16f7", "14e4:16fd", "14e4:16fe", "14e4:1668", "14e4:1678",
	"14e4:166a", "14e4:166b", "14e4:16dd", "1148:4400", "1148:4500", "173b:03e8", "173b:03e9",
	"173b:03eb", "173b:03ea", "106b:1645", NULL,
};

/* upstream wrote 0000009C: normalized to lower case */
static const char *const tg3_fields[] = {
	"00000078:4:00000000", "0000007c:4:00000000", "00000080:4:00000000", "00000084:4:00000000",
	"00000090:4:00000000", "00000068:4:00000000", "0000009c:4:00000000", "00000098:4:00000000",
	"000000a4:4:00000000", "000000a0:4:00000000", "00000070:4:00000000", NULL,
};

#define PERMISSIVE_NONE "(unconstrained_dev_ids)\n"
/* a quirk block with its ids on line 2 and its fields on line 3 */
#define QUIRK(label, ids, fields) \
	"(" label "\n  (pci_ids (" ids "))\n  (pci_config_space_fields (" fields ")))\n"
#define QUIRK_OK QUIRK("ok", "'14e4:1644'", "'00000078:4:00000000'")

static gchar *
import_texts(const char *permissive, const char *quirks, GError **error)
{
	const HdXendSource p = {"permissive.sxp", permissive, strlen(permissive)};
	const HdXendSource q = {"quirks.sxp", quirks, strlen(quirks)};

	return hd_xend_import_texts(&p, &q, error);
}

/* the drop-in as the loader will read it */
static GKeyFile *
load_dropin(const char *text)
{
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autoptr(GError) error = NULL;

	g_key_file_load_from_data(file, text, -1, G_KEY_FILE_NONE, &error);
	g_assert_no_error(error);
	return g_steal_pointer(&file);
}

static void
assert_groups(GKeyFile *file, const char *const *expected)
{
	g_auto(GStrv) groups = g_key_file_get_groups(file, NULL);

	g_assert_cmpstrv(groups, expected);
}

static void
assert_list(GKeyFile *file, const char *group, const char *key, const char *const *expected)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) values = g_key_file_get_string_list(file, group, key, NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpstrv(values, expected);
}

static gchar *
write_file(const char *dir, const char *name, const char *contents)
{
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(dir, name, NULL);

	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	return path;
}

/* what every xend host had: no permissive device, the tg3 block */
static void
test_upstream_files(void)
{
	const char *const groups[] = {"quirk tg3", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = import_texts(upstream_permissive, upstream_quirks, &error);
	g_autoptr(GKeyFile) file = NULL;

	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(text, "# imported from permissive.sxp and quirks.sxp by hostdevctl import-xend\n"
					     "# permissive.sxp lists no device: no [pciback] permissive= here\n"));
	/* "(tg3" is on line 28 of the upstream file */
	g_assert_nonnull(strstr(text, "\n[quirk tg3]\n# from quirks.sxp line 28\ndevices="));
	file = load_dropin(text);
	assert_groups(file, groups);
	assert_list(file, "quirk tg3", "devices", tg3_devices);
	assert_list(file, "quirk tg3", "fields", tg3_fields);
	g_assert_cmpuint(G_N_ELEMENTS(tg3_devices) - 1, ==, 45);
	g_assert_cmpuint(G_N_ELEMENTS(tg3_fields) - 1, ==, 11);
}

/* the example entry of the upstream file, uncommented: upper case that xend
 * never matched is lower-cased */
static void
test_upstream_permissive_example(void)
{
	const char *const groups[] = {"pciback", "quirk tg3", NULL};
	const char *const permissive[] = {"0123:4567:89ab:cdef", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) edited = g_string_new(upstream_permissive);
	g_autofree gchar *text = NULL;
	g_autoptr(GKeyFile) file = NULL;

	g_assert_cmpuint(g_string_replace(edited, "#('0123", "('0123", 0), ==, 1);
	text = import_texts(edited->str, upstream_quirks, &error);
	g_assert_no_error(error);
	file = load_dropin(text);
	assert_groups(file, groups);
	assert_list(file, "pciback", "permissive", permissive);
}

/* every rule at once, against the exact text: first-match order, a block
 * that never matched left out, one with no fields kept, atoms and strings,
 * wildcards and case */
static void
test_rules(void)
{
	static const char permissive[] = "(unconstrained_dev_ids ('0123:4567' 'ABCD:EF01:FFFF:ffff'\n"
					 "  \"14e4:1644:1028:01AD\" 10ec:8168))\n";
	static const char quirks[] = "(first (pci_ids ('8086:10D3')) (pci_config_space_fields ()))\n"
				     "(never (pci_ids) (pci_config_space_fields ('40:1:0')))\n"
				     "(second.2 # a comment ( ' \"\n"
				     "  (pci_config_space_fields ('0000009C:4:0' \"e0:2:ff\" fff:1:0))\n"
				     "  (pci_ids ('8086:10d3' '14E4:1644:FFFF:FFFF')))\n";
	static const char expected[] =
	    "# imported from permissive.sxp and quirks.sxp by hostdevctl import-xend\n"
	    "[pciback]\n"
	    "# devices lent in permissive mode: vendor:device[:subvendor:subdevice]\n"
	    "permissive=0123:4567;abcd:ef01:ffff:ffff;14e4:1644:1028:01ad;10ec:8168\n"
	    "\n"
	    "[quirk first]\n"
	    "# from quirks.sxp line 1\n"
	    "# no fields: xend matched these devices and wrote nothing; later groups do not apply to them\n"
	    "devices=8086:10d3\n"
	    "fields=\n"
	    "\n"
	    "# quirk never (quirks.sxp line 2) left out: no ids, xend never matched it\n"
	    "\n"
	    "[quirk second.2]\n"
	    "# from quirks.sxp line 3\n"
	    "devices=8086:10d3;14e4:1644:ffff:ffff\n"
	    "fields=0000009c:4:00000000;000000e0:2:000000ff;00000fff:1:00000000\n";
	const char *const groups[] = {"pciback", "quirk first", "quirk second.2", NULL};
	const char *const none[] = {NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = import_texts(permissive, quirks, &error);
	g_autoptr(GKeyFile) file = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(text, ==, expected);
	file = load_dropin(text);
	assert_groups(file, groups);
	assert_list(file, "quirk first", "fields", none);
}

/* an empty permissive file and an empty quirks file: a header only */
static void
test_empty_files(void)
{
	const char *const groups[] = {NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = import_texts("# nothing\n", "", &error);
	g_autoptr(GKeyFile) file = NULL;

	g_assert_no_error(error);
	file = load_dropin(text);
	assert_groups(file, groups);
}

/* a file name goes into comments: it must not end the line or break UTF-8,
 * or the loader would refuse the drop-in */
static void
test_odd_file_names(void)
{
	const HdXendSource p = {"perm\nissive\xff.sxp", "", 0};
	const HdXendSource q = {"quirks\t.sxp", QUIRK_OK, strlen(QUIRK_OK)};
	const char *const groups[] = {"quirk ok", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = hd_xend_import_texts(&p, &q, &error);
	g_autoptr(GKeyFile) file = NULL;

	g_assert_no_error(error);
	g_assert_true(g_utf8_validate(text, -1, NULL));
	g_assert_true(g_str_has_prefix(text, "# imported from perm?issive\xef\xbf\xbd.sxp and quirks?.sxp by "));
	g_assert_nonnull(strstr(text, "\n# from quirks?.sxp line 1\n"));
	file = load_dropin(text);
	assert_groups(file, groups);
}

static void
test_sxp_tree(void)
{
	static const char text[] = "# comment (\n"
				   "(a 'b c' \"d\\te\\\\\" (f)\n"
				   " g)\n"
				   "'\\x41\\101\\n\\'' h'i\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(HdSxp) root = hd_sxp_parse("t", text, strlen(text), &error);
	const HdSxp *list;
	const HdSxp *inner;

	g_assert_no_error(error);
	g_assert_cmpuint(root->items->len, ==, 3);
	list = g_ptr_array_index(root->items, 0);
	g_assert_cmpint(list->kind, ==, HD_SXP_LIST);
	g_assert_cmpuint(list->line, ==, 2);
	g_assert_cmpstr(hd_sxp_head(list), ==, "a");
	g_assert_cmpuint(list->items->len, ==, 5);
	g_assert_cmpint(((HdSxp *)g_ptr_array_index(list->items, 0))->kind, ==, HD_SXP_ATOM);
	g_assert_cmpint(((HdSxp *)g_ptr_array_index(list->items, 1))->kind, ==, HD_SXP_STRING);
	g_assert_cmpstr(hd_sxp_word(g_ptr_array_index(list->items, 1)), ==, "b c");
	g_assert_cmpstr(hd_sxp_word(g_ptr_array_index(list->items, 2)), ==, "d\te\\");
	inner = g_ptr_array_index(list->items, 3);
	g_assert_null(hd_sxp_word(inner));
	g_assert_cmpstr(hd_sxp_head(inner), ==, "f");
	g_assert_cmpuint(((HdSxp *)g_ptr_array_index(list->items, 4))->line, ==, 3);
	g_assert_cmpstr(hd_sxp_word(g_ptr_array_index(root->items, 1)), ==, "AA\n'");
	g_assert_cmpuint(((HdSxp *)g_ptr_array_index(root->items, 1))->line, ==, 4);
	/* as in sxp.py, a quote inside an atom is part of it */
	g_assert_cmpstr(hd_sxp_word(g_ptr_array_index(root->items, 2)), ==, "h'i");
}

/* a string closes on its line, so a missing quote is reported where it is
 * missing; an escaped newline is fine, and comments and strings with a '('
 * or '#' in them leave lines and lists alone */
static void
test_sxp_strings_on_one_line(void)
{
	static const char text[] = "# (\n('a\\nb' \"#(\" ; ')')\n)";
	g_autoptr(GError) error = NULL;
	g_autoptr(HdSxp) root = hd_sxp_parse("t", text, strlen(text), &error);

	g_assert_null(root);
	g_assert_cmpstr(error->message, ==, "t:3: ')' without a matching '('");
	g_clear_error(&error);
	root = hd_sxp_parse("t", "\n'one\ntwo'", 10, &error);
	g_assert_null(root);
	g_assert_cmpstr(error->message, ==, "t:2: string never closed: no ' before the end of the line");
	g_clear_error(&error);
	root = hd_sxp_parse("t", "\"\\\n\"", 4, &error);
	g_assert_null(root);
	g_assert_cmpstr(error->message, ==, "t:1: unknown escape: '\\' before byte 0x0a");
}

static gchar *
nested(guint depth)
{
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < depth; i++)
		g_string_append(text, "(x\n");
	for (guint i = 0; i < depth; i++)
		g_string_append_c(text, ')');
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
test_sxp_depth(void)
{
	g_autofree gchar *deepest = nested(HD_SXP_MAX_DEPTH);
	g_autofree gchar *deeper = nested(HD_SXP_MAX_DEPTH + 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdSxp) root = hd_sxp_parse("t", deepest, strlen(deepest), &error);

	g_assert_no_error(error);
	g_assert_nonnull(root);
	g_clear_pointer(&root, hd_sxp_free);
	root = hd_sxp_parse("t", deeper, strlen(deeper), &error);
	g_assert_null(root);
	g_assert_cmpstr(error->message, ==, "t:17: lists nested deeper than 16 levels");
}

/* a NUL byte is data the text may hold but no word may */
static void
test_sxp_nul(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdSxp) root = hd_sxp_parse("t", "(a\n'b\0')", 8, &error);

	g_assert_null(root);
	g_assert_cmpstr(error->message, ==, "t:2: a NUL byte in a string");
	g_clear_error(&error);
	root = hd_sxp_parse("t", "a\0", 2, &error);
	g_assert_null(root);
	g_assert_cmpstr(error->message, ==, "t:1: invalid character: byte 0x00");
}

static const struct {
	const char *name;
	const char *permissive;
	const char *quirks;
	const char *message; /* the whole message */
} refusals[] = {
	{"id-field-count", "(unconstrained_dev_ids\n  ('0123:4567'\n   '14e4:1644:ffff'))\n", QUIRK_OK,
	 "permissive.sxp:3: id '14e4:1644:ffff': expected vendor:device or vendor:device:subvendor:subdevice "
	 "(xend stopped reading the list here)"},
	{"id-five-fields", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644:ffff:ffff:0'", "'78:4:0'"),
	 "quirks.sxp:2: id '14e4:1644:ffff:ffff:0': expected vendor:device or vendor:device:subvendor:subdevice "
	 "(xend stopped reading the list here)"},
	{"id-not-hex", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644' '14e4:16g4'", "'78:4:0'"),
	 "quirks.sxp:2: id '14e4:16g4': field 2 is not 4 hex digits"},
	{"id-long", PERMISSIVE_NONE, QUIRK("q", "'14e4:16440'", "'78:4:0'"),
	 "quirks.sxp:2: id '14e4:16440': field 2 is not 4 hex digits"},
	{"id-short-subsystem", "(unconstrained_dev_ids ('14e4:1644:fff:ffff'))", QUIRK_OK,
	 "permissive.sxp:1: id '14e4:1644:fff:ffff': field 3 is not 4 hex digits"},
	{"id-is-list", PERMISSIVE_NONE, QUIRK("q", "('14e4:1644')", "'78:4:0'"),
	 "quirks.sxp:2: expected a quoted id, found a list"},
	{"id-control-char", PERMISSIVE_NONE, QUIRK("q", "'14e4:\\n644'", "'78:4:0'"),
	 "quirks.sxp:2: id '14e4:\\n644': field 2 is not 4 hex digits"},
	{"reg-past-4k", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644'", "'00000078:4:0'\n'00001000:4:00000000'"),
	 "quirks.sxp:4: field '00001000:4:00000000': register 0x1000 is past the 4 KiB config space"},
	{"size-3", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644'", "'00000040:3:00000000'"),
	 "quirks.sxp:3: field '00000040:3:00000000': size 3, expected 1, 2 or 4 bytes"},
	{"size-0", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644'", "'40:0:0'"),
	 "quirks.sxp:3: field '40:0:0': size 0, expected 1, 2 or 4 bytes"},
	{"mask-wider-than-1", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644'", "'00000040:1:00000100'"),
	 "quirks.sxp:3: field '00000040:1:00000100': mask 0x100 is wider than 1 byte"},
	{"mask-wider-than-2", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644'", "'40:2:10000'"),
	 "quirks.sxp:3: field '40:2:10000': mask 0x10000 is wider than 2 bytes"},
	{"mask-nine-digits", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644'", "'40:4:100000000'"),
	 "quirks.sxp:3: field '40:4:100000000': the mask is not 1 to 8 hex digits"},
	{"field-count", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644'", "'40:4'"),
	 "quirks.sxp:3: field '40:4': expected register:size:mask"},
	{"field-0x", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644'", "'0x40:4:0'"),
	 "quirks.sxp:3: field '0x40:4:0': the register is not 1 to 8 hex digits"},
	{"unterminated-string", PERMISSIVE_NONE, "(q\n  (pci_ids ('14e4:1644\n   '14e4:1645'))\n",
	 "quirks.sxp:2: string never closed: no ' before the end of the line"},
	{"unterminated-string-at-eof", PERMISSIVE_NONE, "(q\n\n  (pci_ids (\"14e4:1644))",
	 "quirks.sxp:3: string never closed: no \" before the end of the file"},
	{"unterminated-by-backslash", "(unconstrained_dev_ids ('0123:4567\\", QUIRK_OK,
	 "permissive.sxp:1: string never closed: no ' before the end of the file"},
	{"unbalanced-close", PERMISSIVE_NONE, QUIRK_OK ")\n",
	 "quirks.sxp:4: ')' without a matching '('"},
	{"unbalanced-open", PERMISSIVE_NONE, "(q\n  (pci_ids ('14e4:1644'))\n  (pci_config_space_fields ()\n",
	 "quirks.sxp:3: '(' never closed"},
	{"bad-escape", PERMISSIVE_NONE, QUIRK("q", "'14e4:\\q1644'", "'78:4:0'"),
	 "quirks.sxp:2: unknown escape '\\q'"},
	{"hex-escape-without-digits", PERMISSIVE_NONE, QUIRK("q", "'14e4:1644'", "'\\xg'"),
	 "quirks.sxp:3: '\\x' without hex digits"},
	{"octal-escape-too-large", "\n\n(unconstrained_dev_ids ('\\400'))", QUIRK_OK,
	 "permissive.sxp:3: octal escape larger than \\377"},
	{"nul-escape", PERMISSIVE_NONE, QUIRK("q", "'\\0'", "'78:4:0'"), "quirks.sxp:2: an escape for a NUL byte"},
	{"invalid-character", PERMISSIVE_NONE, "(q\n\x01)", "quirks.sxp:2: invalid character: byte 0x01"},
	{"non-ascii-outside-string", PERMISSIVE_NONE, "(q \xc3\xa9)", "quirks.sxp:1: invalid character: byte 0xc3"},
	{"duplicate-label", PERMISSIVE_NONE, QUIRK_OK "\n" QUIRK_OK,
	 "quirks.sxp:5: quirk label 'ok' again; the first is on line 1"},
	{"bad-label", PERMISSIVE_NONE, QUIRK("\n'tg3\\n[x]'", "'14e4:1644'", "'78:4:0'"),
	 "quirks.sxp:1: quirk label 'tg3\\n[x]': only letters, digits, '_', '.' and '-'"},
	{"label-is-list", PERMISSIVE_NONE, "((tg3) (pci_ids ()) (pci_config_space_fields ()))",
	 "quirks.sxp:1: expected a quirk block: (LABEL (pci_ids ...) (pci_config_space_fields ...))"},
	{"top-level-atom", PERMISSIVE_NONE, QUIRK_OK "tg3\n",
	 "quirks.sxp:4: expected a quirk block: (LABEL (pci_ids ...) (pci_config_space_fields ...))"},
	{"too-deep", PERMISSIVE_NONE,
	 "(a\n(b\n(c\n(d\n(e\n(f\n(g\n(h\n(i\n(j\n(k\n(l\n(m\n(n\n(o\n(p\n(q\n))))))))))))))))\n",
	 "quirks.sxp:17: lists nested deeper than 16 levels"},
	{"no-ids", PERMISSIVE_NONE, "(q\n  (pci_config_space_fields ('78:4:0')))\n",
	 "quirks.sxp:1: quirk 'q' has no (pci_ids ...)"},
	{"no-fields", PERMISSIVE_NONE, "(q\n  (pci_ids ('14e4:1644')))\n",
	 "quirks.sxp:1: quirk 'q' has no (pci_config_space_fields ...)"},
	{"unknown-item", PERMISSIVE_NONE,
	 "(q\n  (pci_ids ('14e4:1644'))\n  (pci_idz ())\n  (pci_config_space_fields ()))",
	 "quirks.sxp:3: quirk 'q': expected (pci_ids ...) or (pci_config_space_fields ...)"},
	{"second-ids", PERMISSIVE_NONE,
	 "(q\n  (pci_ids ('14e4:1644'))\n  (pci_config_space_fields ())\n  (pci_ids ('14e4:1645')))",
	 "quirks.sxp:4: quirk 'q': a second (pci_ids ...); xend read only the first"},
	{"ids-not-a-list", PERMISSIVE_NONE, "(q\n  (pci_ids\n  '14e4:1644')\n  (pci_config_space_fields ()))",
	 "quirks.sxp:3: (pci_ids ...) expected a parenthesised list"},
	{"ids-two-lists", PERMISSIVE_NONE,
	 "(q\n  (pci_ids ('14e4:1644')\n  ('14e4:1645'))\n  (pci_config_space_fields ()))",
	 "quirks.sxp:3: (pci_ids ...) holds one list; xend ignored the rest"},
	{"permissive-unknown", "(unconstrained_dev_ids)\n(unconstrained_devids ('0123:4567'))\n", QUIRK_OK,
	 "permissive.sxp:2: expected (unconstrained_dev_ids ('id' ...))"},
	{"permissive-twice", "(unconstrained_dev_ids)\n\n(unconstrained_dev_ids ('0123:4567'))\n", QUIRK_OK,
	 "permissive.sxp:3: a second (unconstrained_dev_ids ...); xend read only the one on line 1"},
};

static void
test_refuses(gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = import_texts(refusals[i].permissive, refusals[i].quirks, &error);

	g_assert_null(text);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_cmpstr(error->message, ==, refusals[i].message);
}

/* the scaffolding around the refusals imports cleanly: each is refused
 * for its own fault */
static void
test_refusal_scaffolding(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = import_texts(PERMISSIVE_NONE, QUIRK_OK, &error);

	g_assert_no_error(error);
	g_assert_nonnull(strstr(text, "[quirk ok]\n# from quirks.sxp line 1\n"
				      "devices=14e4:1644\nfields=00000078:4:00000000\n"));
}

static void
test_too_large(void)
{
	gsize len = HD_SXP_MAX_BYTES + 1;
	g_autofree gchar *big = g_malloc(len + 1);
	const HdXendSource p = {"big.sxp", big, len};
	const HdXendSource q = {"quirks.sxp", "", 0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("hd-xend-XXXXXX", &error);
	g_autofree gchar *path = NULL;
	g_autofree gchar *empty = NULL;
	g_autofree gchar *expected = NULL;

	g_assert_no_error(error);
	memset(big, ' ', len);
	big[len] = '\0';
	text = hd_xend_import_texts(&p, &q, &error);
	g_assert_null(text);
	g_assert_cmpstr(error->message, ==, "big.sxp: larger than 1048576 bytes, refused");
	g_clear_error(&error);

	path = write_file(dir, "big.sxp", big);
	empty = write_file(dir, "empty.sxp", "");
	text = hd_xend_import(empty, path, &error);
	g_assert_null(text);
	expected = g_strdup_printf("%s: larger than 1048576 bytes, refused", path);
	g_assert_cmpstr(error->message, ==, expected);
	test_remove_tree(dir);
}

static void
test_file_missing(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("hd-xend-XXXXXX", &error);
	g_autofree gchar *quirks = NULL;
	g_autofree gchar *missing = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *prefix = NULL;

	g_assert_no_error(error);
	quirks = write_file(dir, "quirks.sxp", upstream_quirks);
	missing = g_build_filename(dir, "xend-pci-permissive.sxp", NULL);
	text = hd_xend_import(missing, quirks, &error);
	g_assert_null(text);
	g_assert_error(error, HD_ERROR, HD_ERROR_NOT_FOUND);
	prefix = g_strdup_printf("%s: ", missing);
	g_assert_true(g_str_has_prefix(error->message, prefix));
	test_remove_tree(dir);
}

/* the files as read from disk give what their texts give */
static void
test_import_files(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("hd-xend-XXXXXX", &error);
	g_autofree gchar *permissive = NULL;
	g_autofree gchar *quirks = NULL;
	g_autofree gchar *from_files = NULL;
	g_autofree gchar *from_texts = NULL;
	const HdXendSource p = {NULL, upstream_permissive, strlen(upstream_permissive)};
	const HdXendSource q = {NULL, upstream_quirks, strlen(upstream_quirks)};
	HdXendSource named_p = p;
	HdXendSource named_q = q;

	g_assert_no_error(error);
	permissive = write_file(dir, "xend-pci-permissive.sxp", upstream_permissive);
	quirks = write_file(dir, "xend-pci-quirks.sxp", upstream_quirks);
	named_p.name = permissive;
	named_q.name = quirks;
	from_files = hd_xend_import(permissive, quirks, &error);
	g_assert_no_error(error);
	from_texts = hd_xend_import_texts(&named_p, &named_q, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(from_files, ==, from_texts);
	test_remove_tree(dir);
}

/* the built hostdevctl, with the upstream files and a broken one */
typedef struct {
	gchar *dir;
	gchar *bin;
	gchar *permissive;
	gchar *quirks;
	gchar *bad_quirks;
	gchar *output;
} CliFixture;

static void
cli_setup(CliFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->dir = g_dir_make_tmp("hd-xend-XXXXXX", &error);
	g_assert_no_error(error);
	fx->bin = test_bin("hostdevctl");
	fx->permissive = write_file(fx->dir, "xend-pci-permissive.sxp", upstream_permissive);
	fx->quirks = write_file(fx->dir, "xend-pci-quirks.sxp", upstream_quirks);
	fx->bad_quirks = write_file(fx->dir, "bad.sxp", QUIRK("q", "'14e4:1644'", "'00000040:3:00000000'"));
	fx->output = g_build_filename(fx->dir, "50-xend.conf", NULL);
}

static void
cli_teardown(CliFixture *fx, gconstpointer data)
{
	test_remove_tree(fx->dir);
	g_free(fx->dir);
	g_free(fx->bin);
	g_free(fx->permissive);
	g_free(fx->quirks);
	g_free(fx->bad_quirks);
	g_free(fx->output);
}

static void
test_cli_stdout(CliFixture *fx, gconstpointer data)
{
	const char *argv[] = {fx->bin, "import-xend", fx->permissive, fx->quirks, NULL};
	g_auto(TestRun) run = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = hd_xend_import(fx->permissive, fx->quirks, &error);

	g_assert_no_error(error);
	test_run(&run, argv, NULL, NULL);
	g_assert_cmpint(run.exit_status, ==, 0);
	g_assert_cmpstr(run.err, ==, "");
	g_assert_cmpstr(run.out, ==, expected);
}

static void
test_cli_output_file(CliFixture *fx, gconstpointer data)
{
	const char *argv[] = {fx->bin, "import-xend", "--output", fx->output, fx->permissive, fx->quirks, NULL};
	const char *const groups[] = {"quirk tg3", NULL};
	g_auto(TestRun) run = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *written = NULL;
	g_autoptr(GKeyFile) file = NULL;
	GStatBuf st;

	test_run(&run, argv, NULL, NULL);
	g_assert_cmpint(run.exit_status, ==, 0);
	g_assert_cmpstr(run.err, ==, "");
	g_assert_cmpstr(run.out, ==, "");
	g_file_get_contents(fx->output, &written, NULL, &error);
	g_assert_no_error(error);
	file = load_dropin(written);
	assert_groups(file, groups);
	assert_list(file, "quirk tg3", "devices", tg3_devices);
	g_assert_cmpint(g_stat(fx->output, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0022, ==, 0);
}

/* one line naming file and line, exit 1, and the old drop-in untouched */
static void
test_cli_error(CliFixture *fx, gconstpointer data)
{
	const char *argv[] = {fx->bin, "import-xend", "-o", fx->output, fx->permissive, fx->bad_quirks, NULL};
	g_auto(TestRun) run = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = g_strdup_printf(
	    "hostdevctl: import-xend: %s:3: field '00000040:3:00000000': size 3, expected 1, 2 or 4 bytes\n",
	    fx->bad_quirks);
	g_autofree gchar *kept = NULL;

	g_file_set_contents(fx->output, "[pciback]\n", -1, &error);
	g_assert_no_error(error);
	test_run(&run, argv, NULL, NULL);
	g_assert_cmpint(run.exit_status, ==, 1);
	g_assert_cmpstr(run.out, ==, "");
	g_assert_cmpstr(run.err, ==, expected);
	test_assert_one_line(run.err);
	g_file_get_contents(fx->output, &kept, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(kept, ==, "[pciback]\n");
}

static void
test_cli_missing_file(CliFixture *fx, gconstpointer data)
{
	g_autofree gchar *missing = g_build_filename(fx->dir, "nonexistent.sxp", NULL);
	const char *argv[] = {fx->bin, "import-xend", "--output", fx->output, missing, fx->quirks, NULL};
	g_auto(TestRun) run = {0};
	g_autofree gchar *prefix = g_strdup_printf("hostdevctl: import-xend: %s: ", missing);

	test_run(&run, argv, NULL, NULL);
	g_assert_cmpint(run.exit_status, ==, 1);
	g_assert_cmpstr(run.out, ==, "");
	g_assert_true(g_str_has_prefix(run.err, prefix));
	test_assert_one_line(run.err);
	g_assert_false(g_file_test(fx->output, G_FILE_TEST_EXISTS));
}

static void
test_cli_usage(CliFixture *fx, gconstpointer data)
{
	const char *argv[] = {fx->bin, "import-xend", fx->permissive, NULL};
	const char *help[] = {fx->bin, "--help", NULL};
	g_auto(TestRun) run = {0};
	g_auto(TestRun) listed = {0};

	test_run(&run, argv, NULL, NULL);
	g_assert_cmpint(run.exit_status, ==, 2);
	g_assert_cmpstr(run.out, ==, "");
	g_assert_cmpstr(run.err, ==, "hostdevctl: import-xend: expected PERMISSIVE.sxp and QUIRKS.sxp\n");
	test_run(&listed, help, NULL, NULL);
	g_assert_cmpint(listed.exit_status, ==, 0);
	g_assert_nonnull(strstr(listed.out, "\n  import-xend  "));
}

#define CLI_TEST(path, func) g_test_add(path, CliFixture, NULL, cli_setup, func, cli_teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/xend-import/upstream-files", test_upstream_files);
	g_test_add_func("/xend-import/upstream-permissive-example", test_upstream_permissive_example);
	g_test_add_func("/xend-import/rules", test_rules);
	g_test_add_func("/xend-import/empty-files", test_empty_files);
	g_test_add_func("/xend-import/import-files", test_import_files);
	g_test_add_func("/xend-import/odd-file-names", test_odd_file_names);
	g_test_add_func("/xend-import/sxp/tree", test_sxp_tree);
	g_test_add_func("/xend-import/sxp/strings-on-one-line", test_sxp_strings_on_one_line);
	g_test_add_func("/xend-import/sxp/depth", test_sxp_depth);
	g_test_add_func("/xend-import/sxp/nul", test_sxp_nul);
	g_test_add_func("/xend-import/refusal-scaffolding", test_refusal_scaffolding);
	for (guint i = 0; i < G_N_ELEMENTS(refusals); i++) {
		g_autofree gchar *path = g_strdup_printf("/xend-import/refuses/%s", refusals[i].name);
		g_test_add_data_func(path, GUINT_TO_POINTER(i), test_refuses);
	}
	g_test_add_func("/xend-import/refuses/too-large", test_too_large);
	g_test_add_func("/xend-import/refuses/file-missing", test_file_missing);
	CLI_TEST("/xend-import/cli/stdout", test_cli_stdout);
	CLI_TEST("/xend-import/cli/output-file", test_cli_output_file);
	CLI_TEST("/xend-import/cli/error", test_cli_error);
	CLI_TEST("/xend-import/cli/missing-file", test_cli_missing_file);
	CLI_TEST("/xend-import/cli/usage", test_cli_usage);
	return g_test_run();
}
