/*
 * test-vfio-variant.c: choosing a VFIO variant driver the way libvirt does
 *
 * The alias lines in tests/ are copied from real kernels (mlx5_vfio_pci,
 * hisi_acc_vfio_pci, virtio_vfio_pci, pds_vfio_pci and the generic
 * vfio_pci), so the common case is tested on what depmod really writes.
 * The other fixtures each pin one rule: fewest wildcards win wherever the
 * line is, the first of equals wins, and a line we do not fully understand
 * never wins.  The module-to-driver lookup runs on a temporary sysfs tree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hd-error.h"
#include "hd-vfio-variant.h"

/* as tests/test-table.h: one GTest path per row, named by the row */
#define ADD_TABLE(prefix, table, func)                                                   \
	for (guint i = 0; i < G_N_ELEMENTS(table); i++) {                                \
		g_autofree gchar *path = g_strdup_printf("%s/%s", prefix, table[i].name); \
		g_test_add_data_func(path, &table[i], func);                              \
	}

/* real devices' modaliases, as sysfs shows them */
#define MLX5_VF "pci:v000015B3d0000101Esv000015B3sd00000001bc02sc00i00"
#define MLX5_PF "pci:v000015B3d0000101Dsv000015B3sd00000008bc02sc00i00"
#define HISI_SEC_VF "pci:v000019E5d0000A256sv000019E5sd00000000bc10sc80i00"
#define HISI_ZIP_VF "pci:v000019E5d0000A251sv000019E5sd00000000bc12sc00i00"
#define VIRTIO_NET "pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00"
#define VIRTIO_BLK "pci:v00001AF4d00001042sv00001AF4sd00001100bc01sc00i00"
#define VIRTIO_NET_LEGACY "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"
#define PDS_VF "pci:v00001DD8d00001003sv00001DD8sd00005001bc02sc00i00"
#define IAVF "pci:v00008086d0000154Csv00008086sd00000000bc02sc00i00"
#define GPU "pci:v000010DEd00002204sv00001458sd0000403Bbc03sc00i00"
#define SAMSUNG_NVME "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02"

static gchar *
fixture_path(const char *name)
{
	return g_test_build_filename(G_TEST_DIST, "tests", name, NULL);
}

static gboolean
contains(const char *haystack, const char *needle)
{
	return strstr(haystack, needle) != NULL;
}

/* ---- a device's modalias: hd_vfio_variant_parse_modalias --------------- */

typedef struct {
	const char *name;
	const char *modalias;
	gboolean ok;
	const char *fields[HD_VFIO_MODALIAS_N_FIELDS]; /* when ok */
} ModaliasCase;

