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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

#define TEST_ADD_WITH(path, setup, func) g_test_add(path, Fixture, NULL, setup, func, fixture_teardown)
#define TEST_ADD(path, func)		 TEST_ADD_WITH(path, fixture_setup, func)
#define TEST_ADD_CASES_WITH(prefix, cases, setup, func)                                      \
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {                                     \
		g_autofree gchar *path = g_strdup_printf("%s/%s", prefix, cases[i].name);     \
		g_test_add(path, Fixture, GUINT_TO_POINTER(i), setup, func, fixture_teardown); \
	}
#define TEST_ADD_CASES(prefix, cases, func) TEST_ADD_CASES_WITH(prefix, cases, fixture_setup, func)

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

/* ---- the tests' fault injection: HOSTDEV_HOOK_FAULT ------------------------ */

#define KNOB "HOSTDEV_HOOK_FAULT"

static void
fault_knob_set(const char *spec)
{
	if (spec != NULL)
		g_setenv(KNOB, spec, TRUE);
	else
		g_unsetenv(KNOB);
	hd_fault_reset();
}

/* libvirt's three writes that move NIC to vfio-pci: mutation points 1 to 3 */
static void
nic_to_vfio(Fixture *fx)
{
	write_ok(fx, DEV(NIC, "driver_override"), "vfio-pci");
	write_ok(fx, DEV(NIC, "driver/unbind"), NIC);
	write_ok(fx, DRIVERS_PROBE, NIC);
}

/*
 * Runs @func in a child process with HOSTDEV_HOOK_FAULT=@spec and its own
 * count from 0, as the hook runs.  The simulated tree is on disk, so what
 * the child did before it died is read here through the engine's readers
 * (the mock's memory is the parent's).  Returns the wait status; @err gets
 * what the child wrote on stderr.
 */
static int
run_child(Fixture *fx, const char *spec, void (*func)(Fixture *fx), gchar **err)
{
	g_autoptr(GString) text = g_string_new(NULL);
	int fds[2];
	int status = 0;
	char buf[256];
	ssize_t n;
	pid_t pid;

	g_assert_cmpint(pipe(fds), ==, 0);
	/* what is buffered here must not come out twice */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		fault_knob_set(spec);
		func(fx);
		exit(EXIT_SUCCESS);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		g_string_append_len(text, buf, n);
	close(fds[0]);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	*err = g_string_free(g_steal_pointer(&text), FALSE);
	return status;
}

static gchar *
point_named(Fixture *fx, const char *value, const char *relpath)
{
	return g_strdup_printf("write '%s' to %s/%s", value, mock_sysfs_get_root(fx->ms), relpath);
}

/* fail:N: the Nth write fails as the kernel's EIO would, naming the point,
 * and never reaches the kernel; the ones after it are made */
static void
test_fault_knob_fail(Fixture *fx, gconstpointer data)
{
	static const char *const writes[] = {
		DEV(NIC, "driver_override") "=vfio-pci",
		DEV(NIC, "driver/unbind") "=" NIC,
		NULL,
	};
	g_autofree gchar *what = point_named(fx, NIC, DEV(NIC, "driver/unbind"));
	g_autofree gchar *message = g_strdup_printf("fault injected at mutation 2: %s: %s", what, g_strerror(EIO));

	fault_knob_set("fail:2");
	g_assert_true(hd_fault_injection_active());
	write_ok(fx, DEV(NIC, "driver_override"), "vfio-pci");
	write_fails(fx, DEV(NIC, "driver/unbind"), NIC, EIO, message);
	assert_driver(fx, NIC, "e1000e");
	write_ok(fx, DEV(NIC, "driver/unbind"), NIC);
	assert_driver(fx, NIC, NULL);
	assert_writes(fx, writes);
	fault_knob_set("");
	g_assert_false(hd_fault_injection_active());
	fault_knob_set(NULL);
	g_assert_false(hd_fault_injection_active());
}

static const struct {
	const char *name;
	const char *spec;
	const char *driver; /* NIC's, when the process died */
} kill_cases[] = {
	{"before", "kill:2", "e1000e"},
	{"after", "kill-after:2", NULL},
};

/* kill:N dies just before the Nth write, kill-after:N just after it, and
 * says so on stderr first */
static void
test_fault_knob_kill(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *err = NULL;
	g_autofree gchar *what = point_named(fx, NIC, DEV(NIC, "driver/unbind"));
	g_autofree gchar *said = g_strdup_printf("hostdev-hook: fault injection: SIGKILL %s mutation 2: %s\n",
						 kill_cases[i].name, what);
	g_autofree gchar *driver = NULL;
	int status = run_child(fx, kill_cases[i].spec, nic_to_vfio, &err);

	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);
	g_assert_cmpstr(err, ==, said);
	assert_override(fx, NIC, "vfio-pci");
	driver = driver_of(fx, NIC);
	g_assert_cmpstr(driver, ==, kill_cases[i].driver);
}

/* count: nothing fails, and at exit stderr says how many points passed */
static void
test_fault_knob_count(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *err = NULL;
	int status = run_child(fx, "count", nic_to_vfio, &err);

	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, EXIT_SUCCESS);
	g_assert_cmpstr(err, ==, "hostdev-hook: fault injection: 3 mutation points\n");
	assert_override(fx, NIC, "vfio-pci");
}

#define THREADS		  4
#define WRITES_PER_THREAD 250

static gboolean
discard_write(const char *relpath, const char *value, gpointer user_data, GError **error)
{
	return TRUE;
}

static gpointer
write_many(gpointer data)
{
	HdSysfs *sysfs = data;

	for (guint i = 0; i < WRITES_PER_THREAD; i++)
		g_assert_true(hd_sysfs_write(sysfs, DEV(NIC, "driver_override"), "vfio-pci", NULL));
	return NULL;
}

/* the engine's threads share the counter: none is lost */
static void
writes_from_threads(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdSysfs) sysfs = hd_sysfs_new(mock_sysfs_get_root(fx->ms), &error);
	GThread *threads[THREADS];

	g_assert_no_error(error);
	hd_sysfs_set_write_func(sysfs, discard_write, NULL);
	for (guint i = 0; i < THREADS; i++)
		threads[i] = g_thread_new("writer", write_many, sysfs);
	for (guint i = 0; i < THREADS; i++)
		g_thread_join(threads[i]);
}

static void
test_fault_knob_threads(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *err = NULL;
	g_autofree gchar *said =
		g_strdup_printf("hostdev-hook: fault injection: %u mutation points\n", THREADS * WRITES_PER_THREAD);
	int status = run_child(fx, "count", writes_from_threads, &err);

	g_assert_true(WIFEXITED(status));
	g_assert_cmpstr(err, ==, said);
}

/* a unit test's kernel reached through another HdSysfs (as the plugins'
 * crash fixtures layer it) makes its write part of the outer one */
static gboolean
write_through(const char *relpath, const char *value, gpointer user_data, GError **error)
{
	HdSysfs *inner = user_data;

	return hd_sysfs_write(inner, relpath, value, error);
}

static void
test_fault_knob_nested(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdSysfs) outer = hd_sysfs_new(mock_sysfs_get_root(fx->ms), &error);

	g_assert_no_error(error);
	hd_sysfs_set_write_func(outer, write_through, fx->ctx->sysfs);
	fault_knob_set("fail:2");
	g_assert_true(hd_sysfs_write(outer, DEV(NIC, "driver_override"), "vfio-pci", &error));
	g_assert_no_error(error);
	g_assert_false(hd_sysfs_write(outer, DEV(NIC, "driver/unbind"), NIC, &error));
	g_assert_error(error, HD_ERROR, (gint)hd_error_from_errno(EIO));
	g_assert_nonnull(strstr(error->message, "fault injected at mutation 2: "));
	fault_knob_set(NULL);
	assert_driver(fx, NIC, "e1000e");
}

static const char *const invalid_specs[] = {"kill", "kill:", "kill:0", "kill:x", "fail:-1", "kill-after:2x",
					    "crash:1", "Count"};

/* anything else fails the first write, naming the value: a misspelt knob
 * must not pass for a clean run */
