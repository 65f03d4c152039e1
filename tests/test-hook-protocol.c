/*
 * test-hook-protocol.c: the built hook, run exactly as libvirt runs it
 *
 * libvirt execs hooks/qemu.d/<name> with argv "<path> <domain> <op>
 * <sub-op> <extra>", the domain XML on stdin and a scrubbed environment,
 * treats a non-zero exit as a failure only where the operation allows it,
 * shows stderr to the user, and takes stdout as replacement XML on migrate
 * and restore.  Each test checks exit status, stderr and an empty stdout.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <unistd.h>

#include "test-helpers.h"

typedef struct {
	gchar *tmpdir; /* holds hooks/, a copy of the fake sysfs, the state dir and the log */
	gchar *qemu_hook; /* <tmp>/hooks/qemu.d/50-hostdev-hook -> the build's binary */
	gchar *libxl_hook;
	gchar *log_file;
	gchar *sysfs_env;
	gchar *state_env;
	gchar *log_env;
} HookFixture;

static gchar *
install_hook_link(const char *tmpdir, const char *driver_dir)
{
	g_autofree gchar *dir = g_build_filename(tmpdir, "hooks", driver_dir, NULL);
	g_autofree gchar *target = test_bin("hostdev-hook");
	gchar *link = g_build_filename(dir, "50-hostdev-hook", NULL);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_cmpint(symlink(target, link), ==, 0);
	return link;
}

static void
hook_fixture_setup(HookFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *fixture = test_fixture_sysfs();
	g_autofree gchar *sysfs = NULL;

	fx->tmpdir = g_dir_make_tmp("hd-hook-XXXXXX", &error);
	g_assert_no_error(error);
	/* a copy: a prepare that gets as far as a write must not edit the
	 * fixture in the source tree */
	sysfs = g_build_filename(fx->tmpdir, "sys", NULL);
	test_copy_tree(fixture, sysfs);
	fx->state_env = g_strdup_printf("HOSTDEV_HOOK_STATE_DIR=%s/state", fx->tmpdir);
	fx->qemu_hook = install_hook_link(fx->tmpdir, "qemu.d");
	fx->libxl_hook = install_hook_link(fx->tmpdir, "libxl.d");
	fx->log_file = g_build_filename(fx->tmpdir, "hook.log", NULL);
	fx->sysfs_env = g_strdup_printf("HOSTDEV_HOOK_SYSFS_ROOT=%s", sysfs);
	fx->log_env = g_strdup_printf("HOSTDEV_HOOK_LOG_FILE=%s", fx->log_file);
}

static void
hook_fixture_teardown(HookFixture *fx, gconstpointer data)
{
	test_remove_tree(fx->tmpdir);
	g_free(fx->tmpdir);
	g_free(fx->qemu_hook);
	g_free(fx->libxl_hook);
	g_free(fx->log_file);
	g_free(fx->sysfs_env);
	g_free(fx->state_env);
	g_free(fx->log_env);
}

/* run the qemu.d hook for @domain_name with @xml on stdin (NULL: none) */
static void
run_hook(HookFixture *fx, TestRun *run, const char *hook, const char *const *ops, const char *xml)
{
	const char *env[] = {fx->sysfs_env, fx->state_env, fx->log_env, "HOSTDEV_HOOK_POLICY=/nonexistent", NULL};
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GBytes) input = xml != NULL ? g_bytes_new(xml, strlen(xml)) : NULL;

	g_ptr_array_add(argv, (gpointer)hook);
	g_ptr_array_add(argv, (gpointer) "vm1");
	for (guint i = 0; ops[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)ops[i]);
	g_ptr_array_add(argv, NULL);
	test_run(run, (const char *const *)argv->pdata, input, env);
}

/* every operation libvirt knows, plus ones it may add */
static const char *const all_ops[][4] = {
	{"prepare", "begin", "-", NULL},
	{"start", "begin", "-", NULL},
	{"started", "begin", "-", NULL},
	{"stopped", "end", "-", NULL},
	{"release", "end", "-", NULL},
	{"release", "end", "destroyed", NULL}, /* libvirt 11 passes the shutoff reason */
	{"reconnect", "begin", "-", NULL},
	{"migrate", "begin", "-", NULL},
	{"restore", "begin", "-", NULL},
	{"attach", "begin", "-", NULL},
	{"a-future-operation", "begin", "-", NULL},
};

static void
assert_silent_success(const TestRun *run)
{
	g_assert_cmpint(run->exit_status, ==, 0);
	g_assert_cmpstr(run->out, ==, "");
	g_assert_cmpstr(run->err, ==, "");
}

