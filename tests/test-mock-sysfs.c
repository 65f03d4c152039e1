/*
 * test-mock-sysfs.c: the simulated kernel behaves as the real one does
 *
 * The engine's bind tests are only as good as this simulation, so every
 * kernel rule it claims to follow is exercised here, through the engine's
 * own hd_sysfs_write() and readers, as the engine will meet it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <string.h>

#include "hd-device.h"
#include "hd-error.h"
#include "mock-sysfs.h"

#define BRIDGE "0000:00:1c.0"
#define NIC    "0000:01:00.0"
#define NVME   "0000:02:00.0"
#define GPU    "0000:03:00.0"
#define AUDIO  "0000:03:00.1"
#define ABSENT "0000:09:00.0"

#define DEV(bdf, attr)	 "bus/pci/devices/" bdf "/" attr
#define DRV(name, attr)	 "bus/pci/drivers/" name "/" attr
#define DRIVERS_PROBE	 "bus/pci/drivers_probe"

static const guint32 pcieport_ids[] = {MOCK_PCI_ID(0x8086, 0xa110), 0};
static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};
static const guint32 nvme_ids[] = {MOCK_PCI_ID(0x144d, 0xa808), 0};
static const guint32 hda_ids[] = {MOCK_PCI_ID(0x10de, 0x10f0), 0};
static const guint32 nouveau_ids[] = {MOCK_PCI_ID(0x10de, 0x1b80), 0};

/*
 * A small host: a root port, a NIC, an NVMe disk, and a GPU whose audio
 * function shares its IOMMU group.  The GPU has no driver: nouveau's
 * module is not loaded.
 */
typedef struct {
	MockSysfs *ms;
	HdContext *ctx;
} Fixture;

/* the engine's context, reading @ms's tree and writing through it */
static HdContext *
context_for(MockSysfs *ms)
{
	g_autoptr(GError) error = NULL;
	HdContext *ctx = hd_context_new(mock_sysfs_get_root(ms), "/nonexistent/policy.conf", &error);

	g_assert_no_error(error);
	mock_sysfs_install(ms, ctx);
	return ctx;
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	fx->ms = mock_sysfs_new();
	mock_sysfs_add_driver(fx->ms, "pcieport", pcieport_ids);
	mock_sysfs_add_driver(fx->ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(fx->ms, "nvme", nvme_ids);
	mock_sysfs_add_driver(fx->ms, "snd_hda_intel", hda_ids);
	mock_sysfs_add_driver(fx->ms, "vfio-pci", NULL);
	mock_sysfs_add_module(fx->ms, "nouveau", nouveau_ids);
	mock_sysfs_add_device(fx->ms, BRIDGE, 0x8086, 0xa110, MOCK_PCI_CLASS_BRIDGE, "5", "pcieport");
	mock_sysfs_add_device(fx->ms, NIC, 0x8086, 0x10d3, 0x020000, "1", "e1000e");
	mock_sysfs_add_device(fx->ms, NVME, 0x144d, 0xa808, 0x010802, "2", "nvme");
	mock_sysfs_add_device(fx->ms, GPU, 0x10de, 0x1b80, 0x030000, "3", NULL);
	mock_sysfs_add_device(fx->ms, AUDIO, 0x10de, 0x10f0, 0x040300, "3", "snd_hda_intel");
	fx->ctx = context_for(fx->ms);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	hd_context_free(fx->ctx);
	mock_sysfs_free(fx->ms);
}

#define TEST_ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
#define TEST_ADD_CASES(prefix, cases, func)                                                         \
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {                                            \
		g_autofree gchar *path = g_strdup_printf("%s/%s", prefix, cases[i].name);            \
		g_test_add(path, Fixture, GUINT_TO_POINTER(i), fixture_setup, func, fixture_teardown); \
	}

/* ---- helpers: everything through the engine's HdSysfs ------------------ */

static void
write_ok(Fixture *fx, const char *relpath, const char *value)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(hd_sysfs_write(fx->ctx->sysfs, relpath, value, &error));
	g_assert_no_error(error);
}

/* what hd_sysfs_write() says of a real write(2) failing with @errnum */
static gchar *
write_message(Fixture *fx, const char *relpath, const char *value, int errnum)
{
	gsize len = strlen(value);
	int shown = (int)(len > 0 && value[len - 1] == '\n' ? len - 1 : len);

	return g_strdup_printf("cannot write '%.*s' to %s/%s: %s", shown, value, mock_sysfs_get_root(fx->ms),
			       relpath, g_strerror(errnum));
}

/* ...and of a real open(2) failing with @errnum */
static gchar *
open_message(Fixture *fx, const char *relpath, int errnum)
{
	return g_strdup_printf("cannot open %s/%s: %s", mock_sysfs_get_root(fx->ms), relpath, g_strerror(errnum));
}

/* the write fails with @message and the host is as it was */
static void
write_fails(Fixture *fx, const char *relpath, const char *value, int errnum, const char *message)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;

	g_assert_false(hd_sysfs_write(fx->ctx->sysfs, relpath, value, &error));
	g_assert_error(error, HD_ERROR, (gint)hd_error_from_errno(errnum));
	g_assert_cmpstr(error->message, ==, message);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

static void
store_fails(Fixture *fx, const char *relpath, const char *value, int errnum)
{
	g_autofree gchar *message = write_message(fx, relpath, value, errnum);

	write_fails(fx, relpath, value, errnum, message);
}

