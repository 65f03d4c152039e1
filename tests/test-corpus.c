/*
 * test-corpus.c: libvirt's own test documents, read in place
 *
 * The shared corpus holds real domain, device and network XML from
 * libvirt's test suite.  What each file must give is written down in
 * tests/corpus-expected.tsv, which this project owns: every corpus file
 * needs a row there and every row a file, so a new corpus file cannot go
 * unclassified and a removed one cannot leave a stale expectation behind.
 * Where libvirt also converted a domain to an xl config (a .cfg beside the
 * .xml), that config is a second, independent opinion on the PCI devices.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "hd-domain.h"
#include "hd-error.h"

/* ---- the corpus -------------------------------------------------------- */

static const char *
corpus_root(void)
{
	const char *root = g_getenv("HOSTDEV_HOOK_CORPUS");

	return root != NULL && g_file_test(root, G_FILE_TEST_IS_DIR) ? root : NULL;
}

static void
collect_xml_files(const char *root, const char *relative_dir, GPtrArray *found)
{
	g_autofree gchar *dir_path = g_build_filename(root, relative_dir, NULL);
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
	const char *name;

	if (dir == NULL)
		return;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *relative = *relative_dir != '\0' ? g_build_filename(relative_dir, name, NULL)
								     : g_strdup(name);
		g_autofree gchar *path = g_build_filename(root, relative, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			collect_xml_files(root, relative, found);
		else if (g_str_has_suffix(name, ".xml"))
			g_ptr_array_add(found, g_steal_pointer(&relative));
	}
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* relative paths, sorted so the test order does not depend on the disk */
static GPtrArray *
corpus_xml_files(const char *root)
{
	GPtrArray *found = g_ptr_array_new_with_free_func(g_free);

	collect_xml_files(root, "", found);
	g_ptr_array_sort(found, compare_strings);
	return found;
}

/* ---- the table --------------------------------------------------------- */

typedef struct {
	gchar *relative;
	gchar *expected;
	guint line;
} ExpectedRow;

static void
expected_row_free(ExpectedRow *row)
{
	g_free(row->relative);
	g_free(row->expected);
	g_free(row);
}

/* rows by path; malformed lines are kept aside for the table test */
static GHashTable *expected_rows;
static GPtrArray *table_problems;

static void
add_table_line(const char *line, guint number)
{
	g_auto(GStrv) fields = g_strsplit(line, "\t", -1);
	ExpectedRow *row;

	if (g_strv_length(fields) != 2 || *fields[0] == '\0' || *g_strstrip(fields[1]) == '\0') {
		g_ptr_array_add(table_problems, g_strdup_printf("line %u: not path<TAB>expected", number));
		return;
	}
	if (g_hash_table_contains(expected_rows, fields[0])) {
		g_ptr_array_add(table_problems, g_strdup_printf("line %u: %s listed twice", number, fields[0]));
		return;
	}
	row = g_new0(ExpectedRow, 1);
	row->relative = g_strdup(fields[0]);
	row->expected = g_strdup(fields[1]);
	row->line = number;
	g_hash_table_insert(expected_rows, row->relative, row);
}

static void
load_table(void)
{
	g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "corpus-expected.tsv", NULL);
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;

	expected_rows = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)expected_row_free);
	table_problems = g_ptr_array_new_with_free_func(g_free);
	if (!g_file_get_contents(path, &contents, NULL, &error)) {
		g_ptr_array_add(table_problems, g_strdup(error->message));
		return;
	}
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		const char *line = g_strchomp(lines[i]);

		if (*line != '\0' && *line != '#')
			add_table_line(line, i + 1);
	}
}

/* "none", "error:<text>", or source:address:managed tokens */
static gboolean
expectation_is_well_formed(const char *expected)
{
	g_auto(GStrv) tokens = NULL;

	if (g_str_equal(expected, "none"))
		return TRUE;
	if (g_str_has_prefix(expected, "error:"))
		return expected[strlen("error:")] != '\0';
	tokens = g_strsplit_set(expected, " ", -1);
	for (guint i = 0; tokens[i] != NULL; i++) {
		if (!g_regex_match_simple("^(hostdev|interface|metadata|network):"
					  "[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]:(yes|no)$",
					  tokens[i], 0, 0))
			return FALSE;
	}
	return TRUE;
}

