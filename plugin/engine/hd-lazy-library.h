/*
 * hd-lazy-library.h: a shared library opened the first time it is needed
 *
 * Every library the engine links is loaded, relocated and initialised by
 * the dynamic loader before main(), on every hook run, whether the run
 * needs it or not; under TCG that is milliseconds a library.  A release
 * needs none of libkmod, libpci or libmount, and libnl-3 and libnl-route-3
 * only to put back a VF's settings: it restores what its journal says.
 * Those five are opened here instead, when a caller first asks, and their
 * functions looked up into a table whose fields keep the prototypes of the
 * library's own header (declare them with __typeof__).  libnl's tables
 * are in api/hd-libnl.h, shared by the engine and the vfconfig plugin.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

typedef struct {
	const char *name; /* the library's function */
	gsize offset;	  /* of its pointer in the caller's table */
} HdLazySymbol;

/* one entry of a table of type @Table: field @field holds function @function */
#define HD_LAZY_SYMBOL(Table, field, function) {#function, G_STRUCT_OFFSET(Table, field)}

typedef struct {
	const char *soname;
	const char *package; /* what to install when it is missing */
	const HdLazySymbol *symbols;
	gsize n_symbols;
	gpointer table; /* filled in all at once, when every symbol is found */
	gsize table_size;
	/* private */
	GMutex lock;
	void *handle; /* dlopen()'s */
} HdLazyLibrary;

/*
 * @library's table, opening the library on the first call; it stays open
 * for the life of the process.  NULL, with an error naming the library
 * and the package, when it or one of its functions is missing.
 */
gconstpointer hd_lazy_library_get(HdLazyLibrary *library, GError **error);