/* the bound driver as the engine reads it: the basename of the link */
static gchar *
driver_of(Fixture *fx, const char *bdf)
{
	g_autofree gchar *link = hd_function_attr_path(bdf, "driver");
	g_autoptr(GError) error = NULL;
	gchar *name = hd_sysfs_read_link_name(fx->ctx->sysfs, link, &error);

	if (name == NULL)
		g_assert_error(error, HD_ERROR, HD_ERROR_NOT_FOUND);
	return name;
}

static void
assert_bound(MockSysfs *ms, const char *bdf, const char *expected)
{
	g_autofree gchar *driver = mock_sysfs_get_driver(ms, bdf);

	g_assert_cmpstr(driver, ==, expected);
}

/* as the engine reads it, and as the mock reports it */
static void
assert_driver(Fixture *fx, const char *bdf, const char *expected)
{
	g_autofree gchar *driver = driver_of(fx, bdf);

	g_assert_cmpstr(driver, ==, expected);
	assert_bound(fx->ms, bdf, expected);
}

static void
assert_override(Fixture *fx, const char *bdf, const char *expected)
{
	g_autofree gchar *path = hd_function_attr_path(bdf, "driver_override");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *value = hd_sysfs_read(fx->ctx->sysfs, path, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(value, ==, expected);
}

static gboolean
has_vfio_node(Fixture *fx, const char *group)
{
	g_autofree gchar *path = g_build_filename("dev", "vfio", group, NULL);

	return hd_sysfs_exists(fx->ctx->sysfs, path);
}

static void
assert_writes(Fixture *fx, const char *const *expected)
{
	GPtrArray *writes = mock_sysfs_get_writes(fx->ms);

	g_assert_cmpuint(writes->len, ==, g_strv_length((gchar **)expected));
	for (guint i = 0; i < writes->len; i++)
		g_assert_cmpstr(g_ptr_array_index(writes, i), ==, expected[i]);
}

/* libvirt's virPCIDeviceBindWithDriverOverride(): three writes, no newlines,
 * the unbind through the device's own driver link, and only if bound */
static void
libvirt_rebind(Fixture *fx, const char *bdf, const char *override)
{
	g_autofree gchar *override_path = hd_function_attr_path(bdf, "driver_override");
	g_autofree gchar *unbind_path = hd_function_attr_path(bdf, "driver/unbind");
	g_autofree gchar *driver = driver_of(fx, bdf);

	write_ok(fx, override_path, override);
	if (driver != NULL)
		write_ok(fx, unbind_path, bdf);
	write_ok(fx, DRIVERS_PROBE, bdf);
}

/* ---- the tree ------------------------------------------------------------ */

static const struct {
	const char *relpath;
	const char *contents;
} file_cases[] = {
	{DEV(NIC, "vendor"), "0x8086\n"},
	{DEV(NIC, "device"), "0x10d3\n"},
	{DEV(NIC, "class"), "0x020000\n"},
	{DEV(NIC, "driver_override"), "(null)\n"},
	{DEV(BRIDGE, "class"), "0x060400\n"},
	{DRV("e1000e", "bind"), ""},
	{DRV("e1000e", "unbind"), ""},
	{DRIVERS_PROBE, ""},
};

static const struct {
	const char *relpath;
	const char *target;
} link_cases[] = {
	{DEV(NIC, "driver"), "../../drivers/e1000e"},
	{DEV(NIC, "iommu_group"), "../../../../kernel/iommu_groups/1"},
	{"kernel/iommu_groups/1/devices/" NIC, "../../../../bus/pci/devices/" NIC},
	{DRV("e1000e", NIC), "../../devices/" NIC},
	{DEV(AUDIO, "iommu_group"), "../../../../kernel/iommu_groups/3"},
	{"kernel/iommu_groups/3/devices/" GPU, "../../../../bus/pci/devices/" GPU},
};

static void
test_tree_files(Fixture *fx, gconstpointer data)
{
	for (guint i = 0; i < G_N_ELEMENTS(file_cases); i++) {
		g_autofree gchar *path = hd_sysfs_path(fx->ctx->sysfs, file_cases[i].relpath);
		g_autofree gchar *contents = NULL;
		g_autoptr(GError) error = NULL;

		g_file_get_contents(path, &contents, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(contents, ==, file_cases[i].contents);
	}
}

/* relative links, as the kernel makes them, that lead where they say */
static void
test_tree_links(Fixture *fx, gconstpointer data)
{
	for (guint i = 0; i < G_N_ELEMENTS(link_cases); i++) {
		g_autofree gchar *path = hd_sysfs_path(fx->ctx->sysfs, link_cases[i].relpath);
		g_autofree gchar *dir = g_path_get_dirname(path);
		g_autofree gchar *target = g_file_read_link(path, NULL);
		g_autofree gchar *leads_to = NULL;

		g_assert_cmpstr(target, ==, link_cases[i].target);
		leads_to = g_build_filename(dir, target, NULL);
		g_assert_true(g_file_test(leads_to, G_FILE_TEST_IS_DIR));
	}
}

static void
test_tree_config(Fixture *fx, gconstpointer data)
{
	static const struct {
		const char *bdf;
		guint8 bytes[4];
		guint8 class_bytes[3];
		guint8 header_type;
	} cases[] = {
		{NIC, {0x86, 0x80, 0xd3, 0x10}, {0x00, 0x00, 0x02}, 0},
		{BRIDGE, {0x86, 0x80, 0x10, 0xa1}, {0x00, 0x04, 0x06}, 1},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *relpath = hd_function_attr_path(cases[i].bdf, "config");
		g_autofree gchar *path = hd_sysfs_path(fx->ctx->sysfs, relpath);
		g_autofree gchar *config = NULL;
		gsize len = 0;

		g_assert_true(g_file_get_contents(path, &config, &len, NULL));
		g_assert_cmpuint(len, ==, 64);
		g_assert_cmpmem(config, 4, cases[i].bytes, 4);
		g_assert_cmpmem(config + 9, 3, cases[i].class_bytes, 3);
		g_assert_cmpuint((guint8)config[0x0e], ==, cases[i].header_type);
	}
}

/* the listings the engine makes: a driver's directory, a group's members */
static void
test_tree_listings(Fixture *fx, gconstpointer data)
{
	static const struct {
		const char *relpath;
		const char *entries;
	} cases[] = {
		{"bus/pci/drivers", "e1000e nvme pcieport snd_hda_intel vfio-pci"},
		{"bus/pci/drivers/e1000e", NIC " bind new_id remove_id unbind"},
		{"bus/pci/drivers/vfio-pci", "bind new_id remove_id unbind"},
		{"kernel/iommu_groups/3/devices", GPU " " AUDIO},
		{"bus/pci/devices", BRIDGE " " NIC " " NVME " " GPU " " AUDIO},
		{"dev/vfio", ""},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) names = hd_sysfs_list(fx->ctx->sysfs, cases[i].relpath, &error);
		g_autofree gchar *joined = NULL;

		g_assert_no_error(error);
		g_ptr_array_add(names, NULL);
		joined = g_strjoinv(" ", (gchar **)names->pdata);
		g_assert_cmpstr(joined, ==, cases[i].entries);
	}
	/* a module not loaded has no driver directory */
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "bus/pci/drivers/nouveau"));
}

