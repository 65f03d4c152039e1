/*
 * hd-lazy-library.c: a shared library opened the first time it is needed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-lazy-library.h"

#include <string.h>

#include "hd-error.h"

/* the symbols go into a scratch table, so that callers never see a table
 * with some functions missing */
static gboolean
hd_lazy_library_resolve(HdLazyLibrary *library, GModule *module, guint8 *scratch, GError **error)
{
	for (gsize i = 0; i < library->n_symbols; i++) {
		const HdLazySymbol *symbol = &library->symbols[i];
		gpointer address = NULL;

		if (!g_module_symbol(module, symbol->name, &address) || address == NULL) {
			g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "%s has no %s: %s (reinstall %s)",
				    library->soname, symbol->name, g_module_error(), library->package);
			return FALSE;
		}
		memcpy(scratch + symbol->offset, &address, sizeof(address));
	}
	return TRUE;
}

gconstpointer
hd_lazy_library_get(HdLazyLibrary *library, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&library->lock);
	g_autofree guint8 *scratch = NULL;
	GModule *module;

	if (library->module != NULL)
		return library->table;
	/* local: the library's symbols must not satisfy anyone else's */
	module = g_module_open(library->soname, G_MODULE_BIND_LOCAL);
	if (module == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "cannot open %s: %s (install %s)",
			    library->soname, g_module_error(), library->package);
		return NULL;
	}
	scratch = g_malloc0(library->table_size);
	if (!hd_lazy_library_resolve(library, module, scratch, error)) {
		g_module_close(module);
		return NULL;
	}
	memcpy(library->table, scratch, library->table_size);
	library->module = module;
	return library->table;
}
