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

/*
 * Fault injection, for the tests that must reach every mutation point of a
 * prepare or a release on a real kernel.  Only a build with tests
 * (meson -Dtests=true defines HD_FAULT_INJECTION) has it, and libvirt runs
 * hooks with a scrubbed environment; without it every call below does
 * nothing.  HOSTDEV_HOOK_FAULT says what happens at the process's Nth
 * mutation of the host, a sysfs write or a netlink change, counted from 1
 * on one counter for the whole process:
 *
 *   fail:N        the Nth fails with EIO, as if the kernel refused it
 *   kill:N        the process SIGKILLs itself just before the Nth
 *   kill-after:N  ... just after the Nth returned, whatever it returned,
 *                 before anything else (a journal step) is recorded
 *   count         nothing fails; at exit, stderr says how many there were
 *
 * A kill first prints the point on stderr ("hostdev-hook: fault
 * injection: SIGKILL before mutation 3: write 'vfio-pci' to ...").  Any
 * other value fails the first mutation, naming the value, so that a
 * misspelt knob cannot pass for a clean run.
 *
 * The counter is atomic, but N names the same point on every run only if
 * mutations happen in the same order: while the knob is set the engine
 * runs its units one at a time (hd_fault_injection_active()).
 */

/* before each mutation: FALSE with an HD_ERROR when the knob fails this one
 * (and never returns when it kills); @format describes the mutation */
gboolean hd_fault_point(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* after the mutation this thread's last hd_fault_point() admitted returned */
void hd_fault_point_done(void);
/* is HOSTDEV_HOOK_FAULT set (in a build that honours it)? */
gboolean hd_fault_injection_active(void);
/* tests: read HOSTDEV_HOOK_FAULT again and count from 0 */
void hd_fault_reset(void);