static void
test_fault_knob_invalid(Fixture *fx, gconstpointer data)
{
	static const char *const no_writes[] = {NULL};

	for (guint i = 0; i < G_N_ELEMENTS(invalid_specs); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *what = point_named(fx, "vfio-pci", DEV(NIC, "driver_override"));
		g_autofree gchar *message =
			g_strdup_printf("fault injection: HOSTDEV_HOOK_FAULT='%s' is not fail:N, kill:N, kill-after:N or "
					"count, so mutation 1 (%s) was not made; fix or unset it",
					invalid_specs[i], what);

		fault_knob_set(invalid_specs[i]);
		g_assert_true(hd_fault_injection_active());
		g_assert_false(hd_sysfs_write(fx->ctx->sysfs, DEV(NIC, "driver_override"), "vfio-pci", &error));
		g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
		g_assert_cmpstr(error->message, ==, message);
	}
	fault_knob_set(NULL);
	assert_writes(fx, no_writes);
	assert_override(fx, NIC, "(null)");
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

/* ---- reading what the kernel shows --------------------------------------- */

/* a file exactly as it is, last newline and all */
static gchar *
read_file(Fixture *fx, const char *relpath)
{
	g_autofree gchar *path = hd_sysfs_path(fx->ctx->sysfs, relpath);
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;

	g_file_get_contents(path, &contents, NULL, &error);
	g_assert_no_error(error);
	return contents;
}

static void
assert_file(Fixture *fx, const char *relpath, const char *expected)
{
	g_autofree gchar *contents = read_file(fx, relpath);

	g_assert_cmpstr(contents, ==, expected);
}

static void
assert_link(Fixture *fx, const char *relpath, const char *expected)
{
	g_autofree gchar *path = hd_sysfs_path(fx->ctx->sysfs, relpath);
	g_autofree gchar *target = g_file_read_link(path, NULL);

	g_assert_cmpstr(target, ==, expected);
}

static void
assert_listing(Fixture *fx, const char *relpath, const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) names = hd_sysfs_list(fx->ctx->sysfs, relpath, &error);
	g_autofree gchar *joined = NULL;

	g_assert_no_error(error);
	g_ptr_array_add(names, NULL);
	joined = g_strjoinv(" ", (gchar **)names->pdata);
	g_assert_cmpstr(joined, ==, expected);
}

/* in a list as vfs_of() gives it */
static guint
count_items(const char *list)
{
	guint n = 1;

	if (g_str_equal(list, "-"))
		return 0;
	for (const char *p = strchr(list, ','); p != NULL; p = strchr(p + 1, ','))
		n++;
	return n;
}

static guint
count_lines(const char *text)
{
	guint n = 0;

	for (const char *p = strchr(text, '\n'); p != NULL; p = strchr(p + 1, '\n'))
		n++;
	return n;
}

/* ---- SR-IOV -------------------------------------------------------------- */

/* an 82599 port: its VFs start 0x80 routing IDs after it, two apart, so
 * they are 05:10.0, 05:10.2, ... up to 05:1f.4 for the 63rd */
#define PF    "0000:05:00.0"
#define VF0   "0000:05:10.0"
#define VF1   "0000:05:10.2"
#define VF2   "0000:05:10.4"
#define NUMVFS	  DEV(PF, "sriov_numvfs")
#define AUTOPROBE DEV(PF, "sriov_drivers_autoprobe")

static const guint32 ixgbe_ids[] = {MOCK_PCI_ID(0x8086, 0x10fb), 0};
static const guint32 ixgbevf_ids[] = {MOCK_PCI_ID(0x8086, 0x10ed), 0};

/* the port bound to ixgbe in IOMMU group 10, no VFs yet, and an NVMe disk
 * that is not a PF */
static void
sriov_setup(Fixture *fx, gconstpointer data)
{
	fx->ms = mock_sysfs_new();
	mock_sysfs_add_driver(fx->ms, "ixgbe", ixgbe_ids);
	mock_sysfs_add_driver(fx->ms, "ixgbevf", ixgbevf_ids);
	mock_sysfs_add_driver(fx->ms, "nvme", nvme_ids);
	mock_sysfs_add_driver(fx->ms, "vfio-pci", NULL);
	mock_sysfs_add_device(fx->ms, PF, 0x8086, 0x10fb, 0x020000, "10", "ixgbe");
	mock_sysfs_add_device(fx->ms, NVME, 0x144d, 0xa808, 0x010802, "2", "nvme");
	mock_sysfs_set_subsystem(fx->ms, PF, 0x8086, 0x000c);
	mock_sysfs_add_sriov_pf(fx->ms, PF, 63, 0x80, 2, 0x10ed);
	fx->ctx = context_for(fx->ms);
}

/* the PF's VFs as its virtfn<i> links show them, "-" for none */
static gchar *
vfs_of(Fixture *fx, const char *pf)
{
	g_autoptr(GPtrArray) vfs = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *joined = NULL;

	for (guint i = 0;; i++) {
		g_autofree gchar *name = g_strdup_printf("virtfn%u", i);
		g_autofree gchar *link = hd_function_attr_path(pf, name);
		g_autoptr(GError) error = NULL;
		gchar *vf = hd_sysfs_read_link_name(fx->ctx->sysfs, link, &error);

		if (vf == NULL)
			break;
		g_ptr_array_add(vfs, vf);
	}
	g_ptr_array_add(vfs, NULL);
	joined = g_strjoinv(",", (gchar **)vfs->pdata);
	return *joined != '\0' ? g_steal_pointer(&joined) : g_strdup("-");
}

static void
assert_vfs(Fixture *fx, const char *pf, const char *expected)
{
	g_autofree gchar *vfs = vfs_of(fx, pf);

	g_assert_cmpstr(vfs, ==, expected);
}

/* a PF's files as iov.c prints them; a device that is not a PF has none,
 * and only sriov_numvfs and sriov_drivers_autoprobe can be written */
static void
test_sriov_files(Fixture *fx, gconstpointer data)
{
	static const struct {
		const char *relpath;
		const char *contents;
	} files[] = {
		{DEV(PF, "sriov_totalvfs"), "63\n"},
		{NUMVFS, "0\n"},
		{DEV(PF, "sriov_offset"), "128\n"},
		{DEV(PF, "sriov_stride"), "2\n"},
		{DEV(PF, "sriov_vf_device"), "10ed\n"},
		{AUTOPROBE, "1\n"},
		{DEV(PF, "subsystem_vendor"), "0x8086\n"},
		{DEV(PF, "subsystem_device"), "0x000c\n"},
	};
	static const char *const read_only[] = {"sriov_totalvfs", "sriov_offset", "sriov_stride", "sriov_vf_device"};

	for (guint i = 0; i < G_N_ELEMENTS(files); i++)
		assert_file(fx, files[i].relpath, files[i].contents);
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, DEV(NVME, "sriov_numvfs")));
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, DEV(NVME, "sriov_drivers_autoprobe")));
	assert_vfs(fx, PF, "-");
	for (guint i = 0; i < G_N_ELEMENTS(read_only); i++) {
		g_autofree gchar *relpath = hd_function_attr_path(PF, read_only[i]);
		g_autofree gchar *message = open_message(fx, relpath, EACCES);

		write_fails(fx, relpath, "8", EACCES, message);
	}
}

/* each VF a device of its own: the PF's vendor, class and subsystem, the
 * VF device ID, a new IOMMU group, links both ways, and probed as it
 * comes, so ixgbevf takes it */
static void
test_sriov_enable(Fixture *fx, gconstpointer data)
{
	static const struct {
		const char *relpath;
		const char *contents;
	} files[] = {
		{NUMVFS, "2\n"},
		{DEV(VF0, "vendor"), "0x8086\n"},
		{DEV(VF0, "device"), "0x10ed\n"},
		{DEV(VF0, "class"), "0x020000\n"},
		{DEV(VF0, "subsystem_device"), "0x000c\n"},
		{DEV(VF1, "driver_override"), "(null)\n"},
	};
	static const struct {
		const char *relpath;
		const char *target;
	} links[] = {
		{DEV(PF, "virtfn0"), "../" VF0},
		{DEV(PF, "virtfn1"), "../" VF1},
		{DEV(VF0, "physfn"), "../" PF},
		{DEV(VF1, "physfn"), "../" PF},
		{DEV(VF0, "iommu_group"), "../../../../kernel/iommu_groups/0"},
		{DEV(VF1, "iommu_group"), "../../../../kernel/iommu_groups/1"},
		{DEV(VF0, "driver"), "../../drivers/ixgbevf"},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDeviceInfo) info = NULL;
	HdAddress addr;

	write_ok(fx, NUMVFS, "2");
	for (guint i = 0; i < G_N_ELEMENTS(files); i++)
		assert_file(fx, files[i].relpath, files[i].contents);
	for (guint i = 0; i < G_N_ELEMENTS(links); i++)
		assert_link(fx, links[i].relpath, links[i].target);
	assert_vfs(fx, PF, VF0 "," VF1);
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, DEV(VF2, "vendor")));
	assert_listing(fx, "kernel/iommu_groups/1/devices", VF1);
	assert_listing(fx, "bus/pci/devices", NVME " " PF " " VF0 " " VF1);
	assert_driver(fx, VF1, "ixgbevf");
	assert_driver(fx, PF, "ixgbe");

	/* the way the engine reads a device */
	g_assert_true(hd_address_parse_bdf(VF1, &addr, &error));
	info = hd_device_info_read(fx->ctx, &addr, &error);
	g_assert_no_error(error);
	g_assert_cmphex(info->identity.vendor_id, ==, 0x8086);
	g_assert_cmphex(info->identity.device_id, ==, 0x10ed);
	g_assert_cmpstr(info->driver, ==, "ixgbevf");
	g_assert_cmpstr(info->iommu_group, ==, "1");
}

