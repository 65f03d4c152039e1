/*
 * hd-json.c: the few things every JSON writer of ours does, on json-c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-json.h"

/*
 * json-c reports a failed allocation by returning NULL or -1, where GLib
 * aborts; the rest of the engine lives by GLib's rule, so these do too
 * rather than write a document with a member silently missing.
 */
void
hd_json_add(json_object *object, const char *member, json_object *value)
{
	if (json_object_object_add(object, member, value) != 0)
		g_error("json-c: cannot add member '%s': out of memory", member);
}

void
hd_json_add_string(json_object *object, const char *member, const char *value)
{
	hd_json_add(object, member, value != NULL ? json_object_new_string(value) : NULL);
}

void
hd_json_add_bool(json_object *object, const char *member, gboolean value)
{
	hd_json_add(object, member, json_object_new_boolean(value));
}

void
hd_json_add_int(json_object *object, const char *member, gint64 value)
{
	hd_json_add(object, member, json_object_new_int64(value));
}

void
hd_json_append(json_object *array, json_object *value)
{
	if (json_object_array_add(array, value) != 0)
		g_error("json-c: cannot add to an array: out of memory");
}

json_object *
hd_json_string_array(const GPtrArray *strings)
{
	json_object *array = json_object_new_array_ext((int)strings->len);

	for (guint i = 0; i < strings->len; i++)
		hd_json_append(array, json_object_new_string(g_ptr_array_index(strings, i)));
	return array;
}

/*
 * The finished document, indented two spaces for people who read it too.
 * "/" stays as it is: json-c would write "\/", which is valid JSON but not
 * what json-glib wrote, and paths and the journals' readers in the test
 * harness's shell expect the plain character.
 */
gchar *
hd_json_to_data(json_object *root)
{
	const char *text = json_object_to_json_string_ext(
	    root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

	/* never NULL: a journal saved as NULL is a journal removed */
	if (text == NULL)
		g_error("json-c: cannot write a document: out of memory");
	return g_strdup(text);
}

json_object *
hd_json_member(json_object *object, const char *member, json_type type)
{
	json_object *value = NULL;

	if (object == NULL || !json_object_object_get_ex(object, member, &value) || !json_object_is_type(value, type))
		return NULL;
	return value;
}