static const ModaliasCase modalias_cases[] = {
	{"mlx5-vf", MLX5_VF, TRUE, {"000015B3", "0000101E", "000015B3", "00000001", "02", "00", "00"}},
	{"hisi-sec-vf", HISI_SEC_VF, TRUE, {"000019E5", "0000A256", "000019E5", "00000000", "10", "80", "00"}},
	{"lower-case-hex-is-stored-upper-case", "pci:v000015b3d0000101esv000015b3sd0000abcdbc02sc00i00", TRUE,
	 {"000015B3", "0000101E", "000015B3", "0000ABCD", "02", "00", "00"}},
	/* each field's digits are read by width, so hex letters that spell
	 * the next tag ("d", "bc", "sc") are still digits */
	{"hex-digits-that-look-like-tags", "pci:v0000abcdd0000dcbasv0000bcdesd0000cdefbcdbscdcidd", TRUE,
	 {"0000ABCD", "0000DCBA", "0000BCDE", "0000CDEF", "DB", "DC", "DD"}},
	{"every-digit-f", "pci:vFFFFFFFFdFFFFFFFFsvFFFFFFFFsdFFFFFFFFbcFFscFFiFF", TRUE,
	 {"FFFFFFFF", "FFFFFFFF", "FFFFFFFF", "FFFFFFFF", "FF", "FF", "FF"}},
	{"sysfs-newline", MLX5_VF "\n", TRUE, {"000015B3", "0000101E", "000015B3", "00000001", "02", "00", "00"}},

	{"reject/empty", "", FALSE, {NULL}},
	{"reject/only-prefix", "pci:", FALSE, {NULL}},
	{"reject/no-prefix", "v000015B3d0000101Esv000015B3sd00000001bc02sc00i00", FALSE, {NULL}},
	{"reject/upper-case-prefix", "PCI:v000015B3d0000101Esv000015B3sd00000001bc02sc00i00", FALSE, {NULL}},
	{"reject/other-bus", "usb:v0BDAp8153d3000dc00dsc00dp00icFFisc00ip00in00", FALSE, {NULL}},
	{"reject/wildcards-are-for-patterns", "pci:v*d*sv*sd*bc*sc*i*", FALSE, {NULL}},
	{"reject/one-wildcard", "pci:v000015B3d0000101Esv*sd00000001bc02sc00i00", FALSE, {NULL}},
	{"reject/short-vendor", "pci:v15B3d0000101Esv000015B3sd00000001bc02sc00i00", FALSE, {NULL}},
	{"reject/long-vendor", "pci:v0000015B3d0000101Esv000015B3sd00000001bc02sc00i00", FALSE, {NULL}},
	{"reject/long-class", "pci:v000015B3d0000101Esv000015B3sd00000001bc002sc00i00", FALSE, {NULL}},
	{"reject/not-hex", "pci:v0000GGGGd0000101Esv000015B3sd00000001bc02sc00i00", FALSE, {NULL}},
	{"reject/missing-interface", "pci:v000015B3d0000101Esv000015B3sd00000001bc02sc00", FALSE, {NULL}},
	{"reject/missing-interface-value", "pci:v000015B3d0000101Esv000015B3sd00000001bc02sc00i", FALSE, {NULL}},
	{"reject/trailing-text", "pci:v000015B3d0000101Esv000015B3sd00000001bc02sc00i00x", FALSE, {NULL}},
	{"reject/trailing-digits", "pci:v000015B3d0000101Esv000015B3sd00000001bc02sc00i0000", FALSE, {NULL}},
	{"reject/swapped-fields", "pci:d0000101Ev000015B3sv000015B3sd00000001bc02sc00i00", FALSE, {NULL}},
	{"reject/upper-case-tags", "pci:V000015B3D0000101ESV000015B3SD00000001BC02SC00I00", FALSE, {NULL}},
	{"reject/inner-space", "pci:v000015B3 d0000101Esv000015B3sd00000001bc02sc00i00", FALSE, {NULL}},
	{"reject/leading-space", " " MLX5_VF, FALSE, {NULL}},
};

static void
test_modalias(gconstpointer data)
{
	const ModaliasCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *shown = g_strchomp(g_strdup(c->modalias));
	HdVfioModalias out;
	gboolean ok = hd_vfio_variant_parse_modalias(c->modalias, &out, &error);

	if (c->ok) {
		g_assert_no_error(error);
		g_assert_true(ok);
		for (guint i = 0; i < HD_VFIO_MODALIAS_N_FIELDS; i++)
			g_assert_cmpstr(out.field[i], ==, c->fields[i]);
		return;
	}
	g_assert_false(ok);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	/* the administrator sees this: it must say which string was refused */
	g_assert_true(contains(error->message, shown));
}

/* ---- the best alias: hd_vfio_variant_find ------------------------------ */

typedef struct {
	const char *name;
	const char *fixture;
	const char *modalias;
	const char *expected; /* NULL: no alias matches */
} FindCase;

