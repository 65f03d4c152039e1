/*
 * plan-scale: how planning grows with the host's PCI functions and the
 * domain's hostdevs, on the simulated sysfs
 *
 * Issue #11's P5: planning 64 hostdevs on a host with 2,048 PCI functions
 * takes at most 50 ms, and grows linearly.  This builds simulated hosts
 * (tests/mock-sysfs.h) of N = 256, 512, 1024 and 2048 functions and plans a
 * KVM domain of H = 8, 16, 32 or 64 <hostdev managed='no'> on them: H = 64
 * on every N, and every H on N = 2048.
 *
 * The hosts repeat one block of 32 functions, each card behind a PCIe root
 * port (a bridge on pcieport, in its own IOMMU group):
 *   - a 4-port igb NIC, each function in its own group, with its interface;
 *   - an NVMe controller with its namespace's block device;
 *   - a GPU (nouveau) and its HDMI audio (snd_hda_intel), one group;
 *   - an i40e PF with 16 SR-IOV VFs on iavf (made through sriov_numvfs, so
 *     with physfn/virtfn links), each VF in its own group, all with
 *     interfaces;
 *   - a PCIe-to-PCI bridge with two e1000 NICs behind it, all three in one
 *     group.
 * Every function has a modalias; the modules directory holds a modules.alias
 * of 26,000 lines, the size of Debian 12's, whose vfio_pci lines match none
 * of these devices; /proc is a fixture of the bench's (mountinfo, swaps).
 * Three other domains are running, with 4 VFs each, so the state
 * directory has their journals.  The domain asks for whole groups only
 * (the GPU with its audio, both e1000s), spread over the whole host, so
 * every device is planned as a bind to vfio-pci, and the plan is checked
 * to say exactly that.
 *
 * Timed per cycle, as hd_hook_prepare() does it before acting:
 *   context  hd_context_new() (the shipped policy) and the state directory;
 *   lock     the state lock;
 *   plan     hd_plan_new_for_domain(): libpci, IOMMU groups, every journal,
 *            the plugins' selects and checks (modules.alias, SR-IOV), the
 *            in-use checks, the group expansion and the descriptions.
 * Parsing the domain's XML is timed apart ("parse"); "plan CPU" is the
 * planning thread's CPU time, which a machine busy with others' work
 * inflates far less than the wall time.  Not in it: netlink;
 * the in-use checks ask a fake that finds every interface idle (a host
 * dumps its addresses and routes once per interface found).
 *
 * The configurations alternate, each round starting with the next one;
 * medians are printed with the growth per doubling of N (at H = 64) and
 * of H (at N = 2048).  The hosts are checked to be exactly as built at
 * the end, after the other domains are released.
 *
 * usage: plan-scale [ITERATIONS]
 *        plan-scale --only N H [ITERATIONS]    (one configuration, for a profiler)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hd-engine.h"
#include "hd-hook.h"
#include "hd-journal.h"
#include "hd-plan.h"
#include "mock-sysfs.h"

#include "bench-stats.h"

#define FUNCTIONS_PER_BLOCK 32
#define BLOCKS_PER_SEGMENT 32
#define BUSES_PER_BLOCK 6
#define VFS_PER_PF 16
#define OTHER_DOMAINS 3
#define VFS_PER_OTHER_DOMAIN 4
#define WARMUP_ROUNDS 3
#define DEFAULT_ITERATIONS 30
#define MODULES_ALIAS_LINES 26000
#define DOMAIN_NAME "scale01"

static const guint host_sizes[] = {256, 512, 1024, 2048};
#define N_HOSTS G_N_ELEMENTS(host_sizes)
static const guint hostdev_counts[] = {8, 16, 32, 64};
#define N_COUNTS G_N_ELEMENTS(hostdev_counts)
#define MAX_HOSTDEVS 64
#define MAX_FUNCTIONS 2048

static const guint32 igb_ids[] = {MOCK_PCI_ID(0x8086, 0x1521), 0};
static const guint32 nvme_ids[] = {MOCK_PCI_ID(0x144d, 0xa808), 0};
static const guint32 nouveau_ids[] = {MOCK_PCI_ID(0x10de, 0x2204), 0};
static const guint32 hda_ids[] = {MOCK_PCI_ID(0x10de, 0x1aef), 0};
static const guint32 i40e_ids[] = {MOCK_PCI_ID(0x8086, 0x1572), 0};
static const guint32 iavf_ids[] = {MOCK_PCI_ID(0x8086, 0x154c), 0};
static const guint32 e1000_ids[] = {MOCK_PCI_ID(0x8086, 0x100e), 0};

/* one simulated host, with the state directory of its running domains */
typedef struct {
	guint n_functions;
	MockSysfs *ms;
	HdContext *kernel; /* the context the setup writes through */
	gchar *state_dir;
	gchar *pristine; /* the tree before the other domains started */
	/* what the domain may ask for, block by block, in the order asked:
	 * of gchar * "bdf" or "bdf bdf" (a group of two) */
	GPtrArray **units; /* one GPtrArray per block */
	guint n_blocks;
	guint next_group;
	guint next_ifindex;
	guint next_nvme;
} Host;