/* what the engine's device reader (libpci on config, links) makes of it */
static void
test_tree_engine_reads(Fixture *fx, gconstpointer data)
{
	static const struct {
		const char *bdf;
		guint16 vendor;
		guint16 device;
		guint16 class_code;
		gboolean is_bridge;
		const char *driver;
		const char *group;
	} cases[] = {
		{NIC, 0x8086, 0x10d3, 0x0200, FALSE, "e1000e", "1"},
		{BRIDGE, 0x8086, 0xa110, 0x0604, TRUE, "pcieport", "5"},
		{GPU, 0x10de, 0x1b80, 0x0300, FALSE, NULL, "3"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HdDeviceInfo) info = NULL;
		HdAddress addr;

		g_assert_true(hd_address_parse_bdf(cases[i].bdf, &addr, &error));
		info = hd_device_info_read(fx->ctx, &addr, &error);
		g_assert_no_error(error);
		g_assert_true(info->exists);
		g_assert_cmphex(info->identity.vendor_id, ==, cases[i].vendor);
		g_assert_cmphex(info->identity.device_id, ==, cases[i].device);
		g_assert_cmphex(info->identity.class_code, ==, cases[i].class_code);
		g_assert_cmpint(info->identity.is_bridge, ==, cases[i].is_bridge);
		g_assert_cmpstr(info->driver, ==, cases[i].driver);
		g_assert_cmpstr(info->iommu_group, ==, cases[i].group);
	}
}

/* the test suite runs with HOSTDEV_HOOK_TESTING: the mock's root is
 * accepted, the real /sys refused however it is spelt */
static void
test_tree_guard(Fixture *fx, gconstpointer data)
{
	static const char *const real_sys[] = {"/sys", "//sys/.", "/sys/bus/.."};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdSysfs) sysfs = NULL;

	g_assert_nonnull(g_getenv(HD_TESTING_ENV));
	sysfs = hd_sysfs_new(mock_sysfs_get_root(fx->ms), &error);
	g_assert_no_error(error);
	g_assert_true(hd_sysfs_exists(sysfs, DEV(NIC, "config")));
	/* a root that does not resolve is not refused: there is nothing to protect */
	if (!g_file_test("/sys", G_FILE_TEST_IS_DIR)) {
		g_test_skip("no /sys on this machine");
		return;
	}
	for (guint i = 0; i < G_N_ELEMENTS(real_sys); i++) {
		g_autoptr(GError) refused = NULL;
		g_autoptr(HdSysfs) host = hd_sysfs_new(real_sys[i], &refused);

		g_assert_null(host);
		g_assert_error(refused, HD_ERROR, HD_ERROR_PERMISSION_DENIED);
	}
}

static void
test_tree_snapshot(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *snapshot = mock_sysfs_snapshot(fx->ms);

	g_assert_cmpstr(snapshot, ==,
			BRIDGE " driver=pcieport override=(null)\n"
			NIC " driver=e1000e override=(null)\n"
			NVME " driver=nvme override=(null)\n"
			GPU " driver=- override=(null)\n"
			AUDIO " driver=snd_hda_intel override=(null)\n"
			"driver e1000e bound=" NIC "\n"
			"driver nvme bound=" NVME "\n"
			"driver pcieport bound=" BRIDGE "\n"
			"driver snd_hda_intel bound=" AUDIO "\n"
			"driver vfio-pci bound=-\n");
}

static void
test_tree_cleanup(void)
{
	MockSysfs *ms = mock_sysfs_new();
	g_autofree gchar *root = g_strdup(mock_sysfs_get_root(ms));

	mock_sysfs_add_driver(ms, "e1000e", e1000e_ids);
	mock_sysfs_add_device(ms, NIC, 0x8086, 0x10d3, 0x020000, "1", "e1000e");
	g_assert_true(g_file_test(root, G_FILE_TEST_IS_DIR));
	mock_sysfs_free(ms);
	g_assert_false(g_file_test(root, G_FILE_TEST_EXISTS));
}

/* ---- driver_override ----------------------------------------------------- */

