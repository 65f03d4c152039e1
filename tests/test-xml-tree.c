/*
 * test-xml-tree.c: the XML tree the domain parser walks (xml/hd-xml-tree.c)
 *
 * expat reads the markup; the tree keeps what the domain parser walks.
 * libxml2, the reader libvirt itself uses, is the oracle: every row of the
 * well-formedness table goes to both, and they must agree unless the row
 * says why not; and every fixture and corpus document must give the same
 * elements, namespaces, attributes, text and lines in both trees.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "hd-error.h"
#include "hd-xml-tree.h"
#include "libxml2-autocleanups.h"
#include "xml-tree-oracle.h"

/* whatever a hostile document tries, it is read or refused in well under this */
#define SECONDS_MAX 5.0

static HdXmlDoc *
parse(const char *xml, GError **error)
{
	return hd_xml_doc_parse(xml, strlen(xml), "test XML", error);
}

/* libxml2 would print to stderr */
static void
libxml2_silence(void *user_data, xmlErrorPtr error)
{
}

/* libxml2's verdict: well-formed, namespaces included */
static gboolean
libxml2_accepts(const char *xml, gsize len)
{
	xmlParserCtxt *ctxt = xmlNewParserCtxt();
	g_autoptr(xmlDoc) doc = NULL;
	gboolean ok;

	g_assert_nonnull(ctxt);
	ctxt->sax->serror = libxml2_silence;
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "test.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ok = doc != NULL && ctxt->wellFormed && ctxt->nsWellFormed;
	xmlFreeParserCtxt(ctxt);
	return ok;
}

/* ---- what is XML ------------------------------------------------------- */

typedef struct {
	const char *name;
	const char *xml;
	const char *refusal; /* part of the message; NULL: accepted */
	const char *unlike_libxml2; /* why the verdicts differ; NULL: they agree */
} WellFormedCase;