typedef struct {
	Host *host;
	guint n_hostdevs;
	gchar *xml;
	double *parse_ms;
	double *context_ms;
	double *lock_ms;
	double *plan_ms;
	double *plan_cpu_ms; /* this thread's CPU time in the plan: no wait for a busy CPU */
	double *total_ms;    /* context + lock + plan */
	double median_plan;
	double median_total;
} Config;

typedef struct {
	gchar *dir; /* modules/ and proc/ */
	gchar *modules_dir;
	gchar *proc_root;
	Host hosts[N_HOSTS];
} Bench;

static Bench *live_bench;
static void bench_clear(Bench *b);

static gint64
clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

static gint64
now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static G_NORETURN void
die(const char *what, const GError *error)
{
	if (error != NULL)
		fprintf(stderr, "plan-scale: %s: %s\n", what, error->message);
	else
		fprintf(stderr, "plan-scale: %s\n", what);
	if (live_bench != NULL)
		bench_clear(g_steal_pointer(&live_bench));
	exit(1);
}

/* ---- files the mock does not make --------------------------------------- */

static void
put_file(const char *root, const char *relpath, const char *text)
{
	g_autofree gchar *path = g_build_filename(root, relpath, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	if (g_mkdir_with_parents(dir, 0755) < 0 || !g_file_set_contents(path, text, -1, &error))
		die(path, error);
}

static void
put_dir(const char *root, const char *relpath)
{
	g_autofree gchar *path = g_build_filename(root, relpath, NULL);

	if (g_mkdir_with_parents(path, 0755) < 0)
		die(path, NULL);
}

/* a symbolic link at @relpath to @target_relpath, relative like sysfs's */
static void
put_link(const char *root, const char *relpath, const char *target_relpath)
{
	g_autofree gchar *path = g_build_filename(root, relpath, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);
	GString *target = g_string_new(NULL);

	for (const char *p = relpath; *p != '\0'; p++) {
		if (*p == '/')
			g_string_append(target, "../");
	}
	g_string_append(target, target_relpath);
	if (g_mkdir_with_parents(dir, 0755) < 0 || symlink(target->str, path) < 0)
		die(path, NULL);
	g_string_free(target, TRUE);
}

/* the modalias the kernel shows: pci:v…d…sv…sd…bc…sc…i… */
static void
put_modalias(Host *h, const char *bdf, guint16 vendor, guint16 device, guint32 class_code)
{
	g_autofree gchar *relpath = g_build_filename("bus/pci/devices", bdf, "modalias", NULL);
	g_autofree gchar *text = g_strdup_printf("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", vendor, device, 0,
						 0, class_code >> 16, (class_code >> 8) & 0xff, class_code & 0xff);

	put_file(mock_sysfs_get_root(h->ms), relpath, text);
}

/* an interface of @bdf, in its net/ and in class/net */
static void
put_netdev(Host *h, const char *bdf)
{
	const char *root = mock_sysfs_get_root(h->ms);
	guint ifindex = h->next_ifindex++;
	g_autofree gchar *name = g_strdup_printf("net%u", ifindex);
	g_autofree gchar *dir = g_build_filename("bus/pci/devices", bdf, "net", name, NULL);
	g_autofree gchar *index_path = g_build_filename(dir, "ifindex", NULL);
	g_autofree gchar *flags_path = g_build_filename(dir, "flags", NULL);
	g_autofree gchar *index_text = g_strdup_printf("%u\n", ifindex);
	g_autofree gchar *class_link = g_build_filename("class/net", name, NULL);

	put_file(root, index_path, index_text);
	put_file(root, flags_path, "0x1003\n");
	put_link(root, class_link, dir);
}

/* an NVMe controller's namespace, in class/block and dev/block */
static void
put_namespace(Host *h, const char *bdf)
{
	const char *root = mock_sysfs_get_root(h->ms);
	guint n = h->next_nvme++;
	g_autofree gchar *name = g_strdup_printf("nvme%un1", n);
	g_autofree gchar *dir = g_strdup_printf("bus/pci/devices/%s/nvme/nvme%u/%s", bdf, n, name);
	g_autofree gchar *dev_path = g_build_filename(dir, "dev", NULL);
	g_autofree gchar *holders = g_build_filename(dir, "holders", NULL);
	g_autofree gchar *slaves = g_build_filename(dir, "slaves", NULL);
	g_autofree gchar *devno = g_strdup_printf("259:%u", n);
	g_autofree gchar *devno_text = g_strdup_printf("%s\n", devno);
	g_autofree gchar *class_link = g_build_filename("class/block", name, NULL);
	g_autofree gchar *dev_link = g_build_filename("dev/block", devno, NULL);

	put_file(root, dev_path, devno_text);
	put_dir(root, holders);
	put_dir(root, slaves);
	put_link(root, class_link, dir);
	put_link(root, dev_link, dir);
}

/* ---- the host ------------------------------------------------------------- */

static gchar *
bdf_of(guint segment, guint bus, guint slot, guint function)
{
	return g_strdup_printf("%04x:%02x:%02x.%x", segment, bus, slot, function);
}

static void
add_function(Host *h, const char *bdf, guint16 vendor, guint16 device, guint32 class_code, const char *group,
	     const char *driver)
{
	g_autofree gchar *own_group = group == NULL ? g_strdup_printf("%u", h->next_group++) : NULL;

	mock_sysfs_add_device(h->ms, bdf, vendor, device, class_code, group != NULL ? group : own_group, driver);
	put_modalias(h, bdf, vendor, device, class_code);
}

static void
add_unit(Host *h, guint block, const char *first, const char *second)
{
	g_ptr_array_add(h->units[block], second == NULL ? g_strdup(first) : g_strdup_printf("%s %s", first, second));
}

/* segment and first bus of block @b: 32 blocks of 6 buses per segment */
static void
block_place(guint b, guint *segment, guint *bus)
{
	*segment = b / BLOCKS_PER_SEGMENT;
	*bus = 1 + (b % BLOCKS_PER_SEGMENT) * BUSES_PER_BLOCK;
}

/*
 * The i40e PFs first, with their VFs: the mock numbers a VF's group the
 * lowest free, searching every device, which is quick only while the tree
 * is small.
 */
static gchar *
pf_of(guint b)
{
	guint segment, bus;

	block_place(b, &segment, &bus);
	return bdf_of(segment, bus + 3, 0, 0);
}

static void
add_sriov_pfs(Host *h)
{
	for (guint b = 0; b < h->n_blocks; b++) {
		g_autofree gchar *pf = pf_of(b);

		add_function(h, pf, 0x8086, 0x1572, 0x020000, NULL, "i40e");
		mock_sysfs_add_sriov_pf(h->ms, pf, 64, 16, 1, 0x154c);
		put_netdev(h, pf);
	}
	/* every PF's group numbered before the first VF takes the lowest free */
	for (guint b = 0; b < h->n_blocks; b++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *pf = pf_of(b);
		g_autofree gchar *numvfs = g_build_filename("bus/pci/devices", pf, "sriov_numvfs", NULL);
		g_autofree gchar *count = g_strdup_printf("%u", VFS_PER_PF);

		if (!hd_sysfs_write(h->kernel->sysfs, numvfs, count, &error))
			die(pf, error);
	}
	/* groups 1..P are the PFs'; the VFs took 0 and P+1.. */
	h->next_group = h->n_blocks * (1 + VFS_PER_PF) + 1;
}

/* VF @i of block @b's PF: offset 16, stride 1, so devfn 16 + i */
static gchar *
vf_of(guint b, guint i)
{
	guint segment, bus;

	block_place(b, &segment, &bus);
	return bdf_of(segment, bus + 3, (16 + i) >> 3, (16 + i) & 7);
}

static void
add_block(Host *h, guint b)
{
	guint segment, bus;
	g_autofree gchar *gpu = NULL;
	g_autofree gchar *audio = NULL;
	g_autofree gchar *nvme = NULL;
	g_autofree gchar *legacy_bridge = NULL;
	g_autofree gchar *legacy_group = NULL;
	gchar *nic[4], *old_nic[2];

	block_place(b, &segment, &bus);
	/* the root ports of the five cards */
	for (guint port = 0; port < 5; port++) {
		g_autofree gchar *bdf = bdf_of(segment, 0, b % BLOCKS_PER_SEGMENT, port);

		add_function(h, bdf, 0x8086, 0x7a38, MOCK_PCI_CLASS_BRIDGE, NULL, "pcieport");
	}
	for (guint f = 0; f < 4; f++) {
		nic[f] = bdf_of(segment, bus, 0, f);
		add_function(h, nic[f], 0x8086, 0x1521, 0x020000, NULL, "igb");
		put_netdev(h, nic[f]);
	}
	nvme = bdf_of(segment, bus + 1, 0, 0);
	add_function(h, nvme, 0x144d, 0xa808, 0x010802, NULL, "nvme");
	put_namespace(h, nvme);
	gpu = bdf_of(segment, bus + 2, 0, 0);
	audio = bdf_of(segment, bus + 2, 0, 1);
	{
		g_autofree gchar *group = g_strdup_printf("%u", h->next_group++);

		add_function(h, gpu, 0x10de, 0x2204, 0x030000, group, "nouveau");
		add_function(h, audio, 0x10de, 0x1aef, 0x040300, group, "snd_hda_intel");
	}
	for (guint i = 0; i < VFS_PER_PF; i++) {
		g_autofree gchar *vf = vf_of(b, i);

		put_modalias(h, vf, 0x8086, 0x154c, 0x020000);
		put_netdev(h, vf);
	}
	legacy_group = g_strdup_printf("%u", h->next_group++);
	legacy_bridge = bdf_of(segment, bus + 4, 0, 0);
	add_function(h, legacy_bridge, 0x8086, 0x244e, MOCK_PCI_CLASS_BRIDGE, legacy_group, NULL);
	for (guint i = 0; i < 2; i++) {
		old_nic[i] = bdf_of(segment, bus + 5, i + 1, 0);
		add_function(h, old_nic[i], 0x8086, 0x100e, 0x020000, legacy_group, "e1000");
		put_netdev(h, old_nic[i]);
	}

	/* what the domain asks for first of each block, then next, ...; VFs
	 * 12-15 are the other domains' */
	add_unit(h, b, nic[0], NULL);
	{
		g_autofree gchar *vf = vf_of(b, 0);
		add_unit(h, b, vf, NULL);
	}
	add_unit(h, b, nvme, NULL);
	add_unit(h, b, gpu, audio);
	add_unit(h, b, nic[1], NULL);
	add_unit(h, b, old_nic[0], old_nic[1]);
	for (guint i = 1; i < 12; i++) {
		g_autofree gchar *vf = vf_of(b, i);
		add_unit(h, b, vf, NULL);
		if (i + 1 < 4)
			add_unit(h, b, nic[i + 1], NULL);
	}
	for (guint f = 0; f < 4; f++)
		g_free(nic[f]);
	g_free(old_nic[0]);
	g_free(old_nic[1]);
}

static HdContext *
host_context(Host *h, const Bench *b, GError **error);

static gchar *
domain_xml(const char *name, const char *const *bdfs, guint n)
{
	GString *xml = g_string_new(NULL);

	g_string_append_printf(xml, "<domain type='kvm'><name>%s</name>"
				    "<uuid>0c5b6d8e-3f41-4a27-9b1c-2d3e4f5a6b7c</uuid><devices>\n", name);
	for (guint i = 0; i < n; i++) {
		HdAddress addr;

		if (!hd_address_parse_bdf(bdfs[i], &addr, NULL))
			die(bdfs[i], NULL);
		g_string_append_printf(xml,
				       "<hostdev mode='subsystem' type='pci' managed='no'><source>"
				       "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
				       "</source></hostdev>\n",
				       addr.domain, addr.bus, addr.slot, addr.function);
	}
	g_string_append(xml, "</devices></domain>\n");
	return g_string_free(xml, FALSE);
}

/* three guests already running, with VFs 12-15 of blocks 0-2 */
static void
start_other_domains(Host *h, const Bench *b)
{
	for (guint d = 0; d < OTHER_DOMAINS; d++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HdContext) ctx = host_context(h, b, &error);
		g_autofree gchar *name = g_strdup_printf("other%u", d);
		g_autofree gchar *xml = NULL;
		gchar *vfs[VFS_PER_OTHER_DOMAIN];
		HdDomain *domain;

		if (ctx == NULL)
			die("context", error);
		for (guint i = 0; i < VFS_PER_OTHER_DOMAIN; i++)
			vfs[i] = vf_of(d, 12 + i);
		xml = domain_xml(name, (const char *const *)vfs, VFS_PER_OTHER_DOMAIN);
		for (guint i = 0; i < VFS_PER_OTHER_DOMAIN; i++)
			g_free(vfs[i]);
		domain = hd_domain_parse(xml, strlen(xml), &error);
		if (domain == NULL || !hd_hook_prepare_domain(ctx, name, domain, &error))
			die(name, error);
	}
}

