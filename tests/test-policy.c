/*
 * test-policy.c: policy defaults, the shipped template, and bad files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hd-error.h"
#include "hd-policy.h"

static gchar *
write_policy(const char *contents)
{
	g_autoptr(GError) error = NULL;
	gchar *path = NULL;
	int fd = g_file_open_tmp("hd-policy-XXXXXX.conf", &path, &error);

	g_assert_no_error(error);
	close(fd);
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	return path;
}

static void
test_policy_missing_file_gives_defaults(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = hd_policy_load("/nonexistent/hostdev-hook/policy.conf", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(policy->kvm_stub, ==, "vfio-pci");
	g_assert_cmpstr(policy->xen_stub, ==, "pciback");
	g_assert_cmpuint(policy->bind_timeout_ms, ==, 5000);
	g_assert_cmpuint(policy->protected_devices->len, ==, 0);
}

/* the template documents the defaults: uncommenting every setting in it
 * must give exactly what the code uses without a file */
static void
test_policy_shipped_template_matches_defaults(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *template = NULL;
	g_autoptr(GRegex) commented = g_regex_new("^#([a-z-]+=)", G_REGEX_MULTILINE, 0, NULL);
	g_autofree gchar *uncommented = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(HdPolicy) loaded = NULL;
	g_autoptr(HdPolicy) defaults = hd_policy_new_default();
	guint settings = 0;

	g_file_get_contents(g_getenv("HOSTDEV_HOOK_SHIPPED_POLICY"), &template, NULL, &error);
	g_assert_no_error(error);
	uncommented = g_regex_replace(commented, template, -1, 0, "\\1", 0, &error);
	g_assert_no_error(error);
	{
		g_autoptr(GRegex) setting = g_regex_new("^[a-z-]+=", G_REGEX_MULTILINE, 0, NULL);
		g_autoptr(GMatchInfo) match = NULL;
		for (g_regex_match(setting, uncommented, 0, &match); g_match_info_matches(match);
		     g_match_info_next(match, NULL))
			settings++;
	}
	g_assert_cmpuint(settings, ==, 6);

	path = write_policy(uncommented);
	loaded = hd_policy_load(path, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(loaded->kvm_stub, ==, defaults->kvm_stub);
	g_assert_cmpstr(loaded->xen_stub, ==, defaults->xen_stub);
	g_assert_cmpuint(loaded->bind_timeout_ms, ==, defaults->bind_timeout_ms);
	g_assert_cmpuint(loaded->protected_devices->len, ==, 0);
	g_assert_cmpuint(loaded->permissive_ids->len, ==, 0);
	g_assert_cmpuint(loaded->quirks->len, ==, 0);
	{
		gboolean variants = FALSE;

		g_assert_true(hd_policy_get_boolean(loaded, "vfio", "variant-drivers", FALSE, &variants, &error));
		g_assert_true(variants);
	}
	g_unlink(path);
}

static void
test_policy_settings(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_policy("[drivers]\nkvm=mlx5_vfio_pci\n"
					      "[bind]\ntimeout-ms=250\n"
					      "[protect]\ndevices=0000:00:1f.2; 02:00.0 ;\n");
	g_autoptr(HdPolicy) policy = hd_policy_load(path, &error);
	HdAddress sata = {0, 0, 0x1f, 2};
	HdAddress nic = {0, 2, 0, 0};
	HdAddress other = {0, 2, 0, 1};

	g_assert_no_error(error);
	g_assert_cmpstr(policy->kvm_stub, ==, "mlx5_vfio_pci");
	g_assert_cmpstr(policy->xen_stub, ==, "pciback");
	g_assert_cmpuint(policy->bind_timeout_ms, ==, 250);
	g_assert_true(hd_policy_is_protected(policy, &sata));
	g_assert_true(hd_policy_is_protected(policy, &nic));
	g_assert_false(hd_policy_is_protected(policy, &other));
	g_unlink(path);
}

/* [pciback] permissive and [quirk] groups: ffff a wildcard for subsystem
 * ids only, and the first matching quirk group wins, as xend had it */
static void
test_policy_xen(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_policy("[pciback]\npermissive=14e4:1644:ffff:ffff;8086:10d3:8086:a01f\n"
					      "[quirk first]\ndevices=14e4:1644:14e4:0001\nfields=00000078:4:0\n"
					      "[quirk second]\ndevices=14e4:1644\nfields=e0:2:ffff;fff:1:ff\n");
	g_autoptr(HdPolicy) policy = hd_policy_load(path, &error);
	HdPciIds tg3 = {0x14e4, 0x1644, 0x14e4, 0x0001};
	HdPciIds tg3_other = {0x14e4, 0x1644, 0x103c, 0x0002};
	HdPciIds nic = {0x8086, 0x10d3, 0x8086, 0xa01f};
	HdPciIds nic_other = {0x8086, 0x10d3, 0x8086, 0x0000};
	HdPciIds wildcard_vendor = {0xffff, 0x1644, 0, 0};
	const HdQuirk *quirk;
	const HdQuirkField *field;

	g_assert_no_error(error);
	g_assert_true(hd_policy_wants_permissive(policy, &tg3));
	g_assert_true(hd_policy_wants_permissive(policy, &tg3_other));
	g_assert_true(hd_policy_wants_permissive(policy, &nic));
	g_assert_false(hd_policy_wants_permissive(policy, &nic_other));
	g_assert_false(hd_policy_wants_permissive(policy, &wildcard_vendor));
	quirk = hd_policy_find_quirk(policy, &tg3);
	g_assert_cmpstr(quirk->label, ==, "first");
	quirk = hd_policy_find_quirk(policy, &tg3_other);
	g_assert_cmpstr(quirk->label, ==, "second");
	g_assert_cmpuint(quirk->fields->len, ==, 2);
	field = &g_array_index(quirk->fields, HdQuirkField, 0);
	g_assert_cmpuint(field->reg, ==, 0xe0);
	g_assert_cmpuint(field->size, ==, 2);
	g_assert_cmpuint(field->mask, ==, 0xffff);
	g_assert_null(hd_policy_find_quirk(policy, &nic));
	g_unlink(path);
}

static const struct {
	const char *name;
	const char *contents;
	const char *message;
} bad_policies[] = {
	{"syntax", "[drivers\nkvm=vfio-pci\n", "policy"},
	{"driver-path", "[drivers]\nkvm=../../evil\n", "not a kernel driver name"},
	{"driver-empty", "[drivers]\nxen=\n", "not a kernel driver name"},
	{"timeout-zero", "[bind]\ntimeout-ms=0\n", "timeout-ms"},
	{"timeout-huge", "[bind]\ntimeout-ms=600000\n", "timeout-ms"},
	{"timeout-text", "[bind]\ntimeout-ms=soon\n", "timeout-ms"},
	{"protect-bad-address", "[protect]\ndevices=0000:00:20.0\n", "[protect] devices"},
	{"permissive-three-ids", "[pciback]\npermissive=14e4:1644:14e4\n", "[pciback] permissive: '14e4:1644:14e4'"},
	{"permissive-short-id", "[pciback]\npermissive=14e4:644\n", "[pciback] permissive"},
	{"quirk-reg-too-high", "[quirk x]\ndevices=14e4:1644\nfields=1000:4:0\n", "[quirk x] fields: '1000:4:0'"},
	{"quirk-size-three", "[quirk x]\ndevices=14e4:1644\nfields=78:3:0\n", "a size of 1, 2 or 4"},
	{"quirk-mask-too-wide", "[quirk x]\ndevices=14e4:1644\nfields=78:1:100\n", "a mask that fits"},
	{"quirk-not-hex", "[quirk x]\ndevices=14e4:1644\nfields=7g:4:0\n", "not REG:SIZE:MASK"},
	{"quirk-no-devices", "[quirk x]\nfields=78:4:0\n", "[quirk x]: needs devices= and fields="},
	{"quirk-no-fields", "[quirk x]\ndevices=14e4:1644\n", "[quirk x]: needs devices= and fields="},
};

static void
test_policy_refuses(gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_policy(bad_policies[i].contents);
	g_autoptr(HdPolicy) policy = hd_policy_load(path, &error);

	g_assert_null(policy);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, bad_policies[i].message));
	g_assert_nonnull(strstr(error->message, path));
	g_unlink(path);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy/missing-file-gives-defaults", test_policy_missing_file_gives_defaults);
	g_test_add_func("/policy/shipped-template-matches-defaults", test_policy_shipped_template_matches_defaults);
	g_test_add_func("/policy/settings", test_policy_settings);
	g_test_add_func("/policy/xen", test_policy_xen);
	for (guint i = 0; i < G_N_ELEMENTS(bad_policies); i++) {
		g_autofree gchar *path = g_strdup_printf("/policy/refuses/%s", bad_policies[i].name);
		g_test_add_data_func(path, GUINT_TO_POINTER(i), test_policy_refuses);
	}
	return g_test_run();
}
