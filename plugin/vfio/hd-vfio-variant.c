/*
 * hd-vfio-variant.c: which VFIO driver a PCI device should use
 *
 * The selection is libvirt's (virPCIDeviceFindBestVFIOVariant), so a
 * device ends up on the driver libvirt itself would have chosen for
 * managed='yes'.  We are stricter about what counts as an alias line: a
 * line we do not fully understand is skipped rather than half-matched.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-vfio-variant.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "hd-error.h"

#define HD_VFIO_ALIAS_PREFIX "alias vfio_pci:"
#define HD_PCI_MODALIAS_PREFIX "pci:"
#define HD_SYSFS_PCI_DRIVER_PREFIX "pci:"
/* far longer than any alias line, small enough to stay in cache */
#define HD_READ_CHUNK (64 * 1024)

/*
 * The kernel writes every field at a fixed width, or as "*" in a pattern
 * (pci_uevent, scripts/mod/file2alias.c).  Parsing by width is what keeps
 * the lower-case tags apart from hex digits written in lower case.
 */
static const struct {
	const char *tag;
	gsize width;
} hd_modalias_fields[HD_VFIO_MODALIAS_N_FIELDS] = {
	{"v", 8}, {"d", 8}, {"sv", 8}, {"sd", 8}, {"bc", 2}, {"sc", 2}, {"i", 2},
};

typedef struct {
	const char *origin; /* offsets in messages count from here */
	const char *p;
	const char *end;
} HdCursor;

/* one field at the cursor: its tag, then its hex digits or, in a pattern, "*" */
static gboolean
hd_modalias_parse_field(HdCursor *c, guint i, gboolean wildcards, HdVfioModalias *out, GError **error)
{
	const char *tag = hd_modalias_fields[i].tag;
	gsize tag_len = strlen(tag);
	gsize width = hd_modalias_fields[i].width;
	const char *s = c->p;

	if ((gsize)(c->end - s) < tag_len || memcmp(s, tag, tag_len) != 0) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "expected field '%s' at offset %td", tag,
			    s - c->origin);
		return FALSE;
	}
	s += tag_len;
	if (wildcards && s < c->end && *s == '*') {
		g_strlcpy(out->field[i], "*", sizeof(out->field[i]));
		c->p = s + 1;
		return TRUE;
	}
	for (gsize j = 0; j < width; j++) {
		if (s + j >= c->end || !g_ascii_isxdigit(s[j])) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "field '%s' at offset %td is not %" G_GSIZE_FORMAT " hex digits", tag,
				    s - c->origin, width);
			return FALSE;
		}
		out->field[i][j] = g_ascii_toupper(s[j]);
	}
	out->field[i][width] = '\0';
	c->p = s + width;
	return TRUE;
}

/* "v…d…sv…sd…bc…sc…i…" in @len bytes of @s, nothing before or after */
static gboolean
hd_modalias_parse(const char *origin, const char *s, gsize len, gboolean wildcards, HdVfioModalias *out,
		  GError **error)
{
	HdCursor c = {origin, s, s + len};

	for (guint i = 0; i < HD_VFIO_MODALIAS_N_FIELDS; i++) {
		if (!hd_modalias_parse_field(&c, i, wildcards, out, error))
			return FALSE;
	}
	if (c.p != c.end) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "unexpected text at offset %td after the last field",
			    c.p - c.origin);
		return FALSE;
	}
	return TRUE;
}

gboolean
hd_vfio_variant_parse_modalias(const char *modalias, HdVfioModalias *out, GError **error)
{
	gsize prefix_len = strlen(HD_PCI_MODALIAS_PREFIX);
	gsize len;

	g_return_val_if_fail(modalias != NULL, FALSE);
	/* tolerate the newline of the sysfs attribute, and only trailing space */
	len = strlen(modalias);
	while (len > 0 && g_ascii_isspace(modalias[len - 1]))
		len--;
	if (!g_str_has_prefix(modalias, HD_PCI_MODALIAS_PREFIX)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "'%.*s' is not a PCI modalias: it does not start with '" HD_PCI_MODALIAS_PREFIX "'",
			    (int)len, modalias);
		return FALSE;
	}
	if (!hd_modalias_parse(modalias, modalias + prefix_len, len - prefix_len, FALSE, out, error)) {
		g_prefix_error(error, "malformed PCI modalias '%.*s': ", (int)len, modalias);
		return FALSE;
	}
	return TRUE;
}

