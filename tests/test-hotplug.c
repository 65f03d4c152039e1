/*
 * test-hotplug.c: `hostdevctl attach` and `detach`, their host side and their words
 *
 * The host side (bind under the lock, give back on libvirt's refusal,
 * give back what the guest let go) runs here on the simulated kernel,
 * exactly as hostdevctl runs it between its libvirt calls.  The executable
 * itself is run for what needs no libvirt daemon: its option checks, and
 * libvirt's built-in test driver (test:///default), whose one running
 * domain is of type 'test' and which supports no hot-plug.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "hd-engine.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hostdevctl-hotplug.h"
#include "mock-sysfs.h"
#include "test-helpers.h"

#define NIC1  "0000:01:00.0"
#define NIC2  "0000:02:00.0"
#define NIC3  "0000:03:00.0"
#define NODRV "0000:07:00.0"
#define GHOST "0000:09:00.0"

#define HD_NIC1	 TEST_HOSTDEV("no", "domain='0x0000' bus='0x01' slot='0x00' function='0x0'")
#define HD_NIC2	 TEST_HOSTDEV("no", "domain='0x0000' bus='0x02' slot='0x00' function='0x0'")
#define HD_NIC3	 TEST_HOSTDEV("no", "domain='0x0000' bus='0x03' slot='0x00' function='0x0'")
#define HD_NODRV TEST_HOSTDEV("no", "domain='0x0000' bus='0x07' slot='0x00' function='0x0'")
#define HD_GHOST TEST_HOSTDEV("no", "domain='0x0000' bus='0x09' slot='0x00' function='0x0'")

#define VM	"vm1"
#define UUID	"9e3b2c7a-8d1f-4c55-a1b0-3f6e2d9c8b71"
#define OTHER	"vm2"
#define TIMEOUT_MS 50

static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};

/* the engine's warnings (a rollback) would abort a test: counted instead */
static guint warnings;

static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) {
		warnings += (level & G_LOG_LEVEL_WARNING) != 0;
		return G_LOG_WRITER_HANDLED;
	}
	return g_log_writer_default(level, fields, n_fields, user_data);
}

typedef struct {
	MockSysfs *ms;
	HdContext *ctx;
	gchar *state_dir;
} Fixture;

/* three e1000e NICs and a device no driver claims, each alone in its IOMMU group */
static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->ms = mock_sysfs_new();
	mock_sysfs_add_driver(fx->ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(fx->ms, "vfio-pci", NULL);
	mock_sysfs_add_device(fx->ms, NIC1, 0x8086, 0x10d3, 0x020000, "1", "e1000e");
	mock_sysfs_add_device(fx->ms, NIC2, 0x8086, 0x10d3, 0x020000, "2", "e1000e");
	mock_sysfs_add_device(fx->ms, NIC3, 0x8086, 0x10d3, 0x020000, "3", "e1000e");
	mock_sysfs_add_device(fx->ms, NODRV, 0x1af4, 0x1041, 0x020000, "7", NULL);
	fx->ctx = hd_context_new(mock_sysfs_get_root(fx->ms), "/nonexistent", &error);
	g_assert_no_error(error);
	mock_sysfs_install(fx->ms, fx->ctx);
	fx->state_dir = g_dir_make_tmp("test-hotplug-state-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_true(hd_context_set_state_dir(fx->ctx, fx->state_dir, &error));
	g_assert_no_error(error);
	fx->ctx->policy->bind_timeout_ms = TIMEOUT_MS;
	warnings = 0;
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	hd_context_free(fx->ctx);
	mock_sysfs_free(fx->ms);
	test_remove_tree(fx->state_dir);
	g_free(fx->state_dir);
}

#define TEST_ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)

/* ---- helpers ----------------------------------------------------------------- */

/* the domain as libvirt shows it while it runs */
static HdDomain *
running_domain(const char *name, const char *devices)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = g_strdup_printf("<domain type='kvm'>\n  <name>%s</name>\n  <uuid>" UUID "</uuid>\n"
						"  <devices>\n%s  </devices>\n</domain>\n",
						name, devices);
	HdDomain *domain = hd_domain_parse(xml, strlen(xml), &error);

	g_assert_no_error(error);
	return domain;
}

