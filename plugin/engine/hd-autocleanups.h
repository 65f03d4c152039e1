/*
 * hd-autocleanups.h: g_autoptr() for the engine's foreign types
 *
 * Declared once here, so that every file frees libpci handles, netlink
 * sockets, libmount tables and json-c objects the same way.  libkmod's are in hd-kmod.c,
 * which opens that library only when a module must be loaded.  The libc ones every layer
 * uses are in hd-base-autocleanups.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <libmount.h>
#include <netlink/cache.h>
#include <netlink/socket.h>
#include <pci/pci.h>

#include "hd-base-autocleanups.h"

typedef struct pci_access HdPciAccess;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdPciAccess, pci_cleanup)

typedef struct nl_sock HdNlSock;
typedef struct nl_cache HdNlCache;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdNlSock, nl_socket_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdNlCache, nl_cache_free)

typedef struct libmnt_table HdMntTable;
typedef struct libmnt_iter HdMntIter;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdMntTable, mnt_unref_table)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdMntIter, mnt_free_iter)

/* json_object_put() drops one reference; the object goes with the last */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_tokener, json_tokener_free)