/* the number of wildcards of @pattern if it matches @device, else -1 */
static gint
hd_modalias_match(const HdVfioModalias *pattern, const HdVfioModalias *device)
{
	gint wildcards = 0;

	for (guint i = 0; i < HD_VFIO_MODALIAS_N_FIELDS; i++) {
		if (strcmp(pattern->field[i], "*") == 0)
			wildcards++;
		else if (strcmp(pattern->field[i], device->field[i]) != 0)
			return -1;
	}
	return wildcards;
}

/* module names are C identifiers, but people and modprobe also spell them with '-' */
static gboolean
hd_module_name_valid(const char *name, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return FALSE;
	}
	return TRUE;
}

static const char *
hd_skip_blanks(const char *p, const char *end)
{
	while (p < end && g_ascii_isspace(*p))
		p++;
	return p;
}

static const char *
hd_skip_word(const char *p, const char *end)
{
	while (p < end && !g_ascii_isspace(*p))
		p++;
	return p;
}

/* "<pattern> <module>", the rest of an alias line up to @eol; FALSE for anything else */
static gboolean
hd_alias_parse_line(const char *line, const char *eol, HdVfioModalias *pattern, const char **module, gsize *module_len)
{
	const char *pattern_end = hd_skip_word(line, eol);
	const char *name = hd_skip_blanks(pattern_end, eol);
	const char *name_end = hd_skip_word(name, eol);

	if (name == pattern_end || hd_skip_blanks(name_end, eol) != eol ||
	    !hd_module_name_valid(name, name_end - name))
		return FALSE;
	*module = name;
	*module_len = name_end - name;
	return hd_modalias_parse(line, line, pattern_end - line, TRUE, pattern, NULL);
}

/* a search for the best alias of @device, or, with @device NULL, for any
 * alias naming @module */
typedef struct {
	const HdVfioModalias *device;
	gint best_wildcards;
	gchar *best;
	const char *module;
} HdVfioSearch;

static gboolean hd_names_equivalent(const char *a, const char *b);

/* the newline ending the line at @p, or @end */
static const char *
hd_line_end(const char *p, const char *end)
{
	const char *eol = memchr(p, '\n', end - p);

	return eol != NULL ? eol : end;
}

/* one alias line, from its "alias vfio_pci:"; returns where the line ends */
static const char *
hd_vfio_consider(HdVfioSearch *search, const char *line, const char *end)
{
	const char *fields = line + strlen(HD_VFIO_ALIAS_PREFIX);
	const char *eol = hd_line_end(fields, end);
	HdVfioModalias pattern;
	const char *module;
	gsize module_len;
	gint wildcards;

	if (!hd_alias_parse_line(fields, eol, &pattern, &module, &module_len))
		return eol;
	if (search->device == NULL) {
		g_autofree gchar *name = g_strndup(module, module_len);

		if (search->best == NULL && hd_names_equivalent(name, search->module))
			search->best = g_steal_pointer(&name);
		return eol;
	}
	wildcards = hd_modalias_match(&pattern, search->device);
	/* only strictly fewer wildcards replace: the first of equals stays */
	if (wildcards < 0 || (search->best != NULL && wildcards >= search->best_wildcards))
		return eol;
	g_free(search->best);
	search->best = g_strndup(module, module_len);
	search->best_wildcards = wildcards;
	return eol;
}

/*
 * Complete lines, @len bytes from @buf, which has room for one more.  A
 * real modules.alias has some 26000 lines and a handful of vfio_pci ones:
 * strstr jumps from one of those to the next without splitting the others
 * into lines (glibc's strstr is vectorised; memmem is several times slower
 * here).  Searching for "\n" + prefix keeps only lines that start with it,
 * as depmod writes them: "# alias vfio_pci:…" is not one.
 */