static const WellFormedCase well_formed_cases[] = {
	{"element", "<d/>", NULL},
	{"declaration", "<?xml version='1.0' encoding='UTF-8'?>\n<d/>", NULL},
	{"byte-order-mark", "\xef\xbb\xbf<?xml version='1.0'?><d/>", NULL},
	{"comments-around", "<!-- a --><d/><!-- b -->", NULL},
	{"instruction-after-root", "<d/><?pi x?>", NULL},
	{"default-namespace", "<d xmlns='urn:x'><e/></d>", NULL},
	{"prefix-in-scope", "<d xmlns:a='urn:a'><a:e a:f='1'/></d>", NULL},
	{"same-name-other-namespace", "<d xmlns:a='urn:a' f='1' a:f='2'/>", NULL},
	{"xml-prefix", "<d xml:lang='en'/>", NULL},
	{"cdata", "<d><![CDATA[<e/>&x;]]></d>", NULL},
	{"references", "<d a='&lt;&amp;&#x41;&#66;'>&gt;&quot;&apos;</d>", NULL},
	{"full-declaration", "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><d/>", NULL},
	{"stylesheet-instruction", "<?xml-stylesheet href='a'?><d><?xml-x?></d>", NULL},
	{"empty-comment", "<d><!----></d>", NULL},
	/* XML's names are wider than letters and digits: U+00B7 may follow */
	{"name-with-middle-dot", "<a\xc2\xb7" "b c\xc2\xb7" "d='1'/>", NULL},
	{"name-in-cjk", "<\xe5\x90\x8d\xe5\x89\x8d/>", NULL},
	{"name-fifth-edition-only", "<a\xef\xbb\xbf" "b/>", "not well-formed (invalid token)",
	 "U+FEFF in a name: libxml2 reads XML 1.0's fifth edition, expat has the fourth's tables"},
	{"lt-in-value", "<d a='<'/>", "not well-formed (invalid token)"},
	{"cdata-end-in-text", "<d>]]></d>", "not well-formed (invalid token)"},
	{"attributes-without-blank", "<d a='1'b='2'/>", "not well-formed (invalid token)"},
	{"empty", "", "no element found"},
	{"blanks", " \n ", "no element found"},
	{"declaration-only", "<?xml version='1.0'?>\n", "no element found"},
	{"two-roots", "<d/><d/>", "junk after document element"},
	{"text-after-root", "<d/>x", "junk after document element"},
	{"late-declaration", "<d/><?xml version='1.0'?>", "junk after document element"},
	{"declaration-after-comment", "<!-- c --><?xml version='1.0'?><d/>", "XML or text declaration not at start of entity"},
	{"declaration-after-blank", " <?xml version='1.0'?><d/>", "XML or text declaration not at start of entity"},
	{"declaration-without-version", "<?xml?><d/>", "XML declaration not well-formed"},
	{"declaration-out-of-order", "<?xml encoding='UTF-8' version='1.0'?><d/>", "XML declaration not well-formed"},
	{"declaration-standalone-maybe", "<?xml version='1.0' standalone='maybe'?><d/>", "XML declaration not well-formed"},
	{"instruction-without-target", "<d><?></d>", "not well-formed (invalid token)"},
	{"instruction-named-xml", "<d><?XML x?></d>", "not well-formed (invalid token)"},
	{"instruction-bad-target", "<d><?1x?></d>", "not well-formed (invalid token)"},
	{"comment-overlapping-ends", "<!--->\n<d/>", "unclosed token"},
	{"comment-with-double-hyphen", "<d><!-- a -- b --></d>", "not well-formed (invalid token)"},
	{"comment-ending-in-hyphen", "<d><!-- a---></d>", "not well-formed (invalid token)"},
	{"unbound-element-prefix", "<a:d/>", "unbound prefix"},
	{"unbound-attribute-prefix", "<d a:f='1'/>", "unbound prefix"},
	{"prefix-out-of-scope", "<d><e xmlns:a='urn:a'/><a:f/></d>", "unbound prefix"},
	{"duplicate-attribute", "<d f='1' f='2'/>", "duplicate attribute"},
	{"duplicate-through-prefixes", "<d xmlns:a='urn:x' xmlns:b='urn:x' a:f='1' b:f='2'/>", "duplicate attribute"},
	{"empty-prefix-binding", "<d xmlns:a=''/>", "must not undeclare prefix"},
	{"xml-prefix-declared", "<d xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:lang='en'/>", NULL},
	{"xmlns-prefix-declared", "<d xmlns:xmlns='urn:x'/>", "reserved prefix (xmlns)"},
	{"xml-prefix-elsewhere", "<d xmlns:xml='urn:x'/>", "reserved prefix (xml)"},
	{"xml-namespace-other-prefix", "<d xmlns:a='http://www.w3.org/XML/1998/namespace'/>", "reserved namespace names"},
	{"xml-namespace-as-default", "<d xmlns='http://www.w3.org/XML/1998/namespace'/>", "reserved namespace names"},
	{"xmlns-namespace-bound", "<d xmlns:a='http://www.w3.org/2000/xmlns/'/>", "reserved namespace names"},
	{"two-colons", "<a:b:c xmlns:a='urn:a'/>", "not well-formed (invalid token)"},
	{"doctype", "<!DOCTYPE d><d/>", "<!DOCTYPE>",
	 "libvirt never writes a DTD, and only a DTD declares entities: refused by design"},
	{"entity-declaration", "<!ENTITY x 'y'><d/>", "syntax error"},
	{"unknown-entity", "<d>&x;</d>", "undefined entity &x;"},
	{"unknown-entity-in-value", "<d a='&amp;&#65;&lt;&y;'/>", "undefined entity &y;"},
	{"mismatched-end-tag", "<d></e>", "mismatched tag"},
	{"unclosed", "<d><e>", "the document ends before </e>"},
	{"nul-reference", "<d>&#0;</d>", "reference to invalid character number"},
	{"latin-1", "<d>caf\xe9</d>", "byte 0xe9 is not UTF-8"},
	{"unquoted-value", "<d a=b/>", "not well-formed (invalid token)"},
};

