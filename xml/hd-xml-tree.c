/*
 * hd-xml-tree.c: a small, strict XML tree, read with GLib's GMarkup
 *
 * Why not libxml2: Debian's libxml2 links ICU, which links libstdc++, and
 * the three cost a hook process 2.6 MiB of its memory to read a document
 * of a few kilobytes.  GMarkup is in GLib, which the engine loads anyway.
 *
 * GMarkup reads elements, attributes, text, the five predefined entities
 * and character references, and nothing that can fetch or expand anything
 * else: it knows no DTD, so no external entity, no external subset and no
 * entity that grows.  It is lenient in places where XML is not; this file
 * adds the checks the domain parser relies on:
 *
 *  - namespaces (GMarkup gives "hd:device" as it is written);
 *  - one root element, and an XML declaration only at the very start;
 *  - no attribute twice on one element;
 *  - no nesting deeper than libxml2 allows without XML_PARSE_HUGE;
 *  - no <!DOCTYPE>, and no other markup declaration.
 *
 * It stays lenient about a '<' inside an attribute's value and a "]]>" in
 * text, which change nothing the parser reads.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-xml-tree.h"

#include <string.h>

#include "hd-error.h"

#define HD_XML_NS_XML "http://www.w3.org/XML/1998/namespace"
#define HD_XML_NS_XMLNS "http://www.w3.org/2000/xmlns/"

struct _HdXmlDoc {
	HdXmlNode *root;
	GStringChunk *strings; /* names and namespaces interned: equal means same pointer */
	GPtrArray *blocks;     /* every node and attribute array */
};

/* an xmlns or xmlns:p declaration in scope */
typedef struct {
	const char *prefix; /* "" for the default namespace */
	const char *uri;    /* "" for none: xmlns='' undeclares the default */
} HdXmlBinding;

/* an element whose end tag has not come yet */
typedef struct {
	HdXmlNode *element;
	HdXmlNode *last_child;
	guint n_bindings; /* the bindings in scope before it */
} HdXmlOpen;

typedef struct {
	HdXmlDoc *doc;
	GMarkupParseContext *context;
	GArray *open;	  /* of HdXmlOpen, the innermost last */
	GArray *bindings; /* of HdXmlBinding, the innermost last */
	GString *text;	  /* character data since the last tag */
	gboolean declaration_allowed; /* the document starts with <?xml */
	gboolean seen_markup;
} HdXmlBuilder;

static void
hd_xml_set_error(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
hd_xml_set_error(GError **error, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	g_propagate_error(error, g_error_new_valist(HD_ERROR, HD_ERROR_INVALID_DATA, format, args));
	va_end(args);
}

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
	return g_string_chunk_insert_const(doc->strings, string);
}

/* ---- building ---------------------------------------------------------- */

/*
 * The line of what GMarkup just read: a start tag, when it reports one, is
 * behind it, and GMarkup counts a line break as the first character of the
 * line it opens.  Standing on one ("char 1" past line 1) is still the end of
 * the line before, where libxml2 would place the tag too.
 */
static guint
hd_xml_builder_line(HdXmlBuilder *b)
{
	gint line = 0;
	gint column = 0;

	g_markup_parse_context_get_position(b->context, &line, &column);
	if (line > 1 && column == 1)
		line--;
	return (guint)MAX(line, 0);
}

/* only ever asked inside an element: GMarkup matches every end tag */
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

static const char *
hd_xml_lookup_prefix(HdXmlBuilder *b, const char *prefix)
{
	if (g_strcmp0(prefix, "xml") == 0)
		return HD_XML_NS_XML;
	for (guint i = b->bindings->len; i > 0; i--) {
		const HdXmlBinding *binding = &g_array_index(b->bindings, HdXmlBinding, i - 1);

		if (strcmp(binding->prefix, prefix) == 0)
			return binding->uri;
	}
	return NULL;
}

