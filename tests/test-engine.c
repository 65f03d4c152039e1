/*
 * test-engine.c: prepare, rollback and release on the simulated kernel
 *
 * Every test drives the engine the way the hook does (parse, plan under the
 * state lock, prepare or release) against mock-sysfs, and checks what the
 * host shows afterwards: the snapshot, the drivers, the journal on disk and
 * the exact writes the engine made.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "hd-config.h"
#include "hd-engine.h"
#include "hd-hook.h"
#include "hd-hook-op.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hd-running.h"
#include "hd-status.h"
#include "mock-sysfs.h"
#include "test-helpers.h"
#include "test-json.h"

/*
 * The host: two e1000e NICs and an NVMe disk, each alone in its IOMMU
 * group; a GPU and its audio function sharing group 4; a bridge sharing
 * group 5 with two e1000 NICs; a virtio device no loaded driver claims; and
 * an 82574L on pci-stub, which claims no IDs and holds devices only through
 * driver_override.
 */
#define NIC1	"0000:01:00.0"
#define NIC2	"0000:02:00.0"
#define NVME	"0000:03:00.0"
#define GPU	"0000:04:00.0"
#define AUDIO	"0000:04:00.1"
#define BRIDGE	"0000:00:1c.0"
#define E1000A	"0000:06:00.0"
#define E1000B	"0000:06:00.1"
#define UNBOUND "0000:07:00.0"
#define STUBBED "0000:08:00.0"

/* <hostdev> elements for them */
#define HD_NIC1	   TEST_HOSTDEV("no", "domain='0x0000' bus='0x01' slot='0x00' function='0x0'")
#define HD_NIC2	   TEST_HOSTDEV("no", "domain='0x0000' bus='0x02' slot='0x00' function='0x0'")
#define HD_NVME	   TEST_HOSTDEV("no", "domain='0x0000' bus='0x03' slot='0x00' function='0x0'")
#define HD_GPU	   TEST_HOSTDEV("no", "domain='0x0000' bus='0x04' slot='0x00' function='0x0'")
#define HD_AUDIO   TEST_HOSTDEV("no", "domain='0x0000' bus='0x04' slot='0x00' function='0x1'")
#define HD_BRIDGE  TEST_HOSTDEV("no", "domain='0x0000' bus='0x00' slot='0x1c' function='0x0'")
#define HD_E1000A  TEST_HOSTDEV("no", "domain='0x0000' bus='0x06' slot='0x00' function='0x0'")
#define HD_E1000B  TEST_HOSTDEV("no", "domain='0x0000' bus='0x06' slot='0x00' function='0x1'")
#define HD_UNBOUND TEST_HOSTDEV("no", "domain='0x0000' bus='0x07' slot='0x00' function='0x0'")
#define HD_STUBBED TEST_HOSTDEV("no", "domain='0x0000' bus='0x08' slot='0x00' function='0x0'")

#define META(attrs) "<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'><hd:device " attrs "/></hd:hostdev-hook>"

#define VM	    "vm1"
/* a libvirt domain as the journal knows it */
#define DOMAIN_OWNER(name) ((HdOwner){HD_OWNER_DOMAIN, (gchar *)(name)})
#define UUID	    "9e3b2c7a-8d1f-4c55-a1b0-3f6e2d9c8b71"
#define TIMEOUT_MS  50

/* the writes, as mock_sysfs_get_writes() shows them */
#define W_OVERRIDE(bdf, value) "bus/pci/devices/" bdf "/driver_override=" value
#define W_CLEAR(bdf)	       "bus/pci/devices/" bdf "/driver_override=\\n"
#define W_UNBIND(bdf)	       "bus/pci/devices/" bdf "/driver/unbind=" bdf
#define W_PROBE(bdf)	       "bus/pci/drivers_probe=" bdf

static const guint32 pcieport_ids[] = {MOCK_PCI_ID(0x8086, 0xa110), 0};
static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};
static const guint32 e1000_ids[] = {MOCK_PCI_ID(0x8086, 0x100e), 0};
static const guint32 nvme_ids[] = {MOCK_PCI_ID(0x1b36, 0x0010), 0};
static const guint32 nouveau_ids[] = {MOCK_PCI_ID(0x10de, 0x1b80), 0};
static const guint32 hda_ids[] = {MOCK_PCI_ID(0x10de, 0x10f0), 0};

/* ---- the engine's log ------------------------------------------------------ */

/*
 * The engine logs a warning for every rollback and a critical for every
 * device it cannot put back; under g_test_init() both would abort.  Its
 * records are kept here, "LEVEL action device: message", for the tests to
 * check; anything logged by anyone else (GLib, json-glib) goes to the
 * default writer, where a critical still aborts the test.
 */
static GPtrArray *engine_log;

static const char *
log_field(const GLogField *fields, gsize n_fields, const char *key)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, key) == 0 && fields[i].length < 0)
			return fields[i].value;
	}
	return NULL;
}

static const char *
log_level_name(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "ERROR";
	if (level & G_LOG_LEVEL_CRITICAL)
		return "CRITICAL";
	if (level & G_LOG_LEVEL_WARNING)
		return "WARNING";
	if (level & G_LOG_LEVEL_MESSAGE)
		return "MESSAGE";
	if (level & G_LOG_LEVEL_INFO)
		return "INFO";
	return "DEBUG";
}

static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const char *action = log_field(fields, n_fields, "HOSTDEV_ACTION");
	gchar *line;

	if (action == NULL || engine_log == NULL || (level & G_LOG_LEVEL_ERROR))
		return g_log_writer_default(level, fields, n_fields, user_data);
	line = g_strdup_printf("%s %s %s: %s", log_level_name(level), action,
			       log_field(fields, n_fields, "HOSTDEV_DEVICE"),
			       log_field(fields, n_fields, "MESSAGE"));
	if (g_test_verbose())
		g_printerr("# log: %s\n", line);
	g_ptr_array_add(engine_log, line);
	return G_LOG_WRITER_HANDLED;
}

static guint
log_count(const char *level, const char *needle)
{
	guint n = 0;

	for (guint i = 0; engine_log != NULL && i < engine_log->len; i++) {
		const char *line = g_ptr_array_index(engine_log, i);

		if (g_str_has_prefix(line, level) && line[strlen(level)] == ' ' && strstr(line, needle) != NULL)
			n++;
	}
	return n;
}

/* ---- the fixture ------------------------------------------------------------ */

typedef struct {
	MockSysfs *ms;
	HdContext *ctx;
	gchar *state_dir;
	/* the engine logged "cannot restore": the test says it must have */
	gboolean criticals_expected;
} Fixture;

static void
fixture_build(Fixture *fx, gboolean vfio_as_module)
{
	g_autoptr(GError) error = NULL;
	MockSysfs *ms = mock_sysfs_new();

	/* drivers first, so that registering one offers it nothing */
	mock_sysfs_add_driver(ms, "pcieport", pcieport_ids);
	mock_sysfs_add_driver(ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(ms, "e1000", e1000_ids);
	mock_sysfs_add_driver(ms, "nvme", nvme_ids);
	mock_sysfs_add_driver(ms, "nouveau", nouveau_ids);
	mock_sysfs_add_driver(ms, "snd_hda_intel", hda_ids);
	mock_sysfs_add_driver(ms, "pci-stub", NULL);
	if (vfio_as_module)
		mock_sysfs_add_module(ms, "vfio-pci", NULL);
	else
		mock_sysfs_add_driver(ms, "vfio-pci", NULL);
	mock_sysfs_add_device(ms, BRIDGE, 0x8086, 0xa110, MOCK_PCI_CLASS_BRIDGE, "5", "pcieport");
	mock_sysfs_add_device(ms, NIC1, 0x8086, 0x10d3, 0x020000, "1", "e1000e");
	mock_sysfs_add_device(ms, NIC2, 0x8086, 0x10d3, 0x020000, "2", "e1000e");
	mock_sysfs_add_device(ms, NVME, 0x1b36, 0x0010, 0x010802, "3", "nvme");
	mock_sysfs_add_device(ms, GPU, 0x10de, 0x1b80, 0x030000, "4", "nouveau");
	mock_sysfs_add_device(ms, AUDIO, 0x10de, 0x10f0, 0x040300, "4", "snd_hda_intel");
	mock_sysfs_add_device(ms, E1000A, 0x8086, 0x100e, 0x020000, "5", "e1000");
	mock_sysfs_add_device(ms, E1000B, 0x8086, 0x100e, 0x020000, "5", "e1000");
	mock_sysfs_add_device(ms, UNBOUND, 0x1af4, 0x1041, 0x020000, "7", NULL);
	mock_sysfs_add_device(ms, STUBBED, 0x8086, 0x10d3, 0x020000, "8", "pci-stub");
	fx->ms = ms;

	fx->ctx = hd_context_new(mock_sysfs_get_root(ms), "/nonexistent", &error);
	g_assert_no_error(error);
	mock_sysfs_install(ms, fx->ctx);
	fx->state_dir = g_dir_make_tmp("test-engine-state-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_true(hd_context_set_state_dir(fx->ctx, fx->state_dir, &error));
	g_assert_no_error(error);
	/* every failure below waits for a driver that never comes: keep it short */
	fx->ctx->policy->bind_timeout_ms = TIMEOUT_MS;
	fx->criticals_expected = FALSE;
	engine_log = g_ptr_array_new_with_free_func(g_free);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	fixture_build(fx, FALSE);
}

/* vfio-pci is a module nobody has loaded yet */
static void
fixture_setup_vfio_module(Fixture *fx, gconstpointer data)
{
	fixture_build(fx, TRUE);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	guint criticals = log_count("CRITICAL", "");

	hd_context_free(fx->ctx);
	mock_sysfs_free(fx->ms);
	test_remove_tree(fx->state_dir);
	g_assert_false(g_file_test(fx->state_dir, G_FILE_TEST_EXISTS));
	g_free(fx->state_dir);
	g_clear_pointer(&engine_log, g_ptr_array_unref);
	/* a device the engine could not put back is never an accident */
	if (!fx->criticals_expected)
		g_assert_cmpuint(criticals, ==, 0);
}

#define TEST_ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
#define TEST_ADD_CASES(prefix, cases, func)                                                          \
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {                                             \
		g_autofree gchar *path = g_strdup_printf("%s/%s", prefix, cases[i].name);             \
		g_test_add(path, Fixture, GUINT_TO_POINTER(i), fixture_setup, func, fixture_teardown); \
	}

/* ---- driving the engine as the hook does ------------------------------------- */

static gchar *
domain_xml(const char *name, const char *metadata, const char *devices)
{
	return g_strdup_printf("<domain type='kvm'>\n"
			       "  <name>%s</name>\n"
			       "  <uuid>" UUID "</uuid>\n"
			       "  <metadata>%s</metadata>\n"
			       "  <devices>\n"
			       "%s"
			       "  </devices>\n"
			       "</domain>\n",
			       name, metadata != NULL ? metadata : "", devices);
}

static HdStateLock *
lock_state(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	HdStateLock *lock = hd_state_lock_acquire(fx->state_dir, &error);

	g_assert_no_error(error);
	g_assert_nonnull(lock);
	return lock;
}

/* the plan, which must be computable; whether it refuses is the caller's */
static HdPlan *
plan_for(Fixture *fx, const char *name, const char *metadata, const char *devices)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = domain_xml(name, metadata, devices);
	g_autoptr(HdDomain) domain = hd_domain_parse(xml, strlen(xml), &error);
	HdPlan *plan;

	g_assert_no_error(error);
	plan = hd_plan_new_for_domain(fx->ctx, name, g_steal_pointer(&domain), &error);
	g_assert_no_error(error);
	g_assert_nonnull(plan);
	return plan;
}

/* parse, plan (which must not refuse) and prepare, under the state lock */
static gboolean
prepare(Fixture *fx, const char *name, const char *metadata, const char *devices, GError **error)
{
	g_autoptr(HdStateLock) lock = lock_state(fx);
	g_autoptr(HdPlan) plan = plan_for(fx, name, metadata, devices);
	const HdPlanDevice *refused = hd_plan_first_error(plan);

	if (refused != NULL)
		g_error("plan for %s refused %s: %s", name, refused->info->bdf, refused->reason);
	return hd_engine_prepare(fx->ctx, plan, error);
}

static void
prepare_ok(Fixture *fx, const char *name, const char *metadata, const char *devices)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(prepare(fx, name, metadata, devices, &error));
	g_assert_no_error(error);
}

static gboolean
release(Fixture *fx, const char *name, GError **error)
{
	g_autoptr(HdStateLock) lock = lock_state(fx);
	HdOwner owner = DOMAIN_OWNER(name);

	return hd_engine_release(fx->ctx, &owner, error);
}