static const struct {
	const char *name;
	const char *initial; /* written first; NULL: nothing */
	gboolean unbind;     /* the PF from ixgbe, first */
	gboolean no_configure;
	const char *value;
	int errnum;
	const char *vfs; /* the PF's VFs afterwards */
} numvfs_cases[] = {
	{"enable", NULL, FALSE, FALSE, "3", 0, VF0 "," VF1 "," VF2},
	{"newline", NULL, FALSE, FALSE, "1\n", 0, VF0},
	{"plus-sign", NULL, FALSE, FALSE, "+1", 0, VF0},
	{"hex", NULL, FALSE, FALSE, "0x2", 0, VF0 "," VF1},
	/* kstrtou16() with base 0: a leading 0 is octal */
	{"octal", NULL, FALSE, FALSE, "02", 0, VF0 "," VF1},
	{"not-octal", NULL, FALSE, FALSE, "08", EINVAL, "-"},
	{"prefix-alone", NULL, FALSE, FALSE, "0x", EINVAL, "-"},
	{"leading-space", NULL, FALSE, FALSE, " 1", EINVAL, "-"},
	{"two-newlines", NULL, FALSE, FALSE, "1\n\n", EINVAL, "-"},
	{"word", NULL, FALSE, FALSE, "two", EINVAL, "-"},
	{"negative", NULL, FALSE, FALSE, "-1", EINVAL, "-"},
	{"beyond-16-bits", NULL, FALSE, FALSE, "65536", EINVAL, "-"},
	{"over-total", NULL, FALSE, FALSE, "64", ERANGE, "-"},
	{"same-count", "2", FALSE, FALSE, "2", 0, VF0 "," VF1},
	{"other-count", "2", FALSE, FALSE, "3", EBUSY, VF0 "," VF1},
	{"fewer", "2", FALSE, FALSE, "1", EBUSY, VF0 "," VF1},
	/* the range is checked before the count in place */
	{"over-total-while-enabled", "2", FALSE, FALSE, "64", ERANGE, VF0 "," VF1},
	{"disable", "2", FALSE, FALSE, "0", 0, "-"},
	{"disable-newline", "2", FALSE, FALSE, "0\n", 0, "-"},
	{"empty-write", "2", FALSE, FALSE, "", 0, VF0 "," VF1},
	{"no-driver", NULL, TRUE, FALSE, "2", ENOENT, "-"},
	/* the count in place is a success before the driver is looked at */
	{"no-driver-same-count", NULL, TRUE, FALSE, "0", 0, "-"},
	{"no-sriov-configure", NULL, FALSE, TRUE, "2", ENOENT, "-"},
	{"no-sriov-configure-disable", "2", FALSE, TRUE, "0", ENOENT, VF0 "," VF1},
};

static void
test_sriov_numvfs(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *vfs = NULL;
	g_autofree gchar *shown = NULL;

	if (numvfs_cases[i].initial != NULL)
		write_ok(fx, NUMVFS, numvfs_cases[i].initial);
	if (numvfs_cases[i].unbind)
		write_ok(fx, DEV(PF, "driver/unbind"), PF);
	if (numvfs_cases[i].no_configure)
		mock_sysfs_set_sriov_configure(fx->ms, "ixgbe", FALSE);
	if (numvfs_cases[i].errnum != 0)
		store_fails(fx, NUMVFS, numvfs_cases[i].value, numvfs_cases[i].errnum);
	else
		write_ok(fx, NUMVFS, numvfs_cases[i].value);
	vfs = vfs_of(fx, PF);
	g_assert_cmpstr(vfs, ==, numvfs_cases[i].vfs);
	shown = g_strdup_printf("%u\n", count_items(vfs));
	assert_file(fx, NUMVFS, shown);
}

/* all 63: the last VF is 05:1f.4, and each has a group */
static void
test_sriov_all_vfs(Fixture *fx, gconstpointer data)
{
	write_ok(fx, NUMVFS, "63");
	assert_file(fx, NUMVFS, "63\n");
	assert_link(fx, DEV(PF, "virtfn62"), "../0000:05:1f.4");
	/* a new group takes the lowest free number, and 2 and 10 are taken */
	assert_link(fx, DEV("0000:05:1f.4", "iommu_group"), "../../../../kernel/iommu_groups/64");
	assert_driver(fx, "0000:05:1f.4", "ixgbevf");
	write_ok(fx, NUMVFS, "0");
	assert_listing(fx, "kernel/iommu_groups", "10 2");
}

/* VFs going take everything they came with: links, directories, groups,
 * vfio nodes, driver links; the host is as it was.  The write may come
 * through a VF's physfn link, which leads to the PF's attribute. */
static void
test_sriov_disable(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;

	write_ok(fx, NUMVFS, "2");
	libvirt_rebind(fx, VF0, "vfio-pci");
	assert_driver(fx, VF0, "vfio-pci");
	g_assert_true(has_vfio_node(fx, "0"));
	write_ok(fx, DEV(VF1, "physfn/sriov_numvfs"), "0");
	assert_vfs(fx, PF, "-");
	assert_file(fx, NUMVFS, "0\n");
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "bus/pci/devices/" VF0));
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "bus/pci/devices/" VF1));
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "kernel/iommu_groups/0"));
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "kernel/iommu_groups/1"));
	g_assert_false(has_vfio_node(fx, "0"));
	assert_listing(fx, "bus/pci/drivers/ixgbevf", "bind new_id remove_id unbind");
	assert_listing(fx, "bus/pci/drivers/vfio-pci", "bind new_id remove_id unbind");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);

	/* and come back as new devices: no override, probed again */
	write_ok(fx, NUMVFS, "1");
	assert_override(fx, VF0, "(null)");
	assert_driver(fx, VF0, "ixgbevf");
}

static const struct {
	const char *name;
	const char *value;
	int errnum;
	const char *shown; /* afterwards */
} autoprobe_cases[] = {
	{"0", "0", 0, "0\n"},
	{"1", "1", 0, "1\n"},
	{"n", "n", 0, "0\n"},
	{"N-newline", "N\n", 0, "0\n"},
	{"no", "no", 0, "0\n"},
	{"y", "y", 0, "1\n"},
	{"yes", "yes", 0, "1\n"},
	{"off", "off", 0, "0\n"},
	{"OFF", "OFF", 0, "0\n"},
	{"on", "on", 0, "1\n"},
	{"false", "false", 0, "0\n"},
	{"t", "t", 0, "1\n"},
	/* kstrtobool() reads one character, two after an "o" */
	{"first-character-decides", "10", 0, "1\n"},
	{"of", "of", 0, "0\n"},
	{"o", "o", EINVAL, "1\n"},
	{"2", "2", EINVAL, "1\n"},
	{"x", "x", EINVAL, "1\n"},
	{"leading-space", " 0", EINVAL, "1\n"},
	{"newline", "\n", EINVAL, "1\n"},
};

/* written over the opposite value, so that a success shows */
static void
test_sriov_autoprobe_values(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);

	if (g_str_equal(autoprobe_cases[i].shown, "1\n") && autoprobe_cases[i].errnum == 0)
		write_ok(fx, AUTOPROBE, "0");
	if (autoprobe_cases[i].errnum != 0)
		store_fails(fx, AUTOPROBE, autoprobe_cases[i].value, autoprobe_cases[i].errnum);
	else
		write_ok(fx, AUTOPROBE, autoprobe_cases[i].value);
	assert_file(fx, AUTOPROBE, autoprobe_cases[i].shown);
}

/* with sriov_drivers_autoprobe 0, new VFs stay unbound, and every later
 * probe, through drivers_probe or bind, needs driver_override; the flag is
 * read at each probe, never retroactively */