static void
host_init(Host *h, const Bench *b, guint n_functions)
{
	g_autoptr(GError) error = NULL;

	h->n_functions = n_functions;
	h->n_blocks = n_functions / FUNCTIONS_PER_BLOCK;
	h->ms = mock_sysfs_new();
	h->next_group = 1;
	h->next_ifindex = 2;
	mock_sysfs_add_driver(h->ms, "pcieport", NULL);
	mock_sysfs_add_driver(h->ms, "igb", igb_ids);
	mock_sysfs_add_driver(h->ms, "nvme", nvme_ids);
	mock_sysfs_add_driver(h->ms, "nouveau", nouveau_ids);
	mock_sysfs_add_driver(h->ms, "snd_hda_intel", hda_ids);
	mock_sysfs_add_driver(h->ms, "i40e", i40e_ids);
	mock_sysfs_add_driver(h->ms, "iavf", iavf_ids);
	mock_sysfs_add_driver(h->ms, "e1000", e1000_ids);
	mock_sysfs_add_driver(h->ms, "vfio-pci", NULL);
	put_dir(mock_sysfs_get_root(h->ms), "class/net");
	put_dir(mock_sysfs_get_root(h->ms), "class/block");
	h->kernel = hd_context_new(mock_sysfs_get_root(h->ms), BENCH_POLICY_FILE, &error);
	if (h->kernel == NULL)
		die("context", error);
	mock_sysfs_install(h->ms, h->kernel);
	h->units = g_new0(GPtrArray *, h->n_blocks);
	for (guint i = 0; i < h->n_blocks; i++)
		h->units[i] = g_ptr_array_new_with_free_func(g_free);
	add_sriov_pfs(h);
	for (guint i = 0; i < h->n_blocks; i++)
		add_block(h, i);
	h->state_dir = g_dir_make_tmp("plan-scale-state-XXXXXX", &error);
	if (h->state_dir == NULL)
		die("state directory", error);
	h->pristine = mock_sysfs_snapshot(h->ms);
	start_other_domains(h, b);
}