static const struct {
	const char *name;
	const char *initial; /* NULL: unset */
	const char *value;
	gsize repeat;	     /* non-zero: the value is this many 'a's */
	const char *shown;   /* what reads back; NULL: the value */
	int errnum;
} override_cases[] = {
	{"set", NULL, "vfio-pci", 0, NULL, 0},
	{"trailing-newline-stripped", NULL, "vfio-pci\n", 0, "vfio-pci", 0},
	{"cut-at-first-newline", NULL, "vfio-pci\nnvme", 0, "vfio-pci", 0},
	{"replaced", "pciback", "vfio-pci", 0, NULL, 0},
	{"newline-clears", "vfio-pci", "\n", 0, "(null)", 0},
	/* a write of 0 bytes never reaches store(): clear with "\n" */
	{"empty-write-changes-nothing", "vfio-pci", "", 0, "vfio-pci", 0},
	/* the longest value whose show() still fits a page with its newline */
	{"longest", NULL, NULL, 4094, NULL, 0},
	{"too-long", "vfio-pci", NULL, 4095, "vfio-pci", EINVAL},
};

static void
test_override(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	gsize repeat = override_cases[i].repeat;
	g_autofree gchar *long_value = repeat > 0 ? g_strnfill(repeat, 'a') : NULL;
	const char *value = long_value != NULL ? long_value : override_cases[i].value;
	const char *shown = override_cases[i].shown != NULL ? override_cases[i].shown : value;

	if (override_cases[i].initial != NULL)
		write_ok(fx, DEV(NIC, "driver_override"), override_cases[i].initial);
	if (override_cases[i].errnum != 0)
		store_fails(fx, DEV(NIC, "driver_override"), value, override_cases[i].errnum);
	else
		write_ok(fx, DEV(NIC, "driver_override"), value);
	assert_override(fx, NIC, shown);
	/* driver_override alone never unbinds anything */
	assert_driver(fx, NIC, "e1000e");
}

/* ---- libvirt's sequences ------------------------------------------------- */

static void
test_libvirt_detach(Fixture *fx, gconstpointer data)
{
	static const char *const writes[] = {
		DEV(NIC, "driver_override") "=vfio-pci",
		DEV(NIC, "driver/unbind") "=" NIC,
		DRIVERS_PROBE "=" NIC,
		NULL,
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) e1000e = NULL;
	g_autoptr(GPtrArray) vfio = NULL;

	write_ok(fx, DEV(NIC, "driver_override"), "vfio-pci");
	assert_driver(fx, NIC, "e1000e");
	write_ok(fx, DEV(NIC, "driver/unbind"), NIC);
	assert_driver(fx, NIC, NULL);
	g_assert_false(has_vfio_node(fx, "1"));
	write_ok(fx, DRIVERS_PROBE, NIC);
	assert_driver(fx, NIC, "vfio-pci");
	assert_override(fx, NIC, "vfio-pci");
	g_assert_true(has_vfio_node(fx, "1"));

	e1000e = hd_sysfs_list(fx->ctx->sysfs, "bus/pci/drivers/e1000e", &error);
	g_assert_no_error(error);
	g_assert_false(g_ptr_array_find_with_equal_func(e1000e, NIC, g_str_equal, NULL));
	vfio = hd_sysfs_list(fx->ctx->sysfs, "bus/pci/drivers/vfio-pci", &error);
	g_assert_no_error(error);
	g_assert_true(g_ptr_array_find_with_equal_func(vfio, NIC, g_str_equal, NULL));
	assert_writes(fx, writes);
}

static void
test_libvirt_reattach(Fixture *fx, gconstpointer data)
{
	static const char *const writes[] = {
		DEV(NIC, "driver_override") "=vfio-pci",
		DEV(NIC, "driver/unbind") "=" NIC,
		DRIVERS_PROBE "=" NIC,
		DEV(NIC, "driver_override") "=\\n",
		DEV(NIC, "driver/unbind") "=" NIC,
		DRIVERS_PROBE "=" NIC,
		NULL,
	};
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *detached = NULL;
	g_autofree gchar *after = NULL;

	libvirt_rebind(fx, NIC, "vfio-pci");
	detached = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(detached, !=, before);
	libvirt_rebind(fx, NIC, "\n");
	assert_driver(fx, NIC, "e1000e");
	assert_override(fx, NIC, "(null)");
	g_assert_false(has_vfio_node(fx, "1"));
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	assert_writes(fx, writes);
}

/* ---- drivers_probe ------------------------------------------------------- */

static const struct {
	const char *name;
	const char *bdf;
	const char *override; /* NULL: left unset */
	gboolean unbind;      /* through the driver link, before the probe */
	gboolean refused;
	const char *value;    /* written to drivers_probe; NULL: the address */
	const char *driver;   /* bound afterwards, NULL: none */
} probe_cases[] = {
	{"id-match", NIC, NULL, TRUE, FALSE, NULL, "e1000e"},
	{"override-wins-over-ids", NIC, "vfio-pci", TRUE, FALSE, NULL, "vfio-pci"},
	{"no-driver-matches", GPU, NULL, FALSE, FALSE, NULL, NULL},
	/* with an override set, the ID-matched driver is not even asked */
	{"override-driver-not-loaded", NIC, "nouveau", TRUE, FALSE, NULL, NULL},
	{"override-none", NIC, "none", TRUE, FALSE, NULL, NULL},
	{"probe-refused", NIC, NULL, TRUE, TRUE, NULL, NULL},
	{"vfio-refuses-bridge", BRIDGE, "vfio-pci", TRUE, FALSE, NULL, NULL},
	{"bound-device-untouched", NIC, "vfio-pci", FALSE, FALSE, NULL, "e1000e"},
	{"newline-terminated", NIC, NULL, TRUE, FALSE, NIC "\n", "e1000e"},
};