static void
release_ok(Fixture *fx, const char *name)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(release(fx, name, &error));
	g_assert_no_error(error);
}

/* a write made by hand, as an administrator or another tool would */
static void
write_by_hand(Fixture *fx, const char *relpath, const char *value)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(hd_sysfs_write(fx->ctx->sysfs, relpath, value, &error));
	g_assert_no_error(error);
}

/* "relpath=value", as the writes list shows it */
static void
write_entry_by_hand(Fixture *fx, const char *entry)
{
	g_auto(GStrv) parts = g_strsplit(entry, "=", 2);
	g_autofree gchar *value = NULL;

	g_assert_cmpuint(g_strv_length(parts), ==, 2);
	value = g_strcmp0(parts[1], "\\n") == 0 ? g_strdup("\n") : g_strdup(parts[1]);
	write_by_hand(fx, parts[0], value);
}

/* ---- what the host shows --------------------------------------------------- */

static void
assert_driver(Fixture *fx, const char *bdf, const char *expected)
{
	g_autofree gchar *driver = mock_sysfs_get_driver(fx->ms, bdf);

	g_assert_cmpstr(driver, ==, expected);
}

static gchar *
read_override(Fixture *fx, const char *bdf)
{
	g_autofree gchar *relpath = g_build_filename("bus/pci/devices", bdf, "driver_override", NULL);
	g_autoptr(GError) error = NULL;
	gchar *value = hd_sysfs_read(fx->ctx->sysfs, relpath, &error);

	g_assert_no_error(error);
	return value;
}

static void
assert_override(Fixture *fx, const char *bdf, const char *expected)
{
	g_autofree gchar *value = read_override(fx, bdf);

	g_assert_cmpstr(value, ==, expected != NULL ? expected : "(null)");
}

static gboolean
has_vfio_node(Fixture *fx, const char *group)
{
	g_autofree gchar *path = g_build_filename(mock_sysfs_get_root(fx->ms), "dev", "vfio", group, NULL);

	return g_file_test(path, G_FILE_TEST_EXISTS);
}

static guint
writes_mark(Fixture *fx)
{
	return mock_sysfs_get_writes(fx->ms)->len;
}

/* exactly @expected (NULL-terminated) since @mark */
static void
assert_writes_since(Fixture *fx, guint mark, const char *const *expected)
{
	GPtrArray *writes = mock_sysfs_get_writes(fx->ms);
	guint n = g_strv_length((gchar **)expected);

	for (guint i = 0; i < MAX(n, writes->len - mark); i++) {
		const char *have = mark + i < writes->len ? g_ptr_array_index(writes, mark + i) : "(none)";
		const char *want = i < n ? expected[i] : "(none)";

		g_assert_cmpstr(have, ==, want);
	}
}

static void
assert_no_writes_since(Fixture *fx, guint mark)
{
	static const char *const nothing[] = {NULL};

	assert_writes_since(fx, mark, nothing);
}

/* how many writes since @mark mention @bdf, in their path or their value */
static guint
writes_naming(Fixture *fx, guint mark, const char *bdf)
{
	GPtrArray *writes = mock_sysfs_get_writes(fx->ms);
	guint n = 0;

	for (guint i = mark; i < writes->len; i++)
		n += strstr(g_ptr_array_index(writes, i), bdf) != NULL;
	return n;
}

static gchar *
journal_path(Fixture *fx, const char *name)
{
	g_autofree gchar *file = g_strconcat(name, ".journal", NULL);

	return g_build_filename(fx->state_dir, file, NULL);
}

static gboolean
journal_exists(Fixture *fx, const char *name)
{
	g_autofree gchar *path = journal_path(fx, name);

	return g_file_test(path, G_FILE_TEST_EXISTS);
}

static HdJournal *
journal_of(Fixture *fx, const char *name)
{
	g_autoptr(GError) error = NULL;
	HdOwner owner = DOMAIN_OWNER(name);
	HdJournal *journal = hd_journal_load(fx->state_dir, &owner, &error);

	g_assert_no_error(error);
	g_assert_nonnull(journal);
	return journal;
}

static void
write_journal(Fixture *fx, const char *name, const char *contents, gssize len)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = journal_path(fx, name);

	g_assert_true(g_file_set_contents(path, contents, len, &error));
	g_assert_no_error(error);
}

/* a device's bind entry, as the vfio-pci plugin writes it */
static void
assert_entry(HdJournal *journal,
	     guint index,
	     const char *address,
	     const char *original_driver,
	     const char *original_override,
	     gboolean found_bound,
	     const char *step)
{
	HdEntry *entry;

	g_assert_cmpuint(index, <, journal->entries->len);
	entry = g_ptr_array_index(journal->entries, index);
	g_assert_cmpstr(hd_entry_get_address(entry), ==, address);
	g_assert_cmpstr(entry->plugin, ==, "vfio-pci");
	g_assert_cmpint(entry->phase, ==, HD_PHASE_BIND);
	g_assert_cmpstr(hd_entry_get_string(entry, "original_driver"), ==, original_driver);
	g_assert_cmpstr(hd_entry_get_string(entry, "original_override"), ==, original_override);
	g_assert_cmpstr(hd_entry_get_string(entry, "target_driver"), ==, "vfio-pci");
	g_assert_cmpint(hd_entry_get_bool(entry, "found_bound"), ==, found_bound);
	g_assert_cmpstr(hd_entry_get_step(entry), ==, step);
}

/* one device's hand-written journal entry, in the file's own format */
static gchar *
journal_entry_json(const char *address, const char *driver, const char *override, const char *step)
{
	g_autofree gchar *drv = driver != NULL ? g_strdup_printf("\"%s\"", driver) : g_strdup("null");
	g_autofree gchar *ovr = override != NULL ? g_strdup_printf("\"%s\"", override) : g_strdup("null");

	return g_strdup_printf("{\"address\": \"%s\", \"original_driver\": %s, \"original_override\": %s, "
			       "\"target_driver\": \"vfio-pci\", \"found_bound\": false, \"step\": \"%s\"}",
			       address, drv, ovr, step);
}

static gchar *
journal_json(const char *name, const char *const *entries)
{
	g_autofree gchar *joined = g_strjoinv(",\n    ", (gchar **)entries);

	return g_strdup_printf("{\n  \"version\": 1,\n  \"domain\": \"%s\",\n  \"uuid\": \"" UUID "\",\n"
			       "  \"devices\": [\n    %s\n  ]\n}\n",
			       name, joined);
}

/* ---- prepare and release ------------------------------------------------------ */

/* the writes that move one bound device to vfio-pci, and back */
static void
add_bind_writes(GPtrArray *out, const char *bdf)
{
	g_ptr_array_add(out, g_strdup_printf("bus/pci/devices/%s/driver_override=vfio-pci", bdf));
	g_ptr_array_add(out, g_strdup_printf("bus/pci/devices/%s/driver/unbind=%s", bdf, bdf));
	g_ptr_array_add(out, g_strdup_printf("bus/pci/drivers_probe=%s", bdf));
}

static void
add_restore_writes(GPtrArray *out, const char *bdf)
{
	g_ptr_array_add(out, g_strdup_printf("bus/pci/devices/%s/driver_override=\\n", bdf));
	g_ptr_array_add(out, g_strdup_printf("bus/pci/devices/%s/driver/unbind=%s", bdf, bdf));
	g_ptr_array_add(out, g_strdup_printf("bus/pci/drivers_probe=%s", bdf));
}

static void
assert_writes_array_since(Fixture *fx, guint mark, GPtrArray *expected)
{
	g_ptr_array_add(expected, NULL);
	assert_writes_since(fx, mark, (const char *const *)expected->pdata);
	g_ptr_array_set_size(expected, expected->len - 1);
}

static const struct {
	const char *bdf;
	const char *driver;
	const char *group;
} several[] = {
	{NIC1, "e1000e", "1"},
	{NIC2, "e1000e", "2"},
	{NVME, "nvme", "3"},
	{GPU, "nouveau", "4"},
	{AUDIO, "snd_hda_intel", "4"},
};

static void
test_prepare_several(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *path = journal_path(fx, VM);
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
	guint mark = writes_mark(fx);
	struct stat st;

	for (guint i = 0; i < G_N_ELEMENTS(several); i++)
		g_assert_false(has_vfio_node(fx, several[i].group));
	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NIC2 HD_NVME HD_GPU HD_AUDIO);

	/* three writes per device, in the domain's order: override, unbind, probe */
	for (guint i = 0; i < G_N_ELEMENTS(several); i++)
		add_bind_writes(expected, several[i].bdf);
	assert_writes_array_since(fx, mark, expected);

	journal = journal_of(fx, VM);
	g_assert_cmpstr(journal->uuid, ==, UUID);
	g_assert_cmpuint(journal->entries->len, ==, G_N_ELEMENTS(several));
	for (guint i = 0; i < G_N_ELEMENTS(several); i++) {
		assert_driver(fx, several[i].bdf, "vfio-pci");
		assert_override(fx, several[i].bdf, "vfio-pci");
		g_assert_true(has_vfio_node(fx, several[i].group));
		assert_entry(journal, i, several[i].bdf, several[i].driver, NULL, FALSE, "done");
		g_assert_cmpuint(log_count("INFO", several[i].bdf), >=, 1);
	}
	/* who holds which device is root's business only */
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	/* nothing else moved */
	assert_driver(fx, E1000A, "e1000");
	assert_driver(fx, BRIDGE, "pcieport");
	g_assert_false(has_vfio_node(fx, "5"));

	mark = writes_mark(fx);
	release_ok(fx, VM);
	/* newest first, each exactly back */
	g_ptr_array_set_size(expected, 0);
	for (guint i = G_N_ELEMENTS(several); i > 0; i--)
		add_restore_writes(expected, several[i - 1].bdf);
	assert_writes_array_since(fx, mark, expected);
	for (guint i = 0; i < G_N_ELEMENTS(several); i++) {
		assert_driver(fx, several[i].bdf, several[i].driver);
		assert_override(fx, several[i].bdf, NULL);
		g_assert_false(has_vfio_node(fx, several[i].group));
	}
	g_assert_false(journal_exists(fx, VM));
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* a device with no driver goes to vfio-pci without an unbind, and back to
 * no driver without a probe */
static void
test_prepare_unbound(Fixture *fx, gconstpointer data)
{
	static const char *const bind[] = {W_OVERRIDE(UNBOUND, "vfio-pci"), W_PROBE(UNBOUND), NULL};
	static const char *const restore[] = {W_CLEAR(UNBOUND), W_UNBIND(UNBOUND), NULL};
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;
	guint mark = writes_mark(fx);

	prepare_ok(fx, VM, NULL, HD_UNBOUND);
	assert_writes_since(fx, mark, bind);
	assert_driver(fx, UNBOUND, "vfio-pci");
	journal = journal_of(fx, VM);
	assert_entry(journal, 0, UNBOUND, NULL, NULL, FALSE, "done");

	mark = writes_mark(fx);
	release_ok(fx, VM);
	assert_writes_since(fx, mark, restore);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* prepare loads vfio-pci, which then stays: nothing else differs */
static void
test_prepare_loads_vfio_module(Fixture *fx, gconstpointer data)
{
	static const char *const vfio_line = "driver vfio-pci bound=-\n";
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(GString) expected = g_string_new(before);
	const char *drivers_end;

	g_assert_false(hd_sysfs_exists(fx->ctx->sysfs, "bus/pci/drivers/vfio-pci"));
	g_assert_null(strstr(before, "driver vfio-pci"));
	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NVME);
	g_assert_true(hd_sysfs_exists(fx->ctx->sysfs, "bus/pci/drivers/vfio-pci"));
	assert_driver(fx, NIC1, "vfio-pci");
	assert_driver(fx, NVME, "vfio-pci");
	g_assert_true(has_vfio_node(fx, "1"));
	g_assert_true(has_vfio_node(fx, "3"));

	release_ok(fx, VM);
	assert_driver(fx, NIC1, "e1000e");
	assert_driver(fx, NVME, "nvme");
	g_assert_false(journal_exists(fx, VM));
	/* drivers are listed by name: vfio-pci's line goes after the last
	 * driver line, which is snd_hda_intel's, and before the vfio nodes */
	drivers_end = strstr(expected->str, "driver snd_hda_intel");
	g_assert_nonnull(drivers_end);
	g_string_insert(expected, strchr(drivers_end, '\n') + 1 - expected->str, vfio_line);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, expected->str);
}

/* ---- rollback -------------------------------------------------------------------- */

/*
 * One case per write of a successful three-device prepare, enumerated from
 * the writes that prepare made (rollback_cases_collect()): that write fails,
 * and the host must end as it began.
 */
