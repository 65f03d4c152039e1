/*
 * test-policy.c: policy defaults, the shipped template, bad files, drop-ins,
 * ownership, allow and deny, and `hostdevctl policy check`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hd-error.h"
#include "hd-policy.h"
#include "test-helpers.h"
#include "test-json.h"

static gchar *
write_policy(const char *contents)
{
	g_autoptr(GError) error = NULL;
	gchar *path = NULL;
	int fd = g_file_open_tmp("hd-policy-XXXXXX.conf", &path, &error);

	g_assert_no_error(error);
	close(fd);
	/* the mode the loader wants, whatever the umask */
	g_file_set_contents_full(path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error);
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
	g_assert_cmpuint(settings, ==, 18);

	path = write_policy(uncommented);
	loaded = hd_policy_load(path, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(loaded->kvm_stub, ==, defaults->kvm_stub);
	g_assert_cmpstr(loaded->xen_stub, ==, defaults->xen_stub);
	g_assert_cmpuint(loaded->bind_timeout_ms, ==, defaults->bind_timeout_ms);
	g_assert_cmpuint(loaded->protected_devices->len, ==, 0);
	g_assert_cmpuint(loaded->permissive_ids->len, ==, 0);
	g_assert_cmpuint(loaded->quirks->len, ==, 0);
	g_assert_cmpuint(loaded->allow->len, ==, 0);
	g_assert_cmpuint(loaded->deny->len, ==, 0);
	g_assert_cmpuint(loaded->boot_bind->len, ==, 0);
	g_assert_cmpuint(loaded->boot_vfs->len, ==, 0);
	g_assert_cmpint(loaded->boot_hypervisor, ==, defaults->boot_hypervisor);
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

/* [boot]: what to bind, by address, ids and class, and VFs per PF */
static void
test_policy_boot(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_policy("[boot]\nhypervisor=xen\ndevices=0000:01:00.0\nids=8086:10d3\n"
					      "classes=0x0c03\nvfs=0000:03:00.0=4; 0000:06:00.0 = 2\n");
	g_autoptr(HdPolicy) policy = hd_policy_load(path, &error);
	HdAddress nic = {0, 1, 0, 0};
	HdAddress other = {0, 2, 0, 0};
	HdPciIds e1000e = {0x8086, 0x10d3, 0, 0};
	HdPciIds virtio = {0x1af4, 0x1041, 0, 0};
	const HdBootVfs *vfs;

	g_assert_no_error(error);
	g_assert_cmpint(policy->boot_hypervisor, ==, HD_BOOT_HYPERVISOR_XEN);
	g_assert_cmpuint(policy->boot_bind->len, ==, 3);
	g_assert_nonnull(hd_policy_boot_match(policy, &nic, &virtio, 0x020000));
	g_assert_nonnull(hd_policy_boot_match(policy, &other, &e1000e, 0x020000));
	g_assert_nonnull(hd_policy_boot_match(policy, &other, &virtio, 0x0c0330));
	g_assert_null(hd_policy_boot_match(policy, &other, &virtio, 0x020000));
	g_assert_cmpuint(policy->boot_vfs->len, ==, 2);
	vfs = g_ptr_array_index(policy->boot_vfs, 1);
	g_assert_cmpuint(vfs->pf.bus, ==, 6);
	g_assert_cmpuint(vfs->count, ==, 2);
	g_assert_cmpuint(vfs->line, ==, 6);
	g_unlink(path);
}

static const struct {
	const char *name;
	const char *contents;
	const char *message;
	guint line; /* 0: not checked */
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
	/* finding 3 of the security review: each of these used to leave the
	 * protected devices silently empty, or the setting at its default */
	{"protect-trailing-backslash", "[drivers]\nkvm=vfio-pci\n[protect]\ndevices=0000:00:1f.2;0000:02:00.0\\\n",
	 "[protect] devices: a backslash", 4},
	{"protect-bad-escape", "[protect]\ndevices=0000:00:1f.2\\q;0000:02:00.0\n", "[protect] devices: a backslash",
	 2},
	{"protect-not-utf8", "[protect]\ndevices=0000:00:1f.2;\xff" "0000:02:00.0\n", "not UTF-8", 2},
	{"protect-escaped-newline", "[protect]\ndevices=0000:00\\n:1f.2\n", "[protect] devices: a control character", 2},
	{"group-not-utf8", "[drivers]\nkvm=vfio-pci\n[prot\xc3" "ect]\ndevices=0000:00:1f.2\n", "not UTF-8", 3},
	{"unknown-group", "[drivers]\nkvm=vfio-pci\n[protected]\ndevices=0000:00:1f.2\n", "unknown group [protected]",
	 3},
	{"misspelt-group-blank", "[protect ]\ndevices=0000:00:1f.2\n", "unknown group [protect ]", 1},
	{"misspelt-group-case", "[Protect]\ndevices=0000:00:1f.2\n", "unknown group [Protect]", 1},
	{"unknown-key", "[protect]\ndevice=0000:00:1f.2\n", "unknown key 'device' in [protect], which takes devices=",
	 2},
	{"unknown-key-vfio", "[vfio]\nvariant-driver=false\n", "unknown key 'variant-driver' in [vfio]", 2},
	{"localised-key", "[protect]\ndevices[de]=0000:00:1f.2\n", "unknown key 'devices[de]'", 2},
	{"unknown-quirk-key", "[quirk x]\ndevices=14e4:1644\nfields=78:4:0\nmask=1\n",
	 "unknown key 'mask' in [quirk x]", 4},
	{"quirk-no-label", "[quirk]\ndevices=14e4:1644\nfields=78:4:0\n", "unknown group [quirk]", 1},
	{"quirk-bad-label", "[quirk a b]\ndevices=14e4:1644\nfields=78:4:0\n", "unknown group [quirk a b]", 1},
	{"key-before-group", "devices=0000:00:1f.2\n[protect]\n", "KEY=VALUE before any [GROUP]", 1},
	{"not-key-value", "[protect]\n\n0000:00:1f.2\n", "expected KEY=VALUE", 3},
	{"group-then-text", "[protect] devices\n", "expected [GROUP] alone on its line", 1},
	{"key-twice", "[protect]\ndevices=0000:00:1f.2\n# more\ndevices=0000:02:00.0\n",
	 "[protect] devices again (first on line 2)", 4},
	{"key-twice-across-groups",
	 "[protect]\ndevices=0000:00:1f.2\n[bind]\ntimeout-ms=9\n[protect]\ndevices=02:00.0\n",
	 "[protect] devices again", 6},
	{"variant-drivers-maybe", "[vfio]\nvariant-drivers=maybe\n", "[vfio] variant-drivers: expected true or false",
	 2},
	{"permissive-0x", "[pciback]\npermissive=0x14:1644\n", "[pciback] permissive: '0x14:1644'", 2},
	{"allow-short-class", "[allow]\nclasses=0x01\n", "[allow] classes: '0x01' is not a PCI class", 2},
	{"deny-class-without-0x", "[deny]\nclasses=0106\n", "[deny] classes: '0106' is not a PCI class", 2},
	{"deny-class-five-digits", "[deny]\nclasses=0x01060\n", "is not a PCI class", 2},
	{"deny-bad-id", "[deny]\nids=8086\n", "[deny] ids: '8086'", 2},
	{"allow-bad-address", "[allow]\ndevices=0000:00:20.0\n", "[allow] devices: invalid PCI address", 2},
	{"boot-bad-address", "[boot]\ndevices=0000:00:20.0\n", "[boot] devices: invalid PCI address", 2},
	{"boot-bad-class", "[boot]\nclasses=0x02\n", "[boot] classes: '0x02' is not a PCI class", 2},
	{"boot-bad-id", "[boot]\nids=8086:10d\n", "[boot] ids: '8086:10d'", 2},
	{"boot-vfs-no-count", "[boot]\nvfs=0000:03:00.0\n", "[boot] vfs: '0000:03:00.0' is not PF=COUNT", 2},
	{"boot-vfs-zero", "[boot]\nvfs=0000:03:00.0=0\n", "is not PF=COUNT", 2},
	{"boot-vfs-text", "[boot]\nvfs=0000:03:00.0=four\n", "is not PF=COUNT", 2},
	{"boot-vfs-bad-pf", "[boot]\nvfs=0000:03:00=4\n", "is not PF=COUNT", 2},
	{"boot-vfs-twice", "[boot]\nvfs=0000:03:00.0=4;03:00.0=2\n",
	 "[boot] vfs: '03:00.0=2': this PF already has a count", 2},
	{"boot-hypervisor", "[boot]\nhypervisor=lxc\n", "[boot] hypervisor: expected auto", 2},
	{"boot-unknown-key", "[boot]\nbind=0000:01:00.0\n", "unknown key 'bind' in [boot], which takes hypervisor=, "
	 "devices=, ids=, classes=, vfs=", 2},
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
	if (bad_policies[i].line > 0) {
		g_autofree gchar *where = g_strdup_printf("policy %s:%u: ", path, bad_policies[i].line);
		g_assert_true(g_str_has_prefix(error->message, where));
	}
	g_unlink(path);
}


/* a NUL byte cannot sit in the table's strings */
static void
test_policy_refuses_nul(void)
{
	static const char text[] = "[protect]\ndevices=0000:00:1f.2\0;0000:02:00.0\n";
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_policy("");
	g_autofree gchar *where = NULL;
	g_autoptr(HdPolicy) policy = NULL;

	g_assert_true(g_file_set_contents_full(path, text, sizeof(text) - 1, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
	policy = hd_policy_load(path, &error);
	g_assert_null(policy);
	where = g_strdup_printf("policy %s:2: not UTF-8", path);
	g_assert_true(g_str_has_prefix(error->message, where));
	g_unlink(path);
}

/* what hostdevctl import-xend writes for an xend block without fields: it
 * matches, writes nothing, and hides later groups from its devices */
static void
test_policy_quirk_without_fields(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_policy("[quirk first]\ndevices=8086:10d3\nfields=\n"
					      "[quirk second]\ndevices=8086:10d3;14e4:1644\nfields=e0:2:ff\n");
	g_autoptr(HdPolicy) policy = hd_policy_load(path, &error);
	HdPciIds nic = {0x8086, 0x10d3, 0x8086, 0xa01f};
	HdPciIds tg3 = {0x14e4, 0x1644, 0, 0};
	const HdQuirk *quirk;

	g_assert_no_error(error);
	quirk = hd_policy_find_quirk(policy, &nic);
	g_assert_cmpstr(quirk->label, ==, "first");
	g_assert_cmpuint(quirk->fields->len, ==, 0);
	g_assert_cmpuint(quirk->line, ==, 1);
	quirk = hd_policy_find_quirk(policy, &tg3);
	g_assert_cmpstr(quirk->label, ==, "second");
	g_unlink(path);
}

/* ---- drop-ins ------------------------------------------------------------------ */

typedef struct {
	gchar *root;
	gchar *main_file;
	gchar *dirs[4]; /* like $datadir's, /etc's and /run's; NULL-terminated */
} DropinFixture;

static void
dropin_setup(DropinFixture *fx, gconstpointer data)
{
	static const char *const names[] = {"vendor", "etc", "run"};
	g_autoptr(GError) error = NULL;

	fx->root = g_dir_make_tmp("hd-policy-dirs-XXXXXX", &error);
	g_assert_no_error(error);
	fx->main_file = g_build_filename(fx->root, "policy.conf", NULL);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		fx->dirs[i] = g_build_filename(fx->root, names[i], "policies.d", NULL);
		g_assert_cmpint(g_mkdir_with_parents(fx->dirs[i], 0755), ==, 0);
		g_assert_cmpint(chmod(fx->dirs[i], 0755), ==, 0);
	}
}

static void
dropin_teardown(DropinFixture *fx, gconstpointer data)
{
	test_remove_tree(fx->root);
	g_free(fx->root);
	g_free(fx->main_file);
	for (guint i = 0; fx->dirs[i] != NULL; i++)
		g_free(fx->dirs[i]);
}

/* @name in @dir (NULL: the main file), mode 0644 */
static gchar *
put(DropinFixture *fx, const char *dir, const char *name, const char *contents)
{
	g_autoptr(GError) error = NULL;
	gchar *path = dir != NULL ? g_build_filename(dir, name, NULL) : g_strdup(fx->main_file);

	g_file_set_contents_full(path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error);
	g_assert_no_error(error);
	return path;
}

static void
put_link(const char *dir, const char *name, const char *target)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);

	g_assert_cmpint(symlink(target, path), ==, 0);
}

