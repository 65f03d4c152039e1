/*
 * hd-sysfs.c: the one way the engine touches sysfs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-sysfs.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hd-autocleanups.h"
#include "hd-config.h"
#include "hd-error.h"
#include "hd-testing.h"

struct _HdSysfs {
	gchar *root;
	HdSysfsWriteFunc write_func;
	gpointer write_data;
};

/*
 * Under the test suite the real /sys is refused outright, however it is
 * spelt, and so is a fake root whose bus/pci or kernel tree leads into it:
 * a test that forgets its root fails instead of touching the host.
 */
static gboolean
hd_sysfs_guard(const char *root, GError **error)
{
	static const char *const subtrees[] = {"", "bus", "bus/pci", "bus/pci/devices", "bus/pci/drivers",
					       "kernel", "module"};

	for (guint i = 0; i < G_N_ELEMENTS(subtrees); i++) {
		g_autofree gchar *path = g_build_filename(root, subtrees[i], NULL);

		if (!hd_testing_guard_path("sysfs root", path, "/sys", error))
			return FALSE;
	}
	return TRUE;
}

HdSysfs *
hd_sysfs_new(const char *root, GError **error)
{
	HdSysfs *sysfs;

	if (!hd_sysfs_guard(root, error))
		return NULL;
	sysfs = g_new0(HdSysfs, 1);
	sysfs->root = g_strdup(root);
	return sysfs;
}

void
hd_sysfs_free(HdSysfs *sysfs)
{
	if (sysfs == NULL)
		return;
	g_free(sysfs->root);
	g_free(sysfs);
}

void
hd_sysfs_set_write_func(HdSysfs *sysfs, HdSysfsWriteFunc func, gpointer user_data)
{
	sysfs->write_func = func;
	sysfs->write_data = user_data;
}

const char *
hd_sysfs_get_root(HdSysfs *sysfs)
{
	return sysfs->root;
}

gchar *
hd_sysfs_path(HdSysfs *sysfs, const char *relpath)
{
	return g_build_filename(sysfs->root, relpath, NULL);
}

static void
hd_sysfs_set_errno(GError **error, int errnum, const char *what, const char *path)
{
	g_set_error(error, HD_ERROR, hd_error_from_errno(errnum),
		    "cannot %s %s: %s", what, path, g_strerror(errnum));
}

gboolean
hd_sysfs_exists(HdSysfs *sysfs, const char *relpath)
{
	g_autofree gchar *path = hd_sysfs_path(sysfs, relpath);

	return access(path, F_OK) == 0;
}

gboolean
hd_sysfs_is_dir(HdSysfs *sysfs, const char *relpath)
{
	g_autofree gchar *path = hd_sysfs_path(sysfs, relpath);
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* a sysfs attribute, without its trailing newline */
gchar *
hd_sysfs_read(HdSysfs *sysfs, const char *relpath, GError **error)
{
	g_autofree gchar *path = hd_sysfs_path(sysfs, relpath);
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) local = NULL;

	if (!g_file_get_contents(path, &contents, NULL, &local)) {
		g_set_error(error, HD_ERROR,
			    g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
				? HD_ERROR_NOT_FOUND
				: HD_ERROR_FAILED,
			    "%s", local->message);
		return NULL;
	}
	return g_strchomp(g_steal_pointer(&contents));
}

#ifdef HD_FAULT_INJECTION
/*
 * Test builds only (-Dtests=true): HOSTDEV_HOOK_FAULT="fail:N" makes the
 * Nth write of this process fail with EIO, as if the kernel refused it;
 * "kill:N" makes the process SIGKILL itself just before the Nth write, as
 * a crash there would.  This lets the real-kernel tests reach every
 * mutation point of a prepare; a build without tests has no such knob.
 */
static gboolean
hd_sysfs_fault(const char *path, GError **error)
{
	static guint writes;
	const char *spec = g_getenv("HOSTDEV_HOOK_FAULT");
	guint64 nth = 0;

	writes++;
	if (spec == NULL)
		return TRUE;
	if (g_str_has_prefix(spec, "kill:") && g_ascii_string_to_unsigned(spec + 5, 10, 1, G_MAXUINT, &nth, NULL) &&
	    nth == writes)
		raise(SIGKILL);
	if (g_str_has_prefix(spec, "fail:") && g_ascii_string_to_unsigned(spec + 5, 10, 1, G_MAXUINT, &nth, NULL) &&
	    nth == writes) {
		hd_sysfs_set_errno(error, EIO, "write (fault injected) to", path);
		return FALSE;
	}
	return TRUE;
}
#else
static gboolean
hd_sysfs_fault(const char *path, GError **error)
{
	return TRUE;
}
#endif

/*
 * One write(2) of the whole value, as the kernel's store() handlers expect.
 * The kernel reports a refused bind or unbind as the write's error, so the
 * result of write() is the answer, and it is checked in full.
 */
gboolean
hd_sysfs_write(HdSysfs *sysfs, const char *relpath, const char *value, GError **error)
{
	g_autofree gchar *path = hd_sysfs_path(sysfs, relpath);
	gsize len = strlen(value);
	ssize_t written;
	int fd;

	if (!hd_sysfs_fault(path, error))
		return FALSE;
	if (sysfs->write_func != NULL)
		return sysfs->write_func(relpath, value, sysfs->write_data, error);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		hd_sysfs_set_errno(error, errno, "open", path);
		return FALSE;
	}
	do {
		written = write(fd, value, len);
	} while (written < 0 && errno == EINTR);
	if (written < 0 || (gsize)written != len) {
		int errnum = written < 0 ? errno : EIO;
		int shown = (int)(len > 0 && value[len - 1] == '\n' ? len - 1 : len);
		g_autofree gchar *what = g_strdup_printf("write '%.*s' to", shown, value);
		close(fd);
		hd_sysfs_set_errno(error, errnum, what, path);
		return FALSE;
	}
	if (close(fd) < 0) {
		hd_sysfs_set_errno(error, errno, "close", path);
		return FALSE;
	}
	return TRUE;
}

/* the last component of a symlink's target: a device's driver or IOMMU group */
gchar *
hd_sysfs_read_link_name(HdSysfs *sysfs, const char *relpath, GError **error)
{
	g_autofree gchar *path = hd_sysfs_path(sysfs, relpath);
	g_autofree gchar *target = g_file_read_link(path, NULL);

	if (target == NULL) {
		hd_sysfs_set_errno(error, errno, "read link", path);
		return NULL;
	}
	return g_path_get_basename(target);
}

static gint
hd_compare_strings(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* a directory's entries, sorted so that every caller sees a stable order */
GPtrArray *
hd_sysfs_list(HdSysfs *sysfs, const char *relpath, GError **error)
{
	g_autofree gchar *path = hd_sysfs_path(sysfs, relpath);
	g_autoptr(DIR) dir = opendir(path);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	struct dirent *entry;

	if (dir == NULL) {
		hd_sysfs_set_errno(error, errno, "list", path);
		return NULL;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (g_strcmp0(entry->d_name, ".") == 0 || g_strcmp0(entry->d_name, "..") == 0)
			continue;
		g_ptr_array_add(names, g_strdup(entry->d_name));
	}
	g_ptr_array_sort(names, hd_compare_strings);
	return g_steal_pointer(&names);
}
