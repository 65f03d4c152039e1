/*
 * hd-xml-tree.c: a small XML tree, read with expat
 *
 * Why not libxml2: Debian's libxml2 links ICU, which links libstdc++, and
 * the three cost a hook process 2.6 MiB of its memory to read a document
 * of a few kilobytes.  expat reads XML as the specification has it
 * (names, namespaces, attribute normalisation, the XML declaration) and
 * links libc alone; the engine needs nothing of libxml2 beyond a tree.
 *
 * What this file adds: the tree itself, a limit on nesting, and the
 * refusal of a document type declaration.  libvirt never writes one, and
 * only a DTD declares entities, external or recursive: stopping the parser
 * where one starts closes XXE, external DTDs and the "billion laughs" in
 * one place, before anything is declared.  expat fetches nothing itself.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-xml-tree.h"

#include <expat.h>
#include <string.h>

#include "hd-error.h"
#include "hd-xml-autocleanups.h"

/* between a namespace URI, a local name and a prefix in expat's names: a
 * byte no URI or name may contain */
#define HD_XML_NS_SEPARATOR '\x01'

struct _HdXmlDoc {
	HdXmlNode *root;
	GStringChunk *strings; /* names and namespaces interned */
	GPtrArray *blocks;     /* every node and attribute array */
};

/* an element whose end tag has not come yet */
typedef struct {
	HdXmlNode *element;
	HdXmlNode *last_child;
} HdXmlOpen;

typedef struct {
	HdXmlDoc *doc;
	XML_Parser parser;
	const char *xml; /* the input, for the lines of a start tag */
	gsize len;
	GArray *open;	 /* of HdXmlOpen, the innermost last */
	GString *text;	 /* character data since the last tag */
	GError *error;	 /* why a handler stopped the parser */
	gsize counted_to; /* line feeds are counted up to here */
	guint counted_line;
} HdXmlBuilder;

/* ---- the document ------------------------------------------------------ */

static HdXmlDoc *
hd_xml_doc_new(void)
{
	HdXmlDoc *doc = g_new0(HdXmlDoc, 1);

	doc->strings = g_string_chunk_new(4096);
	doc->blocks = g_ptr_array_new_with_free_func(g_free);
	return doc;
}

void
hd_xml_doc_free(HdXmlDoc *doc)
{
	if (doc == NULL)
		return;
	g_string_chunk_free(doc->strings);
	g_ptr_array_unref(doc->blocks);
	g_free(doc);
}

const HdXmlNode *
hd_xml_doc_root(const HdXmlDoc *doc)
{
	return doc->root;
}

static gpointer
hd_xml_doc_alloc(HdXmlDoc *doc, gsize size)
{
	gpointer block = g_malloc0(size);

	g_ptr_array_add(doc->blocks, block);
	return block;
}

static const char *
hd_xml_doc_intern(HdXmlDoc *doc, const char *string)
{
	return string != NULL ? g_string_chunk_insert_const(doc->strings, string) : NULL;
}

/* ---- building ---------------------------------------------------------- */

