/*
 * hd-json.c: the two things every JSON writer of ours does
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-json.h"

void
hd_json_add_string(JsonBuilder *builder, const char *member, const char *value)
{
	json_builder_set_member_name(builder, member);
	if (value != NULL)
		json_builder_add_string_value(builder, value);
	else
		json_builder_add_null_value(builder);
}

void
hd_json_add_bool(JsonBuilder *builder, const char *member, gboolean value)
{
	json_builder_set_member_name(builder, member);
	json_builder_add_boolean_value(builder, value);
}

/* the finished document, indented for people who read it too */
gchar *
hd_json_to_data(JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(builder);

	json_generator_set_root(generator, root);
	json_generator_set_pretty(generator, TRUE);
	return json_generator_to_data(generator, NULL);
}
