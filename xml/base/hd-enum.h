/*
 * hd-enum.h: one way to spell an enum as text and back
 *
 * Each enum that travels as text (XML attributes, the journal, plans)
 * keeps one table of value/name pairs, ended by a {0, NULL} row, and the
 * two helpers below do both directions from it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

typedef struct {
	int value;
	const char *name;
} HdEnumName;

/* the name of @value, or NULL when the table has none */
const char *hd_enum_to_string(const HdEnumName *table, int value);
/* the value named @name; FALSE (and *out untouched) when none is */
gboolean hd_enum_from_string(const HdEnumName *table, const char *name, int *out);