static void
test_every_op_without_devices(HookFixture *fx, gconstpointer data)
{
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, "");

	for (guint i = 0; i < G_N_ELEMENTS(all_ops); i++) {
		g_auto(TestRun) run = {0};
		g_test_message("%s %s %s", all_ops[i][0], all_ops[i][1], all_ops[i][2]);
		run_hook(fx, &run, fx->qemu_hook, all_ops[i], xml);
		assert_silent_success(&run);
	}
}

/* with devices every operation succeeds silently (the device is already on
 * vfio-pci, so no kernel is needed), and migrate and restore print nothing,
 * so libvirt keeps its XML */
static void
test_every_op_with_devices(HookFixture *fx, gconstpointer data)
{
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, TEST_HOSTDEV("no", "bus='4'"));

	for (guint i = 0; i < G_N_ELEMENTS(all_ops); i++) {
		g_auto(TestRun) run = {0};
		g_test_message("%s %s %s", all_ops[i][0], all_ops[i][1], all_ops[i][2]);
		run_hook(fx, &run, fx->qemu_hook, all_ops[i], xml);
		assert_silent_success(&run);
	}
}

static void
test_extra_arguments_ignored(HookFixture *fx, gconstpointer data)
{
	const char *ops[] = {"release", "end", "destroyed", "more", "and-more", NULL};
	const char *prepare[] = {"prepare", "begin", "-", "unexpected", NULL};
	const char *no_extra[] = {"prepare", "begin", NULL};
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, TEST_HOSTDEV("no", "bus='4'"));
	g_auto(TestRun) a = {0};
	g_auto(TestRun) b = {0};
	g_auto(TestRun) c = {0};

	run_hook(fx, &a, fx->qemu_hook, ops, xml);
	assert_silent_success(&a);
	run_hook(fx, &b, fx->qemu_hook, prepare, xml);
	assert_silent_success(&b);
	run_hook(fx, &c, fx->qemu_hook, no_extra, xml);
	assert_silent_success(&c);
}

static void
test_empty_stdin(HookFixture *fx, gconstpointer data)
{
	for (guint i = 0; i < G_N_ELEMENTS(all_ops); i++) {
		g_auto(TestRun) run = {0};
		run_hook(fx, &run, fx->qemu_hook, all_ops[i], NULL);
		assert_silent_success(&run);
	}
}

/* libvirt's writer went away mid-document: prepare must refuse what it
 * cannot parse, and nothing else may fail */
static void
test_stdin_closed_early(HookFixture *fx, gconstpointer data)
{
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, TEST_HOSTDEV("no", "bus='4'"));
	g_autofree gchar *half = g_strndup(xml, strstr(xml, "<source>") - xml);
	g_auto(TestRun) prepare = {0};
	g_auto(TestRun) release = {0};

	run_hook(fx, &prepare, fx->qemu_hook, all_ops[0], half);
	g_assert_cmpint(prepare.exit_status, ==, 1);
	g_assert_cmpstr(prepare.out, ==, "");
	test_assert_one_line(prepare.err);
	g_assert_true(g_str_has_prefix(prepare.err, "hostdev-hook: vm1: domain XML: line "));

	run_hook(fx, &release, fx->qemu_hook, all_ops[4], half);
	assert_silent_success(&release);
}

/* no "hostdev" anywhere: the front answers without parsing, so even broken
 * XML costs nothing and cannot fail a start */
static void
test_no_devices_is_not_parsed(HookFixture *fx, gconstpointer data)
{
	g_auto(TestRun) run = {0};

	run_hook(fx, &run, fx->qemu_hook, all_ops[0], "<domain type='kvm'><name>vm1<");
	assert_silent_success(&run);
	g_assert_false(g_file_test(fx->log_file, G_FILE_TEST_EXISTS));
}

static void
test_prepare_valid_logs_each_device(HookFixture *fx, gconstpointer data)
{
	g_autofree gchar *xml = test_domain_xml("kvm", NULL,
						TEST_HOSTDEV("no", "bus='4'") TEST_HOSTDEV("yes", "bus='2'"));
	g_auto(TestRun) run = {0};
	g_autofree gchar *log = NULL;

	run_hook(fx, &run, fx->qemu_hook, all_ops[0], xml);
	assert_silent_success(&run);
	g_assert_true(g_file_get_contents(fx->log_file, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "domain=vm1 device=0000:04:00.0 action=plan: "
				     "request from <hostdev>: vfio-pci\n"));
	g_assert_nonnull(strstr(log, "domain=vm1 device=0000:02:00.0 action=plan: "
				     "request from <hostdev>: skip: managed by libvirt\n"));
	g_assert_nonnull(strstr(log, "domain=vm1 device=0000:04:00.0 action=bind: "
				     "already on vfio-pci: using it as found, and leaving it there\n"));
}

