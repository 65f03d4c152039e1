/*
 * test-table.h: one GTest path per row of a table of cases
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* each row has a "name"; a failure then names its case */
#define ADD_TABLE(prefix, table, func)                                                   \
	for (guint i = 0; i < G_N_ELEMENTS(table); i++) {                                \
		g_autofree gchar *path = g_strdup_printf("%s/%s", prefix, table[i].name); \
		g_test_add_data_func(path, &table[i], func);                              \
	}