static void
test_sriov_autoprobe_off(Fixture *fx, gconstpointer data)
{
	write_ok(fx, AUTOPROBE, "0");
	write_ok(fx, NUMVFS, "2");
	assert_driver(fx, VF0, NULL);
	assert_driver(fx, VF1, NULL);
	write_ok(fx, DRIVERS_PROBE, VF0);
	assert_driver(fx, VF0, NULL);
	store_fails(fx, DRV("ixgbevf", "bind"), VF0, ENODEV);
	write_ok(fx, DEV(VF0, "driver_override"), "vfio-pci");
	write_ok(fx, DRIVERS_PROBE, VF0);
	assert_driver(fx, VF0, "vfio-pci");
	write_ok(fx, DEV(VF1, "driver_override"), "ixgbevf");
	write_ok(fx, DRV("ixgbevf", "bind"), VF1);
	assert_driver(fx, VF1, "ixgbevf");
	write_ok(fx, DEV(VF1, "driver/unbind"), VF1);
	write_ok(fx, DEV(VF1, "driver_override"), "\n");

	/* turning it back on binds nothing by itself; the next probe may */
	write_ok(fx, AUTOPROBE, "1");
	assert_driver(fx, VF1, NULL);
	write_ok(fx, DRIVERS_PROBE, VF1);
	assert_driver(fx, VF1, "ixgbevf");

	/* and turning it off leaves bound VFs bound */
	write_ok(fx, AUTOPROBE, "0");
	assert_driver(fx, VF1, "ixgbevf");
	assert_driver(fx, VF0, "vfio-pci");
}

/* VF i at the PF's routing ID + offset + i * stride, the bus included:
 * from 05:0e.0 (0x570), 0x80 on is 05:1e.0, and the ninth VF is on bus 06 */
static void
test_sriov_bus_crossing(void)
{
	static const char *const expected[] = {"0000:05:1e.0", "0000:05:1e.2", "0000:05:1e.4", "0000:05:1e.6",
					       "0000:05:1f.0", "0000:05:1f.2", "0000:05:1f.4", "0000:05:1f.6",
					       "0000:06:00.0", "0000:06:00.2"};
	Fixture fixture = {mock_sysfs_new(), NULL};
	Fixture *fx = &fixture;

	mock_sysfs_add_driver(fx->ms, "ixgbe", ixgbe_ids);
	mock_sysfs_add_device(fx->ms, "0000:05:0e.0", 0x8086, 0x10fb, 0x020000, "1", "ixgbe");
	mock_sysfs_add_sriov_pf(fx->ms, "0000:05:0e.0", 16, 0x80, 2, 0x10ed);
	fx->ctx = context_for(fx->ms);
	write_ok(fx, DEV("0000:05:0e.0", "sriov_numvfs"), "10");
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_autofree gchar *name = g_strdup_printf("virtfn%u", i);
		g_autofree gchar *virtfn = hd_function_attr_path("0000:05:0e.0", name);
		g_autofree gchar *target = g_strdup_printf("../%s", expected[i]);
		g_autofree gchar *physfn = hd_function_attr_path(expected[i], "physfn");

		assert_link(fx, virtfn, target);
		assert_link(fx, physfn, "../0000:05:0e.0");
	}
	fixture_teardown(fx, NULL);
}

/* the last VF's bus must exist: from ff:0e.0, eight VFs fit on bus ff,
 * a ninth would be on bus 100, and sriov_enable() refuses with ENOMEM */
static void
test_sriov_bus_out_of_range(void)
{
	Fixture fixture = {mock_sysfs_new(), NULL};
	Fixture *fx = &fixture;

	mock_sysfs_add_driver(fx->ms, "ixgbe", ixgbe_ids);
	mock_sysfs_add_device(fx->ms, "0000:ff:0e.0", 0x8086, 0x10fb, 0x020000, "1", "ixgbe");
	mock_sysfs_add_sriov_pf(fx->ms, "0000:ff:0e.0", 16, 0x80, 2, 0x10ed);
	fx->ctx = context_for(fx->ms);
	store_fails(fx, DEV("0000:ff:0e.0", "sriov_numvfs"), "9", ENOMEM);
	assert_vfs(fx, "0000:ff:0e.0", "-");
	write_ok(fx, DEV("0000:ff:0e.0", "sriov_numvfs"), "8");
	assert_link(fx, DEV("0000:ff:0e.0", "virtfn7"), "../0000:ff:1f.6");
	fixture_teardown(fx, NULL);
}

/* a PF without an IOMMU group has VFs without one, which vfio-pci refuses */
static void
test_sriov_no_group(void)
{
	Fixture fixture = {mock_sysfs_new(), NULL};
	Fixture *fx = &fixture;

	mock_sysfs_add_driver(fx->ms, "ixgbe", ixgbe_ids);
	mock_sysfs_add_driver(fx->ms, "vfio-pci", NULL);
	mock_sysfs_add_device(fx->ms, PF, 0x8086, 0x10fb, 0x020000, NULL, "ixgbe");
	mock_sysfs_add_sriov_pf(fx->ms, PF, 8, 0x80, 2, 0x10ed);
	fx->ctx = context_for(fx->ms);
	write_ok(fx, NUMVFS, "1");
	g_assert_true(hd_sysfs_exists(fx->ctx->sysfs, DEV(VF0, "physfn")));
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, DEV(VF0, "iommu_group")));
	assert_listing(fx, "kernel/iommu_groups", "");
	libvirt_rebind(fx, VF0, "vfio-pci");
	assert_driver(fx, VF0, NULL);
	fixture_teardown(fx, NULL);
}

/* the PF driver's remove() disables SR-IOV: unbinding the PF takes the VFs
 * away, bound or not, and binding it again brings none back */
static void
test_sriov_pf_unbind(Fixture *fx, gconstpointer data)
{
	write_ok(fx, NUMVFS, "2");
	libvirt_rebind(fx, VF1, "vfio-pci");
	g_assert_true(has_vfio_node(fx, "1"));
	write_ok(fx, DEV(PF, "driver/unbind"), PF);
	assert_vfs(fx, PF, "-");
	assert_file(fx, NUMVFS, "0\n");
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "bus/pci/devices/" VF1));
	g_assert_false(has_vfio_node(fx, "1"));
	write_ok(fx, DRV("ixgbe", "bind"), PF);
	assert_vfs(fx, PF, "-");
}

/* fault injection works on sriov_numvfs as on any attribute */
static void
test_sriov_fault(Fixture *fx, gconstpointer data)
{
	mock_sysfs_fail_write(fx->ms, "/sriov_numvfs", 1, EIO);
	store_fails(fx, NUMVFS, "2", EIO);
	assert_vfs(fx, PF, "-");
	write_ok(fx, NUMVFS, "2");
	assert_vfs(fx, PF, VF0 "," VF1);
}

/* pciback marks what it holds assigned, and ixgbe will not disable SR-IOV
 * under an assigned VF; released first, the VF goes */
static void
test_sriov_assigned_vf(Fixture *fx, gconstpointer data)
{
	mock_sysfs_add_driver(fx->ms, "pciback", NULL);
	mock_sysfs_set_sriov_assigned_error(fx->ms, "ixgbe", EPERM);
	write_ok(fx, AUTOPROBE, "0");
	write_ok(fx, NUMVFS, "1");
	libvirt_rebind(fx, VF0, "pciback");
	assert_driver(fx, VF0, "pciback");
	store_fails(fx, NUMVFS, "0", EPERM);
	write_ok(fx, DRV("pciback", "unbind"), VF0);
	write_ok(fx, NUMVFS, "0");
	assert_vfs(fx, PF, "-");
}

static void
test_sriov_snapshot(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *snapshot = NULL;

	write_ok(fx, AUTOPROBE, "0");
	write_ok(fx, NUMVFS, "2");
	libvirt_rebind(fx, VF1, "vfio-pci");
	snapshot = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(snapshot, ==,
			NVME " driver=nvme override=(null)\n"
			PF " driver=ixgbe override=(null) numvfs=2 autoprobe=0\n"
			VF0 " driver=- override=(null)\n"
			VF1 " driver=vfio-pci override=vfio-pci\n"
			"driver ixgbe bound=" PF "\n"
			"driver ixgbevf bound=-\n"
			"driver nvme bound=" NVME "\n"
			"driver vfio-pci bound=" VF1 "\n"
			"vfio 1\n");
}