#define ROLLBACK_DEVICES HD_NIC1 HD_NVME HD_NIC2

static const char *const rollback_bdfs[] = {NIC1, NVME, NIC2};

typedef struct {
	gchar *name;
	gchar *relpath; /* of the failing write */
	gchar *value;
	guint nth;	/* how many writes to relpath, this one included */
	guint index;	/* in the successful run's writes */
	guint device;	/* which of rollback_bdfs it concerns */
} RollbackCase;

static GPtrArray *success_writes; /* of "relpath=value" */
static GPtrArray *rollback_cases; /* of RollbackCase */

static void
rollback_case_free(RollbackCase *rc)
{
	g_free(rc->name);
	g_free(rc->relpath);
	g_free(rc->value);
	g_free(rc);
}

static guint
rollback_device_of(const char *write)
{
	for (guint i = 0; i < G_N_ELEMENTS(rollback_bdfs); i++) {
		if (strstr(write, rollback_bdfs[i]) != NULL)
			return i;
	}
	g_error("write %s concerns none of the prepared devices", write);
}

/* run the prepare once, outside any test, and make a case of each write */
static void
rollback_cases_collect(void)
{
	Fixture fx = {0};
	GPtrArray *writes;

	fixture_setup(&fx, NULL);
	prepare_ok(&fx, VM, NULL, ROLLBACK_DEVICES);
	writes = mock_sysfs_get_writes(fx.ms);
	success_writes = g_ptr_array_new_with_free_func(g_free);
	rollback_cases = g_ptr_array_new_with_free_func((GDestroyNotify)rollback_case_free);
	for (guint i = 0; i < writes->len; i++) {
		const char *write = g_ptr_array_index(writes, i);
		g_auto(GStrv) parts = g_strsplit(write, "=", 2);
		g_autofree gchar *attribute = g_path_get_basename(parts[0]);
		RollbackCase *rc = g_new0(RollbackCase, 1);

		g_ptr_array_add(success_writes, g_strdup(write));
		rc->relpath = g_strdup(parts[0]);
		rc->value = g_strdup(parts[1]);
		rc->index = i;
		rc->device = rollback_device_of(write);
		for (guint j = 0; j <= i; j++) {
			g_auto(GStrv) earlier = g_strsplit(g_ptr_array_index(writes, j), "=", 2);
			rc->nth += g_strcmp0(earlier[0], parts[0]) == 0;
		}
		rc->name = g_strdup_printf("/engine/rollback/fail-at/%u-%s-%s", i + 1, attribute,
					   rollback_bdfs[rc->device]);
		g_ptr_array_add(rollback_cases, rc);
	}
	fixture_teardown(&fx, NULL);
	/* the sequence the cases stand for: three writes per device */
	g_assert_cmpuint(rollback_cases->len, ==, 3 * G_N_ELEMENTS(rollback_bdfs));
}

/* the writes that undo a failure at @rc: the failing device from where it
 * stopped, then every device before it from vfio-pci, newest first */
static void
add_rollback_writes(GPtrArray *out, const RollbackCase *rc)
{
	const char *bdf = rollback_bdfs[rc->device];

	g_ptr_array_add(out, g_strdup_printf("bus/pci/devices/%s/driver_override=\\n", bdf));
	/* failed at the probe: unbound, so the original driver is probed back;
	 * failed before it: still on the original driver, nothing to move */
	if (g_str_has_suffix(rc->relpath, "drivers_probe"))
		g_ptr_array_add(out, g_strdup_printf("bus/pci/drivers_probe=%s", bdf));
	for (guint i = rc->device; i > 0; i--)
		add_restore_writes(out, rollback_bdfs[i - 1]);
}

static void
test_rollback_fail_at(Fixture *fx, gconstpointer data)
{
	const RollbackCase *rc = g_ptr_array_index(rollback_cases, GPOINTER_TO_UINT(data));
	const char *bdf = rollback_bdfs[rc->device];
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *path = g_build_filename(mock_sysfs_get_root(fx->ms), rc->relpath, NULL);
	g_autofree gchar *prefix = g_strdup_printf("%s: ", bdf);
	g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	guint mark = writes_mark(fx);

	mock_sysfs_fail_write(fx->ms, rc->relpath, rc->nth, EIO);
	g_assert_false(prepare(fx, VM, NULL, ROLLBACK_DEVICES, &error));

	/* the device, the write and the kernel's answer */
	g_assert_error(error, HD_ERROR, HD_ERROR_FAILED);
	g_assert_true(g_str_has_prefix(error->message, prefix));
	g_assert_nonnull(strstr(error->message, path));
	g_assert_nonnull(strstr(error->message, g_strerror(EIO)));
	g_assert_cmpuint(log_count("WARNING", "bind to vfio-pci failed"), ==, 1);

	/* the same writes up to the failing one, then exactly the undo */
	for (guint i = 0; i <= rc->index; i++)
		g_ptr_array_add(expected, g_strdup(g_ptr_array_index(success_writes, i)));
	add_rollback_writes(expected, rc);
	assert_writes_array_since(fx, mark, expected);
	for (guint i = rc->device + 1; i < G_N_ELEMENTS(rollback_bdfs); i++)
		g_assert_cmpuint(writes_naming(fx, mark, rollback_bdfs[i]), ==, 0);

	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));

	/* the release libvirt sends after a failed start finds nothing to do */
	mark = writes_mark(fx);
	release_ok(fx, VM);
	assert_no_writes_since(fx, mark);
}

/*
 * A driver that turns the device down in probe(): drivers_probe succeeds,
 * and the device simply has no driver afterwards.  The mock's refusal holds
 * for every driver, so it is put on a device that had none: undone, it is
 * as it was.
 */