/* the other domains released, the tree exactly as built, no journal left */
static void
host_check_and_clear(Host *h, const Bench *b, gboolean check)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *after = NULL;
	g_autoptr(GDir) dir = NULL;
	const char *name;

	for (guint d = 0; d < OTHER_DOMAINS && check; d++) {
		g_autoptr(HdContext) ctx = host_context(h, b, &error);
		g_autofree gchar *other = g_strdup_printf("other%u", d);

		if (ctx == NULL || !hd_hook_release_domain(ctx, other, &error))
			die(other, error);
	}
	if (check) {
		g_autoptr(GPtrArray) journals = hd_journal_load_all(h->state_dir, &error);

		after = mock_sysfs_snapshot(h->ms);
		if (journals == NULL || journals->len > 0 || g_strcmp0(after, h->pristine) != 0) {
			g_autofree gchar *why = g_strdup_printf("%u functions: the host is %s after the run", h->n_functions,
								 g_strcmp0(after, h->pristine) == 0 ? "as built, but journals remain"
												    : "not as built");
			die(why, error);
		}
	}
	/* a host half built when die() came has no state directory yet */
	dir = h->state_dir != NULL ? g_dir_open(h->state_dir, 0, NULL) : NULL;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(h->state_dir, name, NULL);

		unlink(path);
	}
	if (h->state_dir != NULL)
		rmdir(h->state_dir);
	for (guint i = 0; h->units != NULL && i < h->n_blocks; i++)
		g_ptr_array_unref(h->units[i]);
	g_free(h->units);
	hd_context_free(h->kernel);
	mock_sysfs_free(h->ms);
	g_free(h->state_dir);
	g_free(h->pristine);
}

