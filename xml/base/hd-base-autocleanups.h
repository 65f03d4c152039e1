/*
 * hd-base-autocleanups.h: g_autoptr() for the libc types every layer uses
 *
 * Only GLib and libc here.  The libraries' own types are declared where
 * their layer uses them: libxml2's in xml/hd-xml-autocleanups.h, libpci's,
 * libkmod's and libnl's in plugin/engine/hd-autocleanups.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dirent.h>
#include <glib.h>
#include <stdio.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DIR, closedir)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FILE, fclose)
