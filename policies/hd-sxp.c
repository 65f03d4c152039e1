/*
 * hd-sxp.c: the s-expressions of xend's legacy configuration files
 *
 * The syntax of xend's sxp.py: lists in ( ), bare atoms, strings in '...'
 * or "..." with C escapes, '#' to the end of the line a comment, whitespace
 * between.  The parse is the file's top-level values as one list, each node
 * with its line, so that the importer can name where a file is wrong.
 *
 * Where sxp.py was lax we refuse, because a tool that rewrites a policy
 * must not guess: an unknown escape (sxp.py kept a backslash and dropped
 * the character), "\x" without digits (sxp.py crashed), a NUL from an
 * escape, a byte outside printable ASCII outside a string, and a string
 * running past the end of its line.  That last one sxp.py allowed, but no
 * id, field or label holds a newline, and without it a missing quote
 * swallows the file up to the next quote and is reported far from where
 * it is missing.  "\n" still makes a newline.  sxp.py also
 * ended an atom at any of {}[]<>; and began another there; no xend file
 * used those, and here they are ordinary atom characters.
 *
 * No recursion while parsing: the open lists are a stack on the heap, and
 * the depth is capped anyway, so freeing the tree recurses at most
 * HD_SXP_MAX_DEPTH deep.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-sxp.h"

#include <string.h>

#include "hd-error.h"

typedef struct {
	const char *source; /* the file's name, for messages */
	const char *text;
	gsize len;
	gsize pos;
	guint line;
	GPtrArray *open; /* borrowed: the root, then every list not yet closed */
} HdSxpParser;