/* ---- the bench's own modules.alias and /proc -------------------------------- */

/*
 * 26,000 lines, as Debian 12's kernel has, in its mix: mostly pci, usb,
 * acpi, of and platform aliases, and a few vfio_pci ones (for devices this
 * host does not have), so the scan works as it would on a host.
 */
static void
put_modules_alias(const char *dir)
{
	static const char *const vfio_lines[] = {
	    "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n",
	    "alias vfio_pci:v000019E5d0000A255sv*sd*bc*sc*i* hisi_acc_vfio_pci\n",
	    "alias vfio_pci:v00001DD8d00001003sv*sd*bc*sc*i* pds_vfio_pci\n",
	    "alias vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i* virtio_vfio_pci\n",
	};
	GString *text = g_string_new("# Aliases extracted from modules themselves.\n");
	g_autofree gchar *path = g_build_filename(dir, "modules.alias", NULL);
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < MODULES_ALIAS_LINES; i++) {
		switch (i % 5) {
		case 0:
			g_string_append_printf(text, "alias pci:v%08Xd%08Xsv*sd*bc*sc*i* mod%u\n", 0x1000 + i % 97,
					       i, i % 1500);
			break;
		case 1:
			g_string_append_printf(text, "alias usb:v%04Xp%04Xd*dc*dsc*dp*ic*isc*ip*in* mod%u\n",
					       0x0400 + i % 89, i & 0xffff, i % 1500);
			break;
		case 2:
			g_string_append_printf(text, "alias acpi*:PNP%04X:* mod%u\n", i & 0xffff, i % 1500);
			break;
		case 3:
			g_string_append_printf(text, "alias of:N*T*Cvendor,device%u mod%u\n", i, i % 1500);
			break;
		default:
			g_string_append_printf(text, "alias platform:device-%u mod%u\n", i, i % 1500);
			break;
		}
		if (i % (MODULES_ALIAS_LINES / G_N_ELEMENTS(vfio_lines)) == 0)
			g_string_append(text, vfio_lines[i / (MODULES_ALIAS_LINES / G_N_ELEMENTS(vfio_lines))]);
	}
	if (!g_file_set_contents(path, text->str, text->len, &error))
		die(path, error);
	g_string_free(text, TRUE);
}

