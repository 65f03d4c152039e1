/*
 * hd-names.c: the names that travel between layers and must be checked once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-names.h"

#include <string.h>

#include "hd-error.h"

#define HD_DRIVER_NAME_MAX 64

gboolean
hd_driver_name_check(const char *name, const char *what, GError **error)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
	gsize len = name != NULL ? strlen(name) : 0;

	if (len > 0 && len <= HD_DRIVER_NAME_MAX && strchr(".-", name[0]) == NULL &&
	    strspn(name, allowed) == len)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "invalid %s'%s': not a kernel driver name",
		    what != NULL ? what : "", name != NULL ? name : "");
	return FALSE;
}
