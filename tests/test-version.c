/*
 * test-version.c: `hostdevctl --version` and `hostdev-hook --version`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-config.h"
#include "test-helpers.h"

/* "NAME VERSION", meson's project version, and nothing on stderr */
static void
test_version(gconstpointer data)
{
	const char *name = data;
	g_autofree gchar *bin = test_bin(name);
	g_autofree gchar *expected = g_strdup_printf("%s %s\n", name, HD_VERSION);
	const char *argv[] = {bin, "--version", NULL};
	g_auto(TestRun) run = {0};

	test_run(&run, argv, NULL, NULL);
	g_assert_cmpint(run.exit_status, ==, 0);
	g_assert_cmpstr(run.out, ==, expected);
	g_assert_cmpstr(run.err, ==, "");
}

/* the hook, run with libvirt's four arguments, never takes one for --version */
static void
test_hook_domain_named_version(void)
{
	g_autofree gchar *bin = test_bin("hostdev-hook");
	const char *argv[] = {bin, "--version", "started", "begin", "-", NULL};
	g_autoptr(GBytes) input = g_bytes_new_static("<domain type='kvm'/>", 20);
	g_auto(TestRun) run = {0};

	test_run(&run, argv, input, NULL);
	g_assert_cmpint(run.exit_status, ==, 0);
	g_assert_cmpstr(run.out, ==, "");
	g_assert_cmpstr(run.err, ==, "");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/version/hostdevctl", "hostdevctl", test_version);
	g_test_add_data_func("/version/hostdev-hook", "hostdev-hook", test_version);
	g_test_add_func("/version/hook-domain-named-version", test_hook_domain_named_version);
	return g_test_run();
}