/* a root on a disk of the host's own, not one of the simulated ones */
static void
put_proc(const char *proc_root)
{
	GString *mounts = g_string_new("22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw,errors=remount-ro\n");

	for (guint i = 0; i < 30; i++)
		g_string_append_printf(mounts, "%u 22 0:%u / /run/user/%u rw,nosuid,nodev - tmpfs tmpfs rw,size=%uk\n",
				       30 + i, 40 + i, 1000 + i, 65536);
	put_file(proc_root, "self/mountinfo", mounts->str);
	put_file(proc_root, "swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	g_string_free(mounts, TRUE);
}

/* every interface idle, as a host whose NICs carry no address */
static gboolean
idle_netdev(int ifindex, gpointer user_data, gchar **reason, GError **error)
{
	*reason = NULL;
	return TRUE;
}

/* what hd_hook_open() does, then the simulated kernel and the bench's
 * module index, /proc and netlink stand-in */
static HdContext *
host_context(Host *h, const Bench *b, GError **error)
{
	g_autoptr(HdContext) ctx = hd_context_new(mock_sysfs_get_root(h->ms), BENCH_POLICY_FILE, error);

	if (ctx == NULL || !hd_context_set_state_dir(ctx, h->state_dir, error))
		return NULL;
	mock_sysfs_install(h->ms, ctx);
	ctx->max_workers = HD_CONTEXT_MAX_WORKERS;
	ctx->netdev_use = idle_netdev;
	ctx->modules_dir = g_strdup(b->modules_dir);
	g_free(ctx->proc_root);
	ctx->proc_root = g_strdup(b->proc_root);
	return g_steal_pointer(&ctx);
}

static void
bench_init(Bench *b, guint only_functions)
{
	g_autoptr(GError) error = NULL;

	b->dir = g_dir_make_tmp("plan-scale-XXXXXX", &error);
	if (b->dir == NULL)
		die("temporary directory", error);
	live_bench = b;
	b->modules_dir = g_build_filename(b->dir, "modules", NULL);
	b->proc_root = g_build_filename(b->dir, "proc", NULL);
	put_dir(b->modules_dir, ".");
	put_modules_alias(b->modules_dir);
	put_proc(b->proc_root);
	if (only_functions != 0) {
		host_init(&b->hosts[0], b, only_functions);
		return;
	}
	for (guint i = 0; i < N_HOSTS; i++)
		host_init(&b->hosts[i], b, host_sizes[i]);
}

static void
bench_clear_checked(Bench *b, gboolean check)
{
	g_autofree gchar *rm = g_strdup_printf("rm -rf '%s'", b->dir);

	live_bench = NULL;
	for (guint i = 0; i < N_HOSTS; i++) {
		if (b->hosts[i].ms != NULL)
			host_check_and_clear(&b->hosts[i], b, check);
	}
	/* only our own mkdtemp'd directory: modules/ and proc/ */
	if (g_str_has_prefix(b->dir, g_get_tmp_dir()) && system(rm) != 0)
		fprintf(stderr, "plan-scale: could not remove %s\n", b->dir);
	g_free(b->dir);
	g_free(b->modules_dir);
	g_free(b->proc_root);
}

static void
bench_clear(Bench *b)
{
	bench_clear_checked(b, FALSE);
}

/* ---- the domain and a cycle -------------------------------------------------- */

/* @n devices, whole groups only, taken a unit per block in turn, so that
 * they spread over the whole host */
static gchar *
config_xml(const Host *h, guint n)
{
	g_autoptr(GPtrArray) bdfs = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(GPtrArray) flat = g_ptr_array_new();

	for (guint j = 0; flat->len < n; j++) {
		gboolean any = FALSE;

		for (guint blk = 0; blk < h->n_blocks && flat->len < n; blk++) {
			gchar **unit;

			if (j >= h->units[blk]->len)
				continue;
			any = TRUE;
			unit = g_strsplit(g_ptr_array_index(h->units[blk], j), " ", -1);
			g_ptr_array_add(bdfs, unit);
			if (flat->len + g_strv_length(unit) > n)
				continue;
			for (guint k = 0; unit[k] != NULL; k++)
				g_ptr_array_add(flat, unit[k]);
		}
		if (!any)
			die("the host has too few devices for the domain", NULL);
	}
	return domain_xml(DOMAIN_NAME, (const char *const *)flat->pdata, flat->len);
}

/* every device a bind to vfio-pci, none refused, none added */
static void
check_plan(const Config *c, const HdPlan *plan)
{
	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);

		if (dev->action != HD_ACTION_BIND || g_strcmp0(dev->target_driver, "vfio-pci") != 0) {
			g_autofree gchar *action = hd_plan_device_action_string(dev);
			g_autofree gchar *why = g_strdup_printf("%u functions, %u hostdevs: %s: %s", c->host->n_functions,
								 c->n_hostdevs, dev->info->bdf, action);
			die(why, NULL);
		}
	}
	if (plan->devices->len != c->n_hostdevs) {
		g_autofree gchar *why = g_strdup_printf("%u functions, %u hostdevs: the plan has %u devices",
							 c->host->n_functions, c->n_hostdevs, plan->devices->len);
		die(why, NULL);
	}
}

