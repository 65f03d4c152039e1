/*
 * fuzz-sxp.c: xend's .sxp parser and the import-xend converter
 *
 * Each input is read three ways: as s-expressions (hd_sxp_parse), as
 * xend-pci-permissive.sxp and as xend-pci-quirks.sxp (hd_xend_import_texts,
 * the other file empty).  The input is not NUL-terminated, so a read past
 * its end is caught.  Besides crashes and leaks, the tree must respect the
 * parser's own depth cap, and a drop-in the importer writes must be one
 * the policy loader accepts as a drop-in: `hostdevctl import-xend` writes
 * it where the hook reads its policy, and a policy it refuses stops every
 * domain with a device from starting.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "hd-policy.h"
#include "hd-sxp.h"
#include "hd-xend-import.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet(NULL);
	return 0;
}

/* the root is the list at depth 0, the one that holds the top-level values */
static void
fuzz_check_tree(const HdSxp *node, guint depth)
{
	if (node->kind == HD_SXP_LIST && depth > HD_SXP_MAX_DEPTH)
		fuzz_fail("a list %u deep, past the cap of %u", depth, HD_SXP_MAX_DEPTH);
	if (node->line == 0)
		fuzz_fail("a node at line 0");
	if (node->kind == HD_SXP_LIST) {
		if (node->items == NULL || node->text != NULL)
			fuzz_fail("a list without items, or with text");
		for (guint i = 0; i < node->items->len; i++)
			fuzz_check_tree(g_ptr_array_index(node->items, i), depth + 1);
	} else if (node->text == NULL || node->items != NULL || (node->kind == HD_SXP_ATOM && *node->text == '\0')) {
		fuzz_fail("an atom or string without text, or with items");
	}
}

static void
fuzz_check_import(const HdXendSource *permissive, const HdXendSource *quirks, const char *role)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dropin = hd_xend_import_texts(permissive, quirks, &error);
	const HdPolicyLoadOptions options = {.owner = geteuid()};
	g_autofree gchar *dir = NULL;
	g_autofree gchar *absent = NULL;
	g_autoptr(HdPolicy) policy = NULL;

	if (dropin == NULL) {
		if (error == NULL)
			fuzz_fail("import as %s failed without an error", role);
		return;
	}
	if (error != NULL)
		fuzz_fail("import as %s succeeded and set an error: %s", role, error->message);
	/* the drop-in alone, over the defaults, as the hook would read it */
	dir = fuzz_make_dir();
	absent = g_build_filename(dir, "absent.conf", NULL);
	g_free(fuzz_write_file(dir, "60-xend.conf", dropin, strlen(dropin)));
	policy = hd_policy_load_full(absent, (const char *const[]){dir, NULL}, &options, &error);
	fuzz_remove_dir(dir);
	if (policy == NULL)
		fuzz_fail("import as %s wrote a drop-in the policy loader refuses: %s\n---\n%s---", role,
			  error->message, dropin);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const HdXendSource empty = {"empty.sxp", "", 0};
	const HdXendSource input = {"input.sxp", (const char *)data, size};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdSxp) root = hd_sxp_parse(input.name, input.text, input.len, &error);

	if (root == NULL && error == NULL)
		fuzz_fail("hd_sxp_parse() failed without an error");
	if (root != NULL) {
		if (error != NULL)
			fuzz_fail("hd_sxp_parse() succeeded and set an error: %s", error->message);
		if (root->kind != HD_SXP_LIST)
			fuzz_fail("the root is not a list");
		fuzz_check_tree(root, 0);
	}
	fuzz_check_import(&input, &empty, "the permissive file");
	fuzz_check_import(&empty, &input, "the quirks file");
	return 0;
}
