/*
 * hd-base-autocleanups.h: g_autoptr() for the libc types every layer uses
 *
 * Only GLib and libc here.  The libraries' own types are declared where
 * their layer uses them: libpci's, libkmod's and libnl's in
 * plugin/engine/hd-autocleanups.h, and libxml2's, which only the tests use,
 * in tests/libxml2-autocleanups.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dirent.h>
#include <glib.h>
#include <stdio.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DIR, closedir)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FILE, fclose)
