/*
 * hd-xml-tree.h: a small XML tree, read with expat
 *
 * What the domain parser walks: elements with their namespaces resolved,
 * attributes, and the text between them.  Comments and processing
 * instructions are dropped, as a RELAX NG validator skips them, and so is
 * text that is only blanks, which no caller reads.  The whole tree lives
 * and dies with its HdXmlDoc: nodes and strings are never freed one by one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* libxml2's own limit without XML_PARSE_HUGE, which libvirt's parser keeps */
#define HD_XML_DEPTH_MAX 256u

typedef enum {
	HD_XML_ELEMENT,
	HD_XML_TEXT, /* character data and CDATA sections */
} HdXmlNodeType;

typedef struct {
	const char *name;   /* the local part */
	const char *prefix; /* as written, NULL without one: for messages */
	const char *ns;	    /* namespace URI; an unprefixed attribute has none (NULL) */
	const char *value;  /* references expanded, tabs and line breaks made spaces */
} HdXmlAttr;

typedef struct _HdXmlNode HdXmlNode;
struct _HdXmlNode {
	HdXmlNodeType type;
	const char *name; /* an element's local name */
	const char *ns;	  /* an element's namespace URI, NULL for none */
	const char *text; /* a text node's characters */
	guint line;	  /* where the start tag ends, as libxml2 counts it */
	guint n_attrs;
	HdXmlAttr *attrs;
	HdXmlNode *children; /* the first, then through next */
	HdXmlNode *next;
};

typedef struct _HdXmlDoc HdXmlDoc;

/*
 * Reads @xml, which must be UTF-8 (a byte order mark is allowed) and must
 * not contain a document type declaration.  Errors read "@what: line N:
 * reason", one line, and are HD_ERROR_INVALID_DATA.
 */
HdXmlDoc *hd_xml_doc_parse(const char *xml, gsize len, const char *what, GError **error);
const HdXmlNode *hd_xml_doc_root(const HdXmlDoc *doc);
void hd_xml_doc_free(HdXmlDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdXmlDoc, hd_xml_doc_free)

/* an element called @name in namespace @ns (NULL: in none) */
gboolean hd_xml_node_is(const HdXmlNode *node, const char *ns, const char *name);
/* the first child element called @name in no namespace, or NULL */
const HdXmlNode *hd_xml_node_child(const HdXmlNode *parent, const char *name);
/* the value of the attribute @name in no namespace, or NULL */
const char *hd_xml_node_attr(const HdXmlNode *node, const char *name);
/* all character data inside @node, concatenated in document order */
gchar *hd_xml_node_text(const HdXmlNode *node);