static void
test_well_formed(gconstpointer data)
{
	const WellFormedCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) doc = parse(c->xml, &error);
	gboolean ours = doc != NULL;

	if (c->refusal == NULL) {
		g_assert_no_error(error);
	} else {
		g_assert_null(doc);
		g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
		g_test_message("refused: %s", error->message);
		g_assert_true(g_str_has_prefix(error->message, "test XML: line "));
		g_assert_nonnull(strstr(error->message, c->refusal));
		/* one line, as every refusal the hook prints */
		g_assert_null(strchr(error->message, '\n'));
	}
	if (c->unlike_libxml2 != NULL) {
		g_test_message("unlike libxml2: %s", c->unlike_libxml2);
		g_assert_cmpint(libxml2_accepts(c->xml, strlen(c->xml)), !=, ours);
	} else {
		g_assert_cmpint(libxml2_accepts(c->xml, strlen(c->xml)), ==, ours);
	}
}

/* ---- the tree ---------------------------------------------------------- */

static const HdXmlNode *
nth_child(const HdXmlNode *node, guint n)
{
	const HdXmlNode *child = node->children;

	for (guint i = 0; i < n && child != NULL; i++)
		child = child->next;
	g_assert_nonnull(child);
	return child;
}

static guint
count_children(const HdXmlNode *node)
{
	guint n = 0;

	for (const HdXmlNode *c = node->children; c != NULL; c = c->next)
		n++;
	return n;
}

static void
test_namespaces(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) doc = parse("<d xmlns='urn:x' xmlns:a='urn:a'>"
					"<e/>"
					"<a:f a:g='1' h='2'/>"
					"<i xmlns=''><j/></i>"
					"<k xmlns:a='urn:b'><a:l/></k>"
					"</d>",
					&error);
	const HdXmlNode *root, *f, *i, *k;

	g_assert_no_error(error);
	root = hd_xml_doc_root(doc);
	g_assert_true(hd_xml_node_is(root, "urn:x", "d"));
	g_assert_false(hd_xml_node_is(root, NULL, "d"));
	/* the default namespace is the children's too */
	g_assert_true(hd_xml_node_is(nth_child(root, 0), "urn:x", "e"));
	/* and never an unprefixed attribute's */
	f = nth_child(root, 1);
	g_assert_true(hd_xml_node_is(f, "urn:a", "f"));
	g_assert_cmpuint(f->n_attrs, ==, 2);
	g_assert_cmpstr(f->attrs[0].name, ==, "g");
	g_assert_cmpstr(f->attrs[0].prefix, ==, "a");
	g_assert_cmpstr(f->attrs[0].ns, ==, "urn:a");
	g_assert_null(hd_xml_node_attr(f, "g"));
	g_assert_cmpstr(hd_xml_node_attr(f, "h"), ==, "2");
	g_assert_null(f->attrs[1].ns);
	/* xmlns='' undeclares it, for the element and below */
	i = nth_child(root, 2);
	g_assert_true(hd_xml_node_is(i, NULL, "i"));
	g_assert_true(hd_xml_node_is(nth_child(i, 0), NULL, "j"));
	g_assert_true(hd_xml_node_child(i, "j") == nth_child(i, 0));
	/* an inner declaration of a prefix wins, inside its element only */
	k = nth_child(root, 3);
	g_assert_true(hd_xml_node_is(nth_child(k, 0), "urn:b", "l"));
	/* declarations are not attributes */
	g_assert_cmpuint(root->n_attrs, ==, 0);
	g_assert_cmpuint(k->n_attrs, ==, 0);
}

static void
test_text(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) doc = parse("<d>\n  a<!-- not text --> b\n  <e>c</e><![CDATA[<d>]]>&amp; \n</d>", &error);
	g_autofree gchar *all = NULL;
	const HdXmlNode *root;

	g_assert_no_error(error);
	root = hd_xml_doc_root(doc);
	/* a comment does not cut text; CDATA and references join it */
	g_assert_cmpuint(count_children(root), ==, 3);
	g_assert_cmpint(nth_child(root, 0)->type, ==, HD_XML_TEXT);
	g_assert_cmpstr(nth_child(root, 0)->text, ==, "\n  a b\n  ");
	g_assert_cmpstr(nth_child(root, 2)->text, ==, "<d>& \n");
	all = hd_xml_node_text(root);
	g_assert_cmpstr(all, ==, "\n  a b\n  c<d>& \n");
}