/* provisioning and its inverse leave the host as it was */
static void
test_sriov_inverse(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *changed = NULL;
	g_autofree gchar *after = NULL;

	write_ok(fx, AUTOPROBE, "0");
	changed = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(changed, !=, before);
	write_ok(fx, NUMVFS, "3");
	libvirt_rebind(fx, VF2, "vfio-pci");
	libvirt_rebind(fx, VF2, "\n");
	write_ok(fx, NUMVFS, "0");
	write_ok(fx, AUTOPROBE, "1");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* ---- xen-pciback --------------------------------------------------------- */

/* a second NIC, the same model as the first */
#define NIC2 "0000:04:00.0"

#define PCIBACK(attr) DRV("pciback", attr)
#define NEW_SLOT      PCIBACK("new_slot")
#define REMOVE_SLOT   PCIBACK("remove_slot")
#define SLOTS	      PCIBACK("slots")
#define PERMISSIVE    PCIBACK("permissive")
#define QUIRKS	      PCIBACK("quirks")

/* the emulated header pciback lists in quirks for every device it holds */
#define HEADER_COMMON                                                                               \
	"\t\t00000000:2:00000000\n\t\t00000002:2:00000000\n\t\t00000004:2:00000000\n"               \
	"\t\t0000003c:1:00000000\n\t\t0000003d:1:00000000\n\t\t0000000c:1:00000000\n"               \
	"\t\t0000000d:1:00000000\n\t\t0000000f:1:00000000\n"
#define HEADER_0                                                                                    \
	HEADER_COMMON "\t\t00000010:4:00000000\n\t\t00000014:4:00000000\n\t\t00000018:4:00000000\n" \
		      "\t\t0000001c:4:00000000\n\t\t00000020:4:00000000\n\t\t00000024:4:00000000\n" \
		      "\t\t00000030:4:00000000\n"
#define HEADER_1 HEADER_COMMON "\t\t00000010:4:00000000\n\t\t00000014:4:00000000\n\t\t00000038:4:00000000\n"

/*
 * A Xen dom0 with pciback built in, so registered before every other
 * driver (it is at fs_initcall): the root port, two identical NICs on
 * e1000e, and the GPU without a driver.
 */
static void
xen_setup(Fixture *fx, gconstpointer data)
{
	fx->ms = mock_sysfs_new();
	mock_sysfs_add_driver(fx->ms, "pciback", NULL);
	mock_sysfs_add_driver(fx->ms, "pcieport", pcieport_ids);
	mock_sysfs_add_driver(fx->ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(fx->ms, "vfio-pci", NULL);
	mock_sysfs_add_device(fx->ms, BRIDGE, 0x8086, 0xa110, MOCK_PCI_CLASS_BRIDGE, "5", "pcieport");
	mock_sysfs_add_device(fx->ms, NIC, 0x8086, 0x10d3, 0x020000, "1", "e1000e");
	mock_sysfs_add_device(fx->ms, NIC2, 0x8086, 0x10d3, 0x020000, "4", "e1000e");
	mock_sysfs_add_device(fx->ms, GPU, 0x10de, 0x1b80, 0x030000, "3", NULL);
	fx->ctx = context_for(fx->ms);
}

/* the libxl way: off its driver, into the slot list, bound */
static void
seize(Fixture *fx, const char *bdf)
{
	g_autofree gchar *unbind = hd_function_attr_path(bdf, "driver/unbind");
	g_autofree gchar *driver = driver_of(fx, bdf);

	if (driver != NULL)
		write_ok(fx, unbind, bdf);
	write_ok(fx, NEW_SLOT, bdf);
	write_ok(fx, PCIBACK("bind"), bdf);
	assert_driver(fx, bdf, "pciback");
}

static void
assert_quirks(Fixture *fx, const char *bdf, const char *expected)
{
	g_autofree gchar *quirks = mock_sysfs_get_quirks(fx->ms, bdf);

	g_assert_cmpstr(quirks, ==, expected);
}

/* pciback's files come with the driver, empty while it holds nothing; the
 * ones without a store() refuse writes */
static void
test_pciback_files(Fixture *fx, gconstpointer data)
{
	static const char *const empty[] = {SLOTS, PERMISSIVE, QUIRKS, PCIBACK("irq_handlers")};
	static const char *const read_only[] = {SLOTS, PCIBACK("irq_handlers")};

	assert_listing(fx, "bus/pci/drivers/pciback",
		       "bind irq_handlers new_id new_slot permissive quirks remove_id remove_slot slots unbind");
	for (guint i = 0; i < G_N_ELEMENTS(empty); i++)
		assert_file(fx, empty[i], "");
	for (guint i = 0; i < G_N_ELEMENTS(read_only); i++) {
		g_autofree gchar *message = open_message(fx, read_only[i], EACCES);

		write_fails(fx, read_only[i], NIC, EACCES, message);
	}
	/* other drivers have none of them */
	assert_listing(fx, "bus/pci/drivers/vfio-pci", "bind new_id remove_id unbind");
}

/* pciback lives in the module xen-pciback, which has no alias "pciback";
 * loaded, it seizes a device whose driver_override names it */
static void
test_pciback_module(void)
{
	Fixture fixture = {mock_sysfs_new(), NULL};
	Fixture *fx = &fixture;

	mock_sysfs_add_module(fx->ms, "pciback", NULL);
	mock_sysfs_add_device(fx->ms, GPU, 0x10de, 0x1b80, 0x030000, "3", NULL);
	fx->ctx = context_for(fx->ms);
	write_ok(fx, DEV(GPU, "driver_override"), "pciback");
	load_fails(fx, "pciback", HD_ERROR_NOT_FOUND, "module pciback: not found for this kernel");
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, SLOTS));
	load_ok(fx, "xen-pciback");
	load_ok(fx, "xen_pciback");
	assert_driver(fx, GPU, "pciback");
	assert_file(fx, SLOTS, GPU "\n");
	fixture_teardown(fx, NULL);
}

static const struct {
	const char *name;
	const char *value;
	int errnum;
	guint count; /* lines in slots afterwards */
	const char *first;
	const char *last;
} new_slot_cases[] = {
	{"full", GPU, 0, 1, GPU, GPU},
	{"no-domain", "03:00.0", 0, 1, GPU, GPU},
	{"newline", GPU "\n", 0, 1, GPU, GPU},
	{"blanks", " \t" GPU " \n", 0, 1, GPU, GPU},
	{"upper-case", "0000:0A:1F.7", 0, 1, "0000:0a:1f.7", "0000:0a:1f.7"},
	{"other-domain", "0001:03:00.0", 0, 1, "0001:03:00.0", "0001:03:00.0"},
	/* nothing looks for the device */
	{"absent-device", ABSENT, 0, 1, ABSENT, ABSENT},
	{"function-wildcard", "0000:03:00.*", 0, 8, GPU, "0000:03:00.7"},
	{"function-wildcard-no-domain", "03:1f.*", 0, 8, "0000:03:1f.0", "0000:03:1f.7"},
	{"slot-wildcard", "0000:03:*.*", 0, 256, GPU, "0000:03:1f.7"},
	{"slot-wildcard-no-domain", "03:*.*", 0, 256, GPU, "0000:03:1f.7"},
	{"empty-write", "", 0, 0, NULL, NULL},
	{"parenthesised", "(" GPU ")", EINVAL, 0, NULL, NULL},
	{"trailing-word", GPU " x", EINVAL, 0, NULL, NULL},
	{"semicolon", GPU ";", EINVAL, 0, NULL, NULL},
	{"slot-only-wildcard", "0000:03:*.0", EINVAL, 0, NULL, NULL},
	{"bus-only", "03", EINVAL, 0, NULL, NULL},
	{"newline-only", "\n", EINVAL, 0, NULL, NULL},
	{"slot-out-of-range", "0000:03:20.0", EINVAL, 0, NULL, NULL},
	{"function-out-of-range", "0000:03:00.8", EINVAL, 0, NULL, NULL},
	{"bus-out-of-range", "0000:100:00.0", EINVAL, 0, NULL, NULL},
	{"domain-out-of-range", "10000:03:00.0", EINVAL, 0, NULL, NULL},
	{"wildcard-out-of-range", "0000:100:*.*", EINVAL, 0, NULL, NULL},
};

static void
test_pciback_new_slot(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *slots = NULL;
	g_auto(GStrv) lines = NULL;

	if (new_slot_cases[i].errnum != 0)
		store_fails(fx, NEW_SLOT, new_slot_cases[i].value, new_slot_cases[i].errnum);
	else
		write_ok(fx, NEW_SLOT, new_slot_cases[i].value);
	slots = read_file(fx, SLOTS);
	g_assert_cmpuint(count_lines(slots), ==, new_slot_cases[i].count);
	if (new_slot_cases[i].count == 0)
		return;
	lines = g_strsplit(slots, "\n", -1);
	g_assert_cmpstr(lines[0], ==, new_slot_cases[i].first);
	g_assert_cmpstr(lines[new_slot_cases[i].count - 1], ==, new_slot_cases[i].last);
}

/* the list keeps its order, and a slot listed already stays where it is */
static void
test_pciback_slot_order(Fixture *fx, gconstpointer data)
{
	write_ok(fx, NEW_SLOT, NIC2);
	write_ok(fx, NEW_SLOT, "03:00.1");
	write_ok(fx, NEW_SLOT, "0000:03:00.*");
	write_ok(fx, NEW_SLOT, NIC2 "\n");
	assert_file(fx, SLOTS,
		    NIC2 "\n0000:03:00.1\n0000:03:00.0\n0000:03:00.2\n0000:03:00.3\n0000:03:00.4\n"
			 "0000:03:00.5\n0000:03:00.6\n0000:03:00.7\n");
}