/* the element `hostdevctl attach` reads, as a device of the running domain */
static HdDomain *
device_of(const HdDomain *domain, const char *element)
{
	g_autoptr(GError) error = NULL;
	HdDomain *device = hd_domain_parse_device(domain, element, strlen(element), &error);

	g_assert_no_error(error);
	return device;
}

/* the domain started, with @devices, as the hook's prepare starts it */
static void
start_domain(Fixture *fx, const char *name, const char *devices)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdStateLock) lock = hd_state_lock_acquire(fx->state_dir, &error);
	g_autoptr(HdPlan) plan = hd_plan_new_for_domain(fx->ctx, name, running_domain(name, devices), &error);

	g_assert_no_error(error);
	g_assert_null(hd_plan_first_error(plan));
	g_assert_true(hd_engine_prepare(fx->ctx, plan, &error));
	g_assert_no_error(error);
}

static void
stop_domain(Fixture *fx, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdStateLock) lock = hd_state_lock_acquire(fx->state_dir, &error);
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)name};

	g_assert_true(hd_engine_release(fx->ctx, &owner, &error));
	g_assert_no_error(error);
}

static HdPlan *
bind(Fixture *fx, const char *name, const char *running, const char *element, GError **error)
{
	g_autoptr(HdDomain) domain = running_domain(name, running);

	return hdctl_hotplug_bind(fx->ctx, name, device_of(domain, element), error);
}

static void
assert_driver(Fixture *fx, const char *bdf, const char *expected)
{
	g_autofree gchar *path =
	    g_build_filename(mock_sysfs_get_root(fx->ms), "bus", "pci", "devices", bdf, "driver", NULL);
	g_autofree gchar *link = g_file_read_link(path, NULL);
	g_autofree gchar *name = link != NULL ? g_path_get_basename(link) : g_strdup("none");

	g_assert_cmpstr(name, ==, expected);
}

/* the addresses of @name's journal entries, in order, joined by spaces */
static gchar *
journalled(Fixture *fx, const char *name)
{
	g_autoptr(GError) error = NULL;
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)name};
	g_autoptr(HdJournal) journal = hd_journal_load(fx->state_dir, &owner, &error);
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_no_error(error);
	for (guint i = 0; i < journal->entries->len; i++) {
		const HdEntry *entry = g_ptr_array_index(journal->entries, i);
		g_string_append_printf(out, "%s%s", out->len > 0 ? " " : "", entry->address);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* ---- attach: bind, and give back on libvirt's refusal ------------------------- */

static void
test_bind_keeps_held(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPlan) plan = NULL;
	g_autofree gchar *entries = NULL;

	start_domain(fx, VM, HD_NIC1);
	plan = bind(fx, VM, HD_NIC1, HD_NIC2, &error);
	g_assert_no_error(error);
	g_assert_nonnull(plan);
	g_assert_cmpuint(plan->devices->len, ==, 1);
	assert_driver(fx, NIC1, "vfio-pci");
	assert_driver(fx, NIC2, "vfio-pci");
	entries = journalled(fx, VM);
	g_assert_cmpstr(entries, ==, NIC1 " " NIC2);
	stop_domain(fx, VM);
	assert_driver(fx, NIC1, "e1000e");
	assert_driver(fx, NIC2, "e1000e");
}

/* libvirt refused: the device goes back, what the domain held stays */
static void
test_unbind_after_refusal(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPlan) plan = NULL;
	g_autofree gchar *held = NULL;
	g_autofree gchar *after = NULL;
	g_autofree gchar *entries = NULL;

	start_domain(fx, VM, HD_NIC1);
	held = mock_sysfs_snapshot(fx->ms);
	plan = bind(fx, VM, HD_NIC1, HD_NIC2, &error);
	g_assert_no_error(error);
	g_assert_true(hdctl_hotplug_unbind(fx->ctx, plan, &error));
	g_assert_no_error(error);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, held);
	entries = journalled(fx, VM);
	g_assert_cmpstr(entries, ==, NIC1);
	stop_domain(fx, VM);
}