static void
test_rollback_probe_refused(Fixture *fx, gconstpointer data)
{
	static const char *const refused_writes[] = {
	    W_OVERRIDE(NIC1, "vfio-pci"), W_UNBIND(NIC1), W_PROBE(NIC1),
	    W_OVERRIDE(NVME, "vfio-pci"), W_UNBIND(NVME), W_PROBE(NVME),
	    W_OVERRIDE(UNBOUND, "vfio-pci"), W_PROBE(UNBOUND),
	    /* the undo: no driver to unbind, none to bring back */
	    W_CLEAR(UNBOUND),
	    W_CLEAR(NVME), W_UNBIND(NVME), W_PROBE(NVME),
	    W_CLEAR(NIC1), W_UNBIND(NIC1), W_PROBE(NIC1),
	    NULL,
	};
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(GError) error = NULL;
	guint mark = writes_mark(fx);

	mock_sysfs_set_probe_refused(fx->ms, UNBOUND, TRUE);
	g_assert_false(prepare(fx, VM, NULL, HD_NIC1 HD_NVME HD_UNBOUND, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==,
			UNBOUND ": vfio-pci did not take the device within 50 ms (driver now: none)");
	assert_writes_since(fx, mark, refused_writes);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

/*
 * The same refusal on a device that had a driver: the undo cannot bring
 * e1000e back while the device refuses every driver, so that device stays
 * journalled, the others are put back, and a critical names it.  Once the
 * device accepts drivers again, release (what `hostdevctl recover` runs)
 * finishes the job.
 */
static void
test_rollback_probe_refused_keeps_journal(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GError) error = NULL;

	fx->criticals_expected = TRUE;
	mock_sysfs_set_probe_refused(fx->ms, NIC2, TRUE);
	g_assert_false(prepare(fx, VM, NULL, ROLLBACK_DEVICES, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==,
			NIC2 ": vfio-pci did not take the device within 50 ms (driver now: none)");
	g_assert_cmpuint(log_count("CRITICAL", NIC2), ==, 1);
	assert_driver(fx, NIC1, "e1000e");
	assert_driver(fx, NVME, "nvme");
	assert_driver(fx, NIC2, NULL);
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 1);
	assert_entry(journal, 0, NIC2, "e1000e", NULL, FALSE, "probe");

	mock_sysfs_set_probe_refused(fx->ms, NIC2, FALSE);
	release_ok(fx, VM);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

/* vfio-pci cannot be loaded: nothing moves, and the cause is kmod's */
static void
test_rollback_module_load_fails(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(GError) error = NULL;
	GPtrArray *writes;
	guint mark = writes_mark(fx);

	mock_sysfs_fail_module(fx->ms, "vfio-pci", EPERM);
	g_assert_false(prepare(fx, VM, NULL, ROLLBACK_DEVICES, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED);
	g_assert_cmpstr(error->message, ==, NIC1 ": module vfio-pci: Operation not permitted");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
	/* no device was unbound or probed, and none after the first touched */
	writes = mock_sysfs_get_writes(fx->ms);
	for (guint i = mark; i < writes->len; i++) {
		const char *write = g_ptr_array_index(writes, i);

		g_assert_true(g_str_has_prefix(write, "bus/pci/devices/" NIC1 "/driver_override="));
		g_assert_null(strstr(write, "vfio-pci"));
	}
	g_assert_cmpuint(writes_naming(fx, mark, NVME) + writes_naming(fx, mark, NIC2), ==, 0);
}

/* a device found on vfio-pci is neither moved by a rollback nor by release */
static void
test_rollback_leaves_found_bound(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = NULL;
	g_autofree gchar *after = NULL;
	g_autoptr(GError) error = NULL;
	guint mark;

	write_by_hand(fx, "bus/pci/devices/" NIC2 "/driver_override", "vfio-pci");
	write_by_hand(fx, "bus/pci/devices/" NIC2 "/driver/unbind", NIC2);
	write_by_hand(fx, "bus/pci/drivers_probe", NIC2);
	before = mock_sysfs_snapshot(fx->ms);
	mark = writes_mark(fx);
	mock_sysfs_fail_write(fx->ms, "bus/pci/drivers_probe", 1, EIO);
	g_assert_false(prepare(fx, VM, NULL, HD_NIC2 HD_NIC1, &error));
	g_assert_true(g_str_has_prefix(error->message, NIC1 ": cannot write '" NIC1 "' to "));
	g_assert_cmpuint(writes_naming(fx, mark, NIC2), ==, 0);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

/* ---- driver_override found on the device ------------------------------------------ */

static const struct {
	const char *name;
	const char *bdf;
	const char *hostdev;
	const char *driver;   /* the device is on it, and goes back to it */
	const char *override; /* set before prepare, and back after release */
} override_cases[] = {
	/* the override names the driver it is on */
	{"same-driver", NIC1, HD_NIC1, "e1000e", "e1000e"},
	/* a pending override for another driver: the device stays on e1000e
	 * until something reprobes it, and that must not be us */
	{"other-driver", NIC1, HD_NIC1, "e1000e", "nvme"},
	{"driver-not-loaded", NIC1, HD_NIC1, "e1000e", "igb"},
	/* pci-stub claims no IDs: only its override lets it have the device */
	{"stub-driver", STUBBED, HD_STUBBED, "pci-stub", "pci-stub"},
	/* no driver, waiting for one that is not loaded */
	{"unbound", UNBOUND, HD_UNBOUND, NULL, "virtio-pci"},
	/* someone meant to hand it to vfio-pci and never reprobed */
	{"pending-vfio", NIC1, HD_NIC1, "e1000e", "vfio-pci"},
};

static void
test_override(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	const char *bdf = override_cases[i].bdf;
	g_autofree gchar *relpath = g_build_filename("bus/pci/devices", bdf, "driver_override", NULL);
	g_autofree gchar *before = NULL;
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;

	write_by_hand(fx, relpath, override_cases[i].override);
	assert_driver(fx, bdf, override_cases[i].driver);
	before = mock_sysfs_snapshot(fx->ms);

	prepare_ok(fx, VM, NULL, override_cases[i].hostdev);
	assert_driver(fx, bdf, "vfio-pci");
	assert_override(fx, bdf, "vfio-pci");
	journal = journal_of(fx, VM);
	assert_entry(journal, 0, bdf, override_cases[i].driver, override_cases[i].override, FALSE,
		     "done");

	release_ok(fx, VM);
	assert_driver(fx, bdf, override_cases[i].driver);
	assert_override(fx, bdf, override_cases[i].override);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

/* ... and after a rollback from each point of the bind */
static void
test_override_rollback(Fixture *fx, gconstpointer data)
{
	static const char *const attributes[] = {"driver_override", "unbind", "drivers_probe"};
	guint i = GPOINTER_TO_UINT(data);
	const char *bdf = override_cases[i].bdf;
	g_autofree gchar *relpath = g_build_filename("bus/pci/devices", bdf, "driver_override", NULL);
	g_autofree gchar *prefix = g_strdup_printf("%s: ", bdf);
	g_autofree gchar *before = NULL;

	write_by_hand(fx, relpath, override_cases[i].override);
	before = mock_sysfs_snapshot(fx->ms);
	for (guint j = 0; j < G_N_ELEMENTS(attributes); j++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *after = NULL;

		/* an unbound device has no unbind to fail */
		if (override_cases[i].driver == NULL && j == 1)
			continue;
		g_test_message("failing %s", attributes[j]);
		/* the bind's own write to the attribute is the first one from now */
		mock_sysfs_fail_write(fx->ms, attributes[j], 1, EIO);
		g_assert_false(prepare(fx, VM, NULL, override_cases[i].hostdev, &error));
		g_assert_true(g_str_has_prefix(error->message, prefix));
		after = mock_sysfs_snapshot(fx->ms);
		g_assert_cmpstr(after, ==, before);
		g_assert_false(journal_exists(fx, VM));
	}
}

/* ---- found on vfio-pci ------------------------------------------------------------- */

static void
test_found_bound(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = NULL;
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(HdPlan) plan = NULL;
	guint mark;

	/* libvirt's managed detach, or an admin, put NIC2 there */
	write_by_hand(fx, "bus/pci/devices/" NIC2 "/driver_override", "vfio-pci");
	write_by_hand(fx, "bus/pci/devices/" NIC2 "/driver/unbind", NIC2);
	write_by_hand(fx, "bus/pci/drivers_probe", NIC2);
	assert_driver(fx, NIC2, "vfio-pci");
	before = mock_sysfs_snapshot(fx->ms);

	plan = plan_for(fx, VM, NULL, HD_NIC2);
	g_assert_true(((HdPlanDevice *)g_ptr_array_index(plan->devices, 0))->already_bound);

	mark = writes_mark(fx);
	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NIC2);
	g_assert_cmpuint(writes_naming(fx, mark, NIC2), ==, 0);
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 2);
	assert_entry(journal, 0, NIC1, "e1000e", NULL, FALSE, "done");
	assert_entry(journal, 1, NIC2, "vfio-pci", "vfio-pci", TRUE, "done");
	g_assert_cmpuint(log_count("INFO", "already on vfio-pci"), ==, 1);

	mark = writes_mark(fx);
	release_ok(fx, VM);
	g_assert_cmpuint(writes_naming(fx, mark, NIC2), ==, 0);
	assert_driver(fx, NIC2, "vfio-pci");
	assert_override(fx, NIC2, "vfio-pci");
	assert_driver(fx, NIC1, "e1000e");
	g_assert_cmpuint(log_count("INFO", "left on vfio-pci, where it was found"), ==, 1);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

/* ---- ownership ---------------------------------------------------------------------- */

static void
test_ownership_conflict(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;
	guint mark;

	prepare_ok(fx, "A", NULL, HD_NIC1);

	/* B asks for it: refused at planning, before anything is written */
	mark = writes_mark(fx);
	{
		g_autoptr(HdStateLock) lock = lock_state(fx);
		g_autoptr(HdPlan) plan = plan_for(fx, "B", NULL, HD_NIC2 HD_NIC1);
		const HdPlanDevice *refused = hd_plan_first_error(plan);

		g_assert_nonnull(refused);
		g_assert_cmpstr(refused->info->bdf, ==, NIC1);
		g_assert_cmpstr(refused->reason, ==, "in use by domain 'A', which hostdev-hook prepared it for");
		/* its other device is fine */
		g_assert_cmpint(((HdPlanDevice *)g_ptr_array_index(plan->devices, 0))->action, ==,
				HD_ACTION_BIND);
	}
	assert_no_writes_since(fx, mark);
	/* the release libvirt sends B after its failed start leaves A's device alone */
	release_ok(fx, "B");
	assert_no_writes_since(fx, mark);
	assert_driver(fx, NIC1, "vfio-pci");
	g_assert_true(journal_exists(fx, "A"));
	g_assert_false(journal_exists(fx, "B"));

	/* A lets go; now B may have it */
	release_ok(fx, "A");
	assert_driver(fx, NIC1, "e1000e");
	prepare_ok(fx, "B", NULL, HD_NIC1);
	assert_driver(fx, NIC1, "vfio-pci");
	journal = journal_of(fx, "B");
	assert_entry(journal, 0, NIC1, "e1000e", NULL, FALSE, "done");
	release_ok(fx, "B");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* two domains side by side: each release puts back its own devices only */
static void
test_ownership_separate(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;
	guint mark;

	prepare_ok(fx, "A", NULL, HD_NIC1);
	prepare_ok(fx, "B", NULL, HD_NIC2);
	mark = writes_mark(fx);
	release_ok(fx, "A");
	g_assert_cmpuint(writes_naming(fx, mark, NIC2), ==, 0);
	assert_driver(fx, NIC1, "e1000e");
	assert_driver(fx, NIC2, "vfio-pci");
	journal = journal_of(fx, "B");
	g_assert_cmpuint(journal->entries->len, ==, 1);
	release_ok(fx, "B");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* ---- hot-plug: attach and release_device --------------------------------------- */

/* plan (which must not refuse) and attach, under the state lock, as hostdevctl does */
static gboolean
attach(Fixture *fx, const char *name, const char *metadata, const char *devices, GError **error)
{
	g_autoptr(HdStateLock) lock = lock_state(fx);
	g_autoptr(HdPlan) plan = plan_for(fx, name, metadata, devices);
	const HdPlanDevice *refused = hd_plan_first_error(plan);

	if (refused != NULL)
		g_error("plan for %s refused %s: %s", name, refused->info->bdf, refused->reason);
	return hd_engine_attach(fx->ctx, plan, error);
}

static gboolean
release_device(Fixture *fx, const char *name, const char *bdf, GError **error)
{
	g_autoptr(HdStateLock) lock = lock_state(fx);
	HdOwner owner = DOMAIN_OWNER(name);

	return hd_engine_release_device(fx->ctx, &owner, bdf, error);
}

/* a running domain gets one more device: what it held is not touched */
static void
test_attach_keeps_held(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GError) error = NULL;
	guint mark;

	prepare_ok(fx, VM, NULL, HD_NIC1);
	mark = writes_mark(fx);
	g_assert_true(attach(fx, VM, NULL, HD_NVME, &error));
	g_assert_no_error(error);
	add_bind_writes(expected, NVME);
	assert_writes_array_since(fx, mark, expected);
	assert_driver(fx, NIC1, "vfio-pci");
	assert_driver(fx, NVME, "vfio-pci");
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 2);
	assert_entry(journal, 0, NIC1, "e1000e", NULL, FALSE, "done");
	assert_entry(journal, 1, NVME, "nvme", NULL, FALSE, "done");
	g_assert_cmpstr(journal->uuid, ==, UUID);

	/* the domain's release gives back both, the attached one first */
	mark = writes_mark(fx);
	release_ok(fx, VM);
	g_ptr_array_set_size(expected, 0);
	add_restore_writes(expected, NVME);
	add_restore_writes(expected, NIC1);
	assert_writes_array_since(fx, mark, expected);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

/* a domain that started with no device of ours gets a journal, with its uuid */
static void
test_attach_first_device(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_false(journal_exists(fx, VM));
	g_assert_true(attach(fx, VM, NULL, HD_NIC2, &error));
	g_assert_no_error(error);
	journal = journal_of(fx, VM);
	g_assert_cmpstr(journal->uuid, ==, UUID);
	g_assert_cmpuint(journal->entries->len, ==, 1);
	assert_entry(journal, 0, NIC2, "e1000e", NULL, FALSE, "done");
	release_ok(fx, VM);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/*
 * An attach whose second device fails undoes its first, and only that:
 * the device the domain started with stays on vfio-pci, journalled, and
 * is not written to.
 */
static void
test_attach_rollback_keeps_older(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *held = NULL;
	g_autofree gchar *after = NULL;
	guint mark;

	prepare_ok(fx, VM, NULL, HD_NIC1);
	held = mock_sysfs_snapshot(fx->ms);
	mark = writes_mark(fx);
	mock_sysfs_set_probe_refused(fx->ms, UNBOUND, TRUE);
	g_assert_false(attach(fx, VM, NULL, HD_NVME HD_UNBOUND, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==,
			UNBOUND ": vfio-pci did not take the device within 50 ms (driver now: none)");
	g_assert_cmpuint(writes_naming(fx, mark, NIC1), ==, 0);
	add_bind_writes(expected, NVME);
	g_ptr_array_add(expected, g_strdup(W_OVERRIDE(UNBOUND, "vfio-pci")));
	g_ptr_array_add(expected, g_strdup(W_PROBE(UNBOUND)));
	g_ptr_array_add(expected, g_strdup(W_CLEAR(UNBOUND)));
	add_restore_writes(expected, NVME);
	assert_writes_array_since(fx, mark, expected);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, held);
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 1);
	assert_entry(journal, 0, NIC1, "e1000e", NULL, FALSE, "done");
	g_assert_cmpuint(log_count("WARNING", "undoing 2 change(s)"), ==, 1);
	mock_sysfs_set_probe_refused(fx->ms, UNBOUND, FALSE);
	release_ok(fx, VM);
}

/* one device goes back; the domain's others stay as they are */
static void
test_release_device_leaves_others(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GError) error = NULL;
	guint mark;

	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NVME);
	g_assert_true(attach(fx, VM, NULL, HD_NIC2, &error));
	g_assert_no_error(error);

	mark = writes_mark(fx);
	g_assert_true(release_device(fx, VM, NVME, &error));
	g_assert_no_error(error);
	add_restore_writes(expected, NVME);
	assert_writes_array_since(fx, mark, expected);
	assert_driver(fx, NVME, "nvme");
	assert_driver(fx, NIC1, "vfio-pci");
	assert_driver(fx, NIC2, "vfio-pci");
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 2);
	assert_entry(journal, 0, NIC1, "e1000e", NULL, FALSE, "done");
	assert_entry(journal, 1, NIC2, "e1000e", NULL, FALSE, "done");

	/* once the last one goes, so does the journal */
	g_assert_true(release_device(fx, VM, NIC2, &error));
	g_assert_true(release_device(fx, VM, NIC1, &error));
	g_assert_no_error(error);
	g_assert_false(journal_exists(fx, VM));
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* a device the journal does not hold, or a domain with no journal: nothing to do */
static void
test_release_device_not_journalled(Fixture *fx, gconstpointer data)
{
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GError) error = NULL;
	guint mark = writes_mark(fx);

	g_assert_true(release_device(fx, VM, NIC1, &error));
	g_assert_no_error(error);
	g_assert_false(journal_exists(fx, VM));
	prepare_ok(fx, VM, NULL, HD_NIC1);
	mark = writes_mark(fx);
	g_assert_true(release_device(fx, VM, NIC2, &error));
	g_assert_no_error(error);
	assert_no_writes_since(fx, mark);
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 1);
	release_ok(fx, VM);
}

/* a device that cannot go back stays journalled, the error names it */
static void
test_release_device_stuck(Fixture *fx, gconstpointer data)
{
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GError) error = NULL;

	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NIC2);
	mock_sysfs_set_probe_refused(fx->ms, NIC1, TRUE);
	fx->criticals_expected = TRUE;
	g_assert_false(release_device(fx, VM, NIC1, &error));
	g_assert_nonnull(error);
	g_assert_true(g_str_has_prefix(error->message, NIC1 ": "));
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 2);
	assert_driver(fx, NIC2, "vfio-pci");
	g_clear_error(&error);
	mock_sysfs_set_probe_refused(fx->ms, NIC1, FALSE);
	g_assert_true(release_device(fx, VM, NIC1, &error));
	g_assert_no_error(error);
	assert_driver(fx, NIC1, "e1000e");
	release_ok(fx, VM);
}

/* ---- IOMMU groups ------------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *devices;
	const char *bdf;
	const char *reason;
} group_refused_cases[] = {
	{"audio-alone", HD_AUDIO, AUDIO,
	 "IOMMU group 4 is not viable: " GPU " (nouveau) still serves the host; ask for it too, or set "
	 "take-group='yes' in the domain's hostdev-hook metadata"},
	{"gpu-alone", HD_GPU, GPU,
	 "IOMMU group 4 is not viable: " AUDIO " (snd_hda_intel) still serves the host; ask for it too, or set "
	 "take-group='yes' in the domain's hostdev-hook metadata"},
	/* the bridge in group 5 is not named: bridges never count */
	{"e1000-alone", HD_E1000A, E1000A,
	 "IOMMU group 5 is not viable: " E1000B " (e1000) still serves the host; ask for it too, or set "
	 "take-group='yes' in the domain's hostdev-hook metadata"},
	{"bridge", HD_BRIDGE, BRIDGE, "a PCI bridge cannot be assigned; only endpoints can"},
};

