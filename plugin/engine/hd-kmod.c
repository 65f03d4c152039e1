/*
 * hd-kmod.c: loading a driver's module, through libkmod, never a shell
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-kmod.h"

#include <errno.h>
#include <gmodule.h>
#include <libkmod.h>

#include "hd-error.h"
#include "hd-sysfs.h"

/*
 * libkmod is opened the first time a module must be loaded, not linked:
 * it brings libcrypto along (for module signatures), which alone is about
 * 40% of the relocations the dynamic loader does before the engine's
 * main(), on every hook run.  Most runs never load a module: vfio-pci and
 * pciback stay loaded after their first use, and a release rebinds drivers
 * that are loaded.  The header still gives every function's type, so a
 * pointer cannot disagree with the library's prototype.
 */
#define HD_KMOD_SONAME "libkmod.so.2"

typedef struct {
	__typeof__(kmod_new) *new_ctx;
	__typeof__(kmod_unref) *unref;
	__typeof__(kmod_module_new_from_lookup) *new_from_lookup;
	__typeof__(kmod_module_get_module) *get_module;
	__typeof__(kmod_module_unref) *module_unref;
	__typeof__(kmod_module_unref_list) *unref_list;
	__typeof__(kmod_module_probe_insert_module) *probe_insert;
	__typeof__(kmod_list_next) *list_next;
} HdKmodApi;

static HdKmodApi hd_kmod_api;

static gboolean
hd_kmod_symbol(GModule *lib, const char *name, gpointer *symbol, GError **error)
{
	if (g_module_symbol(lib, name, symbol) && *symbol != NULL)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "%s has no %s: %s", HD_KMOD_SONAME, name,
		    g_module_error());
	return FALSE;
}

/* once open, the library stays for the life of the process; its own lock,
 * as two contexts (the tests' threads) have two context locks */
static const HdKmodApi *
hd_kmod_open(GError **error)
{
	static GMutex opening;
	static GModule *lib;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&opening);
	HdKmodApi api = {0};

	if (lib != NULL)
		return &hd_kmod_api;
	lib = g_module_open(HD_KMOD_SONAME, G_MODULE_BIND_LOCAL);
	if (lib == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "cannot load modules: %s (install libkmod2)",
			    g_module_error());
		return NULL;
	}
	if (!hd_kmod_symbol(lib, "kmod_new", (gpointer *)&api.new_ctx, error) ||
	    !hd_kmod_symbol(lib, "kmod_unref", (gpointer *)&api.unref, error) ||
	    !hd_kmod_symbol(lib, "kmod_module_new_from_lookup", (gpointer *)&api.new_from_lookup, error) ||
	    !hd_kmod_symbol(lib, "kmod_module_get_module", (gpointer *)&api.get_module, error) ||
	    !hd_kmod_symbol(lib, "kmod_module_unref", (gpointer *)&api.module_unref, error) ||
	    !hd_kmod_symbol(lib, "kmod_module_unref_list", (gpointer *)&api.unref_list, error) ||
	    !hd_kmod_symbol(lib, "kmod_module_probe_insert_module", (gpointer *)&api.probe_insert, error) ||
	    !hd_kmod_symbol(lib, "kmod_list_next", (gpointer *)&api.list_next, error)) {
		g_module_close(lib);
		lib = NULL;
		return NULL;
	}
	hd_kmod_api = api;
	return &hd_kmod_api;
}

typedef struct kmod_ctx HdKmodCtx;
typedef struct kmod_list HdKmodList;
typedef struct kmod_module HdKmodModule;

static void
hd_kmod_ctx_unref(HdKmodCtx *ctx)
{
	hd_kmod_api.unref(ctx);
}

static void
hd_kmod_list_unref(HdKmodList *list)
{
	hd_kmod_api.unref_list(list);
}

static void
hd_kmod_module_unref(HdKmodModule *mod)
{
	hd_kmod_api.module_unref(mod);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdKmodCtx, hd_kmod_ctx_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdKmodList, hd_kmod_list_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdKmodModule, hd_kmod_module_unref)

/*
 * @module is a driver name ("vfio-pci") or alias; modprobe's rules apply,
 * blacklists included, so an administrator's "blacklist vfio-pci" wins and
 * is reported as such.
 */
gboolean
hd_kmod_load(const char *module, gpointer user_data, GError **error)
{
	g_autoptr(HdKmodCtx) ctx = NULL;
	g_autoptr(HdKmodList) list = NULL;
	const HdKmodApi *kmod;
	int rc;

	/* the test suite's machine must never have modules loaded by us */
	if (hd_testing_active()) {
		g_set_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED,
			    "refusing to load module %s under the test suite (%s is set)", module, HD_TESTING_ENV);
		return FALSE;
	}
	kmod = hd_kmod_open(error);
	if (kmod == NULL)
		return FALSE;
	ctx = kmod->new_ctx(NULL, NULL);
	if (ctx == NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_FAILED, "cannot initialise libkmod");
		return FALSE;
	}
	rc = kmod->new_from_lookup(ctx, module, &list);
	if (rc < 0 || list == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND,
			    "module %s: not found for this kernel", module);
		return FALSE;
	}
	for (const HdKmodList *item = list; item != NULL; item = kmod->list_next(list, item)) {
		g_autoptr(HdKmodModule) mod = kmod->get_module(item);

		rc = kmod->probe_insert(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL, NULL);
		if (rc == KMOD_PROBE_APPLY_BLACKLIST) {
			g_set_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED,
				    "module %s: administratively prohibited (blacklisted)", module);
			return FALSE;
		}
		if (rc < 0) {
			g_set_error(error, HD_ERROR, hd_error_from_errno(-rc), "module %s: %s", module,
				    g_strerror(-rc));
			return FALSE;
		}
	}
	return TRUE;
}