static const struct {
	const char *name;
	const char *value;
	int errnum;
	const char *slots; /* afterwards */
} remove_slot_cases[] = {
	{"one", "0000:03:00.1", 0, GPU "\n" NIC2 "\n"},
	{"no-domain", "03:00.1\n", 0, GPU "\n" NIC2 "\n"},
	{"functions", "0000:03:00.*", 0, NIC2 "\n"},
	{"bus", "03:*.*", 0, NIC2 "\n"},
	{"unlisted", "0000:03:00.2", ENOENT, GPU "\n0000:03:00.1\n" NIC2 "\n"},
	{"other-domain", "0001:03:00.0", ENOENT, GPU "\n0000:03:00.1\n" NIC2 "\n"},
	/* no range check: such a slot is simply not listed */
	{"out-of-range", "0000:103:00.0", ENOENT, GPU "\n0000:03:00.1\n" NIC2 "\n"},
	{"malformed", "03:00", EINVAL, GPU "\n0000:03:00.1\n" NIC2 "\n"},
};

static void
test_pciback_remove_slot(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);

	write_ok(fx, NEW_SLOT, GPU);
	write_ok(fx, NEW_SLOT, "0000:03:00.1");
	write_ok(fx, NEW_SLOT, NIC2);
	if (remove_slot_cases[i].errnum != 0)
		store_fails(fx, REMOVE_SLOT, remove_slot_cases[i].value, remove_slot_cases[i].errnum);
	else
		write_ok(fx, REMOVE_SLOT, remove_slot_cases[i].value);
	assert_file(fx, SLOTS, remove_slot_cases[i].slots);
}

static const struct {
	const char *name;
	const char *bdf;
	gboolean listed;      /* in the slot list first */
	const char *override; /* NULL: left unset */
	gboolean unbind;      /* from its driver first */
	const char *relpath;
	int errnum;
	const char *driver; /* afterwards */
	const char *slots;  /* afterwards */
} pciback_bind_cases[] = {
	{"unlisted", GPU, FALSE, NULL, FALSE, PCIBACK("bind"), ENODEV, NULL, ""},
	{"listed", GPU, TRUE, NULL, FALSE, PCIBACK("bind"), 0, "pciback", GPU "\n"},
	/* pciback's table matches any device, so a bound one is busy first */
	{"bound-unlisted", NIC, FALSE, NULL, FALSE, PCIBACK("bind"), EBUSY, "e1000e", ""},
	{"bound-listed", NIC, TRUE, NULL, FALSE, PCIBACK("bind"), EBUSY, "e1000e", NIC "\n"},
	{"override-elsewhere", GPU, TRUE, "vfio-pci", FALSE, PCIBACK("bind"), ENODEV, NULL, GPU "\n"},
	/* the override is enough, and puts the device on the list */
	{"override", GPU, FALSE, "pciback", FALSE, PCIBACK("bind"), 0, "pciback", GPU "\n"},
	{"override-probe", NIC, FALSE, "pciback", TRUE, DRIVERS_PROBE, 0, "pciback", NIC "\n"},
	{"listed-probe", NIC, TRUE, NULL, TRUE, DRIVERS_PROBE, 0, "pciback", NIC "\n"},
	/* pciback, registered first, is asked first and declines */
	{"unlisted-probe", NIC, FALSE, NULL, TRUE, DRIVERS_PROBE, 0, "e1000e", ""},
	{"bridge", BRIDGE, TRUE, NULL, TRUE, PCIBACK("bind"), 0, "pciback", BRIDGE "\n"},
};

static void
test_pciback_bind(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	const char *bdf = pciback_bind_cases[i].bdf;
	g_autofree gchar *override = hd_function_attr_path(bdf, "driver_override");
	g_autofree gchar *unbind = hd_function_attr_path(bdf, "driver/unbind");

	if (pciback_bind_cases[i].listed)
		write_ok(fx, NEW_SLOT, bdf);
	if (pciback_bind_cases[i].override != NULL)
		write_ok(fx, override, pciback_bind_cases[i].override);
	if (pciback_bind_cases[i].unbind)
		write_ok(fx, unbind, bdf);
	if (pciback_bind_cases[i].errnum != 0)
		store_fails(fx, pciback_bind_cases[i].relpath, bdf, pciback_bind_cases[i].errnum);
	else
		write_ok(fx, pciback_bind_cases[i].relpath, bdf);
	assert_driver(fx, bdf, pciback_bind_cases[i].driver);
	assert_file(fx, SLOTS, pciback_bind_cases[i].slots);
}

/* libvirt's driver_override sequence seizes the device and lists it; its
 * own release then hands it straight back to pciback, first in the bus's
 * list, until remove_slot */
static void
test_pciback_reprobe(Fixture *fx, gconstpointer data)
{
	libvirt_rebind(fx, NIC, "pciback");
	assert_driver(fx, NIC, "pciback");
	assert_file(fx, SLOTS, NIC "\n");
	libvirt_rebind(fx, NIC, "\n");
	assert_override(fx, NIC, "(null)");
	assert_driver(fx, NIC, "pciback");
	write_ok(fx, REMOVE_SLOT, NIC);
	assert_driver(fx, NIC, "pciback");
	libvirt_rebind(fx, NIC, "\n");
	assert_driver(fx, NIC, "e1000e");
	assert_file(fx, SLOTS, "");
}

/* loaded as a module after e1000e, pciback is asked after it: the same
 * release gives the NIC back to e1000e, slot listed or not */
static void
test_pciback_reprobe_module(void)
{
	Fixture fixture = {mock_sysfs_new(), NULL};
	Fixture *fx = &fixture;

	mock_sysfs_add_driver(fx->ms, "e1000e", e1000e_ids);
	mock_sysfs_add_module(fx->ms, "pciback", NULL);
	mock_sysfs_add_device(fx->ms, NIC, 0x8086, 0x10d3, 0x020000, "1", "e1000e");
	fx->ctx = context_for(fx->ms);
	load_ok(fx, "xen-pciback");
	libvirt_rebind(fx, NIC, "pciback");
	assert_driver(fx, NIC, "pciback");
	libvirt_rebind(fx, NIC, "\n");
	assert_driver(fx, NIC, "e1000e");
	assert_file(fx, SLOTS, NIC "\n");
	fixture_teardown(fx, NULL);
}

/* a device hidden at boot (xen-pciback.hide=) is seized and listed */
static void
test_pciback_hidden_at_boot(void)
{
	Fixture fixture = {mock_sysfs_new(), NULL};
	Fixture *fx = &fixture;

	mock_sysfs_add_driver(fx->ms, "pciback", NULL);
	mock_sysfs_add_device(fx->ms, GPU, 0x10de, 0x1b80, 0x030000, "3", "pciback");
	fx->ctx = context_for(fx->ms);
	assert_driver(fx, GPU, "pciback");
	assert_file(fx, SLOTS, GPU "\n");
	assert_file(fx, QUIRKS, "03:00.0\n\t10de:1b80:0000:0000\n" HEADER_0);
	assert_quirks(fx, GPU, "");
	fixture_teardown(fx, NULL);
}

/* only for a device pciback holds, and only ever set: leaving pciback is
 * what clears it; the newest seized device is listed first */
static void
test_pciback_permissive(Fixture *fx, gconstpointer data)
{
	store_fails(fx, PERMISSIVE, NIC, ENODEV);
	seize(fx, NIC);
	store_fails(fx, PERMISSIVE, "0000:01:00.*", ENODEV);
	store_fails(fx, PERMISSIVE, "nic", EINVAL);
	store_fails(fx, PERMISSIVE, NIC2, ENODEV);
	write_ok(fx, PERMISSIVE, "01:00.0");
	assert_file(fx, PERMISSIVE, NIC "\n");
	write_ok(fx, PERMISSIVE, NIC "\n");
	assert_file(fx, PERMISSIVE, NIC "\n");
	seize(fx, GPU);
	write_ok(fx, PERMISSIVE, GPU);
	assert_file(fx, PERMISSIVE, GPU "\n" NIC "\n");

	write_ok(fx, PCIBACK("unbind"), NIC);
	assert_file(fx, PERMISSIVE, GPU "\n");
	write_ok(fx, DRIVERS_PROBE, NIC);
	assert_driver(fx, NIC, "pciback");
	assert_file(fx, PERMISSIVE, GPU "\n");
}

/* a fake IRQ handler per device held, newest first, off until a guest
 * needs it */
static void
test_pciback_irq_handlers(Fixture *fx, gconstpointer data)
{
	seize(fx, NIC);
	seize(fx, GPU);
	assert_file(fx, PCIBACK("irq_handlers"), GPU ":off:not acking:0\n" NIC ":off:not acking:0\n");
	write_ok(fx, PCIBACK("unbind"), GPU);
	assert_file(fx, PCIBACK("irq_handlers"), NIC ":off:not acking:0\n");
}

