/*
 * hd-autocleanups.h: g_autoptr() for the engine's foreign types
 *
 * Declared once here, so that every file frees netlink sockets and caches
 * and json-c objects the same way.  libkmod's, libpci's and libmount's are
 * beside their only users (hd-kmod.c, hd-pci.c, hd-usage.c), which open
 * those libraries when first needed (hd-lazy-library.h).  The libc ones
 * every layer uses are in hd-base-autocleanups.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <netlink/cache.h>
#include <netlink/socket.h>
#include <pci/pci.h>

#include "hd-base-autocleanups.h"


typedef struct nl_sock HdNlSock;
typedef struct nl_cache HdNlCache;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdNlSock, nl_socket_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdNlCache, nl_cache_free)

/* json_object_put() drops one reference; the object goes with the last */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_tokener, json_tokener_free)