/* a handler's refusal: the parser stops, and the error is ours */
static void
hd_xml_builder_stop(HdXmlBuilder *b, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
hd_xml_builder_stop(HdXmlBuilder *b, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	if (b->error == NULL)
		b->error = g_error_new_valist(HD_ERROR, HD_ERROR_INVALID_DATA, format, args);
	va_end(args);
	XML_StopParser(b->parser, XML_FALSE);
}

/*
 * The line of byte @offset, counting line feeds as libxml2 does: libvirt's
 * own messages and ours then agree (expat would count a lone "\r" too).
 * Parsing only moves forward, so the count goes on from the last offset.
 */
static guint
hd_xml_builder_line_at(HdXmlBuilder *b, gsize offset)
{
	if (offset < b->counted_to) {
		b->counted_to = 0;
		b->counted_line = 1;
	}
	for (; b->counted_to < offset && b->counted_to < b->len; b->counted_to++)
		b->counted_line += b->xml[b->counted_to] == '\n';
	return b->counted_line;
}

/* where the event expat reports starts */
static guint
hd_xml_builder_line(HdXmlBuilder *b)
{
	XML_Index start = XML_GetCurrentByteIndex(b->parser);

	return start >= 0 ? hd_xml_builder_line_at(b, (gsize)start) : (guint)XML_GetCurrentLineNumber(b->parser);
}

/* where the start tag expat reports ends: libxml2 places an element on the
 * line of its tag's '>', and the messages name the lines they always named */
static guint
hd_xml_builder_tag_line(HdXmlBuilder *b)
{
	XML_Index start = XML_GetCurrentByteIndex(b->parser);
	int count = XML_GetCurrentByteCount(b->parser);

	if (start < 0 || count <= 0)
		return hd_xml_builder_line(b);
	return hd_xml_builder_line_at(b, (gsize)start + (gsize)count - 1);
}

/* only ever asked inside an element: expat matches every end tag */
static HdXmlOpen *
hd_xml_builder_innermost(HdXmlBuilder *b)
{
	g_assert(b->open->len > 0);
	return &g_array_index(b->open, HdXmlOpen, b->open->len - 1);
}

static void
hd_xml_builder_append(HdXmlBuilder *b, HdXmlNode *node)
{
	HdXmlOpen *parent = hd_xml_builder_innermost(b);

	if (parent->last_child != NULL)
		parent->last_child->next = node;
	else
		parent->element->children = node;
	parent->last_child = node;
}

static gboolean
hd_xml_is_blank(const char *text, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			return FALSE;
	}
	return TRUE;
}

/* the characters since the last tag become one text node, unless blank */
static void
hd_xml_builder_flush_text(HdXmlBuilder *b)
{
	HdXmlNode *node;

	if (b->text->len == 0)
		return;
	if (!hd_xml_is_blank(b->text->str, b->text->len)) {
		node = hd_xml_doc_alloc(b->doc, sizeof(*node));
		node->type = HD_XML_TEXT;
		node->text = g_string_chunk_insert_len(b->doc->strings, b->text->str, (gssize)b->text->len);
		node->line = hd_xml_builder_line(b);
		hd_xml_builder_append(b, node);
	}
	g_string_truncate(b->text, 0);
}

/*
 * expat's names, with namespace triplets on: "local" in no namespace, or
 * "uri\1local" (a default namespace), or "uri\1local\1prefix".
 */
static void
hd_xml_split_name(HdXmlDoc *doc, const char *name, const char **ns, const char **local, const char **prefix)
{
	g_auto(GStrv) parts = g_strsplit(name, (const char[]){HD_XML_NS_SEPARATOR, '\0'}, 3);

	if (parts[1] == NULL) {
		*ns = NULL;
		*local = hd_xml_doc_intern(doc, parts[0]);
		*prefix = NULL;
		return;
	}
	*ns = hd_xml_doc_intern(doc, parts[0]);
	*local = hd_xml_doc_intern(doc, parts[1]);
	*prefix = hd_xml_doc_intern(doc, parts[2]);
}

static void
hd_xml_builder_attrs(HdXmlBuilder *b, HdXmlNode *node, const XML_Char **atts)
{
	guint n = 0;

	while (atts[2 * n] != NULL)
		n++;
	if (n == 0)
		return;
	node->attrs = hd_xml_doc_alloc(b->doc, n * sizeof(HdXmlAttr));
	for (guint i = 0; i < n; i++) {
		HdXmlAttr *attr = &node->attrs[i];

		hd_xml_split_name(b->doc, atts[2 * i], &attr->ns, &attr->name, &attr->prefix);
		attr->value = g_string_chunk_insert(b->doc->strings, atts[2 * i + 1]);
	}
	node->n_attrs = n;
}