static const struct {
	const char *name;
	const char *value;
	int errnum;
	const char *quirks; /* NIC's afterwards */
} quirk_cases[] = {
	{"dword", NIC "-00000078:4:00000000", 0, "00000078:4:00000000"},
	{"no-domain", "01:00.0-78:4:0", 0, "00000078:4:00000000"},
	{"newline", NIC "-78:4:0\n", 0, "00000078:4:00000000"},
	{"hex-prefixes", NIC "-0x78:0x4:0x0", 0, "00000078:4:00000000"},
	{"word", NIC "-40:2:ffff", 0, "00000040:2:0000ffff"},
	{"byte", NIC "-fff:1:FF", 0, "00000fff:1:000000ff"},
	{"dword-mask", NIC "-78:4:ffffffff", 0, "00000078:4:ffffffff"},
	/* an offset pciback emulates already (BAR 0): dropped, but no error */
	{"emulated-offset", NIC "-10:4:0", 0, ""},
	{"register-too-high", NIC "-1000:4:0", EINVAL, ""},
	{"byte-mask-too-wide", NIC "-40:1:100", EINVAL, ""},
	{"word-mask-too-wide", NIC "-40:2:10000", EINVAL, ""},
	{"size-0", NIC "-40:0:0", EINVAL, ""},
	{"size-3", NIC "-40:3:0", EINVAL, ""},
	{"size-8", NIC "-40:8:0", EINVAL, ""},
	{"not-on-pciback", NIC2 "-78:4:0", ENODEV, ""},
	{"absent", ABSENT "-78:4:0", ENODEV, ""},
	/* pcistub_reg_add() checks the register and mask, then looks for the
	 * device, then the size */
	{"register-before-device", NIC2 "-1000:4:0", EINVAL, ""},
	{"size-after-device", NIC2 "-40:3:0", ENODEV, ""},
	{"wildcard", "0000:01:00.*-78:4:0", EINVAL, ""},
	{"no-mask", NIC "-78:4", EINVAL, ""},
	{"space-for-dash", NIC " 78:4:0", EINVAL, ""},
	{"slot-only", NIC, EINVAL, ""},
};

static void
test_pciback_quirk(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);

	seize(fx, NIC);
	if (quirk_cases[i].errnum != 0)
		store_fails(fx, QUIRKS, quirk_cases[i].value, quirk_cases[i].errnum);
	else
		write_ok(fx, QUIRKS, quirk_cases[i].value);
	assert_quirks(fx, NIC, quirk_cases[i].quirks);
	/* and nothing is ever added to a device pciback does not hold */
	assert_quirks(fx, NIC2, NULL);
}

/* one field per offset: the first written stays, later ones are dropped */
static void
test_pciback_quirk_same_offset(Fixture *fx, gconstpointer data)
{
	seize(fx, NIC);
	write_ok(fx, QUIRKS, NIC "-78:4:0");
	write_ok(fx, QUIRKS, NIC "-40:1:0");
	write_ok(fx, QUIRKS, NIC "-78:4:0");
	write_ok(fx, QUIRKS, NIC "-78:2:ff");
	assert_quirks(fx, NIC, "00000078:4:00000000,00000040:1:00000000");
}

/* quirks_show(): per device held, in the order seized, its bus:slot.func,
 * its IDs with the subsystem's, then every field it emulates: the header
 * (a bridge has fewer BARs), then the quirks in the order written */
static void
test_pciback_quirks_show(Fixture *fx, gconstpointer data)
{
	mock_sysfs_set_subsystem(fx->ms, NIC, 0x8086, 0xa01f);
	seize(fx, NIC);
	seize(fx, BRIDGE);
	write_ok(fx, QUIRKS, NIC "-78:4:0");
	write_ok(fx, QUIRKS, NIC "-40:2:ffff");
	assert_file(fx, QUIRKS,
		    "01:00.0\n\t8086:10d3:8086:a01f\n" HEADER_0 "\t\t00000078:4:00000000\n\t\t00000040:2:0000ffff\n"
		    "00:1c.0\n\t8086:a110:0000:0000\n" HEADER_1);
}

/* leaving pciback frees what it had there: permissive, quirks, its entry;
 * seized again, it starts afresh (the slot stayed listed) */
static void
test_pciback_release(Fixture *fx, gconstpointer data)
{
	seize(fx, NIC);
	write_ok(fx, QUIRKS, NIC "-78:4:0");
	write_ok(fx, PERMISSIVE, NIC);
	write_ok(fx, PCIBACK("unbind"), NIC);
	assert_quirks(fx, NIC, NULL);
	assert_file(fx, QUIRKS, "");
	assert_file(fx, PERMISSIVE, "");
	assert_file(fx, SLOTS, NIC "\n");
	write_ok(fx, DRIVERS_PROBE, NIC);
	assert_driver(fx, NIC, "pciback");
	assert_quirks(fx, NIC, "");
	assert_file(fx, QUIRKS, "01:00.0\n\t8086:10d3:0000:0000\n" HEADER_0);
	assert_file(fx, PERMISSIVE, "");
}

static const struct {
	const char *name;
	gboolean other_subsystem; /* NIC2's, so that the two differ */
	const char *leaving;
	const char *quirks_file; /* afterwards */
} identical_cases[] = {
	/* the entry released is the first with the IDs: NIC's own */
	{"earlier-leaves", FALSE, NIC, "04:00.0\n\t8086:10d3:0000:0000\n" HEADER_0 "\t\t00000040:2:0000ffff\n"},
	/* NIC's again: NIC2's entry stays, its device without dev_data, and
	 * NIC, whose fields are untouched, is no longer listed */
	{"later-leaves", FALSE, NIC2, "04:00.0\n\t8086:10d3:0000:0000\n"},
	/* different subsystem IDs tell them apart */
	{"later-leaves-distinct", TRUE, NIC2, "01:00.0\n\t8086:10d3:0000:0000\n" HEADER_0 "\t\t00000078:4:00000000\n"},
};

/* two devices with the same IDs on pciback: releasing one leaves the
 * other's quirks in place, whatever the quirks file then shows */
static void
test_pciback_identical_devices(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	const char *staying = g_str_equal(identical_cases[i].leaving, NIC) ? NIC2 : NIC;

	if (identical_cases[i].other_subsystem)
		mock_sysfs_set_subsystem(fx->ms, NIC2, 0x8086, 0x0001);
	seize(fx, NIC);
	seize(fx, NIC2);
	write_ok(fx, QUIRKS, NIC "-78:4:0");
	write_ok(fx, QUIRKS, NIC2 "-40:2:ffff");
	write_ok(fx, PCIBACK("unbind"), identical_cases[i].leaving);
	assert_file(fx, QUIRKS, identical_cases[i].quirks_file);
	assert_quirks(fx, staying, g_str_equal(staying, NIC) ? "00000078:4:00000000" : "00000040:2:0000ffff");
	assert_quirks(fx, identical_cases[i].leaving, NULL);
}

/* the entry left behind comes back to life with its device, which is
 * then listed twice */
static void
test_pciback_stale_entry(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *snapshot = NULL;

	seize(fx, NIC);
	seize(fx, NIC2);
	write_ok(fx, QUIRKS, NIC "-78:4:0");
	write_ok(fx, PCIBACK("unbind"), NIC2);
	snapshot = mock_sysfs_snapshot(fx->ms);
	g_assert_nonnull(strstr(snapshot, "pciback " NIC " quirks=00000078:4:00000000\n"
					  "pciback entry 04:00.0 8086:10d3:0000:0000\n"));
	write_ok(fx, DRIVERS_PROBE, NIC2);
	assert_driver(fx, NIC2, "pciback");
	assert_file(fx, QUIRKS, "04:00.0\n\t8086:10d3:0000:0000\n" HEADER_0 "04:00.0\n\t8086:10d3:0000:0000\n" HEADER_0);
	assert_quirks(fx, NIC, "00000078:4:00000000");
}

/* a VF on pciback goes with the others when SR-IOV is disabled, and takes
 * its pciback state along; its slot stays listed */