static void
test_group_refused(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdStateLock) lock = lock_state(fx);
	g_autoptr(HdPlan) plan = plan_for(fx, VM, NULL, group_refused_cases[i].devices);
	const HdPlanDevice *refused = hd_plan_first_error(plan);

	g_assert_nonnull(refused);
	g_assert_cmpstr(refused->info->bdf, ==, group_refused_cases[i].bdf);
	g_assert_cmpstr(refused->reason, ==, group_refused_cases[i].reason);
	g_assert_cmpuint(writes_mark(fx), ==, 0);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

static const struct {
	const char *name;
	const char *metadata;
	const char *devices;
	const char *bdfs[3];	 /* in the order they are bound */
	const char *drivers[3];
	const char *group;
} group_whole_cases[] = {
	{"gpu/both-asked", NULL, HD_GPU HD_AUDIO, {GPU, AUDIO}, {"nouveau", "snd_hda_intel"}, "4"},
	{"gpu/take-group", META("address='" AUDIO "' take-group='yes'"), HD_AUDIO, {AUDIO, GPU},
	 {"snd_hda_intel", "nouveau"}, "4"},
	{"behind-bridge/both-asked", NULL, HD_E1000B HD_E1000A, {E1000B, E1000A}, {"e1000", "e1000"}, "5"},
	{"behind-bridge/take-group", META("address='" E1000A "' take-group='yes'"), HD_E1000A, {E1000A, E1000B},
	 {"e1000", "e1000"}, "5"},
	/* a metadata-only request takes the group too */
	{"behind-bridge/take-group-metadata-only", META("address='" E1000B "' take-group='yes'"), "",
	 {E1000B, E1000A}, {"e1000", "e1000"}, "5"},
};

static void
test_group_whole(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;
	guint n = 0;

	prepare_ok(fx, VM, group_whole_cases[i].metadata, group_whole_cases[i].devices);
	journal = journal_of(fx, VM);
	for (; n < G_N_ELEMENTS(group_whole_cases[i].bdfs) && group_whole_cases[i].bdfs[n] != NULL; n++) {
		assert_driver(fx, group_whole_cases[i].bdfs[n], "vfio-pci");
		assert_entry(journal, n, group_whole_cases[i].bdfs[n], group_whole_cases[i].drivers[n], NULL, FALSE,
			     "done");
	}
	g_assert_cmpuint(journal->entries->len, ==, n);
	g_assert_true(has_vfio_node(fx, group_whole_cases[i].group));
	assert_driver(fx, BRIDGE, "pcieport");

	release_ok(fx, VM);
	for (guint j = 0; j < n; j++)
		assert_driver(fx, group_whole_cases[i].bdfs[j], group_whole_cases[i].drivers[j]);
	g_assert_false(has_vfio_node(fx, group_whole_cases[i].group));
	/* the bridge was never written to, by prepare or release */
	g_assert_cmpuint(writes_naming(fx, 0, BRIDGE), ==, 0);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

/* ---- release ---------------------------------------------------------------------- */

static void
test_release_twice(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	guint mark;

	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NVME);
	release_ok(fx, VM);
	mark = writes_mark(fx);
	release_ok(fx, VM);
	assert_no_writes_since(fx, mark);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

static void
test_release_without_prepare(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;

	release_ok(fx, VM);
	release_ok(fx, "never-started");
	g_assert_cmpuint(writes_mark(fx), ==, 0);
	g_assert_false(journal_exists(fx, VM));
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/*
 * A prepare that failed late and whose undo failed too: NIC2's probe fails,
 * then clearing its override in the undo fails once.  NIC1 and the NVMe are
 * put back; NIC2 stays journalled at "probe", and the next release (libvirt
 * sends one after a failed start) finishes the job.
 */
static void
test_release_after_failed_rollback(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GError) error = NULL;
	guint mark;

	fx->criticals_expected = TRUE;
	mock_sysfs_fail_write(fx->ms, "bus/pci/drivers_probe", 3, EIO);
	mock_sysfs_fail_write(fx->ms, "bus/pci/devices/" NIC2 "/driver_override", 2, EBUSY);
	g_assert_false(prepare(fx, VM, NULL, ROLLBACK_DEVICES, &error));
	/* the cause, not the undo's trouble, is what the user sees */
	g_assert_error(error, HD_ERROR, HD_ERROR_FAILED);
	g_assert_true(g_str_has_prefix(error->message, NIC2 ": cannot write '" NIC2 "' to "));
	g_assert_nonnull(strstr(error->message, g_strerror(EIO)));
	g_assert_cmpuint(log_count("CRITICAL", NIC2), ==, 1);
	assert_driver(fx, NIC1, "e1000e");
	assert_driver(fx, NVME, "nvme");
	assert_driver(fx, NIC2, NULL);
	assert_override(fx, NIC2, "vfio-pci");
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 1);
	assert_entry(journal, 0, NIC2, "e1000e", NULL, FALSE, "probe");

	release_ok(fx, VM);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
	mark = writes_mark(fx);
	release_ok(fx, VM);
	assert_no_writes_since(fx, mark);
}

/*
 * The hook died at each point of a bind of NIC1: the journal names the step
 * about to happen, and the write it announced may or may not have been made.
 */
static const struct {
	const char *name;
	const char *step;
	const char *done[4]; /* the writes made before the crash */
} crash_cases[] = {
	{"recorded", "recorded", {NULL}},
	{"set-override/before-write", "set-override", {NULL}},
	{"set-override/after-write", "set-override", {W_OVERRIDE(NIC1, "vfio-pci"), NULL}},
	{"unbind/before-write", "unbind", {W_OVERRIDE(NIC1, "vfio-pci"), NULL}},
	{"unbind/after-write", "unbind", {W_OVERRIDE(NIC1, "vfio-pci"), W_UNBIND(NIC1), NULL}},
	{"probe/before-write", "probe", {W_OVERRIDE(NIC1, "vfio-pci"), W_UNBIND(NIC1), NULL}},
	{"probe/after-write", "probe", {W_OVERRIDE(NIC1, "vfio-pci"), W_UNBIND(NIC1), W_PROBE(NIC1), NULL}},
	{"bound", "bound", {W_OVERRIDE(NIC1, "vfio-pci"), W_UNBIND(NIC1), W_PROBE(NIC1), NULL}},
};

/* version 1 steps as version 2 reads them: "recorded" changed nothing yet,
 * "bound" finished */
static const char *
step_from_v1(const char *v1_step)
{
	if (g_strcmp0(v1_step, "recorded") == 0)
		return "begin";
	if (g_strcmp0(v1_step, "bound") == 0)
		return "done";
	return v1_step;
}

static void
test_release_crash(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *entry = journal_entry_json(NIC1, "e1000e", NULL, crash_cases[i].step);
	const char *entries[] = {entry, NULL};
	g_autofree gchar *json = journal_json(VM, entries);
	g_autoptr(HdJournal) journal = NULL;
	guint mark;

	write_journal(fx, VM, json, -1);
	for (guint j = 0; crash_cases[i].done[j] != NULL; j++)
		write_entry_by_hand(fx, crash_cases[i].done[j]);
	/* the hand-written journal reads back as the engine would have written it */
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 1);
	assert_entry(journal, 0, NIC1, "e1000e", NULL, FALSE, step_from_v1(crash_cases[i].step));

	release_ok(fx, VM);
	assert_driver(fx, NIC1, "e1000e");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
	mark = writes_mark(fx);
	release_ok(fx, VM);
	assert_no_writes_since(fx, mark);
}

/*
 * A release commits each unit's last undone entry once, at its end: a
 * crash just before that commit leaves a journal whose entries are all
 * undone already.  The next release undoes them again, which changes
 * nothing, and removes the journal.
 */
static void
test_release_crash_before_commit(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *path = journal_path(fx, VM);
	g_autofree gchar *left = NULL;
	g_autoptr(GError) error = NULL;

	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NVME);
	g_assert_true(g_file_get_contents(path, &left, NULL, &error));
	g_assert_no_error(error);
	release_ok(fx, VM);
	write_journal(fx, VM, left, -1);
	release_ok(fx, VM);
	assert_driver(fx, NIC1, "e1000e");
	assert_driver(fx, NVME, "nvme");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

/* a restore's context, as hostdev-hook-release.so makes it, with @policy */
static HdContext *
restore_context(Fixture *fx, const char *policy)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = hd_context_new_for_restore(mock_sysfs_get_root(fx->ms), policy, &error);

	g_assert_no_error(error);
	mock_sysfs_install(fx->ms, ctx);
	g_assert_true(hd_context_set_state_dir(ctx, fx->state_dir, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&ctx);
}

static gchar *
broken_policy(Fixture *fx)
{
	g_autofree gchar *path = g_build_filename(fx->state_dir, "broken-policy.conf", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, "[bind]\ntimeout-ms=soon\n", -1, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&path);
}

/*
 * Giving devices back needs no permission: a release reads the policy
 * only to wait for a late driver, and a policy it cannot read does not
 * keep devices from going back.
 */
static void
test_release_policy_unread(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *policy = broken_policy(fx);
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(GError) error = NULL;

	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NVME);
	ctx = restore_context(fx, policy);
	{
		g_autoptr(HdStateLock) lock = lock_state(fx);

		g_assert_true(hd_hook_release_domain(ctx, VM, &error));
		g_assert_no_error(error);
	}
	/* the simulated drivers bind before drivers_probe returns: no wait */
	g_assert_null(ctx->policy);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

static void
test_release_policy_defaults(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *policy = broken_policy(fx);
	g_autoptr(HdContext) ctx = restore_context(fx, policy);
	g_autoptr(HdPolicy) defaults = hd_policy_new_default();
	const HdPolicy *used = hd_context_get_policy(ctx);

	g_assert_cmpuint(used->bind_timeout_ms, ==, defaults->bind_timeout_ms);
	g_assert_true(hd_context_get_policy(ctx) == used);
	g_assert_cmpuint(log_count("WARNING", "the policy's defaults instead: "), ==, 1);
	g_assert_cmpuint(log_count("WARNING", "timeout-ms"), ==, 1);
}

/* a crash in the middle of a three-device prepare */
static void
test_release_crash_several(Fixture *fx, gconstpointer data)
{
	static const char *const done[] = {
	    W_OVERRIDE(NIC1, "vfio-pci"), W_UNBIND(NIC1), W_PROBE(NIC1),
	    W_OVERRIDE(NVME, "vfio-pci"), W_UNBIND(NVME),
	};
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *nic1 = journal_entry_json(NIC1, "e1000e", NULL, "bound");
	g_autofree gchar *nvme = journal_entry_json(NVME, "nvme", NULL, "probe");
	g_autofree gchar *nic2 = journal_entry_json(NIC2, "e1000e", NULL, "set-override");
	const char *entries[] = {nic1, nvme, nic2, NULL};
	g_autofree gchar *json = journal_json(VM, entries);

	write_journal(fx, VM, json, -1);
	for (guint i = 0; i < G_N_ELEMENTS(done); i++)
		write_entry_by_hand(fx, done[i]);
	release_ok(fx, VM);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(journal_exists(fx, VM));
}

/* ---- a journal left by an earlier start --------------------------------------------- */

/* the domain stopped without a release (libxl sends none after a failed
 * start, and a crashed host sends none at all), then starts again with
 * other devices: the old ones go back first */
static void
test_stale_journal_other_devices(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;

	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NVME);
	prepare_ok(fx, VM, NULL, HD_NIC2);
	g_assert_cmpuint(log_count("WARNING", "undoing 2 change(s) left from an earlier start"), ==, 1);
	assert_driver(fx, NIC1, "e1000e");
	assert_driver(fx, NVME, "nvme");
	assert_driver(fx, NIC2, "vfio-pci");
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 1);
	assert_entry(journal, 0, NIC2, "e1000e", NULL, FALSE, "done");
	release_ok(fx, VM);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* the same devices again: without the undo they would be "found" on
 * vfio-pci, and e1000e would be forgotten */
static void
test_stale_journal_same_devices(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
	guint mark;

	prepare_ok(fx, VM, NULL, HD_NIC1);
	mark = writes_mark(fx);
	prepare_ok(fx, VM, NULL, HD_NIC1);
	add_restore_writes(expected, NIC1);
	add_bind_writes(expected, NIC1);
	assert_writes_array_since(fx, mark, expected);
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 1);
	assert_entry(journal, 0, NIC1, "e1000e", NULL, FALSE, "done");
	release_ok(fx, VM);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* a crash mid-prepare, then the next start */
