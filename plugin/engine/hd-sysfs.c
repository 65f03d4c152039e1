/*
 * hd-sysfs.c: the one way the engine touches sysfs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
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

/* a value as messages show it: without the newline that ends it */
static int
hd_sysfs_shown_length(const char *value)
{
	gsize len = strlen(value);

	return (int)(len > 0 && value[len - 1] == '\n' ? len - 1 : len);
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
 * HOSTDEV_HOOK_FAULT (test builds only; see hd-sysfs.h).  The value is read
 * once, before main(), so that no thread reads the environment later; the
 * counter is shared by every thread of the process.
 */
typedef enum {
	HD_FAULT_NONE,
	HD_FAULT_FAIL,
	HD_FAULT_KILL,
	HD_FAULT_KILL_AFTER,
	HD_FAULT_COUNT,
	HD_FAULT_INVALID,
} HdFaultMode;

static gchar *hd_fault_value; /* as given, for messages */
static HdFaultMode hd_fault_mode;
static guint hd_fault_nth;
static gint hd_fault_points; /* atomic: mutation points reached so far */
/* kill-after:N, on the thread at point N: what it is making */
static GPrivate hd_fault_armed = G_PRIVATE_INIT(g_free);
/* how deep this thread is in mutation points: a write that a unit test's
 * simulated kernel makes through another HdSysfs while it handles one is
 * part of that one, not a point of its own */
static GPrivate hd_fault_depth;

static void
hd_fault_report_count(void)
{
	if (hd_fault_mode == HD_FAULT_COUNT)
		g_printerr("hostdev-hook: fault injection: %d mutation points\n", g_atomic_int_get(&hd_fault_points));
}

static void
hd_fault_parse(const char *value)
{
	static const struct {
		const char *prefix;
		HdFaultMode mode;
	} modes[] = {
		{"fail:", HD_FAULT_FAIL},
		{"kill:", HD_FAULT_KILL},
		{"kill-after:", HD_FAULT_KILL_AFTER},
	};
	static gboolean count_reported;

	g_free(hd_fault_value);
	hd_fault_value = g_strdup(value);
	/* empty is unset, as a shell's "HOSTDEV_HOOK_FAULT= command" means */
	hd_fault_mode = value == NULL || *value == '\0' ? HD_FAULT_NONE : HD_FAULT_INVALID;
	hd_fault_nth = 0;
	if (g_strcmp0(value, "count") == 0)
		hd_fault_mode = HD_FAULT_COUNT;
	for (guint i = 0; value != NULL && i < G_N_ELEMENTS(modes); i++) {
		guint64 nth = 0;

		if (g_str_has_prefix(value, modes[i].prefix) &&
		    g_ascii_string_to_unsigned(value + strlen(modes[i].prefix), 10, 1, G_MAXINT, &nth, NULL)) {
			hd_fault_mode = modes[i].mode;
			hd_fault_nth = (guint)nth;
		}
	}
	/* the process may end anywhere: the count is reported at exit */
	if (hd_fault_mode == HD_FAULT_COUNT && !count_reported) {
		atexit(hd_fault_report_count);
		count_reported = TRUE;
	}
}

__attribute__((constructor)) static void
hd_fault_init(void)
{
	hd_fault_parse(g_getenv("HOSTDEV_HOOK_FAULT"));
}

void
hd_fault_reset(void)
{
	hd_fault_parse(g_getenv("HOSTDEV_HOOK_FAULT"));
	g_atomic_int_set(&hd_fault_points, 0);
	g_private_replace(&hd_fault_armed, NULL);
	g_private_set(&hd_fault_depth, GUINT_TO_POINTER(0));
}

gboolean
hd_fault_injection_active(void)
{
	return hd_fault_mode != HD_FAULT_NONE;
}

/* stderr, in one write(2): the line must be out before SIGKILL */
static void
hd_fault_kill(guint point, const char *when, const char *what)
{
	g_autofree gchar *line = g_strdup_printf("hostdev-hook: fault injection: SIGKILL %s mutation %u: %s\n", when,
						 point, what);

	if (write(STDERR_FILENO, line, strlen(line)) < 0) {
		/* nobody to tell: the kill is what matters */
	}
	raise(SIGKILL);
}

/* the knob's mutation: FALSE with an error when it is to fail */
static gboolean
hd_fault_strike(guint point, const char *what, GError **error)
{
	switch (hd_fault_mode) {
	case HD_FAULT_KILL:
		hd_fault_kill(point, "before", what);
		return TRUE;
	case HD_FAULT_KILL_AFTER:
		g_private_replace(&hd_fault_armed, g_strdup(what));
		return TRUE;
	case HD_FAULT_FAIL:
		/* "fault injected": what the scenarios look for in a refusal */
		g_set_error(error, HD_ERROR, hd_error_from_errno(EIO), "fault injected at mutation %u: %s: %s", point,
			    what, g_strerror(EIO));
		return FALSE;
	default:
		return TRUE;
	}
}

gboolean
hd_fault_point(GError **error, const char *format, ...)
{
	guint depth = GPOINTER_TO_UINT(g_private_get(&hd_fault_depth));
	g_autofree gchar *what = NULL;
	va_list args;
	guint point;

	if (hd_fault_mode == HD_FAULT_NONE)
		return TRUE;
	if (depth > 0) {
		g_private_set(&hd_fault_depth, GUINT_TO_POINTER(depth + 1));
		return TRUE;
	}
	point = (guint)g_atomic_int_add(&hd_fault_points, 1) + 1;
	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	if (hd_fault_mode == HD_FAULT_INVALID) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "fault injection: HOSTDEV_HOOK_FAULT='%s' is not fail:N, kill:N, kill-after:N or count, so "
			    "mutation %u (%s) was not made; fix or unset it",
			    hd_fault_value, point, what);
		return FALSE;
	}
	if (point == hd_fault_nth && !hd_fault_strike(point, what, error))
		return FALSE;
	g_private_set(&hd_fault_depth, GUINT_TO_POINTER(1));
	return TRUE;
}