/* the domain stopped while libvirt was asked: its release gave back all */
static void
test_unbind_after_domain_stopped(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPlan) plan = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *entries = NULL;

	plan = bind(fx, VM, "", HD_NIC2, &error);
	g_assert_no_error(error);
	stop_domain(fx, VM);
	g_assert_true(hdctl_hotplug_unbind(fx->ctx, plan, &error));
	g_assert_no_error(error);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	entries = journalled(fx, VM);
	g_assert_cmpstr(entries, ==, "");
}

static const struct {
	const char *name;
	const char *owner;   /* who holds NIC1 before the attach */
	const char *element; /* what VM attaches */
	gint code;
	const char *message;
} bind_refused[] = {
	/* a second attach would, on its rollback, undo the first */
	{"held-by-itself", VM, HD_NIC1, HD_ERROR_CONFLICT,
	 NIC1 ": already lent to vm1 by hostdev-hook; detach it first (hostdevctl detach)"},
	{"held-by-another", OTHER, HD_NIC1, HD_ERROR_NOT_SUPPORTED,
	 NIC1 ": in use by domain 'vm2', which hostdev-hook prepared it for"},
	{"no-such-device", NULL, HD_GHOST, HD_ERROR_NOT_SUPPORTED, GHOST ": no such PCI device on this host"},
};

/* refused before anything is written */
static void
test_bind_refused(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPlan) plan = NULL;
	g_autofree gchar *before = NULL;
	g_autofree gchar *after = NULL;
	guint writes;

	if (bind_refused[i].owner != NULL)
		start_domain(fx, bind_refused[i].owner, HD_NIC1);
	before = mock_sysfs_snapshot(fx->ms);
	writes = mock_sysfs_get_writes(fx->ms)->len;
	plan = bind(fx, VM, bind_refused[i].owner != NULL && g_str_equal(bind_refused[i].owner, VM) ? HD_NIC1 : "",
		    bind_refused[i].element, &error);
	g_assert_null(plan);
	g_assert_error(error, HD_ERROR, bind_refused[i].code);
	g_assert_cmpstr(error->message, ==, bind_refused[i].message);
	g_assert_cmpuint(mock_sysfs_get_writes(fx->ms)->len, ==, writes);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	if (bind_refused[i].owner != NULL)
		stop_domain(fx, bind_refused[i].owner);
}

/* a bind that fails is rolled back by the engine: the domain's others stay */
static void
test_bind_fails(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPlan) plan = NULL;
	g_autofree gchar *held = NULL;
	g_autofree gchar *after = NULL;
	g_autofree gchar *entries = NULL;

	start_domain(fx, VM, HD_NIC1);
	held = mock_sysfs_snapshot(fx->ms);
	mock_sysfs_set_probe_refused(fx->ms, NODRV, TRUE);
	plan = bind(fx, VM, HD_NIC1, HD_NODRV, &error);
	g_assert_null(plan);
	g_assert_error(error, HD_ERROR, HD_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==, NODRV ": vfio-pci did not take the device within 50 ms (driver now: none)");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, held);
	entries = journalled(fx, VM);
	g_assert_cmpstr(entries, ==, NIC1);
	g_assert_cmpuint(warnings, ==, 1);
	stop_domain(fx, VM);
}

/* ---- detach: give back what the guest let go ---------------------------------- */