/* "hd:device" into "hd" and "device"; "device" has no prefix */
static gboolean
hd_xml_split_name(HdXmlDoc *doc, const char *qname, const char **prefix, const char **local, GError **error)
{
	const char *colon = strchr(qname, ':');
	g_autofree gchar *head = NULL;

	if (colon == NULL) {
		*prefix = NULL;
		*local = hd_xml_doc_intern(doc, qname);
		return TRUE;
	}
	if (colon == qname || colon[1] == '\0' || strchr(colon + 1, ':') != NULL) {
		hd_xml_set_error(error, "'%s' is not a valid qualified name", qname);
		return FALSE;
	}
	head = g_strndup(qname, (gsize)(colon - qname));
	*prefix = hd_xml_doc_intern(doc, head);
	*local = hd_xml_doc_intern(doc, colon + 1);
	return TRUE;
}

/* the namespace of a name with @prefix; unprefixed attributes have none */
static gboolean
hd_xml_resolve(HdXmlBuilder *b, const char *prefix, const char *qname, gboolean is_element,
	       const char **ns, GError **error)
{
	const char *uri;

	if (prefix == NULL && !is_element) {
		*ns = NULL;
		return TRUE;
	}
	uri = hd_xml_lookup_prefix(b, prefix != NULL ? prefix : "");
	if (uri == NULL && prefix != NULL) {
		hd_xml_set_error(error, "namespace prefix '%s' of '%s' is not declared", prefix, qname);
		return FALSE;
	}
	*ns = uri != NULL && *uri != '\0' ? uri : NULL;
	return TRUE;
}

static gboolean
hd_xml_is_declaration(const char *qname)
{
	return strcmp(qname, "xmlns") == 0 || g_str_has_prefix(qname, "xmlns:");
}

/* the namespaces' own rules: only "xml" names the XML namespace, always
 * that one; "xmlns" is never declared; only the default is undeclared */
static gboolean
hd_xml_check_binding(const char *attribute, const HdXmlBinding *binding, GError **error)
{
	gboolean is_xml_prefix = strcmp(binding->prefix, "xml") == 0;
	gboolean is_xml_uri = strcmp(binding->uri, HD_XML_NS_XML) == 0;

	if (strcmp(binding->prefix, "xmlns") == 0 || strcmp(binding->uri, HD_XML_NS_XMLNS) == 0 ||
	    is_xml_prefix != is_xml_uri) {
		hd_xml_set_error(error, "%s='%s' is not allowed: the prefixes xml and xmlns are reserved", attribute,
				 binding->uri);
		return FALSE;
	}
	if (*binding->prefix != '\0' && *binding->uri == '\0') {
		hd_xml_set_error(error, "%s='' is not allowed: only the default namespace can be undeclared",
				 attribute);
		return FALSE;
	}
	return TRUE;
}

/* xmlns='uri' and xmlns:p='uri' come into scope before the element's own
 * name and attributes are resolved, as they may use them */
static gboolean
hd_xml_builder_bind(HdXmlBuilder *b, const char **names, const char **values, GError **error)
{
	for (guint i = 0; names[i] != NULL; i++) {
		HdXmlBinding binding;

		if (!hd_xml_is_declaration(names[i]))
			continue;
		binding.prefix = hd_xml_doc_intern(b->doc, names[i][5] == ':' ? names[i] + 6 : "");
		binding.uri = hd_xml_doc_intern(b->doc, values[i]);
		if (!hd_xml_check_binding(names[i], &binding, error))
			return FALSE;
		g_array_append_val(b->bindings, binding);
	}
	return TRUE;
}

/*
 * GMarkup refuses more than 1001 attributes on one element, so comparing
 * each with those before it is at most half a million comparisons; names
 * and namespaces are interned, so a comparison is of two pointers.
 */