static void
test_blank_text_dropped(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) doc = parse("<d>\n  <e/>\n  <!-- c -->\n  <f>  </f>\n</d>", &error);
	const HdXmlNode *root;
	g_autofree gchar *blank = NULL;

	g_assert_no_error(error);
	root = hd_xml_doc_root(doc);
	g_assert_cmpuint(count_children(root), ==, 2);
	g_assert_null(nth_child(root, 1)->children);
	blank = hd_xml_node_text(nth_child(root, 1));
	g_assert_cmpstr(blank, ==, "");
}

/* skipped as a comment is, and as a RELAX NG validator skips both */
static void
test_instruction_inside(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) doc = parse("<d>a<?target data?>\n<?other?>b<e/></d>", &error);
	const HdXmlNode *root;

	g_assert_no_error(error);
	root = hd_xml_doc_root(doc);
	g_assert_cmpuint(count_children(root), ==, 2);
	g_assert_cmpstr(nth_child(root, 0)->text, ==, "a\nb");
	g_assert_true(hd_xml_node_is(nth_child(root, 1), NULL, "e"));
}

/* XML makes a tab or line break in a value a space, and "\r\n" one space */
static void
test_attribute_normalised(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) doc = parse("<d a='x\ty\nz\r\n.' b='  kept  '/>", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(hd_xml_node_attr(hd_xml_doc_root(doc), "a"), ==, "x y z .");
	g_assert_cmpstr(hd_xml_node_attr(hd_xml_doc_root(doc), "b"), ==, "  kept  ");
	g_assert_true(libxml2_accepts("<d a='x\ty\nz\r\n.'/>", 17));
}

/* ---- limits ------------------------------------------------------------ */

static gchar *
nested(guint depth)
{
	GString *xml = g_string_new(NULL);

	for (guint i = 0; i < depth; i++)
		g_string_append(xml, "<a>");
	for (guint i = 0; i < depth; i++)
		g_string_append(xml, "</a>");
	return g_string_free(xml, FALSE);
}

static void
test_depth(void)
{
	g_autofree gchar *deepest = nested(HD_XML_DEPTH_MAX);
	g_autofree gchar *too_deep = nested(HD_XML_DEPTH_MAX + 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) doc = parse(deepest, &error);
	g_autoptr(HdXmlDoc) refused = NULL;
	const HdXmlNode *node;
	guint depth = 0;

	g_assert_no_error(error);
	for (node = hd_xml_doc_root(doc); node != NULL; node = node->children)
		depth++;
	g_assert_cmpuint(depth, ==, HD_XML_DEPTH_MAX);
	refused = parse(too_deep, &error);
	g_assert_null(refused);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_cmpstr(error->message, ==, "test XML: line 1: elements nested deeper than 256 levels");
}

/* expat finds a duplicate among many attributes by hash, not by comparing
 * each with all before it */
typedef struct {
	const char *name;
	gboolean last_repeats_first;
	const char *refusal; /* NULL: accepted */
} ManyAttributesCase;

#define MANY_ATTRIBUTES (100u * 1000u)

static const ManyAttributesCase many_attributes_cases[] = {
	{"distinct", FALSE, NULL},
	{"one-twice", TRUE, "duplicate attribute"},
};

static void
test_many_attributes(gconstpointer data)
{
	const ManyAttributesCase *c = data;
	g_autoptr(GString) xml = g_string_new("<d");
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) doc = NULL;

	for (guint i = 0; i < MANY_ATTRIBUTES; i++)
		g_string_append_printf(xml, " a%u='%u'", c->last_repeats_first && i == MANY_ATTRIBUTES - 1 ? 0 : i, i);
	g_string_append(xml, "/>");

	g_test_timer_start();
	doc = parse(xml->str, &error);
	g_assert_cmpfloat(g_test_timer_elapsed(), <, SECONDS_MAX);
	if (c->refusal != NULL) {
		g_assert_null(doc);
		g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
		g_assert_nonnull(strstr(error->message, c->refusal));
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpuint(hd_xml_doc_root(doc)->n_attrs, ==, MANY_ATTRIBUTES);
	g_assert_cmpstr(hd_xml_node_attr(hd_xml_doc_root(doc), "a99999"), ==, "99999");
}

/* ---- the same tree as libxml2's ---------------------------------------- */

