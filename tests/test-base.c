/*
 * test-base.c: the layer beneath everything: errors, enums, names, the guard
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hd-enum.h"
#include "hd-error.h"
#include "hd-names.h"
#include "hd-testing.h"

/* the table spells GIO's codes as numbers; they must be GIO's */
static void
test_error_foreign(void)
{
	static const struct {
		GQuark (*domain)(void);
		int code;
		HdError expected;
	} cases[] = {
	    {g_io_error_quark, G_IO_ERROR_NOT_FOUND, HD_ERROR_NOT_FOUND},
	    {g_io_error_quark, G_IO_ERROR_PERMISSION_DENIED, HD_ERROR_PERMISSION_DENIED},
	    {g_io_error_quark, G_IO_ERROR_TIMED_OUT, HD_ERROR_TIMED_OUT},
	    {g_io_error_quark, G_IO_ERROR_BUSY, HD_ERROR_BUSY},
	    {g_io_error_quark, G_IO_ERROR_NOT_SUPPORTED, HD_ERROR_NOT_SUPPORTED},
	    {g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, HD_ERROR_INVALID_DATA},
	    {g_io_error_quark, G_IO_ERROR_INVALID_DATA, HD_ERROR_INVALID_DATA},
	    {g_io_error_quark, G_IO_ERROR_CANCELLED, HD_ERROR_FAILED},
	    {g_file_error_quark, G_FILE_ERROR_NOENT, HD_ERROR_NOT_FOUND},
	    {g_file_error_quark, G_FILE_ERROR_ACCES, HD_ERROR_PERMISSION_DENIED},
	    {g_file_error_quark, G_FILE_ERROR_IO, HD_ERROR_FAILED},
	    {g_key_file_error_quark, G_KEY_FILE_ERROR_PARSE, HD_ERROR_INVALID_DATA},
	    {hd_error_quark, HD_ERROR_CONFLICT, HD_ERROR_CONFLICT},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) foreign = g_error_new_literal(cases[i].domain(), cases[i].code, "x");

		g_assert_cmpint(hd_error_from_gerror(foreign), ==, cases[i].expected);
	}
}

static void
test_error_errno(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) propagated = NULL;

	g_assert_cmpint(hd_error_from_errno(ENOENT), ==, HD_ERROR_NOT_FOUND);
	g_assert_cmpint(hd_error_from_errno(EBUSY), ==, HD_ERROR_BUSY);
	g_assert_cmpint(hd_error_from_errno(ERANGE), ==, HD_ERROR_INVALID_DATA);
	g_assert_cmpint(hd_error_from_errno(ETIMEDOUT), ==, HD_ERROR_TIMED_OUT);
	g_assert_cmpint(hd_error_from_errno(EIO), ==, HD_ERROR_FAILED);
	hd_error_set_errno(&error, EACCES, "cannot open %s", "/x/y");
	g_assert_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED);
	g_assert_cmpstr(error->message, ==, "cannot open /x/y: Permission denied");
	hd_error_propagate(&propagated, g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_NOENT, "gone"), "state %d: ",
			   1);
	g_assert_error(propagated, HD_ERROR, HD_ERROR_NOT_FOUND);
	g_assert_cmpstr(propagated->message, ==, "state 1: gone");
}

typedef enum { COLOUR_RED, COLOUR_GREEN, COLOUR_BLUE = 7 } Colour;

static void
test_enum(void)
{
	static const HdEnumName colours[] = {
	    {COLOUR_RED, "red"}, {COLOUR_GREEN, "green"}, {COLOUR_BLUE, "blue"}, {COLOUR_RED, "rouge"}, {0, NULL},
	};
	int value = -1;

	g_assert_cmpstr(hd_enum_to_string(colours, COLOUR_BLUE), ==, "blue");
	/* the first name of a value is its spelling */
	g_assert_cmpstr(hd_enum_to_string(colours, COLOUR_RED), ==, "red");
	g_assert_null(hd_enum_to_string(colours, 3));
	g_assert_true(hd_enum_from_string(colours, "rouge", &value));
	g_assert_cmpint(value, ==, COLOUR_RED);
	g_assert_false(hd_enum_from_string(colours, "Blue", &value));
	g_assert_false(hd_enum_from_string(colours, NULL, &value));
	g_assert_cmpint(value, ==, COLOUR_RED);
}

static void
test_driver_names(void)
{
	static const char *const good[] = {"vfio-pci", "pciback", "mlx5_vfio_pci", "e1000e", "pci-stub", "a.b"};
	static const char *const bad[] = {"", ".", "..", "-x", ".hidden", "a/b", "nvme\n", "a b",
					  "vfio-pci-with-a-name-that-is-longer-than-any-kernel-driver-has-ever-had"};

	for (guint i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(hd_driver_name_check(good[i], "driver=", NULL));
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;

		g_assert_false(hd_driver_name_check(bad[i], "driver=", &error));
		g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
		g_assert_true(g_str_has_prefix(error->message, "invalid driver='"));
	}
	g_assert_false(hd_driver_name_check(NULL, "driver=", NULL));
}

/* the guard resolves what it is given: links, dots, trailing slashes, and
 * paths that do not exist yet */
static void
test_guard(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("hd-guard-XXXXXX", &error);
	g_autofree gchar *fake = g_build_filename(dir, "fake", NULL);
	g_autofree gchar *forbidden = g_build_filename(dir, "real", NULL);
	g_autofree gchar *link = g_build_filename(fake, "bus", NULL);
	g_autofree gchar *spelt = g_strconcat(forbidden, "/./", NULL);
	g_autofree gchar *not_yet = g_build_filename(forbidden, "sub", "journal", NULL);
	g_autofree gchar *sibling = g_strconcat(forbidden, "-other", NULL);

	g_assert_no_error(error);
	g_assert_true(hd_testing_active());
	g_assert_cmpint(g_mkdir(fake, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(forbidden, 0700), ==, 0);
	g_assert_cmpint(symlink(forbidden, link), ==, 0);

	g_assert_true(hd_testing_guard_path("root", fake, forbidden, NULL));
	g_assert_true(hd_testing_guard_path("root", sibling, forbidden, NULL));
	g_assert_false(hd_testing_guard_path("root", link, forbidden, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED);
	g_clear_error(&error);
	g_assert_false(hd_testing_guard_path("root", spelt, forbidden, NULL));
	g_assert_false(hd_testing_guard_path("state directory", not_yet, forbidden, NULL));
	g_assert_false(hd_testing_guard_path("root", "/sys/", "/sys", NULL));
	g_assert_false(hd_testing_guard_path("root", "//sys/bus/..", "/sys", NULL));

	g_unsetenv(HD_TESTING_ENV);
	g_assert_true(hd_testing_guard_path("root", link, forbidden, NULL));
	g_setenv(HD_TESTING_ENV, "1", TRUE);

	g_unlink(link);
	g_rmdir(fake);
	g_rmdir(forbidden);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/base/error/foreign", test_error_foreign);
	g_test_add_func("/base/error/errno", test_error_errno);
	g_test_add_func("/base/enum", test_enum);
	g_test_add_func("/base/driver-names", test_driver_names);
	g_test_add_func("/base/guard", test_guard);
	return g_test_run();
}