/* the write succeeds whatever binds, which is why the engine verifies */
static void
test_probe(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	const char *bdf = probe_cases[i].bdf;
	g_autofree gchar *override = hd_function_attr_path(bdf, "driver_override");
	g_autofree gchar *unbind = hd_function_attr_path(bdf, "driver/unbind");
	const char *value = probe_cases[i].value != NULL ? probe_cases[i].value : bdf;

	if (probe_cases[i].override != NULL)
		write_ok(fx, override, probe_cases[i].override);
	if (probe_cases[i].unbind)
		write_ok(fx, unbind, bdf);
	mock_sysfs_set_probe_refused(fx->ms, bdf, probe_cases[i].refused);
	write_ok(fx, DRIVERS_PROBE, value);
	assert_driver(fx, bdf, probe_cases[i].driver);
}

static void
test_probe_unknown_device(Fixture *fx, gconstpointer data)
{
	store_fails(fx, DRIVERS_PROBE, ABSENT, ENODEV);
	store_fails(fx, DRIVERS_PROBE, NIC " ", ENODEV);
}

/* the kernel's bus list is in registration order, not name order */
static void
test_probe_registration_order(void)
{
	static const guint32 ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};
	g_autoptr(MockSysfs) ms = mock_sysfs_new();
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(GError) error = NULL;

	mock_sysfs_add_module(ms, "aaa", ids);
	mock_sysfs_add_driver(ms, "zzz", ids);
	mock_sysfs_add_device(ms, NIC, 0x8086, 0x10d3, 0x020000, "1", "zzz");
	ctx = context_for(ms);
	g_assert_true(ctx->load_module("aaa", ctx->load_module_data, &error));
	g_assert_no_error(error);
	/* a new driver is not offered a bound device */
	assert_bound(ms, NIC, "zzz");
	g_assert_true(hd_sysfs_write(ctx->sysfs, DRV("zzz", "unbind"), NIC, &error));
	g_assert_true(hd_sysfs_write(ctx->sysfs, DRIVERS_PROBE, NIC, &error));
	g_assert_no_error(error);
	assert_bound(ms, NIC, "zzz");
}

/* a probe() refusal lets the next matching driver try: vfio-pci given a
 * root port's ID (vfio-pci.ids=) refuses the bridge, pcieport takes it */
static void
test_probe_refusal_tries_next(void)
{
	g_autoptr(MockSysfs) ms = mock_sysfs_new();
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(GError) error = NULL;

	mock_sysfs_add_driver(ms, "vfio-pci", pcieport_ids);
	mock_sysfs_add_driver(ms, "pcieport", pcieport_ids);
	mock_sysfs_add_device(ms, BRIDGE, 0x8086, 0xa110, MOCK_PCI_CLASS_BRIDGE, "5", NULL);
	ctx = context_for(ms);
	g_assert_true(hd_sysfs_write(ctx->sysfs, DRIVERS_PROBE, BRIDGE, &error));
	g_assert_no_error(error);
	assert_bound(ms, BRIDGE, "pcieport");
	g_assert_false(hd_sysfs_exists(ctx->sysfs, "dev/vfio/5"));
}

/* vfio-pci needs an IOMMU group to put the device in */
static void
test_probe_vfio_needs_group(void)
{
	g_autoptr(MockSysfs) ms = mock_sysfs_new();
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *message = NULL;

	mock_sysfs_add_driver(ms, "vfio-pci", NULL);
	mock_sysfs_add_device(ms, NIC, 0x8086, 0x10d3, 0x020000, NULL, NULL);
	ctx = context_for(ms);
	g_assert_false(hd_sysfs_exists(ctx->sysfs, DEV(NIC, "iommu_group")));
	g_assert_true(hd_sysfs_write(ctx->sysfs, DEV(NIC, "driver_override"), "vfio-pci", &error));
	g_assert_true(hd_sysfs_write(ctx->sysfs, DRIVERS_PROBE, NIC, &error));
	g_assert_no_error(error);
	assert_bound(ms, NIC, NULL);
	g_assert_false(hd_sysfs_write(ctx->sysfs, DRV("vfio-pci", "bind"), NIC, &error));
	message = g_strdup_printf("cannot write '%s' to %s/%s: %s", NIC, mock_sysfs_get_root(ms),
				  DRV("vfio-pci", "bind"), g_strerror(EINVAL));
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_cmpstr(error->message, ==, message);
}

/* ---- bind and unbind ----------------------------------------------------- */