static void
test_pciback_vf(void)
{
	Fixture fixture = {mock_sysfs_new(), NULL};
	Fixture *fx = &fixture;

	mock_sysfs_add_driver(fx->ms, "pciback", NULL);
	mock_sysfs_add_driver(fx->ms, "ixgbe", ixgbe_ids);
	mock_sysfs_add_device(fx->ms, PF, 0x8086, 0x10fb, 0x020000, "10", "ixgbe");
	mock_sysfs_add_sriov_pf(fx->ms, PF, 8, 0x80, 2, 0x10ed);
	fx->ctx = context_for(fx->ms);
	write_ok(fx, AUTOPROBE, "0");
	write_ok(fx, NUMVFS, "2");
	libvirt_rebind(fx, VF1, "pciback");
	write_ok(fx, PERMISSIVE, VF1);
	write_ok(fx, QUIRKS, VF1 "-78:4:0");
	assert_file(fx, QUIRKS, "05:10.2\n\t8086:10ed:0000:0000\n" HEADER_0 "\t\t00000078:4:00000000\n");
	write_ok(fx, NUMVFS, "0");
	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "bus/pci/devices/" VF1));
	assert_listing(fx, "bus/pci/drivers/pciback",
		       "bind irq_handlers new_id new_slot permissive quirks remove_id remove_slot slots unbind");
	assert_file(fx, PERMISSIVE, "");
	assert_file(fx, QUIRKS, "");
	assert_file(fx, SLOTS, VF1 "\n");
	fixture_teardown(fx, NULL);
}

static void
test_pciback_fault(Fixture *fx, gconstpointer data)
{
	mock_sysfs_fail_write(fx->ms, "/new_slot", 1, EIO);
	store_fails(fx, NEW_SLOT, GPU, EIO);
	assert_file(fx, SLOTS, "");
	write_ok(fx, NEW_SLOT, GPU);
	assert_file(fx, SLOTS, GPU "\n");
}

static void
test_pciback_snapshot(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *snapshot = NULL;

	seize(fx, NIC);
	seize(fx, GPU);
	write_ok(fx, NEW_SLOT, "0000:03:00.1");
	write_ok(fx, PERMISSIVE, NIC);
	write_ok(fx, QUIRKS, NIC "-78:4:0");
	write_ok(fx, QUIRKS, NIC "-40:1:0");
	snapshot = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(snapshot, ==,
			BRIDGE " driver=pcieport override=(null)\n"
			NIC " driver=pciback override=(null)\n"
			GPU " driver=pciback override=(null)\n"
			NIC2 " driver=e1000e override=(null)\n"
			"driver e1000e bound=" NIC2 "\n"
			"driver pciback bound=" NIC "," GPU "\n"
			"driver pcieport bound=" BRIDGE "\n"
			"driver vfio-pci bound=-\n"
			"pciback slots=" NIC "," GPU ",0000:03:00.1\n"
			"pciback permissive=" NIC "\n"
			"pciback " NIC " quirks=00000078:4:00000000,00000040:1:00000000\n"
			"pciback " GPU " quirks=-\n"
			"pciback entry 01:00.0 8086:10d3:0000:0000\n"
			"pciback entry 03:00.0 10de:1b80:0000:0000\n");
}

/* the libxl sequence and xl pci-assignable-remove's inverse leave the host
 * as it was, but for the slot: remove_slot is part of the inverse */
static void
test_pciback_inverse(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;

	seize(fx, NIC);
	write_ok(fx, PERMISSIVE, NIC);
	write_ok(fx, QUIRKS, NIC "-78:4:0");
	write_ok(fx, DEV(NIC, "driver/unbind"), NIC);
	write_ok(fx, REMOVE_SLOT, NIC);
	write_ok(fx, DRV("e1000e", "bind"), NIC);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
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
	TEST_ADD("/mock-sysfs/fault-knob/fail", test_fault_knob_fail);
	TEST_ADD_CASES("/mock-sysfs/fault-knob/kill", kill_cases, test_fault_knob_kill);
	TEST_ADD("/mock-sysfs/fault-knob/count", test_fault_knob_count);
	TEST_ADD("/mock-sysfs/fault-knob/threads", test_fault_knob_threads);
	TEST_ADD("/mock-sysfs/fault-knob/nested", test_fault_knob_nested);
	TEST_ADD("/mock-sysfs/fault-knob/invalid", test_fault_knob_invalid);
	TEST_ADD_CASES("/mock-sysfs/inverse", inverse_cases, test_inverse);
	TEST_ADD("/mock-sysfs/module/load", test_module_load);
	g_test_add_func("/mock-sysfs/module/load-binds-override", test_module_load_binds_override);
	TEST_ADD("/mock-sysfs/module/errors", test_module_errors);
	TEST_ADD("/mock-sysfs/vfio/group-lifetime", test_vfio_group_lifetime);
	TEST_ADD_WITH("/mock-sysfs/sriov/files", sriov_setup, test_sriov_files);
	TEST_ADD_WITH("/mock-sysfs/sriov/enable", sriov_setup, test_sriov_enable);
	TEST_ADD_CASES_WITH("/mock-sysfs/sriov/numvfs", numvfs_cases, sriov_setup, test_sriov_numvfs);
	TEST_ADD_WITH("/mock-sysfs/sriov/all-vfs", sriov_setup, test_sriov_all_vfs);
	TEST_ADD_WITH("/mock-sysfs/sriov/disable", sriov_setup, test_sriov_disable);
	TEST_ADD_CASES_WITH("/mock-sysfs/sriov/autoprobe", autoprobe_cases, sriov_setup, test_sriov_autoprobe_values);
	TEST_ADD_WITH("/mock-sysfs/sriov/autoprobe-off", sriov_setup, test_sriov_autoprobe_off);
	g_test_add_func("/mock-sysfs/sriov/bus-crossing", test_sriov_bus_crossing);
	g_test_add_func("/mock-sysfs/sriov/bus-out-of-range", test_sriov_bus_out_of_range);
	g_test_add_func("/mock-sysfs/sriov/no-group", test_sriov_no_group);
	TEST_ADD_WITH("/mock-sysfs/sriov/pf-unbind", sriov_setup, test_sriov_pf_unbind);
	TEST_ADD_WITH("/mock-sysfs/sriov/fault", sriov_setup, test_sriov_fault);
	TEST_ADD_WITH("/mock-sysfs/sriov/assigned-vf", sriov_setup, test_sriov_assigned_vf);
	TEST_ADD_WITH("/mock-sysfs/sriov/snapshot", sriov_setup, test_sriov_snapshot);
	TEST_ADD_WITH("/mock-sysfs/sriov/inverse", sriov_setup, test_sriov_inverse);
	TEST_ADD_WITH("/mock-sysfs/pciback/files", xen_setup, test_pciback_files);
	g_test_add_func("/mock-sysfs/pciback/module", test_pciback_module);
	TEST_ADD_CASES_WITH("/mock-sysfs/pciback/new-slot", new_slot_cases, xen_setup, test_pciback_new_slot);
	TEST_ADD_WITH("/mock-sysfs/pciback/slot-order", xen_setup, test_pciback_slot_order);
	TEST_ADD_CASES_WITH("/mock-sysfs/pciback/remove-slot", remove_slot_cases, xen_setup, test_pciback_remove_slot);
	TEST_ADD_CASES_WITH("/mock-sysfs/pciback/bind", pciback_bind_cases, xen_setup, test_pciback_bind);
	TEST_ADD_WITH("/mock-sysfs/pciback/reprobe", xen_setup, test_pciback_reprobe);
	g_test_add_func("/mock-sysfs/pciback/reprobe-module", test_pciback_reprobe_module);
	g_test_add_func("/mock-sysfs/pciback/hidden-at-boot", test_pciback_hidden_at_boot);
	TEST_ADD_WITH("/mock-sysfs/pciback/permissive", xen_setup, test_pciback_permissive);
	TEST_ADD_WITH("/mock-sysfs/pciback/irq-handlers", xen_setup, test_pciback_irq_handlers);
	TEST_ADD_CASES_WITH("/mock-sysfs/pciback/quirk", quirk_cases, xen_setup, test_pciback_quirk);
	TEST_ADD_WITH("/mock-sysfs/pciback/quirk-same-offset", xen_setup, test_pciback_quirk_same_offset);
	TEST_ADD_WITH("/mock-sysfs/pciback/quirks-show", xen_setup, test_pciback_quirks_show);
	TEST_ADD_WITH("/mock-sysfs/pciback/release", xen_setup, test_pciback_release);
	TEST_ADD_CASES_WITH("/mock-sysfs/pciback/identical-devices", identical_cases, xen_setup,
			    test_pciback_identical_devices);
	TEST_ADD_WITH("/mock-sysfs/pciback/stale-entry", xen_setup, test_pciback_stale_entry);
	g_test_add_func("/mock-sysfs/pciback/vf", test_pciback_vf);
	TEST_ADD_WITH("/mock-sysfs/pciback/fault", xen_setup, test_pciback_fault);
	TEST_ADD_WITH("/mock-sysfs/pciback/snapshot", xen_setup, test_pciback_snapshot);
	TEST_ADD_WITH("/mock-sysfs/pciback/inverse", xen_setup, test_pciback_inverse);
	return g_test_run();
}