static void
test_release_left(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPlan) plan = NULL;
	g_autoptr(HdDomain) running = running_domain(VM, HD_NIC1 HD_NIC2);
	g_autofree gchar *entries = NULL;

	start_domain(fx, VM, HD_NIC1);
	plan = bind(fx, VM, HD_NIC1, HD_NIC2, &error);
	g_assert_no_error(error);
	g_assert_true(hdctl_hotplug_release(fx->ctx, VM, device_of(running, HD_NIC2), running_domain(VM, HD_NIC1),
					    &error));
	g_assert_no_error(error);
	assert_driver(fx, NIC2, "e1000e");
	assert_driver(fx, NIC1, "vfio-pci");
	entries = journalled(fx, VM);
	g_assert_cmpstr(entries, ==, NIC1);
	stop_domain(fx, VM);
}

/* a device the domain as it runs still asks for is not taken from it */
static void
test_release_keeps_needed(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) running = running_domain(VM, HD_NIC1 HD_NIC3);
	g_autofree gchar *entries = NULL;

	start_domain(fx, VM, HD_NIC1 HD_NIC3);
	g_assert_true(hdctl_hotplug_release(fx->ctx, VM, device_of(running, HD_NIC3),
					    running_domain(VM, HD_NIC1 HD_NIC3), &error));
	g_assert_no_error(error);
	assert_driver(fx, NIC3, "vfio-pci");
	entries = journalled(fx, VM);
	g_assert_cmpstr(entries, ==, NIC1 " " NIC3);
	stop_domain(fx, VM);
}