static void
test_stale_journal_unfinished(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *entry = journal_entry_json(NIC1, "e1000e", NULL, "probe");
	const char *entries[] = {entry, NULL};
	g_autofree gchar *json = journal_json(VM, entries);
	g_autoptr(HdJournal) journal = NULL;

	write_journal(fx, VM, json, -1);
	write_by_hand(fx, "bus/pci/devices/" NIC1 "/driver_override", "vfio-pci");
	write_by_hand(fx, "bus/pci/devices/" NIC1 "/driver/unbind", NIC1);
	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NIC2);
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->entries->len, ==, 2);
	assert_entry(journal, 0, NIC1, "e1000e", NULL, FALSE, "done");
	assert_entry(journal, 1, NIC2, "e1000e", NULL, FALSE, "done");
	release_ok(fx, VM);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* ---- journals of the json-glib build ------------------------------------------------ */

/*
 * Exactly what the build on json-glib wrote (its generator, pretty: "key" :
 * value, 2-space indent, "/" and UTF-8 as they are) after binding NIC1 from
 * e1000e, with a claim in flight and two data members of kinds the
 * vfio-pci plugin does not write.  Hosts upgraded with devices lent out
 * keep such files in /run/hostdev-hook.
 */
#define JSON_GLIB_JOURNAL                                                                                      \
	"{\n"                                                                                                  \
	"  \"version\" : 2,\n"                                                                                 \
	"  \"owner\" : {\n"                                                                                    \
	"    \"kind\" : \"domain\",\n"                                                                         \
	"    \"name\" : \"vm1\"\n"                                                                             \
	"  },\n"                                                                                               \
	"  \"uuid\" : \"" UUID "\",\n"                                                                         \
	"  \"entries\" : [\n"                                                                                  \
	"    {\n"                                                                                              \
	"      \"owner\" : {\n"                                                                                \
	"        \"kind\" : \"domain\",\n"                                                                     \
	"        \"name\" : \"vm1\"\n"                                                                         \
	"      },\n"                                                                                           \
	"      \"address\" : \"" NIC1 "\",\n"                                                                  \
	"      \"parent\" : null,\n"                                                                           \
	"      \"plugin\" : \"vfio-pci\",\n"                                                                   \
	"      \"phase\" : \"bind\",\n"                                                                        \
	"      \"step\" : \"done\",\n"                                                                         \
	"      \"data\" : {\n"                                                                                 \
	"        \"original_driver\" : \"e1000e\",\n"                                                          \
	"        \"original_override\" : null,\n"                                                              \
	"        \"target_driver\" : \"vfio-pci\",\n"                                                          \
	"        \"found_bound\" : false,\n"                                                                   \
	"        \"timeout_ms\" : 5000,\n"                                                                     \
	"        \"note\" : \"/sys/bus/pci \xc3\xa9\"\n"                                                       \
	"      }\n"                                                                                            \
	"    }\n"                                                                                              \
	"  ],\n"                                                                                               \
	"  \"claims\" : [\n"                                                                                   \
	"    \"" NIC2 "\"\n"                                                                                   \
	"  ]\n"                                                                                                \
	"}"

static void
assert_json_glib_journal(HdJournal *journal)
{
	HdEntry *entry;

	g_assert_cmpstr(journal->uuid, ==, UUID);
	g_assert_cmpuint(journal->entries->len, ==, 1);
	assert_entry(journal, 0, NIC1, "e1000e", NULL, FALSE, "done");
	entry = g_ptr_array_index(journal->entries, 0);
	g_assert_null(hd_entry_get_parent(entry));
	g_assert_cmpint(hd_entry_get_int(entry, "timeout_ms", -1), ==, 5000);
	g_assert_cmpstr(hd_entry_get_string(entry, "note"), ==, "/sys/bus/pci \xc3\xa9");
	g_assert_cmpuint(journal->claims->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(journal->claims, 0), ==, NIC2);
}