static void XMLCALL
hd_xml_start_element(void *user_data, const XML_Char *name, const XML_Char **atts)
{
	HdXmlBuilder *b = user_data;
	HdXmlOpen open = {0};
	const char *prefix = NULL;
	HdXmlNode *node;

	if (b->open->len >= HD_XML_DEPTH_MAX) {
		hd_xml_builder_stop(b, "elements nested deeper than %u levels", HD_XML_DEPTH_MAX);
		return;
	}
	if (b->open->len > 0)
		hd_xml_builder_flush_text(b);
	node = hd_xml_doc_alloc(b->doc, sizeof(*node));
	node->type = HD_XML_ELEMENT;
	node->line = hd_xml_builder_tag_line(b);
	hd_xml_split_name(b->doc, name, &node->ns, &node->name, &prefix);
	hd_xml_builder_attrs(b, node, atts);
	if (b->open->len > 0)
		hd_xml_builder_append(b, node);
	else
		b->doc->root = node;
	open.element = node;
	g_array_append_val(b->open, open);
}

static void XMLCALL
hd_xml_end_element(void *user_data, const XML_Char *name)
{
	HdXmlBuilder *b = user_data;

	hd_xml_builder_flush_text(b);
	g_array_set_size(b->open, b->open->len - 1);
}

/* CDATA sections, references and line breaks (as "\n") come in as well */
static void XMLCALL
hd_xml_text(void *user_data, const XML_Char *text, int len)
{
	HdXmlBuilder *b = user_data;

	if (b->open->len > 0)
		g_string_append_len(b->text, text, len);
}

static void XMLCALL
hd_xml_refuse_doctype(void *user_data,
		      const XML_Char *name,
		      const XML_Char *system_id,
		      const XML_Char *public_id,
		      int has_internal_subset)
{
	hd_xml_builder_stop(user_data, "document type declarations (<!DOCTYPE>) are not accepted");
}

/* ---- reading ----------------------------------------------------------- */

/*
 * libvirt sends UTF-8 and nothing else.  Anything else (EBCDIC, UTF-16,
 * Latin-1, NUL bytes) is refused here, with the line of the first bad byte:
 * the hook's front reads the bytes as they are, and a parser that decoded
 * them could find devices where the front saw no "hostdev" at all.
 */
static gboolean
hd_xml_check_utf8(const char *xml, gsize len, const char *what, GError **error)
{
	const gchar *bad = NULL;
	guint line = 1;

	if (g_utf8_validate_len(xml, len, &bad))
		return TRUE;
	for (const char *p = xml; p < bad; p++)
		line += *p == '\n';
	g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
		    "%s: line %u: byte 0x%02x is not UTF-8, the only encoding libvirt sends", what, line,
		    (guint)(guchar)*bad);
	return FALSE;
}

static XML_Parser
hd_xml_parser_new(HdXmlBuilder *b)
{
	/* "UTF-8" overrides what the document declares: the bytes were checked */
	XML_Parser parser = XML_ParserCreateNS("UTF-8", HD_XML_NS_SEPARATOR);

	if (parser == NULL)
		return NULL;
	XML_SetUserData(parser, b);
	XML_SetReturnNSTriplet(parser, 1);
	XML_SetElementHandler(parser, hd_xml_start_element, hd_xml_end_element);
	XML_SetCharacterDataHandler(parser, hd_xml_text);
	XML_SetStartDoctypeDeclHandler(parser, hd_xml_refuse_doctype);
	return parser;
}

/* the longest entity reference an error quotes */
#define HD_XML_REFERENCE_MAX 64

/*
 * The first reference from @at that is neither a character reference nor
 * one of the five predefined entities, as "&name;", or NULL.  expat reports
 * an undefined entity at the reference in text, but at the start of the
 * tag in an attribute's value, and names neither.
 */
static gchar *
hd_xml_find_undefined_reference(const char *at, const char *end)
{
	static const char *const predefined[] = {"amp", "lt", "gt", "quot", "apos", NULL};

	for (const char *amp = memchr(at, '&', (gsize)(end - at)); amp != NULL;
	     amp = memchr(amp + 1, '&', (gsize)(end - amp - 1))) {
		const char *semicolon = memchr(amp, ';', (gsize)MIN(end - amp, HD_XML_REFERENCE_MAX));
		g_autofree gchar *name = semicolon != NULL ? g_strndup(amp + 1, (gsize)(semicolon - amp - 1)) : NULL;

		if (name != NULL && name[0] != '#' && !g_strv_contains(predefined, name))
			return g_strdup_printf("&%s;", name);
	}
	return NULL;
}