/* what hd_hook_prepare() does up to the engine; @sample < 0: warm-up */
static void
bench_cycle(const Bench *b, Config *c, gint sample)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(HdStateLock) lock = NULL;
	g_autoptr(HdPlan) plan = NULL;
	HdDomain *domain;
	gint64 start, parsed, opened, locked, planned, cpu_start, cpu_end;

	start = now_ns();
	domain = hd_domain_parse(c->xml, strlen(c->xml), &error);
	parsed = now_ns();
	if (domain == NULL)
		die("domain", error);
	ctx = host_context(c->host, b, &error);
	opened = now_ns();
	if (ctx == NULL)
		die("context", error);
	lock = hd_state_lock_acquire(ctx->state_dir, &error);
	locked = now_ns();
	if (lock == NULL)
		die("state lock", error);
	cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	plan = hd_plan_new_for_domain(ctx, DOMAIN_NAME, domain, &error);
	cpu_end = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	planned = now_ns();
	if (plan == NULL)
		die("plan", error);
	check_plan(c, plan);
	if (sample < 0)
		return;
	c->parse_ms[sample] = (parsed - start) / 1e6;
	c->context_ms[sample] = (opened - parsed) / 1e6;
	c->lock_ms[sample] = (locked - opened) / 1e6;
	c->plan_ms[sample] = (planned - locked) / 1e6;
	c->plan_cpu_ms[sample] = (cpu_end - cpu_start) / 1e6;
	c->total_ms[sample] = (planned - parsed) / 1e6;
}

/* ---- the run ------------------------------------------------------------------- */

static Host *
host_of(Bench *b, guint n_functions)
{
	for (guint i = 0; i < N_HOSTS; i++) {
		if (b->hosts[i].n_functions == n_functions)
			return &b->hosts[i];
	}
	return NULL;
}

static Config *
config_find(GPtrArray *configs, guint n_functions, guint n_hostdevs)
{
	for (guint k = 0; k < configs->len; k++) {
		Config *c = g_ptr_array_index(configs, k);

		if (c->host->n_functions == n_functions && c->n_hostdevs == n_hostdevs)
			return c;
	}
	return NULL;
}

static void
config_add(GPtrArray *configs, Bench *b, guint n_functions, guint n_hostdevs, int iterations)
{
	Config *c;

	if (config_find(configs, n_functions, n_hostdevs) != NULL || host_of(b, n_functions) == NULL)
		return;
	c = g_new0(Config, 1);
	c->host = host_of(b, n_functions);
	c->n_hostdevs = n_hostdevs;
	c->xml = config_xml(c->host, n_hostdevs);
	c->parse_ms = g_new0(double, iterations);
	c->context_ms = g_new0(double, iterations);
	c->lock_ms = g_new0(double, iterations);
	c->plan_ms = g_new0(double, iterations);
	c->plan_cpu_ms = g_new0(double, iterations);
	c->total_ms = g_new0(double, iterations);
	g_ptr_array_add(configs, c);
}

static void
config_free(Config *c)
{
	g_free(c->xml);
	g_free(c->parse_ms);
	g_free(c->context_ms);
	g_free(c->lock_ms);
	g_free(c->plan_ms);
	g_free(c->plan_cpu_ms);
	g_free(c->total_ms);
	g_free(c);
}