static void
hd_vfio_scan_lines(HdVfioSearch *search, gchar *buf, gsize len, gboolean skip_first)
{
	const char *end = buf + len;
	const char *p = buf;
	char next = buf[len];

	/* strstr needs a NUL; the byte is the start of the next, incomplete line */
	buf[len] = '\0';
	/* the tail of a line too long for the buffer: from its newline on */
	if (skip_first)
		p = hd_line_end(buf, end);
	else if (g_str_has_prefix(buf, HD_VFIO_ALIAS_PREFIX))
		p = hd_vfio_consider(search, buf, end);
	while (p < end) {
		const char *hit = strstr(p, "\n" HD_VFIO_ALIAS_PREFIX);

		/* strstr stops at a NUL byte; a damaged file goes on after it */
		if (hit == NULL)
			p += strlen(p) + 1;
		else
			p = hd_vfio_consider(search, hit + 1, end);
	}
	buf[len] = next;
}

static gssize
hd_read_some(int fd, gchar *buf, gsize size, const char *path, GError **error)
{
	gssize n;

	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int errsv = errno;

		g_set_error(error, HD_ERROR, hd_error_from_errno(errsv), "cannot read %s: %s", path,
			    g_strerror(errsv));
	}
	return n;
}

/*
 * Streamed through one small buffer: a whole 1-2 MB file would be as many
 * fresh pages, and in a VM faulting those in costs more than the scan.
 * A line longer than the buffer is no alias line and is skipped.
 */
static gboolean
hd_vfio_scan_fd(int fd, const char *path, HdVfioSearch *search, GError **error)
{
	g_autofree gchar *buf = g_malloc(HD_READ_CHUNK + 1);
	gboolean overlong = FALSE;
	gsize have = 0;

	for (;;) {
		gssize n = hd_read_some(fd, buf + have, HD_READ_CHUNK - have, path, error);
		const char *last_newline;
		gsize done;

		if (n < 0)
			return FALSE;
		have += n;
		/* at the end, the last line may lack its newline */
		if (n == 0) {
			hd_vfio_scan_lines(search, buf, have, overlong);
			return TRUE;
		}
		last_newline = memrchr(buf, '\n', have);
		/* a full buffer without a newline: drop it, and later the rest of its line */
		if (last_newline == NULL && have == HD_READ_CHUNK) {
			overlong = TRUE;
			have = 0;
		}
		if (last_newline == NULL)
			continue;
		done = last_newline + 1 - buf;
		hd_vfio_scan_lines(search, buf, done, overlong);
		overlong = FALSE;
		memmove(buf, buf + done, have - done);
		have -= done;
	}
}

static gboolean
hd_vfio_check_regular(int fd, const char *path, GError **error)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int errsv = errno;

		g_set_error(error, HD_ERROR, hd_error_from_errno(errsv), "cannot stat %s: %s", path,
			    g_strerror(errsv));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "cannot read %s: not a regular file", path);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hd_vfio_search_file(const char *path, HdVfioSearch *search, GError **error)
{
	/* O_NONBLOCK: a FIFO in its place must not hang the hook in open() */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	gboolean ok;

	if (fd < 0) {
		int errsv = errno;

		g_set_error(error, HD_ERROR, hd_error_from_errno(errsv), "cannot open %s: %s", path,
			    g_strerror(errsv));
		return FALSE;
	}
	ok = hd_vfio_check_regular(fd, path, error) && hd_vfio_scan_fd(fd, path, search, error);
	close(fd);
	return ok;
}

gchar *
hd_vfio_variant_find(const char *modalias, const char *modules_alias_path, GError **error)
{
	HdVfioModalias device;
	HdVfioSearch search = {&device, 0, NULL, NULL};

	g_return_val_if_fail(modules_alias_path != NULL, NULL);
	if (!hd_vfio_variant_parse_modalias(modalias, &device, error))
		return NULL;
	if (!hd_vfio_search_file(modules_alias_path, &search, error)) {
		/* half a file proves nothing */
		g_free(search.best);
		return NULL;
	}
	return search.best;
}

gboolean
hd_vfio_variant_is_listed(const char *module, const char *modules_alias_path, gboolean *listed, GError **error)
{
	HdVfioSearch search = {NULL, 0, NULL, module};

	if (!hd_vfio_search_file(modules_alias_path, &search, error)) {
		g_free(search.best);
		return FALSE;
	}
	*listed = search.best != NULL;
	g_free(search.best);
	return TRUE;
}