static HdPolicy *
load(DropinFixture *fx, const HdPolicyLoadOptions *options, GError **error)
{
	return hd_policy_load_full(fx->main_file, (const char *const *)fx->dirs, options, error);
}

static gboolean
strings_contain(GPtrArray *strings, const char *wanted)
{
	return g_ptr_array_find_with_equal_func(strings, wanted, g_str_equal, NULL);
}

/* the same name in a later directory hides the earlier; a link to
 * /dev/null hides it and reads nothing */
static void
test_dropin_precedence(DropinFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = NULL;
	g_autofree gchar *vendor_a = put(fx, fx->dirs[0], "10-a.conf", "[drivers]\nkvm=vendor_a\n");
	g_autofree gchar *etc_a = put(fx, fx->dirs[1], "10-a.conf", "[drivers]\nkvm=etc_a\n");
	g_autofree gchar *run_a = put(fx, fx->dirs[2], "10-a.conf", "[drivers]\nkvm=run_a\n");
	g_autofree gchar *vendor_b = put(fx, fx->dirs[0], "20-b.conf", "[protect]\ndevices=0000:00:01.0\n");
	g_autofree gchar *etc_c = put(fx, fx->dirs[1], "30-c.conf", "[drivers]\nxen=etc_c\n");
	g_autofree gchar *vendor_d = put(fx, fx->dirs[0], "40-d.conf", "[bind]\ntimeout-ms=111\n");
	g_autofree gchar *etc_d = put(fx, fx->dirs[1], "40-d.conf", "[bind]\ntimeout-ms=222\n");
	g_autofree gchar *ignored = put(fx, fx->dirs[2], "50-e.conf.rpmsave", "[bind]\ntimeout-ms=333\n");
	g_autofree gchar *hidden = put(fx, fx->dirs[2], ".60-f.conf", "[bind]\ntimeout-ms=444\n");
	g_autofree gchar *skip_b = NULL;
	g_autofree gchar *skip_d = NULL;
	HdAddress dev = {0, 0, 1, 0};

	put_link(fx->dirs[1], "20-b.conf", "/dev/null");
	put_link(fx->dirs[2], "40-d.conf", "/dev/null");
	policy = load(fx, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(policy->kvm_stub, ==, "run_a");
	g_assert_cmpstr(policy->xen_stub, ==, "etc_c");
	g_assert_false(hd_policy_is_protected(policy, &dev));
	g_assert_cmpuint(policy->bind_timeout_ms, ==, 5000);
	/* what `policy check` shows */
	g_assert_cmpuint(policy->sources->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(policy->sources, 0), ==, run_a);
	g_assert_cmpstr(g_ptr_array_index(policy->sources, 1), ==, etc_c);
	skip_b = g_strdup_printf("%s/20-b.conf: a link to /dev/null, masking 20-b.conf", fx->dirs[1]);
	skip_d = g_strdup_printf("%s: overridden by %s/40-d.conf", etc_d, fx->dirs[2]);
	g_assert_true(strings_contain(policy->skipped, skip_b));
	g_assert_true(strings_contain(policy->skipped, skip_d));
	{
		g_autofree gchar *over = g_strdup_printf("%s: overridden by %s", vendor_a, etc_a);
		g_autofree gchar *main_missing = g_strdup_printf("%s: does not exist", fx->main_file);
		g_assert_true(strings_contain(policy->skipped, over));
		g_assert_true(strings_contain(policy->skipped, main_missing));
	}
}

/* by name in byte order, whatever the directory; the main file first */
static void
test_dropin_order(DropinFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = NULL;
	g_autofree gchar *main_file = put(fx, NULL, NULL, "[drivers]\nkvm=main\nxen=main\n[bind]\ntimeout-ms=7\n");
	g_autofree gchar *run_10 = put(fx, fx->dirs[2], "10-z.conf", "[drivers]\nkvm=run_10\n");
	g_autofree gchar *etc_20 = put(fx, fx->dirs[1], "20-x.conf", "[drivers]\nkvm=etc_20\n");
	g_autofree gchar *vendor_30 = put(fx, fx->dirs[0], "30-y.conf", "[drivers]\nkvm=vendor_30\n");
	g_autofree gchar *etc_10 = put(fx, fx->dirs[1], "10-early.conf", "[drivers]\nxen=ten\n");
	g_autofree gchar *etc_9 = put(fx, fx->dirs[1], "9-late.conf", "[drivers]\nxen=nine\n");
	const HdPolicySetting *kvm;

	policy = load(fx, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(policy->kvm_stub, ==, "vendor_30");
	g_assert_cmpstr(policy->xen_stub, ==, "nine");
	g_assert_cmpuint(policy->bind_timeout_ms, ==, 7);
	g_assert_cmpuint(policy->sources->len, ==, 6);
	g_assert_cmpstr(g_ptr_array_index(policy->sources, 0), ==, main_file);
	g_assert_cmpstr(g_ptr_array_index(policy->sources, 1), ==, etc_10);
	g_assert_cmpstr(g_ptr_array_index(policy->sources, 2), ==, run_10);
	g_assert_cmpstr(g_ptr_array_index(policy->sources, 3), ==, etc_20);
	g_assert_cmpstr(g_ptr_array_index(policy->sources, 4), ==, vendor_30);
	g_assert_cmpstr(g_ptr_array_index(policy->sources, 5), ==, etc_9);
	/* a scalar is one setting, from the file that last set it */
	kvm = g_ptr_array_index(policy->settings, 0);
	g_assert_cmpstr(kvm->key, ==, "kvm");
	g_assert_cmpstr(kvm->value, ==, "vendor_30");
	g_assert_cmpstr(kvm->file, ==, vendor_30);
	g_assert_cmpuint(kvm->line, ==, 2);
}

/* lists grow file by file; a quirk label replaces its earlier group in
 * place, a new one goes last, and the first match still wins */
static void
test_dropin_lists_extend(DropinFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = NULL;
	g_autofree gchar *main_file = put(fx, NULL, NULL,
					  "[protect]\ndevices=0000:00:1f.2\n"
					  "[pciback]\npermissive=14e4:1644\n"
					  "[quirk a]\ndevices=14e4:1644\nfields=78:4:0\n"
					  "[quirk b]\ndevices=14e4:1644:14e4:0001\nfields=7c:4:0\n");
	g_autofree gchar *dropin = put(fx, fx->dirs[1], "50-local.conf",
				       "[quirk c]\ndevices=14e4:1644:14e4:0001\nfields=e0:2:0\n"
				       "[quirk a]\ndevices=8086:1533\nfields=e0:2:ffff\n"
				       "[protect]\ndevices=0000:02:00.0;\n"
				       "[pciback]\npermissive=8086:10d3\n");
	HdAddress sata = {0, 0, 0x1f, 2};
	HdAddress nic = {0, 2, 0, 0};
	HdPciIds tg3 = {0x14e4, 0x1644, 0x14e4, 0x0001};
	HdPciIds e1000e = {0x8086, 0x10d3, 0, 0};
	HdPciIds i210 = {0x8086, 0x1533, 0, 0};
	const HdQuirk *quirk;
	const HdPolicySetting *setting;
	guint protect = 0;

	policy = load(fx, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(hd_policy_is_protected(policy, &sata));
	g_assert_true(hd_policy_is_protected(policy, &nic));
	g_assert_true(hd_policy_wants_permissive(policy, &tg3));
	g_assert_true(hd_policy_wants_permissive(policy, &e1000e));
	g_assert_cmpuint(policy->quirks->len, ==, 3);
	g_assert_cmpstr(((HdQuirk *)g_ptr_array_index(policy->quirks, 0))->label, ==, "a");
	g_assert_cmpstr(((HdQuirk *)g_ptr_array_index(policy->quirks, 1))->label, ==, "b");
	g_assert_cmpstr(((HdQuirk *)g_ptr_array_index(policy->quirks, 2))->label, ==, "c");
	quirk = hd_policy_find_quirk(policy, &tg3);
	g_assert_cmpstr(quirk->label, ==, "b");
	quirk = hd_policy_find_quirk(policy, &i210);
	g_assert_cmpstr(quirk->label, ==, "a");
	g_assert_cmpstr(quirk->file, ==, dropin);
	g_assert_cmpuint(quirk->line, ==, 4);
	/* the settings keep a list's items together, each with its file */
	for (guint i = 0; i < policy->settings->len; i++) {
		setting = g_ptr_array_index(policy->settings, i);
		if (!g_str_equal(setting->group, "protect"))
			continue;
		g_assert_cmpstr(setting->file, ==, (protect == 0 ? main_file : dropin));
		g_assert_cmpuint(setting->line, ==, (protect == 0 ? 2 : 8));
		protect++;
	}
	g_assert_cmpuint(protect, ==, 2);
}

/* one bad drop-in fails the whole policy, naming itself and its line */
static void
test_dropin_error_names_file(DropinFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = NULL;
	g_autofree gchar *main_file = put(fx, NULL, NULL, "[protect]\ndevices=0000:00:1f.2\n");
	g_autofree gchar *dropin = put(fx, fx->dirs[2], "10-typo.conf", "# local\n[protect]\ndevices=0000:02:00.0\\\n");
	g_autofree gchar *where = g_strdup_printf("policy %s:3: [protect] devices: ", dropin);

	policy = load(fx, NULL, &error);
	g_assert_null(policy);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_true(g_str_has_prefix(error->message, where));
}

/* a link to nothing, or something that is not a file, is refused */
static void
test_dropin_refuses_odd_files(DropinFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) dangling = NULL;
	g_autoptr(HdPolicy) directory = NULL;
	g_autofree gchar *link = g_build_filename(fx->dirs[1], "10-gone.conf", NULL);
	g_autofree gchar *dir = g_build_filename(fx->dirs[1], "20-dir.conf", NULL);

	put_link(fx->dirs[1], "10-gone.conf", "/nonexistent/hostdev-hook.conf");
	dangling = load(fx, NULL, &error);
	g_assert_null(dangling);
	g_assert_nonnull(strstr(error->message, "a link to nothing"));
	g_assert_nonnull(strstr(error->message, link));
	g_clear_error(&error);
	g_unlink(link);

	g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
	directory = load(fx, NULL, &error);
	g_assert_null(directory);
	g_assert_nonnull(strstr(error->message, "not a regular file"));
	g_assert_nonnull(strstr(error->message, dir));
}

/* ---- ownership ------------------------------------------------------------------ */

static void
assert_refused(DropinFixture *fx, const HdPolicyLoadOptions *options, const char *path, const char *why)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = load(fx, options, &error);
	g_autofree gchar *start = g_strdup_printf("policy %s: %s", path, why);

	g_assert_null(policy);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_test_message("%s", error->message);
	g_assert_true(g_str_has_prefix(error->message, start));
	g_assert_true(g_str_has_suffix(error->message, ": refusing it; chown root and chmod go-w") ||
		      g_str_has_suffix(error->message, ": refusing it; chown uid 4242 and chmod go-w"));
}

/* the owner the tests expect instead of root: nobody's here */
static const HdPolicyLoadOptions other_owner = {.owner = 4242};

static void
test_owner_main_file(DropinFixture *fx, gconstpointer data)
{
	g_autofree gchar *main_file = put(fx, NULL, NULL, "[protect]\ndevices=0000:00:1f.2\n");
	g_autofree gchar *owned = g_strdup_printf("owned by uid %u, not uid 4242", (guint)geteuid());
	const HdPolicyLoadOptions mine = {.owner = geteuid()};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = NULL;

	/* the same files pass for their owner */
	policy = load(fx, &mine, &error);
	g_assert_no_error(error);
	assert_refused(fx, &other_owner, main_file, owned);
	g_assert_cmpint(chmod(main_file, 0664), ==, 0);
	assert_refused(fx, &mine, main_file, "writable by group or others (mode 0664)");
	g_assert_cmpint(chmod(main_file, 0646), ==, 0);
	assert_refused(fx, &mine, main_file, "writable by group or others (mode 0646)");
}

static void
test_owner_dropin_dir(DropinFixture *fx, gconstpointer data)
{
	g_autofree gchar *owned = g_strdup_printf("owned by uid %u, not uid 4242", (guint)geteuid());
	const HdPolicyLoadOptions mine = {.owner = geteuid()};

	/* checked even when empty: anyone who may write it may add a file */
	assert_refused(fx, &other_owner, fx->dirs[0], owned);
	g_assert_cmpint(chmod(fx->dirs[1], 01777), ==, 0);
	assert_refused(fx, &mine, fx->dirs[1], "writable by group or others (mode 1777)");
	g_assert_cmpint(chmod(fx->dirs[1], 0755), ==, 0);
	g_assert_cmpint(chmod(fx->dirs[2], 0775), ==, 0);
	assert_refused(fx, &mine, fx->dirs[2], "writable by group or others (mode 0775)");
}

static void
test_owner_dropin_file(DropinFixture *fx, gconstpointer data)
{
	g_autofree gchar *dropin = put(fx, fx->dirs[1], "10-local.conf", "[protect]\ndevices=0000:00:1f.2\n");
	g_autofree gchar *target = put(fx, fx->root, "elsewhere.conf", "[protect]\ndevices=0000:00:1f.2\n");
	g_autofree gchar *link = g_build_filename(fx->dirs[2], "20-link.conf", NULL);
	const HdPolicyLoadOptions mine = {.owner = geteuid()};

	g_assert_cmpint(chmod(dropin, 0666), ==, 0);
	assert_refused(fx, &mine, dropin, "writable by group or others (mode 0666)");
	g_assert_cmpint(chmod(dropin, 0600), ==, 0);
	/* a link is judged by the file it leads to */
	put_link(fx->dirs[2], "20-link.conf", target);
	g_assert_cmpint(chmod(target, 0620), ==, 0);
	assert_refused(fx, &mine, link, "writable by group or others (mode 0620)");
	g_assert_cmpint(chmod(target, 0644), ==, 0);
	if (geteuid() != 0) {
		g_test_skip("chown needs root");
		return;
	}
	/* the real owner check, at its default of root */
	g_assert_cmpint(chown(dropin, 4242, 0), ==, 0);
	assert_refused(fx, NULL, dropin, "owned by uid 4242, not root");
}

/* ---- allow and deny -------------------------------------------------------------- */

#define SATA_CLASS 0x010601u
#define USB_XHCI_CLASS 0x0c0330u
#define NIC_CLASS 0x020000u

static void
test_allow_deny(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_policy("[deny]\nclasses=0x0106\ndevices=0000:03:00.0\n"
					      "[allow]\nids=8086:10d3\nclasses=0x0c0330;0x0106\n"
					      "devices=03:00.0;0000:04:00.0\n");
	g_autoptr(HdPolicy) policy = hd_policy_load(path, &error);
	HdAddress a3 = {0, 3, 0, 0};
	HdAddress a4 = {0, 4, 0, 0};
	HdAddress a5 = {0, 5, 0, 0};
	HdPciIds e1000e = {0x8086, 0x10d3, 0x8086, 0xa01f};
	HdPciIds other = {0x10ec, 0x8168, 0, 0};
	g_autofree gchar *by_class = NULL;
	g_autofree gchar *by_address = NULL;
	g_autofree gchar *not_allowed = NULL;
	g_autofree gchar *expected = NULL;

	g_assert_no_error(error);
	/* allowed by ids, by a 6-digit class, by address */
	g_assert_true(hd_policy_check_device(policy, &a5, &e1000e, NIC_CLASS, NULL));
	g_assert_true(hd_policy_check_device(policy, &a5, &other, USB_XHCI_CLASS, NULL));
	g_assert_true(hd_policy_check_device(policy, &a4, &other, NIC_CLASS, NULL));
	/* a 6-digit class wants the prog-if too */
	g_assert_false(hd_policy_check_device(policy, &a5, &other, 0x0c0320u, &not_allowed));
	expected = g_strdup_printf("not in the host's hostdev-hook allow list ([allow] in %s); ", path);
	g_assert_true(g_str_has_prefix(not_allowed, expected));
	/* deny wins over allow: a 4-digit class matches any prog-if */
	g_assert_false(hd_policy_check_device(policy, &a5, &other, SATA_CLASS, &by_class));
	g_clear_pointer(&expected, g_free);
	expected = g_strdup_printf("denied by the host's hostdev-hook policy (%s:2: [deny] classes=0x0106)", path);
	g_assert_cmpstr(by_class, ==, expected);
	g_assert_false(hd_policy_check_device(policy, &a3, &e1000e, NIC_CLASS, &by_address));
	g_clear_pointer(&expected, g_free);
	expected = g_strdup_printf("denied by the host's hostdev-hook policy (%s:3: [deny] devices=0000:03:00.0)",
				   path);
	g_assert_cmpstr(by_address, ==, expected);
	g_unlink(path);
}

/* no [allow] entries: everything not denied may be lent */
static void
test_deny_only(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_policy("[allow]\nids=\n[deny]\nids=8086:10d3:ffff:0001\n");
	g_autoptr(HdPolicy) policy = hd_policy_load(path, &error);
	HdAddress addr = {0, 5, 0, 0};
	HdPciIds plain = {0x8086, 0x10d3, 0x8086, 0xa01f};
	HdPciIds denied = {0x8086, 0x10d3, 0x1028, 0x0001};
	g_autofree gchar *reason = NULL;

	g_assert_no_error(error);
	g_assert_cmpuint(policy->allow->len, ==, 0);
	g_assert_true(hd_policy_check_device(policy, &addr, &plain, NIC_CLASS, &reason));
	g_assert_null(reason);
	g_assert_false(hd_policy_check_device(policy, &addr, &denied, NIC_CLASS, &reason));
	g_assert_nonnull(strstr(reason, "[deny] ids=8086:10d3:ffff:0001"));
	g_unlink(path);
}

/* allow in one file, deny in a drop-in: lists from every file count */
static void
test_dropin_allow_deny(DropinFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = NULL;
	g_autofree gchar *main_file = put(fx, NULL, NULL, "[allow]\nclasses=0x0200\n");
	g_autofree gchar *dropin =
	    put(fx, fx->dirs[0], "10-vendor.conf", "[allow]\nclasses=0x0300\n[deny]\nids=10ec:8168\n");
	HdAddress addr = {0, 5, 0, 0};
	HdPciIds realtek = {0x10ec, 0x8168, 0, 0};
	HdPciIds intel = {0x8086, 0x10d3, 0, 0};
	g_autofree gchar *reason = NULL;
	g_autofree gchar *files = NULL;

	policy = load(fx, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(hd_policy_check_device(policy, &addr, &intel, 0x030000, NULL));
	g_assert_false(hd_policy_check_device(policy, &addr, &realtek, NIC_CLASS, NULL));
	g_assert_false(hd_policy_check_device(policy, &addr, &intel, SATA_CLASS, &reason));
	files = g_strdup_printf("([allow] in %s, %s)", main_file, dropin);
	g_assert_nonnull(strstr(reason, files));
}

/* ---- the executables -------------------------------------------------------------- */

static void
run_policy_check(TestRun *run, DropinFixture *fx, gboolean json)
{
	g_autofree gchar *bin = test_bin("hostdevctl");
	g_autofree gchar *policy_arg = g_strdup_printf("--policy=%s", fx->main_file);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(argv, g_strdup(bin));
	g_ptr_array_add(argv, g_strdup("policy"));
	g_ptr_array_add(argv, g_strdup("check"));
	g_ptr_array_add(argv, g_strdup(policy_arg));
	for (guint i = 0; fx->dirs[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup_printf("--policy-dir=%s", fx->dirs[i]));
	if (json)
		g_ptr_array_add(argv, g_strdup("--json"));
	g_ptr_array_add(argv, NULL);
	test_run(run, (const char *const *)argv->pdata, NULL, NULL);
}

static void
test_cli_check(DropinFixture *fx, gconstpointer data)
{
	g_autofree gchar *main_file = put(fx, NULL, NULL, "[drivers]\nkvm=vfio-pci\n[protect]\ndevices=0000:00:1f.2\n");
	g_autofree gchar *dropin = put(fx, fx->dirs[2], "50-xend.conf",
				       "[quirk tg3]\ndevices=14e4:1644\nfields=78:4:0\n[protect]\ndevices=02:00.0\n");
	g_autofree gchar *protect_origin = g_strdup_printf("%s:4\n", main_file);
	g_autofree gchar *dropin_origin = g_strdup_printf("%s:5\n", dropin);
	g_auto(TestRun) text = {0};
	g_auto(TestRun) json = {0};
	g_autoptr(json_object) root = NULL;
	json_object *first;

	run_policy_check(&text, fx, FALSE);
	g_assert_cmpint(text.exit_status, ==, 0);
	g_assert_cmpstr(text.err, ==, "");
	g_assert_nonnull(strstr(text.out, "[protect] devices=0000:00:1f.2"));
	g_assert_nonnull(strstr(text.out, protect_origin));
	g_assert_nonnull(strstr(text.out, dropin_origin));
	g_assert_nonnull(strstr(text.out, "[drivers] xen=pciback"));
	g_assert_nonnull(strstr(text.out, "built-in default"));
	g_assert_nonnull(strstr(text.out, "[quirk tg3]"));
	g_assert_nonnull(strstr(text.out, "fields=00000078:4:00000000"));

	run_policy_check(&json, fx, TRUE);
	g_assert_cmpint(json.exit_status, ==, 0);
	root = test_json_parse(json.out);
	g_assert_cmpuint(json_object_array_length(test_json_array(root, "files")), ==, 2);
	first = test_json_index(test_json_array(root, "settings"), 0);
	g_assert_cmpstr(test_json_string(first, "key"), ==, "kvm");
	g_assert_cmpstr(test_json_string(first, "file"), ==, main_file);
	g_assert_cmpint(test_json_int(first, "line"), ==, 2);
	g_assert_cmpuint(json_object_array_length(test_json_array(root, "quirks")), ==, 1);
}

/* an error is the one prepare would fail with: one line, exit 1 */
static void
test_cli_check_error(DropinFixture *fx, gconstpointer data)
{
	g_autofree gchar *dropin = put(fx, fx->dirs[1], "10-typo.conf", "[protect]\ndevice=0000:00:1f.2\n");
	g_autofree gchar *expected =
	    g_strdup_printf("hostdevctl: policy check: policy %s:2: unknown key 'device'", dropin);
	g_auto(TestRun) run = {0};

	run_policy_check(&run, fx, FALSE);
	g_assert_cmpint(run.exit_status, ==, 1);
	g_assert_cmpstr(run.out, ==, "");
	test_assert_one_line(run.err);
	g_assert_true(g_str_has_prefix(run.err, expected));
}

/* the hook itself: a protected list it cannot read fails prepare */
static void
test_hook_prepare_fails_closed(DropinFixture *fx, gconstpointer data)
{
	g_autofree gchar *policy = put(fx, NULL, NULL, "[protect]\ndevices=0000:04:00.0\\\n");
	g_autofree gchar *fixture = test_fixture_sysfs();
	g_autofree gchar *sysfs = g_build_filename(fx->root, "sys", NULL);
	g_autofree gchar *hooks = g_build_filename(fx->root, "hooks", "qemu.d", NULL);
	g_autofree gchar *hook = g_build_filename(hooks, "50-hostdev-hook", NULL);
	g_autofree gchar *target = test_bin("hostdev-hook");
	g_autofree gchar *sysfs_env = g_strdup_printf("HOSTDEV_HOOK_SYSFS_ROOT=%s", sysfs);
	g_autofree gchar *state_env = g_strdup_printf("HOSTDEV_HOOK_STATE_DIR=%s/state", fx->root);
	g_autofree gchar *log_env = g_strdup_printf("HOSTDEV_HOOK_LOG_FILE=%s/hook.log", fx->root);
	g_autofree gchar *policy_env = g_strdup_printf("HOSTDEV_HOOK_POLICY=%s", policy);
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, TEST_HOSTDEV("no", "bus='4'"));
	g_autofree gchar *where = g_strdup_printf("policy %s:2: [protect] devices: ", policy);
	g_autoptr(GBytes) input = g_bytes_new(xml, strlen(xml));
	const char *env[] = {sysfs_env, state_env, log_env, policy_env, NULL};
	const char *argv[] = {hook, "vm1", "prepare", "begin", "-", NULL};
	g_auto(TestRun) run = {0};

	test_copy_tree(fixture, sysfs);
	g_assert_cmpint(g_mkdir_with_parents(hooks, 0755), ==, 0);
	g_assert_cmpint(symlink(target, hook), ==, 0);
	test_run(&run, argv, input, env);
	g_assert_cmpint(run.exit_status, ==, 1);
	g_assert_cmpstr(run.out, ==, "");
	test_assert_one_line(run.err);
	g_assert_nonnull(strstr(run.err, where));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy/missing-file-gives-defaults", test_policy_missing_file_gives_defaults);
	g_test_add_func("/policy/shipped-template-matches-defaults", test_policy_shipped_template_matches_defaults);
	g_test_add_func("/policy/settings", test_policy_settings);
	g_test_add_func("/policy/xen", test_policy_xen);
	g_test_add_func("/policy/boot", test_policy_boot);
	g_test_add_func("/policy/refuses/nul-byte", test_policy_refuses_nul);
	g_test_add_func("/policy/quirk-without-fields", test_policy_quirk_without_fields);
	g_test_add_func("/policy/allow-deny", test_allow_deny);
	g_test_add_func("/policy/deny-only", test_deny_only);
#define DROPIN_TEST(path, func) \
	g_test_add(path, DropinFixture, NULL, dropin_setup, func, dropin_teardown)
	DROPIN_TEST("/policy/dropin/precedence-and-masking", test_dropin_precedence);
	DROPIN_TEST("/policy/dropin/lexical-order", test_dropin_order);
	DROPIN_TEST("/policy/dropin/lists-extend", test_dropin_lists_extend);
	DROPIN_TEST("/policy/dropin/error-names-file", test_dropin_error_names_file);
	DROPIN_TEST("/policy/dropin/refuses-odd-files", test_dropin_refuses_odd_files);
	DROPIN_TEST("/policy/dropin/allow-deny", test_dropin_allow_deny);
	DROPIN_TEST("/policy/owner/main-file", test_owner_main_file);
	DROPIN_TEST("/policy/owner/dropin-dir", test_owner_dropin_dir);
	DROPIN_TEST("/policy/owner/dropin-file", test_owner_dropin_file);
	DROPIN_TEST("/policy/cli/check", test_cli_check);
	DROPIN_TEST("/policy/cli/check-error", test_cli_check_error);
	DROPIN_TEST("/policy/hook/prepare-fails-closed", test_hook_prepare_fails_closed);
	for (guint i = 0; i < G_N_ELEMENTS(bad_policies); i++) {
		g_autofree gchar *path = g_strdup_printf("/policy/refuses/%s", bad_policies[i].name);
		g_test_add_data_func(path, GUINT_TO_POINTER(i), test_policy_refuses);
	}
	return g_test_run();
}
