/*
 * test-helpers.h: running our executables the way their callers do
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

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

/* copy a tree of directories, files and symlinks (kept as they are) */
static inline void
test_copy_tree(const char *src, const char *dst)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = g_dir_open(src, 0, &error);
	const char *name;

	g_assert_no_error(error);
	g_assert_cmpint(g_mkdir_with_parents(dst, 0755), ==, 0);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *from = g_build_filename(src, name, NULL);
		g_autofree gchar *to = g_build_filename(dst, name, NULL);
		g_autofree gchar *target = g_file_read_link(from, NULL);
		g_autofree gchar *contents = NULL;
		gsize len = 0;

		if (target != NULL) {
			g_assert_cmpint(symlink(target, to), ==, 0);
		} else if (g_file_test(from, G_FILE_TEST_IS_DIR)) {
			test_copy_tree(from, to);
		} else {
			g_assert_true(g_file_get_contents(from, &contents, &len, NULL));
			g_assert_true(g_file_set_contents(to, contents, (gssize)len, NULL));
		}
	}
}

/* remove a tree made by the tests: never follows symlinks */
static inline void
test_remove_tree(const char *path)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;

	if (g_file_test(path, G_FILE_TEST_IS_SYMLINK) || !g_file_test(path, G_FILE_TEST_IS_DIR)) {
		unlink(path);
		return;
	}
	dir = g_dir_open(path, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);
		test_remove_tree(child);
	}
	rmdir(path);
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