static const struct {
	const char *name;
	const char *bdf;
	const char *override;
	gboolean unbind;      /* through the driver link, first */
	gboolean refused;
	const char *relpath;
	const char *value;
	int errnum;	      /* 0: success */
	const char *driver;   /* bound afterwards */
} bind_cases[] = {
	{"busy", NIC, NULL, FALSE, FALSE, DRV("e1000e", "bind"), NIC, EBUSY, "e1000e"},
	{"busy-override-driver", NIC, "vfio-pci", FALSE, FALSE, DRV("vfio-pci", "bind"), NIC, EBUSY, "e1000e"},
	/* bind_store() matches before it looks whether the device is taken */
	{"no-match-before-busy", NIC, NULL, FALSE, FALSE, DRV("vfio-pci", "bind"), NIC, ENODEV, "e1000e"},
	{"override-excludes-id-match", NIC, "vfio-pci", TRUE, FALSE, DRV("e1000e", "bind"), NIC, ENODEV, NULL},
	{"no-ids-no-override", NIC, NULL, TRUE, FALSE, DRV("vfio-pci", "bind"), NIC, ENODEV, NULL},
	{"override-binds", NIC, "vfio-pci", TRUE, FALSE, DRV("vfio-pci", "bind"), NIC, 0, "vfio-pci"},
	{"id-binds", NIC, NULL, TRUE, FALSE, DRV("e1000e", "bind"), NIC "\n", 0, "e1000e"},
	{"unknown-device", NIC, NULL, FALSE, FALSE, DRV("e1000e", "bind"), ABSENT, ENODEV, "e1000e"},
	{"trailing-space", NIC, NULL, TRUE, FALSE, DRV("e1000e", "bind"), NIC " ", ENODEV, NULL},
	{"probe-refused", NIC, NULL, TRUE, TRUE, DRV("e1000e", "bind"), NIC, ENODEV, NULL},
	{"vfio-refuses-bridge", BRIDGE, "vfio-pci", TRUE, FALSE, DRV("vfio-pci", "bind"), BRIDGE, EINVAL, NULL},
	{"unbind-by-driver", NIC, NULL, FALSE, FALSE, DRV("e1000e", "unbind"), NIC "\n", 0, NULL},
	{"unbind-other-driver", NIC, NULL, FALSE, FALSE, DRV("nvme", "unbind"), NIC, ENODEV, "e1000e"},
	{"unbind-unbound", NIC, NULL, TRUE, FALSE, DRV("e1000e", "unbind"), NIC, ENODEV, NULL},
	/* the link leads to e1000e's unbind, and NVMe is not e1000e's */
	{"unbind-link-other-device", NIC, NULL, FALSE, FALSE, DEV(NIC, "driver/unbind"), NVME, ENODEV, "e1000e"},
	/* override writes reach the same attribute through the group's links */
	{"override-through-group", NIC, NULL, FALSE, FALSE,
	 "kernel/iommu_groups/1/devices/" NIC "/driver_override", "vfio-pci", 0, "e1000e"},
};

static void
test_bind(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	const char *bdf = bind_cases[i].bdf;
	g_autofree gchar *override = hd_function_attr_path(bdf, "driver_override");
	g_autofree gchar *unbind = hd_function_attr_path(bdf, "driver/unbind");

	if (bind_cases[i].override != NULL)
		write_ok(fx, override, bind_cases[i].override);
	if (bind_cases[i].unbind)
		write_ok(fx, unbind, bdf);
	mock_sysfs_set_probe_refused(fx->ms, bdf, bind_cases[i].refused);
	if (bind_cases[i].errnum != 0)
		store_fails(fx, bind_cases[i].relpath, bind_cases[i].value, bind_cases[i].errnum);
	else
		write_ok(fx, bind_cases[i].relpath, bind_cases[i].value);
	assert_driver(fx, bdf, bind_cases[i].driver);
	if (g_str_has_suffix(bind_cases[i].relpath, "/driver_override"))
		assert_override(fx, bdf, bind_cases[i].value);
}

/* ---- files the engine must not write ------------------------------------- */

static const struct {
	const char *name;
	const char *relpath;
	const char *value;
	int errnum;
	gboolean at_open; /* refused by open(), before any store() */
} refused_cases[] = {
	{"read-only-attribute", DEV(NIC, "vendor"), "0x1234", EACCES, TRUE},
	/* writable in the kernel, but not simulated: refused, loudly */
	{"config-space-not-simulated", DEV(NIC, "config"), "x", EACCES, TRUE},
	{"link", DEV(NIC, "driver"), NIC, ELOOP, TRUE},
	{"directory", "bus/pci/devices/" NIC, NIC, EISDIR, TRUE},
	{"missing-attribute", DEV(NIC, "remove"), "1", ENOENT, TRUE},
	{"driver-not-loaded", DRV("nouveau", "bind"), GPU, ENOENT, TRUE},
	/* an unbound device has no driver link to unbind through */
	{"unbind-link-of-unbound", DEV(GPU, "driver/unbind"), GPU, ENOENT, TRUE},
	{"new-id", DRV("vfio-pci", "new_id"), "8086 10d3", EINVAL, FALSE},
	{"remove-id", DRV("e1000e", "remove_id"), "8086 10d3", EINVAL, FALSE},
};

static void
test_refused(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *message = refused_cases[i].at_open
					    ? open_message(fx, refused_cases[i].relpath, refused_cases[i].errnum)
					    : write_message(fx, refused_cases[i].relpath, refused_cases[i].value,
							    refused_cases[i].errnum);

	write_fails(fx, refused_cases[i].relpath, refused_cases[i].value, refused_cases[i].errnum, message);
}

/* ---- fault injection ----------------------------------------------------- */

static void
test_fault_nth_write(Fixture *fx, gconstpointer data)
{
	static const char *const writes[] = {
		DEV(NIC, "driver_override") "=vfio-pci",
		DEV(NIC, "driver_override") "=\\n",
		DEV(NIC, "driver_override") "=\\n",
		NULL,
	};

	mock_sysfs_fail_write(fx->ms, "/driver_override", 2, EIO);
	write_ok(fx, DEV(NIC, "driver_override"), "vfio-pci");
	store_fails(fx, DEV(NIC, "driver_override"), "\n", EIO);
	assert_override(fx, NIC, "vfio-pci");
	/* one write fails, not every later one */
	write_ok(fx, DEV(NIC, "driver_override"), "\n");
	assert_override(fx, NIC, "(null)");
	assert_writes(fx, writes);
}