/* it loads, saves in json-c's spelling of the same document, and reads back */
static void
test_journal_json_glib_written(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *path = journal_path(fx, VM);
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(HdJournal) again = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *saved = NULL;

	write_journal(fx, VM, JSON_GLIB_JOURNAL, -1);
	journal = journal_of(fx, VM);
	g_assert_cmpuint(journal->loaded_version, ==, 2);
	assert_json_glib_journal(journal);

	g_assert_true(hd_journal_save(journal, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(path, &saved, NULL, NULL));
	g_assert_true(g_str_has_prefix(saved, "{\n  \"version\": 2,\n  \"owner\": {\n    \"kind\": \"domain\",\n"));
	g_assert_nonnull(strstr(saved, "\n        \"note\": \"/sys/bus/pci \xc3\xa9\"\n"));
	g_assert_nonnull(strstr(saved, "\n        \"original_override\": null,\n"));
	g_assert_nonnull(strstr(saved, "\n        \"timeout_ms\": 5000,\n"));
	g_assert_nonnull(strstr(saved, "\n  \"claims\": [\n    \"" NIC2 "\"\n  ]\n}"));
	g_assert_null(strstr(saved, "\\/"));
	again = journal_of(fx, VM);
	assert_json_glib_journal(again);
}

/* and the engine gives back the device it lists, as the old build would */
static void
test_journal_json_glib_release(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *old = NULL;

	prepare_ok(fx, VM, NULL, HD_NIC1);
	assert_driver(fx, NIC1, "vfio-pci");
	/* the same state, as the json-glib build wrote it, without the claim
	 * (no prepare is in flight) */
	old = g_strdup(JSON_GLIB_JOURNAL);
	*strstr(old, ",\n  \"claims\"") = '\0';
	{
		g_autofree gchar *text = g_strconcat(old, "\n}", NULL);

		write_journal(fx, VM, text, -1);
	}
	release_ok(fx, VM);
	assert_driver(fx, NIC1, "e1000e");
	assert_override(fx, NIC1, NULL);
	g_assert_false(journal_exists(fx, VM));
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* ---- damaged journals -------------------------------------------------------------- */

#define GOOD_ENTRY                                                                                   \
	"{\"address\": \"" NIC1 "\", \"original_driver\": \"e1000e\", \"original_override\": null, " \
	"\"target_driver\": \"vfio-pci\", \"found_bound\": false, \"step\": \"bound\"}"

#define NUL_JOURNAL "{\"version\": 1,\0 \"devices\": []}"

static const struct {
	const char *name;
	const char *contents;
	gssize len;
	const char *message; /* after "journal <path>: " */
} damaged_cases[] = {
	{"empty", "", 0, NULL},
	{"blank", " \n", -1, NULL},
	{"open-brace", "{", -1, "not valid JSON: "},
	{"truncated", "{\"version\": 1, \"domain\": \"vm1\", \"devices\": [" GOOD_ENTRY, -1, "not valid JSON: "},
	{"not-utf8", "{\"version\": 1, \"devices\": [], \"domain\": \"\xff\xfe\"}", -1, NULL},
	{"nul-byte", NUL_JOURNAL, sizeof(NUL_JOURNAL) - 1, NULL},
	{"array", "[]", -1, "not a version 2 journal with an entries array, nor a version 1 one with devices"},
	{"string", "\"journal\"", -1, "not a version 2 journal with an entries array, nor a version 1 one with devices"},
	{"null", "null", -1, "not a version 2 journal with an entries array, nor a version 1 one with devices"},
	{"no-devices", "{\"version\": 1}", -1, "not a version 2 journal with an entries array, nor a version 1 one with devices"},
	{"devices-object", "{\"version\": 1, \"devices\": {}}", -1, "not a version 2 journal with an entries array, nor a version 1 one with devices"},
	{"devices-null", "{\"version\": 1, \"devices\": null}", -1, "not a version 2 journal with an entries array, nor a version 1 one with devices"},
	{"no-version", "{\"devices\": [" GOOD_ENTRY "]}", -1, "not a version 2 journal with an entries array, nor a version 1 one with devices"},
	{"wrong-version", "{\"version\": 2, \"devices\": [" GOOD_ENTRY "]}", -1,
	 "not a version 2 journal with an entries array, nor a version 1 one with devices"},
	{"version-string", "{\"version\": \"1\", \"devices\": [" GOOD_ENTRY "]}", -1,
	 "not a version 2 journal with an entries array, nor a version 1 one with devices"},
	{"entry-without-address",
	 "{\"version\": 1, \"devices\": [{\"original_driver\": \"e1000e\", \"target_driver\": \"vfio-pci\", "
	 "\"step\": \"bound\"}]}",
	 -1, "a device entry lacks its address, target_driver or step"},
	{"entry-address-number",
	 "{\"version\": 1, \"devices\": [{\"address\": 1, \"target_driver\": \"vfio-pci\", \"step\": \"bound\"}]}", -1,
	 "a device entry lacks its address, target_driver or step"},
	{"entry-without-target",
	 "{\"version\": 1, \"devices\": [{\"address\": \"" NIC1 "\", \"step\": \"bound\"}]}", -1,
	 "a device entry lacks its address, target_driver or step"},
	{"unknown-step",
	 "{\"version\": 1, \"devices\": [{\"address\": \"" NIC1 "\", \"target_driver\": \"vfio-pci\", "
	 "\"step\": \"unbinding\"}]}",
	 -1, "a device entry lacks its address, target_driver or step"},
	{"step-number",
	 "{\"version\": 1, \"devices\": [{\"address\": \"" NIC1 "\", \"target_driver\": \"vfio-pci\", "
	 "\"step\": 4}]}",
	 -1, "a device entry lacks its address, target_driver or step"},
	{"entry-not-object", "{\"version\": 1, \"devices\": [\"" NIC1 "\"]}", -1,
	 "a device entry lacks its address, target_driver or step"},
	{"entry-null", "{\"version\": 1, \"devices\": [null]}", -1,
	 "a device entry lacks its address, target_driver or step"},
	/* one good entry does not excuse a bad one after it */
	{"second-entry-bad", "{\"version\": 1, \"devices\": [" GOOD_ENTRY ", {}]}", -1,
	 "a device entry lacks its address, target_driver or step"},
	/* restore would write under bus/pci/devices/<address> and drivers/<driver> */
	{"address-escapes",
	 "{\"version\": 1, \"devices\": [{\"address\": \"../../../../dev/vfio\", \"target_driver\": \"vfio-pci\", "
	 "\"original_driver\": \"e1000e\", \"step\": \"bound\"}]}",
	 -1, "a device entry's address '../../../../dev/vfio' is not a PCI address in DDDD:BB:DD.F form"},
	/* spelt otherwise, it would not match the owners check's canonical key */
	{"address-short",
	 "{\"version\": 1, \"devices\": [{\"address\": \"01:00.0\", \"target_driver\": \"vfio-pci\", "
	 "\"original_driver\": \"e1000e\", \"step\": \"bound\"}]}",
	 -1, "a device entry's address '01:00.0' is not a PCI address in DDDD:BB:DD.F form"},
	{"address-upper-case",
	 "{\"version\": 1, \"devices\": [{\"address\": \"0000:0A:00.0\", \"target_driver\": \"vfio-pci\", "
	 "\"original_driver\": \"e1000e\", \"step\": \"bound\"}]}",
	 -1, "a device entry's address '0000:0A:00.0' is not a PCI address in DDDD:BB:DD.F form"},
	{"driver-escapes",
	 "{\"version\": 1, \"devices\": [{\"address\": \"" NIC1 "\", \"target_driver\": \"vfio-pci\", "
	 "\"original_driver\": \"../../../../dev\", \"step\": \"bound\"}]}",
	 -1, NIC1 ": original_driver '../../../../dev' is not a driver's name"},
	{"target-driver-dot-dot",
	 "{\"version\": 1, \"devices\": [{\"address\": \"" NIC1 "\", \"target_driver\": \"..\", "
	 "\"original_driver\": \"e1000e\", \"step\": \"bound\"}]}",
	 -1, NIC1 ": target_driver '..' is not a driver's name"},
	{"driver-empty",
	 "{\"version\": 1, \"devices\": [{\"address\": \"" NIC1 "\", \"target_driver\": \"vfio-pci\", "
	 "\"original_driver\": \"\", \"step\": \"bound\"}]}",
	 -1, NIC1 ": original_driver '' is not a driver's name"},
};

static void
assert_damaged(const GError *error, const char *path, guint i)
{
	g_autofree gchar *prefix = g_strdup_printf("journal %s: ", path);

	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_true(g_str_has_prefix(error->message, prefix));
	if (damaged_cases[i].message != NULL)
		g_assert_true(g_str_has_prefix(error->message + strlen(prefix), damaged_cases[i].message));
}

static void
test_damaged_journal(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *path = journal_path(fx, VM);
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *kept = NULL;
	gsize kept_len = 0;
	gsize len = damaged_cases[i].len >= 0 ? (gsize)damaged_cases[i].len : strlen(damaged_cases[i].contents);
	g_autoptr(HdStateLock) lock = lock_state(fx);
	/* planned before the journal was damaged, to reach prepare's own load */
	g_autoptr(HdPlan) plan = plan_for(fx, VM, NULL, HD_NIC1);

	write_journal(fx, VM, damaged_cases[i].contents, (gssize)len);
	{
		g_autoptr(GError) error = NULL;
		HdOwner owner = DOMAIN_OWNER(VM);
		g_autoptr(HdJournal) journal = hd_journal_load(fx->state_dir, &owner, &error);

		g_assert_null(journal);
		assert_damaged(error, path, i);
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) all = hd_journal_load_all(fx->state_dir, &error);

		g_assert_null(all);
		assert_damaged(error, path, i);
	}
	{
		g_autoptr(GError) error = NULL;

		HdOwner owner = DOMAIN_OWNER(VM);

		g_assert_false(hd_engine_release(fx->ctx, &owner, &error));
		assert_damaged(error, path, i);
	}
	{
		g_autoptr(GError) error = NULL;

		g_assert_false(hd_engine_prepare(fx->ctx, plan, &error));
		assert_damaged(error, path, i);
	}
	{
		/* another domain's plan reads every journal to know the owners */
		g_autoptr(GError) error = NULL;
		g_autofree gchar *xml = domain_xml("other", NULL, HD_NIC2);
		g_autoptr(HdDomain) domain = hd_domain_parse(xml, strlen(xml), &error);
		g_autoptr(HdPlan) other = NULL;

		g_assert_no_error(error);
		other = hd_plan_new_for_domain(fx->ctx, "other", g_steal_pointer(&domain), &error);
		g_assert_null(other);
		assert_damaged(error, path, i);
	}
	{
		g_autoptr(GError) error = NULL;
		g_autofree gchar *text = hd_status_to_text(fx->ctx, &error);

		g_assert_null(text);
		assert_damaged(error, path, i);
	}
	{
		g_autoptr(GError) error = NULL;
		g_autofree gchar *json = hd_status_to_json(fx->ctx, &error);

		g_assert_null(json);
		assert_damaged(error, path, i);
	}

	/* nothing written, and the evidence left for the administrator */
	g_assert_cmpuint(writes_mark(fx), ==, 0);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_true(g_file_get_contents(path, &kept, &kept_len, NULL));
	g_assert_cmpmem(kept, kept_len, damaged_cases[i].contents, len);
}

/* ---- status ------------------------------------------------------------------------- */

static const char *
find_line(const char *text, const char *start)
{
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n');

		if (g_str_has_prefix(line, start))
			return line;
		line = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

static void
assert_status_line(const char *text, const char *expected)
{
	g_autofree gchar *address = g_strndup(expected, 12);
	const char *line = find_line(text, address);
	g_autofree gchar *have = NULL;

	g_assert_nonnull(line);
	have = g_strndup(line, strcspn(line, "\n"));
	g_assert_cmpstr(have, ==, expected);
}

static json_object *
status_device(json_object *devices, const char *address)
{
	for (gsize i = 0; i < json_object_array_length(devices); i++) {
		json_object *dev = test_json_index(devices, i);

		if (g_strcmp0(test_json_string(dev, "address"), address) == 0)
			return dev;
	}
	g_error("no status for %s", address);
}

static void
assert_status_json(json_object *devices,
		   const char *address,
		   const char *domain,
		   const char *current,
		   const char *original,
		   const char *step,
		   const char *state)
{
	json_object *dev = status_device(devices, address);

	g_assert_cmpstr(test_json_string(dev, "domain"), ==, domain);
	g_assert_cmpstr(test_json_string_or_null(dev, "current_driver"), ==, current);
	g_assert_cmpstr(test_json_string_or_null(dev, "original_driver"), ==, original);
	g_assert_cmpstr(test_json_string(dev, "target_driver"), ==, "vfio-pci");
	g_assert_cmpstr(test_json_string(dev, "step"), ==, step);
	g_assert_cmpstr(test_json_string(dev, "state"), ==, state);
}

static void
test_status(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *nvme = journal_entry_json(NVME, "nvme", NULL, "probe");
	const char *entries[] = {nvme, NULL};
	g_autofree gchar *json = journal_json("vm2", entries);
	g_autofree gchar *empty = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *status_json = NULL;
	g_autoptr(json_object) root = NULL;
	json_object *devices;
	guint mark;

	empty = hd_status_to_text(fx->ctx, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(empty, ==, "no devices are lent to domains\n");

	/* vm1: NIC1 bound, NIC2 put back on e1000e by hand, UNBOUND found on vfio-pci */
	write_by_hand(fx, "bus/pci/devices/" UNBOUND "/driver_override", "vfio-pci");
	write_by_hand(fx, "bus/pci/drivers_probe", UNBOUND);
	prepare_ok(fx, VM, NULL, HD_NIC1 HD_NIC2 HD_UNBOUND);
	write_by_hand(fx, "bus/pci/devices/" NIC2 "/driver_override", "\n");
	write_by_hand(fx, "bus/pci/devices/" NIC2 "/driver/unbind", NIC2);
	write_by_hand(fx, "bus/pci/drivers_probe", NIC2);
	assert_driver(fx, NIC2, "e1000e");
	/* vm2: the hook died before its probe of the NVMe disk */
	write_journal(fx, "vm2", json, -1);
	write_by_hand(fx, "bus/pci/devices/" NVME "/driver_override", "vfio-pci");
	write_by_hand(fx, "bus/pci/devices/" NVME "/driver/unbind", NVME);

	mark = writes_mark(fx);
	text = hd_status_to_text(fx->ctx, &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(text, "ADDRESS       DOMAIN       DEVICE     DRIVER         ORIGINAL       "
					     "GROUP  STATE\n"));
	assert_status_line(text, NIC1 "  vm1          8086:10d3  vfio-pci       e1000e         1      bound");
	assert_status_line(text, NIC2 "  vm1          8086:10d3  e1000e         e1000e         2      "
				 "drifted: now on e1000e");
	assert_status_line(text, UNBOUND "  vm1          1af4:1041  vfio-pci       vfio-pci       7      "
				    "bound (found that way)");
	assert_status_line(text, NVME "  vm2          1b36:0010  -              nvme           3      "
				 "unfinished (probe): run hostdevctl recover");

	status_json = hd_status_to_json(fx->ctx, &error);
	g_assert_no_error(error);
	root = test_json_parse(status_json);
	devices = test_json_array(root, "devices");
	g_assert_cmpuint(json_object_array_length(devices), ==, 4);
	assert_status_json(devices, NIC1, "vm1", "vfio-pci", "e1000e", "done", "bound");
	assert_status_json(devices, NIC2, "vm1", "e1000e", "e1000e", "done", "drifted: now on e1000e");
	assert_status_json(devices, UNBOUND, "vm1", "vfio-pci", "vfio-pci", "done", "bound (found that way)");
	assert_status_json(devices, NVME, "vm2", NULL, "nvme", "probe",
			   "unfinished (probe): run hostdevctl recover");
	g_assert_cmpstr(test_json_string(status_device(devices, NIC1), "iommu_group"), ==, "1");
	/* status only looks */
	assert_no_writes_since(fx, mark);

	/* and release puts even the drifted and unfinished ones back */
	release_ok(fx, VM);
	release_ok(fx, "vm2");
	assert_driver(fx, NIC1, "e1000e");
	assert_driver(fx, NIC2, "e1000e");
	assert_driver(fx, NVME, "nvme");
	assert_override(fx, NVME, NULL);
	g_clear_pointer(&text, g_free);
	text = hd_status_to_text(fx->ctx, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(text, ==, "no devices are lent to domains\n");
}


/* ---- the safety review's findings ------------------------------------------------------ */

/* finding 5: the owner is libvirt's name for the domain, never the XML's
 * <name> with its blanks stripped, so 'vm1 ' cannot take vm1's device */
static void
test_owner_is_libvirt_name(Fixture *fx, gconstpointer data)
{
	g_autoptr(HdPlan) plan = NULL;
	const HdPlanDevice *dev;

	prepare_ok(fx, VM, NULL, HD_NIC1);
	plan = plan_for(fx, VM " ", NULL, HD_NIC1);
	dev = g_ptr_array_index(plan->devices, 0);
	g_assert_cmpint(dev->action, ==, HD_ACTION_ERROR);
	g_assert_cmpstr(dev->reason, ==, "in use by domain 'vm1', which hostdev-hook prepared it for");
	release_ok(fx, VM);
}

/* finding 6: every name libvirt accepts gets a journal: a leading dot or
 * tilde, blanks, Unicode, and names too long to be file names as they are */
static void
test_owner_names(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *long_name = g_strnfill(241, 'a');
	g_autofree gchar *longest = g_strnfill(251, 'b');
	const char *names[] = {".hidden", "~tilde", "vm 1", "g\xc3\xa4st", long_name, longest};
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *status = NULL;

		prepare_ok(fx, names[i], NULL, HD_NIC1);
		assert_driver(fx, NIC1, "vfio-pci");
		/* the front finds the journal the engine wrote */
		g_assert_true(hd_hook_has_journal(fx->state_dir, names[i]));
		status = hd_status_to_text(fx->ctx, &error);
		g_assert_no_error(error);
		g_assert_nonnull(strstr(status, names[i]));
		release_ok(fx, names[i]);
		g_assert_false(hd_hook_has_journal(fx->state_dir, names[i]));
	}
	{
		g_autofree gchar *after = mock_sysfs_snapshot(fx->ms);
		g_assert_cmpstr(after, ==, before);
	}
}

/* finding 8: a journal is a small regular file, read without following
 * links; a hostile one is an error, never a crash */
static void
test_journal_limits(Fixture *fx, gconstpointer data)
{
	static const struct {
		const char *name;
		gsize bytes;
		char fill;
		const char *message;
	} files[] = {
		{"nested-arrays", 200 * 1024, '[', "nested deeper than 8 levels"},
		{"nested-objects", 100, '{', "nested deeper than 8 levels"},
		{"too-large", 2 * 1024 * 1024, ' ', "not a regular file of at most 1048576 bytes"},
	};
	g_autofree gchar *path = journal_path(fx, VM);
	HdOwner owner = DOMAIN_OWNER(VM);

	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *contents = g_strnfill(files[i].bytes, files[i].fill);
		g_autoptr(HdJournal) journal = NULL;
		g_autofree gchar *status = NULL;

		write_journal(fx, VM, contents, -1);
		journal = hd_journal_load(fx->state_dir, &owner, &error);
		g_assert_null(journal);
		g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
		g_assert_nonnull(strstr(error->message, files[i].message));
		g_clear_error(&error);
		status = hd_status_to_text(fx->ctx, &error);
		g_assert_null(status);
		g_assert_nonnull(error);
	}
	/* brackets a comment or a single-quoted string would hide from the count,
	 * as json-glib reads both (found by tests/fuzz: 100000 levels overflowed
	 * json-glib's stack) */
	{
		const char *hiders[] = {"{\"version\": 2, /* \" */ \"x\": ", "{\"version\": 2, 'a\"': "};

		for (guint i = 0; i < G_N_ELEMENTS(hiders); i++) {
			g_autoptr(GError) error = NULL;
			g_autofree gchar *brackets = g_strnfill(100000, '[');
			g_autofree gchar *contents = g_strconcat(hiders[i], brackets, NULL);
			g_autoptr(HdJournal) journal = NULL;

			write_journal(fx, VM, contents, -1);
			journal = hd_journal_load(fx->state_dir, &owner, &error);
			g_assert_null(journal);
			g_assert_nonnull(strstr(error->message, "comments and single quotes are no part of a journal"));
		}
	}
	/* plugin data that would not survive a save, or that json-c would
	 * change without a word: a double, a nested object, a lone surrogate
	 * (json-c reads U+FFFD), a NUL (which ends a C string), integers past
	 * 64 bits (json-c clamps them) */
	{
		static const struct {
			const char *data;
			const char *message;
		} bad_data[] = {
			{"{\"n\": 1e22}", "data member 'n' is not null, a boolean, an integer or a UTF-8 string"},
			{"{\"o\": {}}", "data member 'o' is not null, a boolean, an integer or a UTF-8 string"},
			{"{\"s\": \"\\ud800x\"}", "a lone UTF-16 surrogate escape, which no UTF-8 string holds"},
			{"{\"s\": \"\\udc00\"}", "a lone UTF-16 surrogate escape, which no UTF-8 string holds"},
			{"{\"s\": \"a\\u0000b\"}", "a \\u0000 escape; no string of a journal holds a NUL"},
			{"{\"n\": -9223372036854775809}", "the integer -9223372036854775809 does not fit in 64 bits"},
			{"{\"n\": 9223372036854775808}", "the integer 9223372036854775808 does not fit in 64 bits"},
			{"{\"n\": 99999999999999999999}", "the integer 99999999999999999999 does not fit in 64 bits"},
		};

		for (guint i = 0; i < G_N_ELEMENTS(bad_data); i++) {
			g_autoptr(GError) error = NULL;
			g_autofree gchar *contents = g_strdup_printf(
			    "{\"version\": 2, \"owner\": {\"kind\": \"domain\", \"name\": \"vm1\"}, \"entries\": "
			    "[{\"owner\": {\"kind\": \"domain\", \"name\": \"vm1\"}, \"address\": \"" NIC1 "\", "
			    "\"plugin\": \"vfio-pci\", \"phase\": \"bind\", \"step\": \"done\", \"data\": %s}]}",
			    bad_data[i].data);
			g_autoptr(HdJournal) journal = NULL;

			write_journal(fx, VM, contents, -1);
			journal = hd_journal_load(fx->state_dir, &owner, &error);
			g_assert_null(journal);
			g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
			g_assert_nonnull(strstr(error->message, bad_data[i].message));
		}
	}
	/* the same data at the edges of 64 bits, and a surrogate pair, load */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(HdJournal) journal = NULL;
		HdEntry *entry;

		write_journal(fx, VM,
			      "{\"version\": 2, \"owner\": {\"kind\": \"domain\", \"name\": \"vm1\"}, \"entries\": "
			      "[{\"owner\": {\"kind\": \"domain\", \"name\": \"vm1\"}, \"address\": \"" NIC1 "\", "
			      "\"plugin\": \"vfio-pci\", \"phase\": \"bind\", \"step\": \"done\", \"data\": "
			      "{\"max\": 9223372036854775807, \"min\": -9223372036854775808, \"s\": \"\\ud83d\\ude00/\"}}]}",
			      -1);
		journal = hd_journal_load(fx->state_dir, &owner, &error);
		g_assert_no_error(error);
		entry = g_ptr_array_index(journal->entries, 0);
		g_assert_cmpint(hd_entry_get_int(entry, "max", 0), ==, G_MAXINT64);
		g_assert_cmpint(hd_entry_get_int(entry, "min", 0), ==, G_MININT64);
		g_assert_cmpstr(hd_entry_get_string(entry, "s"), ==, "\xf0\x9f\x98\x80/");
	}
	/* a version or found_bound of another type is an error, not a critical */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(HdJournal) journal = NULL;

		write_journal(fx, VM, "{\"version\": {}, \"devices\": []}", -1);
		journal = hd_journal_load(fx->state_dir, &owner, &error);
		g_assert_null(journal);
		g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	}
	g_unlink(path);
	/* a link, even to a good journal elsewhere, and a FIFO, are refused */
	g_assert_cmpint(symlink("/etc/hostname", path), ==, 0);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(HdJournal) journal = hd_journal_load(fx->state_dir, &owner, &error);

		g_assert_null(journal);
		g_assert_nonnull(strstr(error->message, "cannot open"));
	}
	g_unlink(path);
	g_assert_cmpint(mkfifo(path, 0600), ==, 0);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(HdJournal) journal = hd_journal_load(fx->state_dir, &owner, &error);

		g_assert_null(journal);
		g_assert_nonnull(strstr(error->message, "not a regular file"));
	}
	g_unlink(path);
}