/* prepare journals even a device found on vfio-pci, so that no other
 * domain can take it; release drops the journal and leaves the device;
 * a second release, or one without prepare, has nothing to do */
static void
test_release_is_idempotent(HookFixture *fx, gconstpointer data)
{
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, TEST_HOSTDEV("no", "bus='4'"));
	g_autofree gchar *journal = g_build_filename(fx->tmpdir, "state", "vm1.journal", NULL);
	g_autofree gchar *vm1 = test_domain_xml("kvm", NULL, TEST_HOSTDEV("no", "bus='4'"));
	g_auto(GStrv) halves = g_strsplit(vm1, "<name>vm1</name>", 2);
	g_autofree gchar *other = g_strjoinv("<name>vm2</name>", halves);
	const char *other_hook[] = {"prepare", "begin", "-", NULL};
	g_auto(TestRun) prepare = {0};
	g_auto(TestRun) taken = {0};
	g_auto(TestRun) release = {0};
	g_auto(TestRun) again = {0};

	run_hook(fx, &prepare, fx->qemu_hook, all_ops[0], xml);
	assert_silent_success(&prepare);
	g_assert_true(g_file_test(journal, G_FILE_TEST_EXISTS));

	/* the same device for another domain: refused, naming the owner */
	{
		const char *env[] = {fx->sysfs_env, fx->state_env, fx->log_env, "HOSTDEV_HOOK_POLICY=/nonexistent", NULL};
		const char *argv[] = {fx->qemu_hook, "vm2", other_hook[0], other_hook[1], other_hook[2], NULL};
		g_autoptr(GBytes) input = g_bytes_new(other, strlen(other));
		test_run(&taken, argv, input, env);
	}
	g_assert_cmpint(taken.exit_status, ==, 1);
	g_assert_cmpstr(taken.err, ==,
			"hostdev-hook: vm2: 0000:04:00.0: in use by domain 'vm1', which hostdev-hook prepared it for\n");

	run_hook(fx, &release, fx->qemu_hook, all_ops[5], xml);
	assert_silent_success(&release);
	g_assert_false(g_file_test(journal, G_FILE_TEST_EXISTS));
	run_hook(fx, &again, fx->qemu_hook, all_ops[5], xml);
	assert_silent_success(&again);
}

static const struct {
	const char *name;
	const char *type;
	gboolean libxl;
	const char *devices;
	const char *line;
} refusals[] = {
	{"missing-device", "kvm", FALSE, TEST_HOSTDEV("no", "bus='1'") TEST_HOSTDEV("no", "bus='9'"),
	 "hostdev-hook: vm1: 0000:09:00.0: no such PCI device on this host\n"},
	{"duplicate", "kvm", FALSE, TEST_HOSTDEV("no", "bus='1'") TEST_HOSTDEV("yes", "bus='0x1'"),
	 "hostdev-hook: vm1: 0000:01:00.0: requested twice, at lines 7 and 8\n"},
	{"impossible-address", "kvm", FALSE, TEST_HOSTDEV("no", "function='8'"),
	 "hostdev-hook: vm1: <hostdev> at line 7: invalid function '8': must be <= 0x7\n"},
	{"bridge", "kvm", FALSE, TEST_HOSTDEV("no", "slot='0x1c'"),
	 "hostdev-hook: vm1: 0000:00:1c.0: a PCI bridge cannot be assigned; only endpoints can\n"},
	{"xen-domain-in-qemu-dir", "xen", FALSE, TEST_HOSTDEV("no", "bus='1'"), NULL},
	{"kvm-domain-in-libxl-dir", "kvm", TRUE, TEST_HOSTDEV("no", "bus='1'"), NULL},
	{"entity-attack", "kvm", FALSE, NULL,
	 "hostdev-hook: vm1: domain XML: line 1: document type declarations (<!DOCTYPE>) are not accepted\n"},
};

