/*
 * hd-kmod.c: loading a driver's module, through libkmod, never a shell
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-kmod.h"

#include <errno.h>
#include <libkmod.h>

#include "hd-error.h"
#include "hd-lazy-library.h"
#include "hd-sysfs.h"

/*
 * libkmod is opened the first time a module must be loaded, not linked
 * (hd-lazy-library.h): it brings libcrypto along (for module signatures),
 * which alone was about 40% of the relocations the dynamic loader did
 * before the engine's main(), on every hook run.  Most runs never load a
 * module: vfio-pci and pciback stay loaded after their first use, and a
 * release rebinds drivers that are loaded.
 */
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

static const HdLazySymbol hd_kmod_symbols[] = {
	HD_LAZY_SYMBOL(HdKmodApi, new_ctx, kmod_new),
	HD_LAZY_SYMBOL(HdKmodApi, unref, kmod_unref),
	HD_LAZY_SYMBOL(HdKmodApi, new_from_lookup, kmod_module_new_from_lookup),
	HD_LAZY_SYMBOL(HdKmodApi, get_module, kmod_module_get_module),
	HD_LAZY_SYMBOL(HdKmodApi, module_unref, kmod_module_unref),
	HD_LAZY_SYMBOL(HdKmodApi, unref_list, kmod_module_unref_list),
	HD_LAZY_SYMBOL(HdKmodApi, probe_insert, kmod_module_probe_insert_module),
	HD_LAZY_SYMBOL(HdKmodApi, list_next, kmod_list_next),
};

static HdKmodApi hd_kmod_api;

static HdLazyLibrary hd_kmod_library = {
	.soname = "libkmod.so.2",
	.package = "libkmod2",
	.symbols = hd_kmod_symbols,
	.n_symbols = G_N_ELEMENTS(hd_kmod_symbols),
	.table = &hd_kmod_api,
	.table_size = sizeof(hd_kmod_api),
};

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
	kmod = hd_lazy_library_get(&hd_kmod_library, error);
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