/* a store() that would succeed fails instead, and changes nothing */
static void
test_fault_in_sequence(Fixture *fx, gconstpointer data)
{
	mock_sysfs_fail_write(fx->ms, "drivers_probe", 1, EBUSY);
	mock_sysfs_fail_write(fx->ms, "unbind", 1, EIO);
	write_ok(fx, DEV(NIC, "driver_override"), "vfio-pci");
	store_fails(fx, DEV(NIC, "driver/unbind"), NIC, EIO);
	assert_driver(fx, NIC, "e1000e");
	write_ok(fx, DEV(NIC, "driver/unbind"), NIC);
	store_fails(fx, DRIVERS_PROBE, NIC, EBUSY);
	assert_driver(fx, NIC, NULL);
	g_assert_false(has_vfio_node(fx, "1"));
	write_ok(fx, DRIVERS_PROBE, NIC);
	assert_driver(fx, NIC, "vfio-pci");
}

/* ---- a sequence and its inverse leave the host as it was ----------------- */

typedef struct {
	const char *relpath;
	const char *value;
} Step;

static const struct {
	const char *name;
	Step forward[4];
	Step inverse[4];
} inverse_cases[] = {
	{"libvirt-nic",
	 {{DEV(NIC, "driver_override"), "vfio-pci"}, {DEV(NIC, "driver/unbind"), NIC}, {DRIVERS_PROBE, NIC}},
	 {{DEV(NIC, "driver_override"), "\n"}, {DEV(NIC, "driver/unbind"), NIC}, {DRIVERS_PROBE, NIC}}},
	{"unbound-gpu",
	 {{DEV(GPU, "driver_override"), "vfio-pci"}, {DRIVERS_PROBE, GPU}},
	 {{DEV(GPU, "driver_override"), "\n"}, {DRV("vfio-pci", "unbind"), GPU}}},
	{"explicit-bind",
	 {{DRV("e1000e", "unbind"), NIC},
	  {DEV(NIC, "driver_override"), "vfio-pci\n"},
	  {DRV("vfio-pci", "bind"), NIC}},
	 {{DRV("vfio-pci", "unbind"), NIC}, {DEV(NIC, "driver_override"), "\n"}, {DRV("e1000e", "bind"), NIC}}},
	{"whole-group",
	 {{DEV(GPU, "driver_override"), "vfio-pci"},
	  {DEV(AUDIO, "driver_override"), "vfio-pci"},
	  {DEV(AUDIO, "driver/unbind"), AUDIO},
	  {DRIVERS_PROBE, AUDIO}},
	 {{DEV(AUDIO, "driver_override"), "\n"}, {DEV(AUDIO, "driver/unbind"), AUDIO}, {DRIVERS_PROBE, AUDIO},
	  {DEV(GPU, "driver_override"), "\n"}}},
};

static void
run_steps(Fixture *fx, const Step *steps, guint n)
{
	for (guint i = 0; i < n && steps[i].relpath != NULL; i++)
		write_ok(fx, steps[i].relpath, steps[i].value);
}

static void
test_inverse(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *changed = NULL;
	g_autofree gchar *after = NULL;

	run_steps(fx, inverse_cases[i].forward, G_N_ELEMENTS(inverse_cases[i].forward));
	changed = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(changed, !=, before);
	run_steps(fx, inverse_cases[i].inverse, G_N_ELEMENTS(inverse_cases[i].inverse));
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* ---- modules ------------------------------------------------------------- */

static void
load_ok(Fixture *fx, const char *module)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(fx->ctx->load_module(module, fx->ctx->load_module_data, &error));
	g_assert_no_error(error);
}

static void
load_fails(Fixture *fx, const char *module, HdError code, const char *message)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;

	g_assert_false(fx->ctx->load_module(module, fx->ctx->load_module_data, &error));
	g_assert_error(error, HD_ERROR, (gint)code);
	g_assert_cmpstr(error->message, ==, message);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* a driver that registers probes every device still without a driver,
 * driver_override included, and leaves bound devices alone */
static void
test_module_load(Fixture *fx, gconstpointer data)
{
	static const guint32 igb_ids[] = {MOCK_PCI_ID(0x8086, 0x1533), 0};
	g_autofree gchar *loaded = NULL;
	g_autofree gchar *again = NULL;

	mock_sysfs_add_module(fx->ms, "igb", igb_ids);
	mock_sysfs_add_device(fx->ms, "0000:05:00.0", 0x8086, 0x1533, 0x020000, "6", NULL);
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "bus/pci/drivers/igb"));
	load_ok(fx, "nouveau");
	g_assert_true(hd_sysfs_exists(fx->ctx->sysfs, DRV("nouveau", "bind")));
	assert_driver(fx, GPU, "nouveau");
	assert_driver(fx, "0000:05:00.0", NULL);

	/* the override decides, even for a device igb's IDs match */
	write_ok(fx, DEV("0000:05:00.0", "driver_override"), "vfio-pci");
	write_ok(fx, DEV(NIC, "driver_override"), "igb");
	load_ok(fx, "igb");
	assert_driver(fx, "0000:05:00.0", NULL);
	assert_driver(fx, NIC, "e1000e");
	write_ok(fx, DEV(NIC, "driver/unbind"), NIC);
	assert_driver(fx, NIC, NULL);
	write_ok(fx, DRIVERS_PROBE, NIC);
	assert_driver(fx, NIC, "igb");

	/* modprobe of a loaded module, spelt either way, changes nothing */
	loaded = mock_sysfs_snapshot(fx->ms);
	load_ok(fx, "vfio_pci");
	load_ok(fx, "igb");
	again = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(again, ==, loaded);
}

