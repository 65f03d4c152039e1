/*
 * hd-lazy-library.c: a shared library opened the first time it is needed
 *
 * With dlopen() itself, not GModule: libgmodule would be one more library
 * for every hook run to load, for two calls.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-lazy-library.h"

#include <dlfcn.h>
#include <string.h>

#include "hd-error.h"

/* the symbols go into a scratch table, so that callers never see a table
 * with some functions missing */
static gboolean
hd_lazy_library_resolve(HdLazyLibrary *library, void *handle, guint8 *scratch, GError **error)
{
	for (gsize i = 0; i < library->n_symbols; i++) {
		const HdLazySymbol *symbol = &library->symbols[i];
		gpointer address = dlsym(handle, symbol->name);

		if (address == NULL) {
			g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "%s has no %s (reinstall %s)",
				    library->soname, symbol->name, library->package);
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
	void *handle;

	if (library->handle != NULL)
		return library->table;
	/* local: the library's symbols must not satisfy anyone else's; now:
	 * a library that cannot resolve its own fails here, not mid-restore */
	handle = dlopen(library->soname, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "cannot open %s: %s (install %s)",
			    library->soname, dlerror(), library->package);
		return NULL;
	}
	scratch = g_malloc0(library->table_size);
	if (!hd_lazy_library_resolve(library, handle, scratch, error)) {
		dlclose(handle);
		return NULL;
	}
	memcpy(library->table, scratch, library->table_size);
	library->handle = handle;
	return library->table;
}