/* ---- one corpus file --------------------------------------------------- */

static gchar *
requests_as_tokens(const HdDomain *domain)
{
	g_autoptr(GString) tokens = g_string_new(NULL);

	for (guint i = 0; i < domain->requests->len; i++) {
		const HdDeviceRequest *req = g_ptr_array_index(domain->requests, i);
		char bdf[HD_ADDRESS_STRLEN];

		hd_address_format(&req->address, bdf);
		g_string_append_printf(tokens, "%s%s:%s:%s", i > 0 ? " " : "", hd_source_to_string(req->source),
				       bdf, req->managed ? "yes" : "no");
	}
	return g_string_free(g_steal_pointer(&tokens), FALSE);
}

/* the table's spacing is not significant */
static gchar *
normalise_tokens(const char *expected)
{
	g_auto(GStrv) tokens = g_strsplit_set(expected, " \t", -1);
	g_autoptr(GPtrArray) kept = g_ptr_array_new();

	for (guint i = 0; tokens[i] != NULL; i++) {
		if (*tokens[i] != '\0')
			g_ptr_array_add(kept, tokens[i]);
	}
	g_ptr_array_add(kept, NULL);
	return g_strjoinv(" ", (gchar **)kept->pdata);
}

static void
test_corpus_file(gconstpointer data)
{
	const char *relative = data;
	const ExpectedRow *row = g_hash_table_lookup(expected_rows, relative);
	g_autofree gchar *path = g_build_filename(corpus_root(), relative, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = NULL;
	g_autofree gchar *actual = NULL;
	g_autofree gchar *expected = NULL;

	if (row == NULL) {
		g_test_fail_printf("%s is not in tests/corpus-expected.tsv: classify it", relative);
		return;
	}
	domain = hd_domain_parse_file(path, &error);
	if (g_str_has_prefix(row->expected, "error:")) {
		g_assert_null(domain);
		g_assert_nonnull(error);
		g_test_message("refused: %s", error->message);
		g_assert_true(error->domain == HD_ERROR);
		g_assert_nonnull(g_strstr_len(error->message, -1, row->expected + strlen("error:")));
		return;
	}
	g_assert_no_error(error);
	actual = requests_as_tokens(domain);
	expected = g_str_equal(row->expected, "none") ? g_strdup("") : normalise_tokens(row->expected);
	g_assert_cmpstr(actual, ==, expected);
}

/* ---- the table itself -------------------------------------------------- */

static void
test_table_well_formed(void)
{
	GHashTableIter iter;
	ExpectedRow *row;

	for (guint i = 0; i < table_problems->len; i++)
		g_test_message("%s", (const char *)g_ptr_array_index(table_problems, i));
	g_assert_cmpuint(table_problems->len, ==, 0);
	g_assert_cmpuint(g_hash_table_size(expected_rows), >, 0);

	g_hash_table_iter_init(&iter, expected_rows);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&row)) {
		if (!expectation_is_well_formed(row->expected))
			g_test_fail_printf("line %u: cannot read the expectation '%s'", row->line, row->expected);
	}
}

static void
test_table_rows_have_files(void)
{
	GHashTableIter iter;
	ExpectedRow *row;

	g_hash_table_iter_init(&iter, expected_rows);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&row)) {
		g_autofree gchar *path = g_build_filename(corpus_root(), row->relative, NULL);

		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
			g_test_fail_printf("line %u: %s is not in the corpus: drop the row", row->line, row->relative);
	}
}

/* ---- xl configs -------------------------------------------------------- */

typedef struct {
	HdAddress address;
	gboolean permissive;
} XlPci;

