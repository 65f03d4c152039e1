/*
 * test-json.h: reading the JSON the engine and hostdevctl print, in tests
 *
 * On json-c, as the engine.  Each getter asserts that the member is there
 * with the type asked for, so a test fails on the line that reads a
 * missing or mistyped member, naming it, not later on a NULL.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <string.h>

#include "hd-json.h"

/* the whole of @text, strict JSON (trailing blanks allowed), as one value */
static inline json_object *
test_json_parse(const char *text)
{
	g_autoptr(json_tokener) tokener = json_tokener_new();
	json_object *root;

	g_assert_nonnull(text);
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tokener, text, (int)strlen(text));
	g_assert_cmpstr(json_tokener_error_desc(json_tokener_get_error(tokener)), ==,
			json_tokener_error_desc(json_tokener_success));
	g_assert_cmpuint(json_tokener_get_parse_end(tokener), ==, strlen(text));
	g_assert_nonnull(root);
	return root;
}

static inline json_object *
test_json_get(json_object *object, const char *member, json_type type)
{
	json_object *value = NULL;

	g_assert_true(json_object_is_type(object, json_type_object));
	if (!json_object_object_get_ex(object, member, &value))
		g_error("no member '%s' in %s", member, json_object_to_json_string(object));
	if (!json_object_is_type(value, type))
		g_error("member '%s' is a %s, not a %s", member, json_type_to_name(json_object_get_type(value)),
			json_type_to_name(type));
	return value;
}

static inline const char *
test_json_string(json_object *object, const char *member)
{
	return json_object_get_string(test_json_get(object, member, json_type_string));
}

/* a string member, or NULL for a null one */
static inline const char *
test_json_string_or_null(json_object *object, const char *member)
{
	json_object *value = NULL;

	if (json_object_object_get_ex(object, member, &value) && value == NULL)
		return NULL;
	return test_json_string(object, member);
}

static inline gboolean
test_json_is_null(json_object *object, const char *member)
{
	json_object *value = NULL;

	return json_object_object_get_ex(object, member, &value) && value == NULL;
}

static inline gboolean
test_json_bool(json_object *object, const char *member)
{
	return json_object_get_boolean(test_json_get(object, member, json_type_boolean));
}

static inline gint64
test_json_int(json_object *object, const char *member)
{
	return json_object_get_int64(test_json_get(object, member, json_type_int));
}

static inline json_object *
test_json_array(json_object *object, const char *member)
{
	return test_json_get(object, member, json_type_array);
}

static inline json_object *
test_json_index(json_object *array, gsize i)
{
	g_assert_true(json_object_is_type(array, json_type_array));
	g_assert_cmpuint(i, <, json_object_array_length(array));
	return json_object_array_get_idx(array, i);
}
