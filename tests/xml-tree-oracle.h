/*
 * xml-tree-oracle.h: the XML tree (xml/hd-xml-tree.c) held against libxml2's
 *
 * libxml2 is the reader libvirt uses.  Where both read a document, the
 * trees must agree on every element (name, namespace, line), attribute
 * (name, namespace, value), and on the text of every element without
 * element children, blanks around it aside: the tree keeps no blank text.
 * test-xml-tree.c asserts it on fixtures; fuzz-domain on what it makes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <string.h>

#include "hd-xml-tree.h"

static const HdXmlNode *
oracle_element_from(const HdXmlNode *node)
{
	while (node != NULL && node->type != HD_XML_ELEMENT)
		node = node->next;
	return node;
}

/* the same namespace name, but where libxml2 left a reference in it as it
 * is written (its tree keeps "&#38;" in an href; the name has "&") */
static gboolean
oracle_same_ns(const char *ours, const xmlNs *theirs)
{
	const char *href = theirs != NULL ? (const char *)theirs->href : NULL;

	return g_strcmp0(ours, href) == 0 || (href != NULL && strchr(href, '&') != NULL);
}

static gchar *oracle_element_difference(const HdXmlNode *ours, xmlNode *theirs);

static gchar *
oracle_attributes_difference(const HdXmlNode *ours, xmlNode *theirs)
{
	guint n = 0;

	for (xmlAttr *a = theirs->properties; a != NULL; a = a->next, n++) {
		g_autofree gchar *value = (gchar *)xmlNodeListGetString(theirs->doc, a->children, 1);

		if (n >= ours->n_attrs || g_strcmp0(ours->attrs[n].name, (const char *)a->name) != 0 ||
		    !oracle_same_ns(ours->attrs[n].ns, a->ns) ||
		    g_strcmp0(ours->attrs[n].value, value != NULL ? value : "") != 0)
			return g_strdup_printf("<%s> at line %u: attribute %u is not libxml2's %s='%s'", ours->name,
					       ours->line, n, (const char *)a->name, value);
	}
	if (n != ours->n_attrs)
		return g_strdup_printf("<%s> at line %u: %u attributes, libxml2 %u", ours->name, ours->line,
				       ours->n_attrs, n);
	return NULL;
}

static gchar *
oracle_children_difference(const HdXmlNode *ours, xmlNode *theirs)
{
	const HdXmlNode *mine = oracle_element_from(ours->children);
	gboolean leaf = TRUE;

	for (xmlNode *n = theirs->children; n != NULL; n = n->next) {
		gchar *difference;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		leaf = FALSE;
		if (mine == NULL)
			return g_strdup_printf("<%s> at line %u: libxml2 has a child <%s> more", ours->name,
					       ours->line, (const char *)n->name);
		difference = oracle_element_difference(mine, n);
		if (difference != NULL)
			return difference;
		mine = oracle_element_from(mine->next);
	}
	if (mine != NULL)
		return g_strdup_printf("<%s> at line %u: a child <%s> libxml2 does not have", ours->name, ours->line,
				       mine->name);
	if (leaf) {
		g_autofree gchar *our_text = g_strstrip(hd_xml_node_text(ours));
		g_autofree gchar *their_text = (gchar *)xmlNodeGetContent(theirs);

		if (g_strcmp0(our_text, their_text != NULL ? g_strstrip(their_text) : "") != 0)
			return g_strdup_printf("<%s> at line %u: text '%s', libxml2 '%s'", ours->name, ours->line,
					       our_text, their_text);
	}
	return NULL;
}

/* NULL when the trees agree, else where and how they first differ */
static gchar *
oracle_element_difference(const HdXmlNode *ours, xmlNode *theirs)
{
	gchar *difference;

	if (ours->type != HD_XML_ELEMENT || g_strcmp0(ours->name, (const char *)theirs->name) != 0 ||
	    !oracle_same_ns(ours->ns, theirs->ns) || ours->line != (guint)xmlGetLineNo(theirs))
		return g_strdup_printf("<%s> in %s at line %u, libxml2 <%s> in %s at line %ld", ours->name,
				       ours->ns != NULL ? ours->ns : "no namespace", ours->line,
				       (const char *)theirs->name,
				       theirs->ns != NULL ? (const char *)theirs->ns->href : "no namespace",
				       xmlGetLineNo(theirs));
	difference = oracle_attributes_difference(ours, theirs);
	return difference != NULL ? difference : oracle_children_difference(ours, theirs);
}
