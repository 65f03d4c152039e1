/*
 * hd-autocleanups.h: g_autoptr() for the engine's foreign types
 *
 * Declared once here, so that every file frees json-c objects the same
 * way.  Those of the libraries opened when first needed (hd-lazy-library.h)
 * call through their tables, so they are beside them: libkmod's, libpci's
 * and libmount's in their only users (hd-kmod.c, hd-pci.c, hd-usage.c),
 * libnl's in api/hd-libnl.h.  The libc ones every layer uses are in
 * hd-base-autocleanups.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <pci/pci.h>

#include "hd-base-autocleanups.h"


/* json_object_put() drops one reference; the object goes with the last */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_tokener, json_tokener_free)