static const FindCase find_cases[] = {
	/* real alias lines; the generic one comes first in the file */
	{"real/mlx5-vf-variant-beats-generic", "modules.alias.mlx5", MLX5_VF, "mlx5_vfio_pci"},
	{"real/mlx5-pf-has-only-generic", "modules.alias.mlx5", MLX5_PF, "vfio_pci"},
	{"real/hisi-sec-vf", "modules.alias.mlx5", HISI_SEC_VF, "hisi_acc_vfio_pci"},
	{"real/hisi-zip-vf", "modules.alias.mlx5", HISI_ZIP_VF, "hisi_acc_vfio_pci"},
	{"real/virtio-net", "modules.alias.mlx5", VIRTIO_NET, "virtio_vfio_pci"},
	{"real/virtio-blk", "modules.alias.mlx5", VIRTIO_BLK, "virtio_vfio_pci"},
	{"real/virtio-legacy-net-has-only-generic", "modules.alias.mlx5", VIRTIO_NET_LEGACY, "vfio_pci"},
	{"real/pds-vf", "modules.alias.mlx5", PDS_VF, "pds_vfio_pci"},
	{"real/intel-vf-has-only-generic", "modules.alias.mlx5", IAVF, "vfio_pci"},

	/* the winner sits between worse lines, so neither first- nor last-wins passes */
	{"fewest-wildcards/wins-from-the-middle", "modules.alias.specific", MLX5_VF, "board_vfio_pci"},
	{"fewest-wildcards/other-board", "modules.alias.specific",
	 "pci:v000015B3d0000101Esv000015B3sd00000002bc02sc00i00", "other_board_vfio_pci"},
	{"fewest-wildcards/device-beats-vendor", "modules.alias.specific",
	 "pci:v000015B3d0000101Esv000015B3sd00000003bc01sc00i00", "mlx5_vfio_pci"},
	{"fewest-wildcards/class-beats-vendor", "modules.alias.specific",
	 "pci:v000015B3d00001017sv000015B3sd00000001bc02sc00i00", "netclass_vfio_pci"},
	{"fewest-wildcards/vendor-beats-generic", "modules.alias.specific",
	 "pci:v000015B3d00001017sv000015B3sd00000001bc01sc00i00", "vendor_vfio_pci"},
	{"fewest-wildcards/generic-for-the-rest", "modules.alias.specific", GPU, "vfio_pci"},

	{"tie/first-seen-wins", "modules.alias.tie", VIRTIO_NET, "virtio_vfio_pci"},
	{"tie/first-seen-not-first-sorted", "modules.alias.tie", VIRTIO_BLK, "zz_first_vfio_pci"},
	/* a class match and a vendor match of five wildcards each */
	{"tie/across-different-fields", "modules.alias.tie", SAMSUNG_NVME, "storage_class_vfio_pci"},
	/* mlx5 device, same board, class 02: device (5) and class (5) tie, device first */
	{"tie/device-before-class", "modules.alias.specific",
	 "pci:v000015B3d0000101Esv000015B3sd00000003bc02sc00i00", "mlx5_vfio_pci"},

	{"generic-only/mlx5-vf", "modules.alias.generic-only", MLX5_VF, "vfio_pci"},
	{"generic-only/gpu", "modules.alias.generic-only", GPU, "vfio_pci"},

	/* kernels without the vfio_pci: aliases; "pci:" and "vfio_pcix:" are not ours */
	{"no-vfio-alias/mlx5-vf", "modules.alias.no-vfio", MLX5_VF, NULL},
	{"no-vfio-alias/empty-file", "modules.alias.empty", MLX5_VF, NULL},

	{"malformed/all-skipped", "modules.alias.malformed", MLX5_VF, "vfio_pci"},

	{"tolerated/no-final-newline", "modules.alias.tolerated", MLX5_VF, "mlx5_vfio_pci"},
	{"tolerated/tabs-and-crlf", "modules.alias.tolerated", HISI_SEC_VF, "hisi_acc_vfio_pci"},
	{"tolerated/extra-spaces", "modules.alias.tolerated", VIRTIO_NET, "virtio_vfio_pci"},
	{"tolerated/generic-with-crlf", "modules.alias.tolerated", GPU, "vfio_pci"},

	{"case/lower-case-pattern", "modules.alias.case", MLX5_VF, "mlx5_vfio_pci"},
	{"case/mixed-case-pattern", "modules.alias.case", HISI_SEC_VF, "hisi_acc_vfio_pci"},
	{"case/lower-case-device", "modules.alias.mlx5", "pci:v000015b3d0000101esv000015b3sd00000001bc02sc00i00",
	 "mlx5_vfio_pci"},
};

