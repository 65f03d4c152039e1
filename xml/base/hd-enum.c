/*
 * hd-enum.c: one way to spell an enum as text and back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-enum.h"

const char *
hd_enum_to_string(const HdEnumName *table, int value)
{
	for (const HdEnumName *row = table; row->name != NULL; row++) {
		if (row->value == value)
			return row->name;
	}
	return NULL;
}

gboolean
hd_enum_from_string(const HdEnumName *table, const char *name, int *out)
{
	for (const HdEnumName *row = table; name != NULL && row->name != NULL; row++) {
		if (g_strcmp0(row->name, name) == 0) {
			*out = row->value;
			return TRUE;
		}
	}
	return FALSE;
}