/* expat's reason, but for a document cut short, where "no element found"
 * would not say which end tag is missing, and for an entity it does not
 * name */
static void
hd_xml_set_parse_error(HdXmlBuilder *b, const char *what, GError **error)
{
	gulong line = hd_xml_builder_line(b);
	enum XML_Error code = XML_GetErrorCode(b->parser);
	XML_Index at = XML_GetCurrentByteIndex(b->parser);
	g_autofree gchar *reference = NULL;

	if (code == XML_ERROR_UNDEFINED_ENTITY && at >= 0 && (gsize)at < b->len)
		reference = hd_xml_find_undefined_reference(b->xml + at, b->xml + b->len);
	if (code == XML_ERROR_NO_ELEMENTS && b->open->len > 0)
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: line %lu: the document ends before </%s>",
			    what, line, hd_xml_builder_innermost(b)->element->name);
	else if (reference != NULL)
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: line %lu: %s %s", what, line,
			    XML_ErrorString(code), reference);
	else
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: line %lu: %s", what, line,
			    XML_ErrorString(code));
}

HdXmlDoc *
hd_xml_doc_parse(const char *xml, gsize len, const char *what, GError **error)
{
	g_autoptr(HdXmlDoc) doc = NULL;
	g_autoptr(GString) text = NULL;
	g_autoptr(GArray) open = NULL;
	g_autoptr(HdExpatParser) parser = NULL;
	HdXmlBuilder b = {0};
	enum XML_Status status;

	if (len > G_MAXINT) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "%s: document of %" G_GSIZE_FORMAT " bytes is too large", what, len);
		return NULL;
	}
	if (!hd_xml_check_utf8(xml, len, what, error))
		return NULL;
	doc = hd_xml_doc_new();
	text = g_string_new(NULL);
	open = g_array_new(FALSE, FALSE, sizeof(HdXmlOpen));
	b = (HdXmlBuilder){.doc = doc, .xml = xml, .len = len, .open = open, .text = text, .counted_line = 1};
	parser = hd_xml_parser_new(&b);
	if (parser == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_INTERNAL, "%s: cannot allocate a parser", what);
		return NULL;
	}
	b.parser = parser;
	status = XML_Parse(parser, xml, (int)len, XML_TRUE);
	if (b.error != NULL) {
		g_prefix_error(&b.error, "%s: line %u: ", what, hd_xml_builder_line(&b));
		g_propagate_error(error, g_steal_pointer(&b.error));
		return NULL;
	}
	if (status != XML_STATUS_OK) {
		hd_xml_set_parse_error(&b, what, error);
		return NULL;
	}
	return g_steal_pointer(&doc);
}

/* ---- walking ----------------------------------------------------------- */

gboolean
hd_xml_node_is(const HdXmlNode *node, const char *ns, const char *name)
{
	return node->type == HD_XML_ELEMENT && g_strcmp0(node->ns, ns) == 0 && strcmp(node->name, name) == 0;
}

const HdXmlNode *
hd_xml_node_child(const HdXmlNode *parent, const char *name)
{
	for (const HdXmlNode *n = parent->children; n != NULL; n = n->next) {
		if (hd_xml_node_is(n, NULL, name))
			return n;
	}
	return NULL;
}

const char *
hd_xml_node_attr(const HdXmlNode *node, const char *name)
{
	for (guint i = 0; i < node->n_attrs; i++) {
		if (node->attrs[i].ns == NULL && strcmp(node->attrs[i].name, name) == 0)
			return node->attrs[i].value;
	}
	return NULL;
}

static void
hd_xml_node_collect_text(const HdXmlNode *node, GString *out)
{
	for (const HdXmlNode *n = node->children; n != NULL; n = n->next) {
		if (n->type == HD_XML_TEXT)
			g_string_append(out, n->text);
		else if (n->type == HD_XML_ELEMENT)
			hd_xml_node_collect_text(n, out);
	}
}

gchar *
hd_xml_node_text(const HdXmlNode *node)
{
	GString *out = g_string_new(NULL);

	hd_xml_node_collect_text(node, out);
	return g_string_free(out, FALSE);
}
