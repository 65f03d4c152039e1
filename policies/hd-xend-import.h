/*
 * hd-xend-import.h: xend's legacy PCI policy files as a policy drop-in
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* one input file: its name for messages and the header, and its text */
typedef struct {
	const char *name;
	const char *text;
	gsize len;
} HdXendSource;

gchar *hd_xend_import(const char *permissive_path, const char *quirks_path, GError **error);
gchar *hd_xend_import_texts(const HdXendSource *permissive, const HdXendSource *quirks, GError **error);