/* the domain stopped while the guest was waited for: nothing is left to do */
static void
test_release_after_stop(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) running = running_domain(VM, HD_NIC2);
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	guint writes;

	start_domain(fx, VM, HD_NIC2);
	stop_domain(fx, VM);
	writes = mock_sysfs_get_writes(fx->ms)->len;
	g_assert_true(hdctl_hotplug_release(fx->ctx, VM, device_of(running, HD_NIC2), NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(mock_sysfs_get_writes(fx->ms)->len, ==, writes);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* ---- scope and words ------------------------------------------------------------- */

static void
test_scope(void)
{
	g_autoptr(GError) error = NULL;
	HdctlScope scope;

	/* nothing said: the running guest, or the definition of a stopped domain */
	g_assert_true(hdctl_scope_resolve(FALSE, FALSE, TRUE, VM, &scope, &error));
	g_assert_true(scope.live && !scope.config);
	g_assert_true(hdctl_scope_resolve(FALSE, FALSE, FALSE, VM, &scope, &error));
	g_assert_true(!scope.live && scope.config);
	g_assert_true(hdctl_scope_resolve(TRUE, TRUE, TRUE, VM, &scope, &error));
	g_assert_true(scope.live && scope.config);
	g_assert_true(hdctl_scope_resolve(FALSE, TRUE, TRUE, VM, &scope, &error));
	g_assert_true(!scope.live && scope.config);
	g_assert_no_error(error);

	g_assert_false(hdctl_scope_resolve(TRUE, FALSE, FALSE, VM, &scope, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_cmpstr(error->message, ==,
			"vm1 is not running, and --live needs a running guest; use --config to change its "
			"definition, which hostdev-hook serves at the next start");
	g_clear_error(&error);
	g_assert_true(hdctl_scope_check_options(TRUE, TRUE, FALSE, &error));
	g_assert_false(hdctl_scope_check_options(TRUE, FALSE, TRUE, &error));
	g_assert_cmpstr(error->message, ==, "--current cannot be combined with --live or --config");
}

static void
test_not_pci(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = running_domain(VM, HD_NIC1);
	g_autoptr(HdDomain) usb = device_of(domain, "<hostdev mode='subsystem' type='usb'><source><vendor "
						    "id='0x1234'/><product id='0xbeef'/></source></hostdev>");

	g_assert_false(hdctl_hotplug_check_requests(usb, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED);
	g_assert_cmpstr(error->message, ==,
			"<hostdev> asks for no PCI device: hostdevctl hot-plugs <hostdev type='pci'> and "
			"<interface type='hostdev'>; use virsh attach-device or detach-device for it");
}

static void
test_messages(void)
{
	g_autoptr(GError) undo = g_error_new_literal(HD_ERROR, HD_ERROR_FAILED, "e1000e did not take it back");
	g_autofree gchar *refused = hdctl_hotplug_attach_refused_message(VM, NIC2, "XML error: no slot", NULL);
	g_autofree gchar *stuck = hdctl_hotplug_attach_refused_message(VM, NIC2, "XML error: no slot", undo);
	g_autofree gchar *detach = hdctl_hotplug_detach_refused_message(NIC2, "device not found", TRUE);
	g_autofree gchar *absent = hdctl_hotplug_detach_refused_message(NIC2, "device not found", FALSE);
	g_autofree gchar *timeout = hdctl_hotplug_timeout_message(VM, NIC2, 30);

	g_assert_cmpstr(refused, ==, NIC2 ": libvirt refused to attach it: XML error: no slot; the host is as it was");
	g_assert_cmpstr(stuck, ==,
			NIC2 ": libvirt refused to attach it: XML error: no slot; putting it back failed too: e1000e "
			     "did not take it back; it stays journalled for vm1: 'hostdevctl detach' retries, and "
			     "its stop restores it");
	g_assert_cmpstr(detach, ==,
			NIC2 ": libvirt refused to detach it: device not found; it stays in the guest, and bound");
	g_assert_cmpstr(absent, ==, NIC2 ": libvirt refused to detach it: device not found");
	g_assert_cmpstr(timeout, ==,
			NIC2 ": still in the guest after 30 s: the guest has not let go of it; it stays bound and "
			     "journalled: run 'hostdevctl detach' again once it has left, or it is restored when "
			     "vm1 stops");
}

/* ---- the executable, without a libvirt daemon ----------------------------------- */

typedef struct {
	gchar *dir;
	gchar *element;
} CliFixture;

static void
cli_setup(CliFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->dir = g_dir_make_tmp("test-hotplug-cli-XXXXXX", &error);
	g_assert_no_error(error);
	fx->element = g_build_filename(fx->dir, "nic.xml", NULL);
}

static void
cli_teardown(CliFixture *fx, gconstpointer data)
{
	test_remove_tree(fx->dir);
	g_free(fx->dir);
	g_free(fx->element);
}

static void
write_element(CliFixture *fx, const char *managed)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = g_strdup_printf("<hostdev mode='subsystem' type='pci' managed='%s'><source><address "
						"domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>"
						"</hostdev>\n",
						managed);

	g_assert_true(g_file_set_contents(fx->element, xml, -1, &error));
	g_assert_no_error(error);
}

/* hostdevctl COMMAND --connect test:///default on the fixture sysfs, plus @extra */
static void
run_hostdevctl(CliFixture *fx, TestRun *run, const char *command, const char *const *extra)
{
	g_autofree gchar *bin = test_bin("hostdevctl");
	g_autofree gchar *sysfs = test_fixture_sysfs();
	g_autofree gchar *state = g_build_filename(fx->dir, "state", NULL);
	const char *common[] = {bin,	 command,	  "--connect", "test:///default", "--sysfs-root", sysfs,
				"--state-dir", state, "--policy",  "/nonexistent"};
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	for (guint i = 0; i < G_N_ELEMENTS(common); i++)
		g_ptr_array_add(argv, (gpointer)common[i]);
	for (guint i = 0; extra[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)extra[i]);
	g_ptr_array_add(argv, NULL);
	test_run(run, (const char *const *)argv->pdata, NULL, NULL);
}

static const struct {
	const char *name;
	const char *command;
	const char *managed;
	const char *args[4];
	int status;
	const char *err; /* the start of stderr's one line */
} cli_cases[] = {
	{"attach/arguments", "attach", "no", {"test", NULL}, 2, "hostdevctl: attach: expected DOMAIN and FILE.xml\n"},
	{"detach/arguments", "detach", "no", {NULL}, 2, "hostdevctl: detach: expected DOMAIN and FILE.xml\n"},
	{"attach/current-and-live", "attach", "no", {"--current", "--live", "test", "FILE"}, 2,
	 "hostdevctl: attach: --current cannot be combined with --live or --config\n"},
	{"detach/timeout", "detach", "no", {"--timeout", "-1", "test", "FILE"}, 2,
	 "hostdevctl: detach: --timeout -1: expected 0 to 3600 seconds\n"},
	{"attach/no-such-domain", "attach", "no", {"nosuch", "FILE", NULL}, 1,
	 "hostdevctl: nosuch: no such domain, by name or UUID: "},
	/* the test driver's domain is of type 'test': refused at planning */
	{"attach/unsupported-type", "attach", "no", {"test", "FILE", NULL}, 1,
	 "hostdevctl: test: " NIC1 ": domain type 'test' is not supported: hostdev-hook serves kvm, qemu and xen\n"},
	/* managed='yes' passes our checks and reaches libvirt, which refuses */
	{"attach/libvirt-refuses", "attach", "yes", {"test", "FILE", NULL}, 1,
	 "hostdevctl: test: " NIC1 ": libvirt refused to attach it: "},
	{"detach/not-in-guest", "detach", "no", {"test", "FILE", NULL}, 1,
	 "hostdevctl: test: " NIC1 ": libvirt refused to detach it: "},
};

static void
test_cli(CliFixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_auto(TestRun) run = {0};
	const char *args[G_N_ELEMENTS(cli_cases[i].args) + 1] = {NULL};

	write_element(fx, cli_cases[i].managed);
	for (guint j = 0; j < G_N_ELEMENTS(cli_cases[i].args) && cli_cases[i].args[j] != NULL; j++)
		args[j] = g_str_equal(cli_cases[i].args[j], "FILE") ? fx->element : cli_cases[i].args[j];
	run_hostdevctl(fx, &run, cli_cases[i].command, args);
	if (g_test_verbose())
		g_printerr("# stderr: %s", run.err);
	g_assert_cmpint(run.exit_status, ==, cli_cases[i].status);
	g_assert_cmpstr(run.out, ==, "");
	test_assert_one_line(run.err);
	g_assert_true(g_str_has_prefix(run.err, cli_cases[i].err));
	/* a refusal that is libvirt's ends with what it means for the host */
	if (g_str_has_suffix(cli_cases[i].err, "to attach it: "))
		g_assert_true(g_str_has_suffix(run.err, "; the host is as it was\n"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_writer_func(log_writer, NULL, NULL);

	TEST_ADD("/hotplug/bind/keeps-held", test_bind_keeps_held);
	TEST_ADD("/hotplug/bind/fails", test_bind_fails);
	for (guint i = 0; i < G_N_ELEMENTS(bind_refused); i++) {
		g_autofree gchar *path = g_strdup_printf("/hotplug/bind/refused/%s", bind_refused[i].name);
		g_test_add(path, Fixture, GUINT_TO_POINTER(i), fixture_setup, test_bind_refused, fixture_teardown);
	}
	TEST_ADD("/hotplug/unbind/after-refusal", test_unbind_after_refusal);
	TEST_ADD("/hotplug/unbind/after-domain-stopped", test_unbind_after_domain_stopped);
	TEST_ADD("/hotplug/release/left", test_release_left);
	TEST_ADD("/hotplug/release/keeps-needed", test_release_keeps_needed);
	TEST_ADD("/hotplug/release/after-stop", test_release_after_stop);
	g_test_add_func("/hotplug/scope", test_scope);
	g_test_add_func("/hotplug/not-pci", test_not_pci);
	g_test_add_func("/hotplug/messages", test_messages);
	for (guint i = 0; i < G_N_ELEMENTS(cli_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/hotplug/cli/%s", cli_cases[i].name);
		g_test_add(path, CliFixture, GUINT_TO_POINTER(i), cli_setup, test_cli, cli_teardown);
	}
	return g_test_run();
}