static void
test_module_load_binds_override(void)
{
	g_autoptr(MockSysfs) ms = mock_sysfs_new();
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(GError) error = NULL;

	mock_sysfs_add_driver(ms, "e1000e", e1000e_ids);
	mock_sysfs_add_module(ms, "vfio-pci", NULL);
	mock_sysfs_add_device(ms, NIC, 0x8086, 0x10d3, 0x020000, "1", "e1000e");
	mock_sysfs_add_device(ms, GPU, 0x10de, 0x1b80, 0x030000, "3", NULL);
	ctx = context_for(ms);
	g_assert_true(hd_sysfs_write(ctx->sysfs, DEV(GPU, "driver_override"), "vfio-pci", &error));
	g_assert_true(hd_sysfs_write(ctx->sysfs, DEV(NIC, "driver_override"), "vfio-pci", &error));
	g_assert_no_error(error);
	g_assert_false(hd_sysfs_exists(ctx->sysfs, "bus/pci/drivers/vfio-pci"));
	g_assert_false(hd_sysfs_exists(ctx->sysfs, "dev/vfio/3"));

	g_assert_true(ctx->load_module("vfio-pci", ctx->load_module_data, &error));
	g_assert_no_error(error);
	g_assert_true(hd_sysfs_exists(ctx->sysfs, "bus/pci/drivers/vfio-pci/unbind"));
	assert_bound(ms, GPU, "vfio-pci");
	g_assert_true(hd_sysfs_exists(ctx->sysfs, "dev/vfio/3"));
	/* a bound device is not offered to a new driver */
	assert_bound(ms, NIC, "e1000e");
}

static void
test_module_errors(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *blocked = g_strdup_printf("module nouveau: %s", g_strerror(EPERM));

	load_fails(fx, "no-such-module", HD_ERROR_NOT_FOUND, "module no-such-module: not found for this kernel");
	mock_sysfs_fail_module(fx->ms, "nouveau", EPERM);
	load_fails(fx, "nouveau", HD_ERROR_PERMISSION_DENIED, blocked);
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "bus/pci/drivers/nouveau"));
	assert_driver(fx, GPU, NULL);
}

/* ---- /dev/vfio ----------------------------------------------------------- */

/* the group's node comes with its first vfio device and goes with its last */
static void
test_vfio_group_lifetime(Fixture *fx, gconstpointer data)
{
	static const struct {
		const char *relpath;
		const char *value;
		gboolean node;
	} steps[] = {
		{DEV(GPU, "driver_override"), "vfio-pci", FALSE},
		{DRIVERS_PROBE, GPU, TRUE},
		{DEV(AUDIO, "driver_override"), "vfio-pci", TRUE},
		{DEV(AUDIO, "driver/unbind"), AUDIO, TRUE},
		{DRIVERS_PROBE, AUDIO, TRUE},
		{DRV("vfio-pci", "unbind"), GPU, TRUE},
		{DEV(AUDIO, "driver/unbind"), AUDIO, FALSE},
		{DRV("vfio-pci", "bind"), AUDIO, TRUE},
		{DEV(AUDIO, "driver/unbind"), AUDIO, FALSE},
	};

	for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
		write_ok(fx, steps[i].relpath, steps[i].value);
		g_assert_cmpint(has_vfio_node(fx, "3"), ==, steps[i].node);
	}
	/* another group's node was never involved */
	g_assert_false(has_vfio_node(fx, "1"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	TEST_ADD("/mock-sysfs/tree/files", test_tree_files);
	TEST_ADD("/mock-sysfs/tree/links", test_tree_links);
	TEST_ADD("/mock-sysfs/tree/config", test_tree_config);
	TEST_ADD("/mock-sysfs/tree/listings", test_tree_listings);
	TEST_ADD("/mock-sysfs/tree/engine-reads", test_tree_engine_reads);
	TEST_ADD("/mock-sysfs/tree/guard", test_tree_guard);
	TEST_ADD("/mock-sysfs/tree/snapshot", test_tree_snapshot);
	g_test_add_func("/mock-sysfs/tree/cleanup", test_tree_cleanup);
	TEST_ADD_CASES("/mock-sysfs/override", override_cases, test_override);
	TEST_ADD("/mock-sysfs/libvirt/detach", test_libvirt_detach);
	TEST_ADD("/mock-sysfs/libvirt/reattach", test_libvirt_reattach);
	TEST_ADD_CASES("/mock-sysfs/probe", probe_cases, test_probe);
	TEST_ADD("/mock-sysfs/probe/unknown-device", test_probe_unknown_device);
	g_test_add_func("/mock-sysfs/probe/registration-order", test_probe_registration_order);
	g_test_add_func("/mock-sysfs/probe/refusal-tries-next", test_probe_refusal_tries_next);
	g_test_add_func("/mock-sysfs/probe/vfio-needs-group", test_probe_vfio_needs_group);
	TEST_ADD_CASES("/mock-sysfs/bind", bind_cases, test_bind);
	TEST_ADD_CASES("/mock-sysfs/refused", refused_cases, test_refused);
	TEST_ADD("/mock-sysfs/fault/nth-write", test_fault_nth_write);
	TEST_ADD("/mock-sysfs/fault/in-sequence", test_fault_in_sequence);
	TEST_ADD_CASES("/mock-sysfs/inverse", inverse_cases, test_inverse);
	TEST_ADD("/mock-sysfs/module/load", test_module_load);
	g_test_add_func("/mock-sysfs/module/load-binds-override", test_module_load_binds_override);
	TEST_ADD("/mock-sysfs/module/errors", test_module_errors);
	TEST_ADD("/mock-sysfs/vfio/group-lifetime", test_vfio_group_lifetime);
	return g_test_run();
}