static void
test_prepare_refuses(HookFixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autofree gchar *xml = refusals[i].devices != NULL
				    ? test_domain_xml(refusals[i].type, NULL, refusals[i].devices)
				    : g_strdup("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
					       "<domain type='kvm'><name>&x;</name><devices>"
					       TEST_HOSTDEV("no", "bus='1'") "</devices></domain>");
	g_auto(TestRun) run = {0};

	run_hook(fx, &run, refusals[i].libxl ? fx->libxl_hook : fx->qemu_hook, all_ops[0], xml);
	g_assert_cmpint(run.exit_status, ==, 1);
	g_assert_cmpstr(run.out, ==, "");
	test_assert_one_line(run.err);
	if (refusals[i].line != NULL) {
		g_assert_cmpstr(run.err, ==, refusals[i].line);
	} else {
		g_assert_true(g_str_has_prefix(run.err, "hostdev-hook: vm1: domain: type '"));
		g_assert_nonnull(strstr(run.err, refusals[i].libxl ? "libxl driver" : "qemu driver"));
	}
}

static void
test_prepare_refuses_oversized_input(HookFixture *fx, gconstpointer data)
{
	gsize size = 16 * 1024 * 1024 + 1;
	g_autofree gchar *xml = g_malloc(size + 1);
	g_auto(TestRun) prepare = {0};
	g_auto(TestRun) started = {0};

	memset(xml, ' ', size);
	xml[size] = '\0';
	run_hook(fx, &prepare, fx->qemu_hook, all_ops[0], xml);
	g_assert_cmpint(prepare.exit_status, ==, 1);
	g_assert_cmpstr(prepare.err, ==, "hostdev-hook: vm1: domain XML: larger than 16 MiB, refused\n");
	/* other operations read it all and carry on */
	run_hook(fx, &started, fx->qemu_hook, all_ops[2], xml);
	assert_silent_success(&started);
}

/* a test run of the hook with no sysfs root must not reach the real /sys */
static void
test_real_sysfs_is_refused_under_tests(HookFixture *fx, gconstpointer data)
{
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, TEST_HOSTDEV("no", "bus='1'"));
	const char *argv[] = {fx->qemu_hook, "vm1", "prepare", "begin", "-", NULL};
	const char *env[] = {"HOSTDEV_HOOK_SYSFS_ROOT=/sys/../sys", "HOSTDEV_HOOK_POLICY=/nonexistent", NULL};
	g_autoptr(GBytes) input = g_bytes_new(xml, strlen(xml));
	g_auto(TestRun) run = {0};

	test_run(&run, argv, input, env);
	g_assert_cmpint(run.exit_status, ==, 1);
	test_assert_one_line(run.err);
	g_assert_nonnull(strstr(run.err, "refusing sysfs root"));
}

static void
test_usage_without_arguments(void)
{
	g_autofree gchar *bin = test_bin("hostdev-hook");
	const char *argv[] = {bin, "vm1", NULL};
	g_auto(TestRun) run = {0};

	test_run(&run, argv, NULL, NULL);
	g_assert_cmpint(run.exit_status, ==, 2);
	g_assert_cmpstr(run.out, ==, "");
	g_assert_true(g_str_has_prefix(run.err, "usage: "));
}

#define ADD_HOOK_TEST(path, func) \
	g_test_add(path, HookFixture, NULL, hook_fixture_setup, func, hook_fixture_teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD_HOOK_TEST("/hook/every-op-without-devices", test_every_op_without_devices);
	ADD_HOOK_TEST("/hook/every-op-with-devices", test_every_op_with_devices);
	ADD_HOOK_TEST("/hook/extra-arguments-ignored", test_extra_arguments_ignored);
	ADD_HOOK_TEST("/hook/empty-stdin", test_empty_stdin);
	ADD_HOOK_TEST("/hook/stdin-closed-early", test_stdin_closed_early);
	ADD_HOOK_TEST("/hook/no-devices-is-not-parsed", test_no_devices_is_not_parsed);
	ADD_HOOK_TEST("/hook/prepare-valid-logs-each-device", test_prepare_valid_logs_each_device);
	for (guint i = 0; i < G_N_ELEMENTS(refusals); i++) {
		g_autofree gchar *path = g_strdup_printf("/hook/prepare-refuses/%s", refusals[i].name);
		g_test_add(path, HookFixture, GUINT_TO_POINTER(i), hook_fixture_setup, test_prepare_refuses,
			   hook_fixture_teardown);
	}
	ADD_HOOK_TEST("/hook/prepare-refuses-oversized-input", test_prepare_refuses_oversized_input);
	ADD_HOOK_TEST("/hook/release-is-idempotent", test_release_is_idempotent);
	ADD_HOOK_TEST("/hook/real-sysfs-is-refused-under-tests", test_real_sysfs_is_refused_under_tests);
	g_test_add_func("/hook/usage-without-arguments", test_usage_without_arguments);
	return g_test_run();
}
