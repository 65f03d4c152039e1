/*
 * hd-testing.h: the guard that keeps the test suite off this machine
 *
 * The machine running the tests has its disk and network on PCI, and one
 * stray unbind there kills it.  Every test runs with HOSTDEV_HOOK_TESTING
 * set; under it, every path the engine would act on is resolved (symlinks,
 * "//", "/.", a trailing "/") and refused when it is, or lies under, one
 * of the host's own: /sys, the host's state directory.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* the environment variable the test suite sets */
#define HD_TESTING_ENV "HOSTDEV_HOOK_TESTING"

gboolean hd_testing_active(void);

/*
 * Under the test suite, refuse @path (describing it as @what in the error)
 * when it resolves to @forbidden or to anything beneath it.  A path that
 * does not exist yet is judged by its longest existing prefix.  Callers
 * check each path they will act under (a fake sysfs root whose "bus" is a
 * link into the real /sys is caught at "bus").  Outside the test suite
 * this always succeeds.
 */
gboolean hd_testing_guard_path(const char *what, const char *path, const char *forbidden, GError **error);