/* the series N = 256..2048 at H = 64, or H = 8..64 at N = 2048, in order */
static void
print_growth(GPtrArray *configs, const char *what, gboolean by_functions)
{
	guint n = by_functions ? N_HOSTS : N_COUNTS;
	Config *prev = NULL;

	printf("\n  growth per doubling of %s:\n", what);
	for (guint i = 0; i < n; i++) {
		Config *c = by_functions ? config_find(configs, host_sizes[i], MAX_HOSTDEVS)
					 : config_find(configs, MAX_FUNCTIONS, hostdev_counts[i]);

		if (c == NULL)
			continue;
		if (prev != NULL)
			printf("    %4u -> %4u: plan %.2fx, context + lock + plan %.2fx\n",
			       by_functions ? prev->host->n_functions : prev->n_hostdevs,
			       by_functions ? c->host->n_functions : c->n_hostdevs, c->median_plan / prev->median_plan,
			       c->median_total / prev->median_total);
		prev = c;
	}
}

static void
print_results(GPtrArray *configs, int iterations)
{
	double load[3] = {-1, -1, -1};

	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	printf("plan-scale: hd_plan_new_for_domain() on simulated hosts of N PCI functions, H hostdevs\n"
	       "  (igb NICs, NVMe, GPU + audio, i40e PFs with 16 iavf VFs each, legacy bridges; 3 other\n"
	       "  domains running), preceded by what the hook does first: context with the policy, state lock\n");
	printf("  %d cycles per configuration, alternating; medians in ms; nproc %ld, load %.2f %.2f %.2f\n",
	       iterations, sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
	printf("  (plan CPU: the planning thread's own CPU time, which waiting for a busy CPU does not add to)\n\n");
	printf("  %6s %6s %8s %8s %8s %8s %9s %22s\n", "N", "H", "parse", "context", "lock", "plan", "plan CPU",
	       "context + lock + plan");
	for (guint k = 0; k < configs->len; k++) {
		Config *c = g_ptr_array_index(configs, k);

		c->median_plan = bench_median(c->plan_ms, iterations);
		c->median_total = bench_median(c->total_ms, iterations);
		printf("  %6u %6u %8.2f %8.2f %8.3f %8.2f %9.2f %22.2f\n", c->host->n_functions, c->n_hostdevs,
		       bench_median(c->parse_ms, iterations), bench_median(c->context_ms, iterations),
		       bench_median(c->lock_ms, iterations), c->median_plan, bench_median(c->plan_cpu_ms, iterations),
		       c->median_total);
	}
	if (configs->len > 1) {
		print_growth(configs, "N, at H = 64 (linear: 2.00x at most)", TRUE);
		print_growth(configs, "H, at N = 2048 (linear: 2.00x at most)", FALSE);
	}
}

int
main(int argc, char **argv)
{
	g_autoptr(GPtrArray) configs = g_ptr_array_new_with_free_func((GDestroyNotify)config_free);
	int iterations = DEFAULT_ITERATIONS;
	guint only_functions = 0, only_hostdevs = 0;
	int arg = 1;
	Bench b = {0};

	if (argc > 3 && strcmp(argv[1], "--only") == 0) {
		only_functions = (guint)atoi(argv[2]);
		only_hostdevs = (guint)atoi(argv[3]);
		arg = 4;
	}
	if (argc > arg)
		iterations = atoi(argv[arg]);
	if (argc > arg + 1 || iterations < 1 ||
	    (only_functions != 0 && (only_functions % FUNCTIONS_PER_BLOCK != 0 || only_hostdevs == 0))) {
		fprintf(stderr, "usage: %s [--only N H] [ITERATIONS]\n", argv[0]);
		return 2;
	}
	/* the engine refuses a sysfs root that is the real /sys under this */
	g_setenv(HD_TESTING_ENV, "1", TRUE);
	if (g_file_test("/dev/shm", G_FILE_TEST_IS_DIR))
		g_setenv("TMPDIR", "/dev/shm", TRUE);

	bench_init(&b, only_functions);
	if (only_functions != 0)
		config_add(configs, &b, only_functions, only_hostdevs, iterations);
	for (guint i = 0; i < N_HOSTS && only_functions == 0; i++)
		config_add(configs, &b, host_sizes[i], MAX_HOSTDEVS, iterations);
	for (guint i = 0; i < N_COUNTS && only_functions == 0; i++)
		config_add(configs, &b, MAX_FUNCTIONS, hostdev_counts[i], iterations);

	for (guint i = 0; i < WARMUP_ROUNDS; i++) {
		for (guint k = 0; k < configs->len; k++)
			bench_cycle(&b, g_ptr_array_index(configs, k), -1);
	}
	for (int i = 0; i < iterations; i++) {
		for (guint k = 0; k < configs->len; k++)
			bench_cycle(&b, g_ptr_array_index(configs, (i + k) % configs->len), i);
	}
	print_results(configs, iterations);
	bench_clear_checked(&b, TRUE);
	printf("  the hosts checked afterwards: exactly as built, no journal left\n");
	return 0;
}