/* finding 10: the guard resolves what it is given */
static void
test_guard_resolves(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *root = g_dir_make_tmp("test-guard-XXXXXX", &error);
	g_autofree gchar *bus = g_build_filename(root, "bus", NULL);
	g_autoptr(HdContext) ctx = NULL;

	g_assert_cmpint(symlink("/sys/bus", bus), ==, 0);
	ctx = hd_context_new(root, "/nonexistent", &error);
	g_assert_null(ctx);
	g_assert_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(error->message, "refusing sysfs root"));
	g_clear_error(&error);
	g_assert_false(hd_context_set_state_dir(fx->ctx, HD_STATE_DIR "/", &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED);
	g_clear_error(&error);
	g_assert_false(hd_context_set_state_dir(fx->ctx, HD_STATE_DIR "/./sub", &error));
	g_unlink(bus);
	g_rmdir(root);
}

/* finding 11: the state directory must be ours alone, its lock file no
 * link, and the lock wait has an end */
static void
test_state_dir_and_lock(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *lock_path = g_build_filename(fx->state_dir, "lock", NULL);

	g_assert_cmpint(g_chmod(fx->state_dir, 0755), ==, 0);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(HdStateLock) lock = hd_state_lock_acquire(fx->state_dir, &error);

		g_assert_null(lock);
		g_assert_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED);
		g_assert_nonnull(strstr(error->message, "mode 0755"));
	}
	g_assert_cmpint(g_chmod(fx->state_dir, 0700), ==, 0);
	g_assert_cmpint(symlink("/tmp/somewhere-else", lock_path), ==, 0);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(HdStateLock) lock = hd_state_lock_acquire(fx->state_dir, &error);

		g_assert_null(lock);
		g_assert_nonnull(strstr(error->message, "cannot open"));
	}
	g_unlink(lock_path);
	{
		g_autoptr(HdStateLock) held = lock_state(fx);
		g_autoptr(GError) error = NULL;
		g_autoptr(HdStateLock) lock = NULL;
		gint64 start = g_get_monotonic_time();

		hd_state_lock_set_timeout(200);
		lock = hd_state_lock_acquire(fx->state_dir, &error);
		hd_state_lock_set_timeout(60000);
		g_assert_null(lock);
		g_assert_error(error, HD_ERROR, HD_ERROR_TIMED_OUT);
		g_assert_nonnull(strstr(error->message, "another hostdev-hook held"));
		g_assert_cmpint(g_get_monotonic_time() - start, >=, 200 * 1000);
	}
}


/* finding 11: recover must not take devices from a guest that still runs */
static void
test_running_check(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *run = g_dir_make_tmp("test-run-XXXXXX", &error);
	g_autofree gchar *qemu = g_build_filename(run, "qemu", NULL);
	g_autofree gchar *pid_file = g_build_filename(qemu, VM ".pid", NULL);
	g_autofree gchar *proc = g_build_filename(run, "proc", NULL);
	g_autofree gchar *fd_dir = g_build_filename(proc, "4242", "fd", NULL);
	g_autofree gchar *fd = g_build_filename(fd_dir, "7", NULL);
	g_autofree gchar *group = NULL;
	g_autofree gchar *node = NULL;
	g_autofree gchar *pid = g_strdup_printf("%d\n", (int)getpid());
	HdOwner owner = DOMAIN_OWNER(VM);
	g_autoptr(HdJournal) journal = NULL;
	g_autofree gchar *why = NULL;

	prepare_ok(fx, VM, NULL, HD_NIC1);
	journal = hd_journal_load(fx->state_dir, &owner, &error);
	g_assert_no_error(error);
	g_free(fx->ctx->libvirt_run_dir);
	fx->ctx->libvirt_run_dir = g_strdup(run);
	g_free(fx->ctx->proc_root);
	fx->ctx->proc_root = g_strdup(proc);

	/* nothing holds it */
	g_assert_true(hd_running_check(fx->ctx, journal, &why, &error));
	g_assert_null(why);

	/* a process holds the device's /dev/vfio node */
	group = hd_sysfs_read_link_name(fx->ctx->sysfs, "bus/pci/devices/" NIC1 "/iommu_group", &error);
	g_assert_no_error(error);
	node = g_strconcat("/dev/vfio/", group, NULL);
	g_assert_cmpint(g_mkdir_with_parents(fd_dir, 0700), ==, 0);
	g_assert_cmpint(symlink(node, fd), ==, 0);
	g_assert_true(hd_running_check(fx->ctx, journal, &why, &error));
	g_assert_nonnull(why);
	g_assert_true(g_str_has_prefix(why, "process 4242 holds /dev/vfio/"));
	g_assert_true(g_str_has_suffix(why, ", the IOMMU group of " NIC1));
	g_clear_pointer(&why, g_free);

	/* libvirt's pid file names a live process */
	g_assert_cmpint(g_mkdir_with_parents(qemu, 0700), ==, 0);
	g_assert_true(g_file_set_contents(pid_file, pid, -1, &error));
	g_assert_true(hd_running_check(fx->ctx, journal, &why, &error));
	g_assert_true(g_str_has_prefix(why, "domain 'vm1' is running (pid "));

	test_remove_tree(run);
	release_ok(fx, VM);
}

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	g_log_set_writer_func(log_writer, NULL, NULL);

	TEST_ADD("/engine/prepare/several", test_prepare_several);
	TEST_ADD("/engine/prepare/unbound", test_prepare_unbound);
	g_test_add("/engine/prepare/loads-vfio-module", Fixture, NULL, fixture_setup_vfio_module,
		   test_prepare_loads_vfio_module, fixture_teardown);

	rollback_cases_collect();
	for (guint i = 0; i < rollback_cases->len; i++) {
		const RollbackCase *rc = g_ptr_array_index(rollback_cases, i);

		g_test_add(rc->name, Fixture, GUINT_TO_POINTER(i), fixture_setup, test_rollback_fail_at,
			   fixture_teardown);
	}
	TEST_ADD("/engine/rollback/probe-refused", test_rollback_probe_refused);
	TEST_ADD("/engine/rollback/probe-refused/keeps-journal", test_rollback_probe_refused_keeps_journal);
	g_test_add("/engine/rollback/module-load-fails", Fixture, NULL, fixture_setup_vfio_module,
		   test_rollback_module_load_fails, fixture_teardown);
	TEST_ADD("/engine/rollback/leaves-found-bound", test_rollback_leaves_found_bound);

	TEST_ADD_CASES("/engine/override", override_cases, test_override);
	TEST_ADD_CASES("/engine/override/rollback", override_cases, test_override_rollback);
	TEST_ADD("/engine/found-bound", test_found_bound);
	TEST_ADD("/engine/safety/owner-is-libvirt-name", test_owner_is_libvirt_name);
	TEST_ADD("/engine/safety/owner-names", test_owner_names);
	TEST_ADD("/engine/safety/journal-limits", test_journal_limits);
	TEST_ADD("/engine/journal/json-glib-written", test_journal_json_glib_written);
	TEST_ADD("/engine/journal/json-glib-written/release", test_journal_json_glib_release);
	TEST_ADD("/engine/safety/guard-resolves", test_guard_resolves);
	TEST_ADD("/engine/safety/state-dir-and-lock", test_state_dir_and_lock);
	TEST_ADD("/engine/safety/running-check", test_running_check);
	TEST_ADD("/engine/ownership/conflict", test_ownership_conflict);
	TEST_ADD("/engine/ownership/separate", test_ownership_separate);
	TEST_ADD_CASES("/engine/group/refused", group_refused_cases, test_group_refused);
	TEST_ADD_CASES("/engine/group/whole", group_whole_cases, test_group_whole);

	TEST_ADD("/engine/release/twice", test_release_twice);
	TEST_ADD("/engine/release/crash-before-commit", test_release_crash_before_commit);
	TEST_ADD("/engine/release/policy-unread", test_release_policy_unread);
	TEST_ADD("/engine/release/policy-defaults", test_release_policy_defaults);
	TEST_ADD("/engine/release/without-prepare", test_release_without_prepare);
	TEST_ADD("/engine/release/after-failed-rollback", test_release_after_failed_rollback);
	TEST_ADD_CASES("/engine/release/crash", crash_cases, test_release_crash);
	TEST_ADD("/engine/release/crash/several", test_release_crash_several);

	TEST_ADD("/engine/attach/keeps-held", test_attach_keeps_held);
	TEST_ADD("/engine/attach/first-device", test_attach_first_device);
	TEST_ADD("/engine/attach/rollback-keeps-older", test_attach_rollback_keeps_older);
	TEST_ADD("/engine/release-device/leaves-others", test_release_device_leaves_others);
	TEST_ADD("/engine/release-device/not-journalled", test_release_device_not_journalled);
	TEST_ADD("/engine/release-device/stuck", test_release_device_stuck);

	TEST_ADD("/engine/stale-journal/other-devices", test_stale_journal_other_devices);
	TEST_ADD("/engine/stale-journal/same-devices", test_stale_journal_same_devices);
	TEST_ADD("/engine/stale-journal/unfinished", test_stale_journal_unfinished);

	TEST_ADD_CASES("/engine/journal/damaged", damaged_cases, test_damaged_journal);
	TEST_ADD("/engine/status", test_status);

	status = g_test_run();
	g_clear_pointer(&rollback_cases, g_ptr_array_unref);
	g_clear_pointer(&success_writes, g_ptr_array_unref);
	return status;
}