static void
assert_same_tree(const char *xml, gsize len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdXmlDoc) ours = hd_xml_doc_parse(xml, len, "test XML", &error);
	g_autoptr(xmlDoc) theirs = xmlReadMemory(xml, (int)len, "test.xml", NULL,
						 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	g_autofree gchar *difference = NULL;

	g_assert_no_error(error);
	g_assert_nonnull(theirs);
	difference = oracle_element_difference(hd_xml_doc_root(ours), xmlDocGetRootElement(theirs));
	g_assert_cmpstr(difference, ==, NULL);
}

static void
test_same_tree_synthetic(void)
{
	static const char xml[] = "<?xml version='1.0'?>\n"
			 "<domain type='kvm' xmlns:hd='urn:hostdev-hook:1'>\n"
			 "  <name>vm&amp;1</name>\n"
			 "  <metadata><hd:hostdev-hook><hd:device address='0000:03:00.0'\n"
			 "      mac='52:54:00:00:00:01'/></hd:hostdev-hook></metadata>\n"
			 "  <devices>\n"
			 "    <hostdev mode='subsystem'\n"
			 "             type='pci'>\n"
			 "      <source><address bus='0x03'/></source>\n"
			 "    </hostdev>\n"
			 "    <!-- a comment -->\n"
			 "    <interface type='hostdev'><mac address='52:54:00:00:00:02'/></interface>\n"
			 "  </devices>\n"
			 "</domain>\n";

	assert_same_tree(xml, strlen(xml));
}

static void
test_same_tree_file(gconstpointer data)
{
	const char *path = data;
	g_autofree gchar *xml = NULL;
	gsize len = 0;
	g_autoptr(GError) error = NULL;

	g_file_get_contents(path, &xml, &len, &error);
	g_assert_no_error(error);
	assert_same_tree(xml, len);
}

/* every document in @dir_path and below, but the hostile ones, whose DTD
 * the tree refuses; named by their path under @label */
static void
add_same_tree_tests(const char *label, const char *dir_path)
{
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (dir == NULL)
		return;
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	for (guint i = 0; i < names->len; i++) {
		const char *file = g_ptr_array_index(names, i);
		g_autofree gchar *path = g_build_filename(dir_path, file, NULL);
		g_autofree gchar *test_path = g_strconcat(label, "/", file, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			add_same_tree_tests(test_path, path);
		else if (g_str_has_suffix(file, ".xml") && !g_str_has_prefix(file, "hostile-"))
			g_test_add_data_func_full(test_path, g_steal_pointer(&path), test_same_tree_file, g_free);
	}
}

int
main(int argc, char **argv)
{
	g_autofree gchar *fixtures = NULL;

	g_test_init(&argc, &argv, NULL);
	xmlInitParser();
	for (guint i = 0; i < G_N_ELEMENTS(well_formed_cases); i++) {
		g_autofree gchar *path = g_strconcat("/xml-tree/well-formed/", well_formed_cases[i].name, NULL);
		g_test_add_data_func(path, &well_formed_cases[i], test_well_formed);
	}
	g_test_add_func("/xml-tree/namespaces", test_namespaces);
	g_test_add_func("/xml-tree/text", test_text);
	g_test_add_func("/xml-tree/blank-text-dropped", test_blank_text_dropped);
	g_test_add_func("/xml-tree/instruction-inside", test_instruction_inside);
	g_test_add_func("/xml-tree/attribute-normalised", test_attribute_normalised);
	g_test_add_func("/xml-tree/limits/depth", test_depth);
	for (guint i = 0; i < G_N_ELEMENTS(many_attributes_cases); i++) {
		g_autofree gchar *path =
		    g_strconcat("/xml-tree/limits/attributes/", many_attributes_cases[i].name, NULL);
		g_test_add_data_func(path, &many_attributes_cases[i], test_many_attributes);
	}
	g_test_add_func("/xml-tree/same-as-libxml2/synthetic", test_same_tree_synthetic);
	fixtures = g_test_build_filename(G_TEST_DIST, "xml", NULL);
	add_same_tree_tests("/xml-tree/same-as-libxml2/fixtures", fixtures);
	/* the shared corpus of real libvirt documents, where it is */
	if (g_getenv("HOSTDEV_HOOK_CORPUS") != NULL)
		add_same_tree_tests("/xml-tree/same-as-libxml2/corpus", g_getenv("HOSTDEV_HOOK_CORPUS"));
	return g_test_run();
}