gchar *
hd_vfio_variant_modules_alias_path(const char *modules_dir)
{
	struct utsname uts = {0};

	/* uname() fails only for a bad pointer, which &uts is not */
	(void)uname(&uts);
	return g_build_filename(modules_dir != NULL ? modules_dir : "/lib/modules", uts.release, "modules.alias",
				NULL);
}

gboolean
hd_vfio_variant_is_generic(const char *module)
{
	return g_strcmp0(module, "vfio_pci") == 0 || g_strcmp0(module, "vfio-pci") == 0;
}

/* equal but for '-' and '_', which module and driver names use alike */
static gboolean
hd_names_equivalent(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char ca = *a == '-' ? '_' : *a;
		char cb = *b == '-' ? '_' : *b;

		if (ca != cb)
			return FALSE;
	}
	return *a == *b;
}

/* the PCI driver among a module's drivers/ entries ("pci:vfio-pci", "usb:…") */
static gchar *
hd_pick_pci_driver(GDir *listing, const char *module)
{
	gsize prefix_len = strlen(HD_SYSFS_PCI_DRIVER_PREFIX);
	g_autofree gchar *first = NULL;
	const char *entry;

	while ((entry = g_dir_read_name(listing)) != NULL) {
		const char *driver;

		if (!g_str_has_prefix(entry, HD_SYSFS_PCI_DRIVER_PREFIX) || entry[prefix_len] == '\0')
			continue;
		driver = entry + prefix_len;
		if (hd_names_equivalent(driver, module))
			return g_strdup(driver);
		/* directory order is arbitrary; sorted order is the same on every run */
		if (first == NULL || strcmp(driver, first) < 0) {
			g_free(first);
			first = g_strdup(driver);
		}
	}
	return g_steal_pointer(&first);
}

/* the PCI driver of <root>/module/<spelling>; @loaded says whether that directory exists */
static gchar *
hd_driver_of_spelling(const char *sysfs_root, const char *spelling, gboolean *loaded)
{
	g_autofree gchar *dir = g_build_filename(sysfs_root, "module", spelling, NULL);
	g_autofree gchar *drivers = g_build_filename(dir, "drivers", NULL);
	g_autoptr(GDir) listing = NULL;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		return NULL;
	*loaded = TRUE;
	/* a library module (vfio_pci_core) or a built-in one without a driver has no drivers/ */
	listing = g_dir_open(drivers, 0, NULL);
	return listing != NULL ? hd_pick_pci_driver(listing, spelling) : NULL;
}

static gchar *
hd_respell(const char *name, char from, char to)
{
	gchar *copy = g_strdup(name);

	for (gchar *p = copy; *p != '\0'; p++) {
		if (*p == from)
			*p = to;
	}
	return copy;
}

gchar *
hd_vfio_variant_driver_name(const char *sysfs_root, const char *module, GError **error)
{
	g_autofree gchar *underscores = NULL;
	g_autofree gchar *dashes = NULL;
	const char *spellings[3] = {module, NULL, NULL};
	gboolean loaded = FALSE;

	g_return_val_if_fail(sysfs_root != NULL && module != NULL, NULL);
	/* the name becomes a path: no '/', no ".." */
	if (!hd_module_name_valid(module, strlen(module))) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "'%s' is not a kernel module name", module);
		return NULL;
	}
	/* sysfs spells modules with '_'; a name from a user or modprobe may have '-' */
	underscores = hd_respell(module, '-', '_');
	dashes = hd_respell(module, '_', '-');
	spellings[1] = underscores;
	spellings[2] = dashes;
	for (guint i = 0; i < G_N_ELEMENTS(spellings); i++) {
		gchar *driver = hd_driver_of_spelling(sysfs_root, spellings[i], &loaded);

		if (driver != NULL)
			return driver;
	}
	if (loaded)
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND,
			    "module %s is loaded but registers no PCI driver (no pci:* entry in its drivers/)",
			    module);
	else
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND, "module %s is not loaded (no %s/module/%s)", module,
			    sysfs_root, underscores);
	return NULL;
}
