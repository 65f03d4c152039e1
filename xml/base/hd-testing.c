/*
 * hd-testing.c: the guard that keeps the test suite off this machine
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-testing.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hd-error.h"

gboolean
hd_testing_active(void)
{
	return g_getenv(HD_TESTING_ENV) != NULL;
}

/*
 * The longest prefix of @path that exists, resolved, with the rest put
 * back: a state directory that is not created yet must still be caught
 * when its parent is the host's.
 */
static gchar *
hd_testing_resolve(const char *path)
{
	g_autofree gchar *absolute = g_canonicalize_filename(path, NULL);
	g_autofree gchar *head = g_strdup(absolute);
	g_autoptr(GString) tail = g_string_new(NULL);

	for (;;) {
		g_autofree gchar *resolved = realpath(head, NULL);
		char *slash;

		if (resolved != NULL)
			return g_strconcat(resolved, tail->str, NULL);
		slash = strrchr(head, '/');
		if (slash == NULL || slash == head)
			return g_strdup(absolute);
		g_string_prepend(tail, slash);
		*slash = '\0';
	}
}

static gboolean
hd_testing_is_under(const char *resolved, const char *forbidden)
{
	gsize len = strlen(forbidden);

	return strncmp(resolved, forbidden, len) == 0 && (resolved[len] == '\0' || resolved[len] == '/');
}

static gboolean
hd_testing_leads_under(const char *path, const char *forbidden)
{
	g_autofree gchar *resolved = hd_testing_resolve(path);
	g_autofree gchar *resolved_forbidden = hd_testing_resolve(forbidden);

	return hd_testing_is_under(resolved, resolved_forbidden);
}

gboolean
hd_testing_guard_path(const char *what, const char *path, const char *forbidden, GError **error)
{
	if (!hd_testing_active())
		return TRUE;
	if (!hd_testing_leads_under(path, forbidden))
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED,
		    "refusing %s '%s' under the test suite (%s is set): it leads to %s; "
		    "tests must use a temporary tree or a QEMU guest",
		    what, path, HD_TESTING_ENV, forbidden);
	return FALSE;
}