static gboolean hd_sxp_fail(const HdSxpParser *p, guint line, GError **error, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

/* "FILE:LINE: reason"; always FALSE, for the caller to return */
static gboolean
hd_sxp_fail(const HdSxpParser *p, guint line, GError **error, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	hd_error_set_at_valist(error, NULL, p->source, line, format, args);
	va_end(args);
	return FALSE;
}

static HdSxp *
hd_sxp_new(HdSxpKind kind, guint line)
{
	HdSxp *node = g_new0(HdSxp, 1);

	node->kind = kind;
	node->line = line;
	if (kind == HD_SXP_LIST)
		node->items = g_ptr_array_new_with_free_func((GDestroyNotify)hd_sxp_free);
	return node;
}

void
hd_sxp_free(HdSxp *node)
{
	if (node == NULL)
		return;
	g_free(node->text);
	if (node->items != NULL)
		g_ptr_array_unref(node->items);
	g_free(node);
}

/* an atom's or string's text; NULL for a list or no node */
const char *
hd_sxp_word(const HdSxp *node)
{
	return node != NULL && node->kind != HD_SXP_LIST ? node->text : NULL;
}

/* the word a list starts with, as in (pci_ids ...); NULL if none */
const char *
hd_sxp_head(const HdSxp *node)
{
	if (node == NULL || node->kind != HD_SXP_LIST || node->items->len == 0)
		return NULL;
	return hd_sxp_word(g_ptr_array_index(node->items, 0));
}

static void
hd_sxp_append(HdSxpParser *p, HdSxp *node)
{
	HdSxp *parent = g_ptr_array_index(p->open, p->open->len - 1);

	g_ptr_array_add(parent->items, node);
}

static gboolean
hd_sxp_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* printable ASCII but for the characters that end an atom */
static gboolean
hd_sxp_is_atom_char(char c)
{
	return c > ' ' && c < 0x7f && c != '(' && c != ')' && c != '#';
}

static gboolean
hd_sxp_open(HdSxpParser *p, GError **error)
{
	HdSxp *list;

	/* the root is on the stack too, at depth 0 */
	if (p->open->len > HD_SXP_MAX_DEPTH)
		return hd_sxp_fail(p, p->line, error, "lists nested deeper than %u levels", HD_SXP_MAX_DEPTH);
	list = hd_sxp_new(HD_SXP_LIST, p->line);
	hd_sxp_append(p, list);
	g_ptr_array_add(p->open, list);
	p->pos++;
	return TRUE;
}

static gboolean
hd_sxp_close(HdSxpParser *p, GError **error)
{
	if (p->open->len == 1)
		return hd_sxp_fail(p, p->line, error, "')' without a matching '('");
	g_ptr_array_remove_index(p->open, p->open->len - 1);
	p->pos++;
	return TRUE;
}

/* up to @max digits in @base (8 or 16) at the parser's position */
static guint
hd_sxp_digits(HdSxpParser *p, guint base, guint max, guint *value)
{
	guint n = 0;

	*value = 0;
	for (; n < max && p->pos < p->len; n++, p->pos++) {
		int digit = g_ascii_xdigit_value(p->text[p->pos]);

		if (digit < 0 || (guint)digit >= base)
			break;
		*value = *value * base + (guint)digit;
	}
	return n;
}

/* the byte a numeric escape, \x.. or \ooo, stands for */
static gboolean
hd_sxp_numeric_escape(HdSxpParser *p, guint line, char *out, GError **error)
{
	gboolean hex = p->text[p->pos] == 'x';
	guint value = 0;

	if (hex)
		p->pos++;
	/* only \x can have no digits: an octal escape starts at its first */
	if (hd_sxp_digits(p, hex ? 16 : 8, hex ? 2 : 3, &value) == 0)
		return hd_sxp_fail(p, line, error, "'\\x' without hex digits");
	if (value > 0xff)
		return hd_sxp_fail(p, line, error, "octal escape larger than \\377");
	if (value == 0)
		return hd_sxp_fail(p, line, error, "an escape for a NUL byte");
	*out = (char)value;
	return TRUE;
}

/* the escape at the parser's backslash, decoded onto @buf */
static gboolean
hd_sxp_escape(HdSxpParser *p, GString *buf, GError **error)
{
	static const char names[] = "abtnvfr\\'\"";
	static const char bytes[] = "\a\b\t\n\v\f\r\\'\"";
	guint line = p->line;
	const char *name;
	char c;

	p->pos++;
	c = p->text[p->pos];
	name = c != '\0' ? strchr(names, c) : NULL;
	if (name != NULL) {
		g_string_append_c(buf, bytes[name - names]);
		p->pos++;
		return TRUE;
	}
	if (c == 'x' || (c >= '0' && c <= '7')) {
		char byte = 0;

		if (!hd_sxp_numeric_escape(p, line, &byte, error))
			return FALSE;
		g_string_append_c(buf, byte);
		return TRUE;
	}
	if (hd_sxp_is_atom_char(c) || c == '(' || c == ')' || c == '#')
		return hd_sxp_fail(p, line, error, "unknown escape '\\%c'", c);
	return hd_sxp_fail(p, line, error, "unknown escape: '\\' before byte 0x%02x", (guint)(guchar)c);
}

static gboolean
hd_sxp_string(HdSxpParser *p, GError **error)
{
	char delim = p->text[p->pos];
	guint line = p->line;
	g_autoptr(GString) buf = g_string_new(NULL);
	HdSxp *node;

	for (p->pos++; p->pos < p->len && p->text[p->pos] != delim;) {
		char c = p->text[p->pos];

		/* a backslash last in the file leaves the string open */
		if (c == '\\' && p->pos + 1 < p->len) {
			if (!hd_sxp_escape(p, buf, error))
				return FALSE;
			continue;
		}
		if (c == '\n')
			return hd_sxp_fail(p, line, error, "string never closed: no %c before the end of the line",
					   delim);
		if (c == '\0')
			return hd_sxp_fail(p, line, error, "a NUL byte in a string");
		g_string_append_c(buf, c);
		p->pos++;
	}
	if (p->pos >= p->len)
		return hd_sxp_fail(p, line, error, "string never closed: no %c before the end of the file", delim);
	p->pos++;
	node = hd_sxp_new(HD_SXP_STRING, line);
	node->text = g_string_free(g_steal_pointer(&buf), FALSE);
	hd_sxp_append(p, node);
	return TRUE;
}

static gboolean
hd_sxp_atom(HdSxpParser *p, GError **error)
{
	gsize start = p->pos;
	HdSxp *node;

	while (p->pos < p->len && hd_sxp_is_atom_char(p->text[p->pos]))
		p->pos++;
	if (p->pos == start)
		return hd_sxp_fail(p, p->line, error, "invalid character: byte 0x%02x", (guint)(guchar)p->text[start]);
	node = hd_sxp_new(HD_SXP_ATOM, p->line);
	node->text = g_strndup(p->text + start, p->pos - start);
	hd_sxp_append(p, node);
	return TRUE;
}

/* one token, or one character of whitespace or comment */
static gboolean
hd_sxp_step(HdSxpParser *p, GError **error)
{
	char c = p->text[p->pos];

	if (hd_sxp_is_space(c)) {
		if (c == '\n')
			p->line++;
		p->pos++;
		return TRUE;
	}
	if (c == '#') {
		/* the newline stays, to be counted */
		while (p->pos < p->len && p->text[p->pos] != '\n')
			p->pos++;
		return TRUE;
	}
	if (c == '(')
		return hd_sxp_open(p, error);
	if (c == ')')
		return hd_sxp_close(p, error);
	if (c == '\'' || c == '"')
		return hd_sxp_string(p, error);
	return hd_sxp_atom(p, error);
}

/*
 * The top-level values of @text (@len bytes, NULs refused) as one list at
 * line 1.  Errors read "SOURCE:LINE: reason": for a list or string never
 * closed, the line it opened on.
 */
HdSxp *
hd_sxp_parse(const char *source, const char *text, gsize len, GError **error)
{
	g_autoptr(HdSxp) root = hd_sxp_new(HD_SXP_LIST, 1);
	g_autoptr(GPtrArray) open = g_ptr_array_new();
	HdSxpParser p = {source, text, len, 0, 1, open};

	if (len > HD_SXP_MAX_BYTES) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: larger than %u bytes, refused", source,
			    HD_SXP_MAX_BYTES);
		return NULL;
	}
	g_ptr_array_add(open, root);
	while (p.pos < len) {
		if (!hd_sxp_step(&p, error))
			return NULL;
	}
	if (open->len > 1) {
		const HdSxp *unclosed = g_ptr_array_index(open, open->len - 1);

		hd_sxp_fail(&p, unclosed->line, error, "'(' never closed");
		return NULL;
	}
	return g_steal_pointer(&root);
}