static void
test_find(gconstpointer data)
{
	const FindCase *c = data;
	g_autofree gchar *path = fixture_path(c->fixture);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *module = hd_vfio_variant_find(c->modalias, path, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(module, ==, c->expected);
}

static void
assert_find_fails(const char *modalias, const char *path, gint code, const char *mentioned)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *module = hd_vfio_variant_find(modalias, path, &error);

	g_assert_null(module);
	g_assert_error(error, HD_ERROR, code);
	g_assert_true(contains(error->message, mentioned));
}

static void
test_find_missing_file(void)
{
	g_autofree gchar *path = fixture_path("modules.alias.no-such-file");

	assert_find_fails(MLX5_VF, path, HD_ERROR_NOT_FOUND, path);
}

static void
test_find_directory(void)
{
	g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "tests", NULL);

	assert_find_fails(MLX5_VF, path, HD_ERROR_INVALID_DATA, path);
}

/* the device is checked first: a bad modalias is the error, not the file */
static void
test_find_bad_modalias_first(void)
{
	g_autofree gchar *path = fixture_path("modules.alias.no-such-file");

	assert_find_fails("pci:garbage", path, HD_ERROR_INVALID_DATA, "pci:garbage");
	assert_find_fails("", path, HD_ERROR_INVALID_DATA, "not a PCI modalias");
}

static gchar *
make_tmp_dir(void)
{
	g_autoptr(GError) error = NULL;
	gchar *dir = g_dir_make_tmp("hd-vfio-variant-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void
rm_rf(const char *path)
{
	g_autoptr(GDir) dir = NULL;
	GStatBuf st;
	const char *name;

	if (g_lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		g_assert_cmpint(g_unlink(path), ==, 0);
		return;
	}
	dir = g_dir_open(path, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);

		rm_rf(child);
	}
	g_assert_cmpint(g_rmdir(path), ==, 0);
}

static void
test_find_permission_denied(void)
{
	g_autofree gchar *dir = make_tmp_dir();
	g_autofree gchar *path = g_build_filename(dir, "modules.alias", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n", -1, &error));
	g_assert_cmpint(g_chmod(path, 0), ==, 0);
	/* root reads a mode-0 file anyway */
	if (access(path, R_OK) == 0)
		g_test_skip("running with CAP_DAC_OVERRIDE: a mode-0 file is still readable");
	else
		assert_find_fails(MLX5_VF, path, HD_ERROR_PERMISSION_DENIED, path);
	rm_rf(dir);
}

/* a FIFO in the file's place is refused at once, not waited on */
static void
test_find_fifo(void)
{
	g_autofree gchar *dir = make_tmp_dir();
	g_autofree gchar *path = g_build_filename(dir, "modules.alias", NULL);

	g_assert_cmpint(mkfifo(path, 0600), ==, 0);
	assert_find_fails(MLX5_VF, path, HD_ERROR_INVALID_DATA, path);
	rm_rf(dir);
}

/* ---- a real-size modules.alias ------------------------------------------ */

#define LARGE_LINES 23000
#define TIMING_RUNS 20

/* ~1.3 MB like a distribution kernel's, the variant on the very last line */
static gchar *
make_large_alias_file(const char *dir)
{
	g_autoptr(GString) text = g_string_new("# Aliases extracted from modules themselves.\n");
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(dir, "modules.alias", NULL);

	for (guint i = 0; i < LARGE_LINES; i++) {
		if (i % 3 == 0)
			g_string_append_printf(text, "alias usb:v%04Xp%04Xd*dc*dsc*dp*ic*isc*ip*in* usb_module_%u\n",
					       i & 0xffff, (i * 7) & 0xffff, i % 97);
		else
			g_string_append_printf(text, "alias pci:v0000%04Xd0000%04Xsv*sd*bc*sc*i* pci_module_%u\n",
					       i & 0xffff, (i * 13) & 0xffff, i % 89);
		if (i == LARGE_LINES / 5)
			g_string_append(text, "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n");
	}
	g_string_append(text, "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n");
	g_assert_true(g_file_set_contents(path, text->str, text->len, &error));
	g_assert_no_error(error);
	return path;
}

static void
time_find(const char *path, const char *modalias, const char *expected)
{
	gint64 best = G_MAXINT64;
	gint64 total = 0;
	GStatBuf st;

	g_assert_cmpint(g_stat(path, &st), ==, 0);
	for (guint i = 0; i < TIMING_RUNS; i++) {
		g_autoptr(GError) error = NULL;
		gint64 start = g_get_monotonic_time();
		g_autofree gchar *module = hd_vfio_variant_find(modalias, path, &error);
		gint64 took = g_get_monotonic_time() - start;

		g_assert_no_error(error);
		g_assert_cmpstr(module, ==, expected);
		best = MIN(best, took);
		total += took;
	}
	g_test_message("%s: %" G_GINT64_FORMAT " bytes, best %" G_GINT64_FORMAT " us, mean %" G_GINT64_FORMAT
		       " us over %u runs",
		       path, (gint64)st.st_size, best, total / TIMING_RUNS, TIMING_RUNS);
}

/* correctness on a big file, and the time, reported but not asserted: sanitizers are slow */
static void
test_find_large_file(void)
{
	g_autofree gchar *dir = make_tmp_dir();
	g_autofree gchar *path = make_large_alias_file(dir);

	time_find(path, MLX5_VF, "mlx5_vfio_pci");
	time_find(path, GPU, "vfio_pci");
	rm_rf(dir);
}

static void
write_file(const char *path, const char *text, gssize len)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, text, len, &error));
	g_assert_no_error(error);
}

