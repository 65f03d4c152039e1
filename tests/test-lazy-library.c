/*
 * test-lazy-library.c: libraries opened on first use (hd-lazy-library.c)
 *
 * libc stands in for libkmod, libpci and libmount: it is on every
 * machine, and its functions' results are known.  libnl's tables are
 * shared by the engine and the vfconfig plugin, so they are checked here
 * for real: a misspelt function fails this test, not a guest's prepare.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dlfcn.h>
#include <glib.h>
#include <string.h>

#include "hd-error.h"
#include "hd-lazy-library.h"
#include "hd-libnl.h"

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
		g_assert_cmpstr(error->message, ==, "libc.so.6 has no hd_test_no_such_function (reinstall libc6)");
		g_assert_null(api.length);
		g_assert_null(api.compare);
	}
}

/* every function of @table (a struct of function pointers) is set, and is
 * defined in the library whose file name starts with @library */
static void
assert_table_from(gconstpointer table, gsize size, const char *library)
{
	g_assert_cmpuint(size % sizeof(gpointer), ==, 0);
	for (gsize i = 0; i < size / sizeof(gpointer); i++) {
		gpointer function = NULL;
		Dl_info info = {0};
		g_autofree gchar *file = NULL;

		memcpy(&function, (const guint8 *)table + i * sizeof(gpointer), sizeof(function));
		g_assert_nonnull(function);
		g_assert_cmpint(dladdr(function, &info), !=, 0);
		file = g_path_get_basename(info.dli_fname);
		if (!g_str_has_prefix(file, library))
			g_error("function %" G_GSIZE_FORMAT " of %s's table is %s's %s", i, library, file,
				info.dli_sname);
	}
}

/* both tables filled, each from its own library, and the same on every call */
static void
test_libnl_resolves(void)
{
	g_autoptr(GError) error = NULL;
	const HdLibnl *nl = hd_libnl_get(&error);

	g_assert_no_error(error);
	g_assert_nonnull(nl);
	assert_table_from(&nl->nl, sizeof(nl->nl), "libnl-3.so.");
	assert_table_from(&nl->route, sizeof(nl->route), "libnl-route-3.so.");
	g_assert_true(hd_libnl_get(&error) == nl);
	g_assert_no_error(error);
}

/* the g_autoptr() cleanups free through the table; nothing is sent */
static void
test_libnl_calls(void)
{
	const HdLibnl *nl = hd_libnl_get(NULL);
	g_autoptr(HdNlSock) sock = NULL;
	g_autoptr(HdNlMsg) msg = NULL;
	guint32 value = 42;

	g_assert_nonnull(nl);
	g_assert_cmpstr(nl->nl.geterror(-NLE_NOMEM), ==, "Out of memory");
	sock = nl->nl.socket_alloc();
	g_assert_nonnull(sock);
	msg = nl->nl.msg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST);
	g_assert_nonnull(msg);
	g_assert_cmpint(nl->nl.attr_put(msg, 1, sizeof(value), &value), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lazy-library/opens-once", test_opens_once);
	g_test_add_func("/lazy-library/missing-library", test_missing_library);
	g_test_add_func("/lazy-library/missing-symbol", test_missing_symbol);
	g_test_add_func("/lazy-library/libnl/resolves", test_libnl_resolves);
	g_test_add_func("/lazy-library/libnl/calls", test_libnl_calls);
	return g_test_run();
}
