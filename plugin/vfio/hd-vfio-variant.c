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

/* one "alias vfio_pci:" line: its pattern and the module it names */
typedef struct {
	HdVfioModalias pattern;
	gchar *module;
} HdVfioAlias;

static void
hd_vfio_alias_clear(HdVfioAlias *alias)
{
	g_free(alias->module);
}

static gboolean hd_names_equivalent(const char *a, const char *b);

/* the newline ending the line at @p, or @end */
static const char *
hd_line_end(const char *p, const char *end)
{
	const char *eol = memchr(p, '\n', end - p);

	return eol != NULL ? eol : end;
}

/* one alias line, from its "alias vfio_pci:", kept in @aliases if it is
 * one we fully understand; returns where the line ends */
static const char *
hd_vfio_consider(GArray *aliases, const char *line, const char *end)
{
	const char *fields = line + strlen(HD_VFIO_ALIAS_PREFIX);
	const char *eol = hd_line_end(fields, end);
	HdVfioAlias alias = {0};
	const char *module;
	gsize module_len;

	if (!hd_alias_parse_line(fields, eol, &alias.pattern, &module, &module_len))
		return eol;
	alias.module = g_strndup(module, module_len);
	g_array_append_val(aliases, alias);
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
hd_vfio_scan_lines(GArray *aliases, gchar *buf, gsize len, gboolean skip_first)
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
		p = hd_vfio_consider(aliases, buf, end);
	while (p < end) {
		const char *hit = strstr(p, "\n" HD_VFIO_ALIAS_PREFIX);

		/* strstr stops at a NUL byte; a damaged file goes on after it */
		if (hit == NULL)
			p += strlen(p) + 1;
		else
			p = hd_vfio_consider(aliases, hit + 1, end);
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
hd_vfio_scan_fd(int fd, const char *path, GArray *aliases, GError **error)
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
			hd_vfio_scan_lines(aliases, buf, have, overlong);
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
		hd_vfio_scan_lines(aliases, buf, done, overlong);
		overlong = FALSE;
		memmove(buf, buf + done, have - done);
		have -= done;
	}
}

static gboolean
hd_vfio_check_regular(int fd, const char *path, struct stat *st, GError **error)
{
	if (fstat(fd, st) < 0) {
		int errsv = errno;

		g_set_error(error, HD_ERROR, hd_error_from_errno(errsv), "cannot stat %s: %s", path,
			    g_strerror(errsv));
		return FALSE;
	}
	if (!S_ISREG(st->st_mode)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "cannot read %s: not a regular file", path);
		return FALSE;
	}
	return TRUE;
}

/*
 * The vfio_pci lines of the modules.alias read last, while it is the same
 * file: a plan asks once per device, and a 1.3 MB scan each time made a
 * 64-device plan pay for 64 scans.  depmod replaces the file (a new inode),
 * and any change in place changes its size or times.
 */
static struct {
	GMutex lock;
	gchar *path;
	struct stat st;
	GArray *aliases; /* of HdVfioAlias */
} hd_vfio_alias_cache;

static gboolean
hd_vfio_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* the file's vfio_pci aliases in its order, from the cache if it is unchanged */
static GArray *
hd_vfio_read_fd(int fd, const char *path, const struct stat *st, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&hd_vfio_alias_cache.lock);
	g_autoptr(GArray) aliases = NULL;

	if (hd_vfio_alias_cache.aliases != NULL && g_strcmp0(hd_vfio_alias_cache.path, path) == 0 &&
	    hd_vfio_same_file(&hd_vfio_alias_cache.st, st))
		return g_array_ref(hd_vfio_alias_cache.aliases);
	aliases = g_array_new(FALSE, FALSE, sizeof(HdVfioAlias));
	g_array_set_clear_func(aliases, (GDestroyNotify)hd_vfio_alias_clear);
	/* half a file proves nothing, and is not kept */
	if (!hd_vfio_scan_fd(fd, path, aliases, error))
		return NULL;
	g_clear_pointer(&hd_vfio_alias_cache.aliases, g_array_unref);
	g_free(hd_vfio_alias_cache.path);
	hd_vfio_alias_cache.path = g_strdup(path);
	hd_vfio_alias_cache.st = *st;
	hd_vfio_alias_cache.aliases = g_array_ref(aliases);
	return g_steal_pointer(&aliases);
}

static GArray *
hd_vfio_read_aliases(const char *path, GError **error)
{
	/* O_NONBLOCK: a FIFO in its place must not hang the hook in open() */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	GArray *aliases = NULL;
	struct stat st;

	if (fd < 0) {
		int errsv = errno;

		g_set_error(error, HD_ERROR, hd_error_from_errno(errsv), "cannot open %s: %s", path,
			    g_strerror(errsv));
		return NULL;
	}
	if (hd_vfio_check_regular(fd, path, &st, error))
		aliases = hd_vfio_read_fd(fd, path, &st, error);
	close(fd);
	return aliases;
}

gchar *
hd_vfio_variant_find(const char *modalias, const char *modules_alias_path, GError **error)
{
	g_autoptr(GArray) aliases = NULL;
	const HdVfioAlias *best = NULL;
	gint best_wildcards = 0;
	HdVfioModalias device;

	g_return_val_if_fail(modules_alias_path != NULL, NULL);
	if (!hd_vfio_variant_parse_modalias(modalias, &device, error))
		return NULL;
	aliases = hd_vfio_read_aliases(modules_alias_path, error);
	if (aliases == NULL)
		return NULL;
	for (guint i = 0; i < aliases->len; i++) {
		const HdVfioAlias *alias = &g_array_index(aliases, HdVfioAlias, i);
		gint wildcards = hd_modalias_match(&alias->pattern, &device);

		/* only strictly fewer wildcards replace: the first of equals stays */
		if (wildcards < 0 || (best != NULL && wildcards >= best_wildcards))
			continue;
		best = alias;
		best_wildcards = wildcards;
	}
	return best != NULL ? g_strdup(best->module) : NULL;
}

gboolean
hd_vfio_variant_is_listed(const char *module, const char *modules_alias_path, gboolean *listed, GError **error)
{
	g_autoptr(GArray) aliases = hd_vfio_read_aliases(modules_alias_path, error);

	if (aliases == NULL)
		return FALSE;
	*listed = FALSE;
	for (guint i = 0; i < aliases->len && !*listed; i++)
		*listed = hd_names_equivalent(g_array_index(aliases, HdVfioAlias, i).module, module);
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
