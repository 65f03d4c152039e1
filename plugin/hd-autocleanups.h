/*
 * hd-autocleanups.h: g_autoptr() support for the foreign types we use
 *
 * Declared once here so that every file frees libxml2 documents, libpci
 * handles and directory streams the same way.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <dirent.h>
#include <glib.h>
#include <libkmod.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <netlink/cache.h>
#include <netlink/socket.h>
#include <pci/pci.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DIR, closedir)

typedef struct pci_access HdPciAccess;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdPciAccess, pci_cleanup)

typedef struct kmod_ctx HdKmodCtx;
typedef struct kmod_list HdKmodList;
typedef struct kmod_module HdKmodModule;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdKmodCtx, kmod_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdKmodList, kmod_module_unref_list)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdKmodModule, kmod_module_unref)

typedef struct nl_sock HdNlSock;
typedef struct nl_cache HdNlCache;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdNlSock, nl_socket_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdNlCache, nl_cache_free)