void
hd_fault_point_done(void)
{
	guint depth = GPOINTER_TO_UINT(g_private_get(&hd_fault_depth));
	const char *what = g_private_get(&hd_fault_armed);

	if (hd_fault_mode == HD_FAULT_NONE || depth == 0)
		return;
	g_private_set(&hd_fault_depth, GUINT_TO_POINTER(depth - 1));
	if (depth == 1 && what != NULL)
		hd_fault_kill(hd_fault_nth, "after", what);
}
#else
gboolean
hd_fault_point(GError **error, const char *format, ...)
{
	return TRUE;
}

void
hd_fault_point_done(void)
{
}

gboolean
hd_fault_injection_active(void)
{
	return FALSE;
}

void
hd_fault_reset(void)
{
}
#endif

static gboolean
hd_sysfs_write_file(const char *path, const char *value, GError **error)
{
	gsize len = strlen(value);
	ssize_t written;
	int fd;

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
		g_autofree gchar *what = g_strdup_printf("write '%.*s' to", hd_sysfs_shown_length(value), value);
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

/*
 * One write(2) of the whole value, as the kernel's store() handlers expect.
 * The kernel reports a refused bind or unbind as the write's error, so the
 * result of write() is the answer, and it is checked in full.  Each write
 * is a mutation point of the fault injection.
 */
gboolean
hd_sysfs_write(HdSysfs *sysfs, const char *relpath, const char *value, GError **error)
{
	g_autofree gchar *path = hd_sysfs_path(sysfs, relpath);
	gboolean ok;

	if (!hd_fault_point(error, "write '%.*s' to %s", hd_sysfs_shown_length(value), value, path))
		return FALSE;
	if (sysfs->write_func != NULL)
		ok = sysfs->write_func(relpath, value, sysfs->write_data, error);
	else
		ok = hd_sysfs_write_file(path, value, error);
	hd_fault_point_done();
	return ok;
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
