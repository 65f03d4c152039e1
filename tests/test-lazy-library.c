/*
 * test-lazy-library.c: libraries opened on first use (hd-lazy-library.c)
 *
 * libc stands in for libkmod, libpci and libmount: it is on every
 * machine, and its functions' results are known.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <string.h>

#include "hd-error.h"
#include "hd-lazy-library.h"

typedef struct {
	__typeof__(strlen) *length;
	__typeof__(strcmp) *compare;
} LibcApi;

static const HdLazySymbol libc_symbols[] = {
	HD_LAZY_SYMBOL(LibcApi, length, strlen),
	HD_LAZY_SYMBOL(LibcApi, compare, strcmp),
};

static const HdLazySymbol libc_symbols_one_missing[] = {
	HD_LAZY_SYMBOL(LibcApi, length, strlen),
	{"hd_test_no_such_function", G_STRUCT_OFFSET(LibcApi, compare)},
};

static void
test_opens_once(void)
{
	LibcApi api = {0};
	HdLazyLibrary library = {
		.soname = "libc.so.6",
		.package = "libc6",
		.symbols = libc_symbols,
		.n_symbols = G_N_ELEMENTS(libc_symbols),
		.table = &api,
		.table_size = sizeof(api),
	};
	g_autoptr(GError) error = NULL;
	const LibcApi *first = hd_lazy_library_get(&library, &error);
	const LibcApi *second;

	g_assert_no_error(error);
	g_assert_true(first == &api);
	g_assert_cmpuint(first->length("hostdev"), ==, 7);
	g_assert_cmpint(first->compare("a", "a"), ==, 0);
	second = hd_lazy_library_get(&library, &error);
	g_assert_no_error(error);
	g_assert_true(second == first);
}

static void
test_missing_library(void)
{
	LibcApi api = {0};
	HdLazyLibrary library = {
		.soname = "libhostdev-hook-test-absent.so.0",
		.package = "hostdev-hook-test-absent",
		.symbols = libc_symbols,
		.n_symbols = G_N_ELEMENTS(libc_symbols),
		.table = &api,
		.table_size = sizeof(api),
	};
	g_autoptr(GError) error = NULL;

	g_assert_null(hd_lazy_library_get(&library, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED);
	g_assert_true(g_str_has_prefix(error->message, "cannot open libhostdev-hook-test-absent.so.0: "));
	g_assert_true(g_str_has_suffix(error->message, " (install hostdev-hook-test-absent)"));
	g_assert_null(api.length);
}

/* a table is all or nothing: a caller never finds half the functions */
static void
test_missing_symbol(void)
{
	LibcApi api = {0};
	HdLazyLibrary library = {
		.soname = "libc.so.6",
		.package = "libc6",
		.symbols = libc_symbols_one_missing,
		.n_symbols = G_N_ELEMENTS(libc_symbols_one_missing),
		.table = &api,
		.table_size = sizeof(api),
	};

	for (guint attempt = 0; attempt < 2; attempt++) {
		g_autoptr(GError) error = NULL;

		g_assert_null(hd_lazy_library_get(&library, &error));
		g_assert_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED);
		g_assert_true(g_str_has_prefix(error->message, "libc.so.6 has no hd_test_no_such_function: "));
		g_assert_true(g_str_has_suffix(error->message, " (reinstall libc6)"));
		g_assert_null(api.length);
		g_assert_null(api.compare);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lazy-library/opens-once", test_opens_once);
	g_test_add_func("/lazy-library/missing-library", test_missing_library);
	g_test_add_func("/lazy-library/missing-symbol", test_missing_symbol);
	return g_test_run();
}
