/*
 * test-helpers.h: running our executables the way their callers do
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <string.h>

typedef struct {
	int exit_status;
	gchar *out;
	gchar *err;
} TestRun;

static inline void
test_run_clear(TestRun *run)
{
	g_clear_pointer(&run->out, g_free);
	g_clear_pointer(&run->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TestRun, test_run_clear)

/* an empty stream has no data pointer; it must still read as "" */
static inline gchar *
test_bytes_to_string(GBytes *bytes)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(bytes, &len);

	return data != NULL ? g_strndup(data, len) : g_strdup("");
}

/* run @argv with @input (may be NULL: stdin closed at once) and extra
 * environment (NULL-terminated "NAME=value" list) */
static inline void
test_run(TestRun *run, const char *const *argv, GBytes *input, const char *const *env)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GBytes) out = NULL;
	g_autoptr(GBytes) err = NULL;
	g_autoptr(GBytes) nothing = g_bytes_new_static("", 0);

	for (guint i = 0; env != NULL && env[i] != NULL; i++) {
		g_auto(GStrv) kv = g_strsplit(env[i], "=", 2);
		g_subprocess_launcher_setenv(launcher, kv[0], kv[1], TRUE);
	}
	proc = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);
	g_subprocess_communicate(proc, input != NULL ? input : nothing, NULL, &out, &err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(proc));
	run->exit_status = g_subprocess_get_exit_status(proc);
	run->out = test_bytes_to_string(out);
	run->err = test_bytes_to_string(err);
}

static inline gchar *
test_bin(const char *name)
{
	return g_build_filename(g_getenv("HOSTDEV_HOOK_BIN"), name, NULL);
}

static inline gchar *
test_fixture_sysfs(void)
{
	return g_test_build_filename(G_TEST_DIST, "fixtures", "sysfs", NULL);
}

/* a <domain> of @type around @devices, with optional @metadata */
static inline gchar *
test_domain_xml(const char *type, const char *metadata, const char *devices)
{
	return g_strdup_printf("<domain type='%s'>\n"
			       "  <name>vm1</name>\n"
			       "  <uuid>9e3b2c7a-8d1f-4c55-a1b0-3f6e2d9c8b71</uuid>\n"
			       "  <metadata>%s</metadata>\n"
			       "  <devices>\n"
			       "    <disk type='file' device='disk'><target dev='vda'/></disk>\n"
			       "%s"
			       "  </devices>\n"
			       "</domain>\n",
			       type, metadata != NULL ? metadata : "", devices);
}

#define TEST_HOSTDEV(managed, addr_attrs) \
	"    <hostdev mode='subsystem' type='pci' managed='" managed "'>" \
	"<source><address " addr_attrs "/></source></hostdev>\n"

/* exactly one line, ending in a newline */
static inline void
test_assert_one_line(const char *text)
{
	gsize len = strlen(text);

	g_assert_cmpuint(len, >, 1);
	g_assert_cmpint(text[len - 1], ==, '\n');
	g_assert_null(memchr(text, '\n', len - 1));
}