/* pci = [ "0000:01:1a.1", "0000:02:00.0,permissive=1" ] */
static GArray *
xl_config_pci(const char *config)
{
	g_autoptr(GRegex) list = g_regex_new("^pci\\s*=\\s*\\[(.*)\\]", G_REGEX_MULTILINE, 0, NULL);
	g_autoptr(GRegex) item = g_regex_new("\"([^\"]*)\"", 0, 0, NULL);
	g_autoptr(GMatchInfo) list_match = NULL;
	g_autoptr(GMatchInfo) item_match = NULL;
	g_autofree gchar *items = NULL;
	GArray *pci = g_array_new(FALSE, FALSE, sizeof(XlPci));

	if (!g_regex_match(list, config, 0, &list_match))
		return pci;
	items = g_match_info_fetch(list_match, 1);
	for (g_regex_match(item, items, 0, &item_match); g_match_info_matches(item_match);
	     g_match_info_next(item_match, NULL)) {
		g_autofree gchar *spec = g_match_info_fetch(item_match, 1);
		g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
		g_autoptr(GError) error = NULL;
		XlPci entry = {0};

		g_assert_true(hd_address_parse_bdf(parts[0], &entry.address, &error));
		g_assert_no_error(error);
		entry.permissive = g_strv_contains((const char *const *)parts, "permissive=1");
		g_array_append_val(pci, entry);
	}
	return pci;
}

static void
test_xl_config(gconstpointer data)
{
	const char *relative = data;
	g_autofree gchar *xml_path = g_build_filename(corpus_root(), relative, NULL);
	g_autofree gchar *stem = g_strndup(xml_path, strlen(xml_path) - strlen(".xml"));
	g_autofree gchar *cfg_path = g_strconcat(stem, ".cfg", NULL);
	g_autofree gchar *config = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = hd_domain_parse_file(xml_path, &error);
	g_autoptr(GArray) pci = NULL;

	g_assert_no_error(error);
	g_file_get_contents(cfg_path, &config, NULL, &error);
	g_assert_no_error(error);
	pci = xl_config_pci(config);
	g_assert_cmpuint(pci->len, >, 0);
	g_assert_cmpuint(domain->requests->len, ==, pci->len);
	for (guint i = 0; i < pci->len; i++) {
		const XlPci *want = &g_array_index(pci, XlPci, i);
		const HdDeviceRequest *req = g_ptr_array_index(domain->requests, i);

		g_assert_true(hd_address_equal(&req->address, &want->address));
		g_assert_cmpint(req->permissive, ==, want->permissive);
	}
}

static gboolean
has_xl_config(const char *root, const char *relative)
{
	g_autofree gchar *stem = g_strndup(relative, strlen(relative) - strlen(".xml"));
	g_autofree gchar *cfg = g_strconcat(root, G_DIR_SEPARATOR_S, stem, ".cfg", NULL);

	return g_file_test(cfg, G_FILE_TEST_IS_REGULAR);
}

/* ---- registration ------------------------------------------------------ */

static void
test_corpus_absent(void)
{
	g_test_skip("no corpus folder: set HOSTDEV_HOOK_CORPUS to ../shared/corpus to run these tests");
}

static void
add_corpus_tests(const char *root)
{
	g_autoptr(GPtrArray) files = corpus_xml_files(root);

	g_test_add_func("/corpus/table/well-formed", test_table_well_formed);
	g_test_add_func("/corpus/table/rows-have-files", test_table_rows_have_files);
	for (guint i = 0; i < files->len; i++) {
		const char *relative = g_ptr_array_index(files, i);
		g_autofree gchar *path = g_strdup_printf("/corpus/file/%s", relative);

		g_test_add_data_func_full(path, g_strdup(relative), test_corpus_file, g_free);
		if (has_xl_config(root, relative)) {
			g_autofree gchar *xl_path = g_strdup_printf("/corpus/xl-config/%s", relative);
			g_test_add_data_func_full(xl_path, g_strdup(relative), test_xl_config, g_free);
		}
	}
}

int
main(int argc, char **argv)
{
	const char *root;
	int status;

	g_test_init(&argc, &argv, NULL);
	root = corpus_root();
	load_table();
	if (root != NULL)
		add_corpus_tests(root);
	else
		g_test_add_func("/corpus/absent", test_corpus_absent);

	status = g_test_run();
	g_hash_table_unref(expected_rows);
	g_ptr_array_unref(table_problems);
	return status;
}