static void
assert_finds(const char *path, const char *modalias, const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *module = hd_vfio_variant_find(modalias, path, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(module, ==, expected);
}

#define READ_BUFFER (64 * 1024)
#define MLX5_ALIAS "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci"

/* a first line of @len bytes: short, or longer than the read buffer */
static GString *
new_text_with_first_line(gsize len)
{
	GString *text = g_string_new("#");

	while (text->len + 1 < len)
		g_string_append_c(text, 'x');
	g_string_append(text, "\nalias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n");
	return text;
}

/* the variant's line alone at @start, after ordinary lines and a comment */
static void
append_variant_at(GString *text, gsize start, gboolean newline)
{
	while (text->len + 100 < start)
		g_string_append(text, "alias pci:v00008086d0000154Csv*sd*bc*sc*i* iavf\n");
	g_string_append_c(text, '#');
	while (text->len + 1 < start)
		g_string_append_c(text, 'x');
	g_string_append_c(text, '\n');
	g_assert_cmpuint(text->len, ==, start);
	g_string_append(text, MLX5_ALIAS);
	if (newline)
		g_string_append_c(text, '\n');
}

/*
 * The file is read through a 64 KiB buffer.  Put the variant's line at
 * every offset across the buffer ends, with and without a final newline,
 * so that some copy of it is cut at every character; and do it again
 * after a first line too long for the buffer, which is skipped.
 */
static void
test_find_across_buffer_ends(void)
{
	g_autofree gchar *dir = make_tmp_dir();
	g_autofree gchar *path = g_build_filename(dir, "modules.alias", NULL);
	const gsize first_lines[] = {2, READ_BUFFER + READ_BUFFER / 2};
	const gsize line_len = strlen(MLX5_ALIAS);

	for (guint f = 0; f < G_N_ELEMENTS(first_lines); f++) {
		for (gsize boundary = READ_BUFFER; boundary <= 3 * READ_BUFFER; boundary += READ_BUFFER) {
			for (gsize start = boundary - line_len - 1; start <= boundary + 1; start++) {
				g_autoptr(GString) text = new_text_with_first_line(first_lines[f]);

				if (start < text->len + 100)
					continue;
				append_variant_at(text, start, start % 2 == 0);
				write_file(path, text->str, text->len);
				assert_finds(path, MLX5_VF, "mlx5_vfio_pci");
				assert_finds(path, GPU, "vfio_pci");
			}
		}
	}
	rm_rf(dir);
}

/* a line longer than the buffer is skipped, alias-like or not, and the next ones count */
static void
test_find_overlong_lines(void)
{
	g_autofree gchar *dir = make_tmp_dir();
	g_autofree gchar *path = g_build_filename(dir, "modules.alias", NULL);
	g_autoptr(GString) text = g_string_new("# ");

	for (guint i = 0; i < 3 * READ_BUFFER; i++)
		g_string_append_c(text, "0123456789abcdef"[i % 16]);
	/* a matching pattern whose module name is 200 KB: not a module */
	g_string_append(text, "\nalias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* huge_");
	for (guint i = 0; i < 3 * READ_BUFFER; i++)
		g_string_append_c(text, 'x');
	g_string_append(text, "\nalias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n");
	write_file(path, text->str, text->len);
	assert_finds(path, MLX5_VF, "vfio_pci");

	/* and one ending the file, without a newline */
	g_string_append(text, "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* tail_");
	for (guint i = 0; i < 2 * READ_BUFFER; i++)
		g_string_append_c(text, 'y');
	write_file(path, text->str, text->len);
	assert_finds(path, MLX5_VF, "vfio_pci");

	g_string_append(text, "\n" MLX5_ALIAS "\n");
	write_file(path, text->str, text->len);
	assert_finds(path, MLX5_VF, "mlx5_vfio_pci");
	rm_rf(dir);
}

/* what a long line holds where the buffer cuts it is still inside that line */
static void
test_find_overlong_line_tail(void)
{
	g_autofree gchar *dir = make_tmp_dir();
	g_autofree gchar *path = g_build_filename(dir, "modules.alias", NULL);
	g_autoptr(GString) text = g_string_new("#");

	while (text->len < READ_BUFFER)
		g_string_append_c(text, 'x');
	g_string_append(text, "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* sneaky_vfio_pci\n"
			      "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n");
	write_file(path, text->str, text->len);
	assert_finds(path, MLX5_VF, "vfio_pci");
	rm_rf(dir);
}

/* the running kernel's own file, only with -m perf: it differs on every host */
static void
test_find_host_file(void)
{
	g_autofree gchar *path = hd_vfio_variant_modules_alias_path(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *module = NULL;

	if (!g_test_perf()) {
		g_test_skip("reads the host's modules.alias; run with -m perf");
		return;
	}
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_test_skip("no modules.alias for the running kernel");
		return;
	}
	module = hd_vfio_variant_find(MLX5_VF, path, &error);
	g_assert_no_error(error);
	time_find(path, MLX5_VF, module);
}

/* ---- small helpers ------------------------------------------------------ */

static void
test_is_generic(void)
{
	g_assert_true(hd_vfio_variant_is_generic("vfio_pci"));
	g_assert_true(hd_vfio_variant_is_generic("vfio-pci"));
	g_assert_true(hd_vfio_variant_is_generic(HD_VFIO_VARIANT_GENERIC_MODULE));
	g_assert_false(hd_vfio_variant_is_generic("mlx5_vfio_pci"));
	g_assert_false(hd_vfio_variant_is_generic("vfio_pci_core"));
	g_assert_false(hd_vfio_variant_is_generic("vfio"));
	g_assert_false(hd_vfio_variant_is_generic("VFIO_PCI"));
	g_assert_false(hd_vfio_variant_is_generic(""));
	g_assert_false(hd_vfio_variant_is_generic(NULL));
}

static void
test_modules_alias_path(void)
{
	g_autofree gchar *standard = hd_vfio_variant_modules_alias_path(NULL);
	g_autofree gchar *moved = hd_vfio_variant_modules_alias_path("/usr/lib/modules");
	g_autofree gchar *expected = NULL;
	g_autofree gchar *expected_moved = NULL;
	struct utsname uts;

	g_assert_cmpint(uname(&uts), ==, 0);
	expected = g_strdup_printf("/lib/modules/%s/modules.alias", uts.release);
	expected_moved = g_strdup_printf("/usr/lib/modules/%s/modules.alias", uts.release);
	g_assert_cmpstr(standard, ==, expected);
	g_assert_cmpstr(moved, ==, expected_moved);
}

/* ---- module to driver: hd_vfio_variant_driver_name ---------------------- */

typedef struct {
	gchar *root;
} SysfsTree;

/* an entry of <root>/module/<module>/drivers/, a symlink as in sysfs */
static void
add_driver_entry(const char *root, const char *module, const char *entry)
{
	g_autofree gchar *drivers = g_build_filename(root, "module", module, "drivers", NULL);
	g_autofree gchar *link = g_build_filename(drivers, entry, NULL);
	g_autofree gchar *target = g_strdup_printf("../../../bus/pci/drivers/%s", strchr(entry, ':') + 1);

	g_assert_cmpint(g_mkdir_with_parents(drivers, 0755), ==, 0);
	g_assert_cmpint(symlink(target, link), ==, 0);
}

static void
add_module_dir(const char *root, const char *module, const char *child)
{
	g_autofree gchar *dir = g_build_filename(root, "module", module, child, NULL);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
}

static void
tree_setup(SysfsTree *tree, gconstpointer data)
{
	g_autofree gchar *stray = NULL;

	(void)data;
	tree->root = make_tmp_dir();
	add_driver_entry(tree->root, "mlx5_vfio_pci", "pci:mlx5_vfio_pci");
	/* the generic module registers a driver spelt with dashes */
	add_driver_entry(tree->root, "vfio_pci", "pci:vfio-pci");
	add_driver_entry(tree->root, "hisi_acc_vfio_pci", "pci:hisi-acc-vfio-pci");
	/* not how the kernel spells module directories, but a tree may */
	add_driver_entry(tree->root, "dash-named", "pci:dash-named");
	add_driver_entry(tree->root, "multi_vfio_pci", "pci:zeta");
	add_driver_entry(tree->root, "multi_vfio_pci", "pci:alpha");
	add_driver_entry(tree->root, "multi_vfio_pci", "pci:multi-vfio-pci");
	add_driver_entry(tree->root, "sorted_vfio_pci", "pci:zeta");
	add_driver_entry(tree->root, "sorted_vfio_pci", "pci:beta");
	add_driver_entry(tree->root, "auxonly", "auxiliary:auxonly");
	add_driver_entry(tree->root, "empty_pci", "pci:");
	/* a library module: loaded, parameters, no drivers/ */
	add_module_dir(tree->root, "vfio_pci_core", "parameters");
	stray = g_build_filename(tree->root, "module", "stray_file", NULL);
	g_assert_true(g_file_set_contents(stray, "", 0, NULL));
}

static void
tree_teardown(SysfsTree *tree, gconstpointer data)
{
	(void)data;
	rm_rf(tree->root);
	g_free(tree->root);
}

typedef struct {
	const char *name;
	const char *module;
	const char *expected; /* NULL: an error */
	gint code;	      /* HdError, when expected is NULL */
	const char *mentioned;
} DriverCase;

static const DriverCase driver_cases[] = {
	{"same-name", "mlx5_vfio_pci", "mlx5_vfio_pci", 0, NULL},
	{"dashes-find-underscore-dir", "mlx5-vfio-pci", "mlx5_vfio_pci", 0, NULL},
	{"mixed-spelling", "mlx5-vfio_pci", "mlx5_vfio_pci", 0, NULL},
	{"module-and-driver-names-differ", "vfio_pci", "vfio-pci", 0, NULL},
	{"driver-name-as-module-name", "vfio-pci", "vfio-pci", 0, NULL},
	{"hisi-dashed-driver", "hisi_acc_vfio_pci", "hisi-acc-vfio-pci", 0, NULL},
	{"underscores-find-dash-dir", "dash_named", "dash-named", 0, NULL},
	{"several-prefer-module-name", "multi_vfio_pci", "multi-vfio-pci", 0, NULL},
	{"several-else-first-sorted", "sorted_vfio_pci", "beta", 0, NULL},

	{"not-loaded", "nvgrace_gpu_vfio_pci", NULL, HD_ERROR_NOT_FOUND, "not loaded"},
	{"not-loaded-any-spelling", "nvgrace-gpu-vfio-pci", NULL, HD_ERROR_NOT_FOUND, "not loaded"},
	{"module-is-a-file", "stray_file", NULL, HD_ERROR_NOT_FOUND, "not loaded"},
	{"library-without-drivers", "vfio_pci_core", NULL, HD_ERROR_NOT_FOUND, "no PCI driver"},
	{"only-other-buses", "auxonly", NULL, HD_ERROR_NOT_FOUND, "no PCI driver"},
	{"empty-pci-entry", "empty_pci", NULL, HD_ERROR_NOT_FOUND, "no PCI driver"},
	{"reject/path", "../module/vfio_pci", NULL, HD_ERROR_INVALID_DATA, "../module/vfio_pci"},
	{"reject/slash", "vfio/pci", NULL, HD_ERROR_INVALID_DATA, "vfio/pci"},
	{"reject/empty", "", NULL, HD_ERROR_INVALID_DATA, "not a kernel module name"},
};

static void
test_driver(SysfsTree *tree, gconstpointer data)
{
	const DriverCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *driver = hd_vfio_variant_driver_name(tree->root, c->module, &error);

	if (c->expected != NULL) {
		g_assert_no_error(error);
		g_assert_cmpstr(driver, ==, c->expected);
		return;
	}
	g_assert_null(driver);
	g_assert_error(error, HD_ERROR, c->code);
	g_assert_true(contains(error->message, c->mentioned));
	g_assert_true(contains(error->message, c->module));
}

/* an error is optional for callers that only want the name */
static void
test_driver_without_error(SysfsTree *tree, gconstpointer data)
{
	g_autofree gchar *missing = hd_vfio_variant_driver_name(tree->root, "absent_vfio_pci", NULL);
	g_autofree gchar *found = hd_vfio_variant_driver_name(tree->root, "vfio_pci", NULL);

	(void)data;
	g_assert_null(missing);
	g_assert_cmpstr(found, ==, "vfio-pci");
}

/* ---- registration ------------------------------------------------------- */

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	ADD_TABLE("/vfio-variant/modalias", modalias_cases, test_modalias);
	ADD_TABLE("/vfio-variant/find", find_cases, test_find);
	g_test_add_func("/vfio-variant/find/error/missing-file", test_find_missing_file);
	g_test_add_func("/vfio-variant/find/error/directory", test_find_directory);
	g_test_add_func("/vfio-variant/find/error/permission-denied", test_find_permission_denied);
	g_test_add_func("/vfio-variant/find/error/fifo", test_find_fifo);
	g_test_add_func("/vfio-variant/find/error/bad-modalias-before-file", test_find_bad_modalias_first);
	g_test_add_func("/vfio-variant/find/large-file", test_find_large_file);
	g_test_add_func("/vfio-variant/find/across-buffer-ends", test_find_across_buffer_ends);
	g_test_add_func("/vfio-variant/find/overlong-lines", test_find_overlong_lines);
	g_test_add_func("/vfio-variant/find/overlong-line-tail", test_find_overlong_line_tail);
	g_test_add_func("/vfio-variant/find/host-file", test_find_host_file);
	g_test_add_func("/vfio-variant/is-generic", test_is_generic);
	g_test_add_func("/vfio-variant/modules-alias-path", test_modules_alias_path);
	for (guint i = 0; i < G_N_ELEMENTS(driver_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/vfio-variant/driver/%s", driver_cases[i].name);

		g_test_add(path, SysfsTree, &driver_cases[i], tree_setup, test_driver, tree_teardown);
	}
	g_test_add("/vfio-variant/driver/error-is-optional", SysfsTree, NULL, tree_setup,
		   test_driver_without_error, tree_teardown);

	return g_test_run();
}
