/*
 * hd-sysfs.h: the one way the engine touches sysfs
 *
 * Every read, write, readlink and listing goes through here, under a
 * configurable root, so tests can point the engine at a temporary tree and
 * every error names the file it concerns.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

typedef struct _HdSysfs HdSysfs;

#include "hd-testing.h"

/*
 * The unit tests' kernel: when set, called for every write instead of
 * write(2), with the path relative to the root, so that a simulated sysfs
 * reacts inside the write call as the kernel does (bind, unbind, probe).
 */
typedef gboolean (*HdSysfsWriteFunc)(const char *relpath, const char *value, gpointer user_data, GError **error);

HdSysfs *hd_sysfs_new(const char *root, GError **error);
void hd_sysfs_set_write_func(HdSysfs *sysfs, HdSysfsWriteFunc func, gpointer user_data);
void hd_sysfs_free(HdSysfs *sysfs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdSysfs, hd_sysfs_free)

const char *hd_sysfs_get_root(HdSysfs *sysfs);
gchar *hd_sysfs_path(HdSysfs *sysfs, const char *relpath);

gboolean hd_sysfs_exists(HdSysfs *sysfs, const char *relpath);
/* a directory, not a symlink to one: sysfs links lead out of a device */
gboolean hd_sysfs_is_dir(HdSysfs *sysfs, const char *relpath);
gchar *hd_sysfs_read(HdSysfs *sysfs, const char *relpath, GError **error);
gboolean hd_sysfs_write(HdSysfs *sysfs, const char *relpath, const char *value, GError **error);
gchar *hd_sysfs_read_link_name(HdSysfs *sysfs, const char *relpath, GError **error);
GPtrArray *hd_sysfs_list(HdSysfs *sysfs, const char *relpath, GError **error);