static gboolean
hd_xml_check_unique_attrs(const HdXmlAttr *attrs, guint n, GError **error)
{
	for (guint i = 0; i < n; i++) {
		for (guint j = 0; j < i; j++) {
			if (attrs[i].name == attrs[j].name && attrs[i].ns == attrs[j].ns) {
				hd_xml_set_error(error, "attribute '%s' given twice", attrs[i].name);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* XML's attribute-value normalisation: a tab or a line break ("\r\n",
 * "\n" or "\r") is one space */
static const char *
hd_xml_normalise_value(HdXmlDoc *doc, const char *value)
{
	gchar *copy = g_string_chunk_insert(doc->strings, value);
	gchar *out = copy;

	if (strpbrk(copy, "\t\n\r") == NULL)
		return copy;
	for (const char *in = copy; *in != '\0'; in++) {
		if (in[0] == '\r' && in[1] == '\n')
			continue;
		*out++ = *in == '\t' || *in == '\n' || *in == '\r' ? ' ' : *in;
	}
	*out = '\0';
	return copy;
}

static gboolean
hd_xml_builder_attrs(HdXmlBuilder *b, HdXmlNode *node, const char **names, const char **values,
		     GError **error)
{
	guint n = 0;

	for (guint i = 0; names[i] != NULL; i++)
		n += !hd_xml_is_declaration(names[i]);
	node->attrs = n > 0 ? hd_xml_doc_alloc(b->doc, n * sizeof(HdXmlAttr)) : NULL;
	for (guint i = 0; names[i] != NULL; i++) {
		HdXmlAttr *attr = &node->attrs[node->n_attrs];

		if (hd_xml_is_declaration(names[i]))
			continue;
		if (!hd_xml_split_name(b->doc, names[i], &attr->prefix, &attr->name, error) ||
		    !hd_xml_resolve(b, attr->prefix, names[i], FALSE, &attr->ns, error))
			return FALSE;
		attr->value = hd_xml_normalise_value(b->doc, values[i]);
		node->n_attrs++;
	}
	return hd_xml_check_unique_attrs(node->attrs, node->n_attrs, error);
}

static void
hd_xml_start_element(GMarkupParseContext *context,
		     const char *qname,
		     const char **names,
		     const char **values,
		     gpointer user_data,
		     GError **error)
{
	HdXmlBuilder *b = user_data;
	HdXmlOpen open = {.n_bindings = b->bindings->len};
	const char *prefix = NULL;
	HdXmlNode *node;

	b->seen_markup = TRUE;
	if (b->open->len == 0 && b->doc->root != NULL) {
		hd_xml_set_error(error, "extra content after the root element: <%s>", qname);
		return;
	}
	if (b->open->len >= HD_XML_DEPTH_MAX) {
		hd_xml_set_error(error, "elements nested deeper than %u levels", HD_XML_DEPTH_MAX);
		return;
	}
	hd_xml_builder_flush_text(b);
	node = hd_xml_doc_alloc(b->doc, sizeof(*node));
	node->type = HD_XML_ELEMENT;
	node->line = hd_xml_builder_line(b);
	/* pushed at once, so that the end tag or an error unwinds its bindings */
	open.element = node;
	if (b->open->len > 0)
		hd_xml_builder_append(b, node);
	else
		b->doc->root = node;
	g_array_append_val(b->open, open);
	if (!hd_xml_builder_bind(b, names, values, error) ||
	    !hd_xml_split_name(b->doc, qname, &prefix, &node->name, error) ||
	    !hd_xml_resolve(b, prefix, qname, TRUE, &node->ns, error))
		return;
	hd_xml_builder_attrs(b, node, names, values, error);
}

static void
hd_xml_end_element(GMarkupParseContext *context, const char *qname, gpointer user_data, GError **error)
{
	HdXmlBuilder *b = user_data;
	HdXmlOpen *open = hd_xml_builder_innermost(b);

	hd_xml_builder_flush_text(b);
	g_array_set_size(b->bindings, open->n_bindings);
	g_array_set_size(b->open, b->open->len - 1);
}

static void
hd_xml_text(GMarkupParseContext *context, const char *text, gsize len, gpointer user_data, GError **error)
{
	HdXmlBuilder *b = user_data;

	/* outside the root, GMarkup itself refuses anything but blanks */
	if (b->open->len > 0)
		g_string_append_len(b->text, text, (gssize)len);
}

/* <?xml, then a blank or the end: not <?xml-stylesheet */
static gboolean
hd_xml_is_xml_declaration(const char *markup, gsize len)
{
	return len >= 6 && strncmp(markup, "<?xml", 5) == 0 &&
	       (g_ascii_isspace(markup[5]) || markup[5] == '?');
}

static void
hd_xml_builder_instruction(HdXmlBuilder *b, const char *markup, gsize len, GError **error)
{
	g_autofree gchar *target = NULL;
	HdXmlNode *node;
	gsize end = 2;

	if (hd_xml_is_xml_declaration(markup, len)) {
		if (!b->declaration_allowed || b->seen_markup)
			hd_xml_set_error(error, "an XML declaration is allowed only at the start of the document");
		return;
	}
	if (b->open->len == 0)
		return;
	hd_xml_builder_flush_text(b);
	while (end < len && !g_ascii_isspace(markup[end]) && markup[end] != '?')
		end++;
	target = g_strndup(markup + 2, end - 2);
	node = hd_xml_doc_alloc(b->doc, sizeof(*node));
	node->type = HD_XML_INSTRUCTION;
	node->name = hd_xml_doc_intern(b->doc, target);
	node->line = hd_xml_builder_line(b);
	hd_xml_builder_append(b, node);
}

/*
 * GMarkup hands over comments, processing instructions and anything else
 * that starts with "<!" as it is written.  libvirt never emits a document
 * type declaration, and it is the only way to declare entities, external or
 * recursive: refusing it here closes XXE, external DTDs and the "billion
 * laughs" in one place, before anything is declared.
 */
static void
hd_xml_passthrough(GMarkupParseContext *context, const char *markup, gsize len, gpointer user_data,
		   GError **error)
{
	HdXmlBuilder *b = user_data;

	if (len >= 4 && strncmp(markup, "<!--", 4) == 0) {
		b->seen_markup = TRUE;
		return;
	}
	if (len >= 2 && strncmp(markup, "<?", 2) == 0) {
		hd_xml_builder_instruction(b, markup, len, error);
		b->seen_markup = TRUE;
		return;
	}
	if (len >= 9 && strncmp(markup, "<!DOCTYPE", 9) == 0)
		hd_xml_set_error(error, "document type declarations (<!DOCTYPE>) are not accepted");
	else
		hd_xml_set_error(error, "markup declarations are not accepted: %.20s", markup);
}

static const GMarkupParser hd_xml_parser = {
	.start_element = hd_xml_start_element,
	.end_element = hd_xml_end_element,
	.text = hd_xml_text,
	.passthrough = hd_xml_passthrough,
};

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
	hd_xml_set_error(error, "%s: line %u: byte 0x%02x is not UTF-8, the only encoding libvirt sends", what,
			 line, (guint)(guchar)*bad);
	return FALSE;
}

/* GMarkup's own messages start "Error on line 3 char 7: "; ours say the
 * line once, in the same place for every error */
static void
hd_xml_builder_fail(HdXmlBuilder *b, const char *what, GError *cause, GError **error)
{
	g_autoptr(GError) owned = cause;
	const char *reason = cause->message;

	if (g_str_has_prefix(reason, "Error on line ")) {
		const char *after = strstr(reason, ": ");
		if (after != NULL)
			reason = after + 2;
	}
	hd_xml_set_error(error, "%s: line %u: %s", what, hd_xml_builder_line(b), reason);
}

HdXmlDoc *
hd_xml_doc_parse(const char *xml, gsize len, const char *what, GError **error)
{
	g_autoptr(HdXmlDoc) doc = NULL;
	g_autoptr(GString) text = NULL;
	g_autoptr(GArray) open = NULL;
	g_autoptr(GArray) bindings = NULL;
	g_autoptr(GMarkupParseContext) context = NULL;
	GError *cause = NULL;
	HdXmlBuilder b;

	if (!hd_xml_check_utf8(xml, len, what, error))
		return NULL;
	if (len >= 3 && memcmp(xml, "\xef\xbb\xbf", 3) == 0) {
		xml += 3;
		len -= 3;
	}
	doc = hd_xml_doc_new();
	text = g_string_new(NULL);
	open = g_array_new(FALSE, FALSE, sizeof(HdXmlOpen));
	bindings = g_array_new(FALSE, FALSE, sizeof(HdXmlBinding));
	b = (HdXmlBuilder){
	    .doc = doc,
	    .open = open,
	    .bindings = bindings,
	    .text = text,
	    .declaration_allowed = hd_xml_is_xml_declaration(xml, len),
	};
	context = g_markup_parse_context_new(&hd_xml_parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &b, NULL);
	b.context = context;
	if (!g_markup_parse_context_parse(context, xml, (gssize)len, &cause) ||
	    !g_markup_parse_context_end_parse(context, &cause)) {
		hd_xml_builder_fail(&b, what, cause, error);
		return NULL;
	}
	if (doc->root == NULL) {
		hd_xml_set_error(error, "%s: line %u: the document has no root element", what,
				 hd_xml_builder_line(&b));
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
