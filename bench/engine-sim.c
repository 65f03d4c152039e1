/*
 * engine-sim: what the engine itself costs per device, on the simulated sysfs
 *
 * Runs the hook's prepare begin and release end in-process, step for step
 * as hd_hook_prepare() and hd_hook_release() do (parse the domain; with a
 * request: a fresh context with the policy, the state lock, the plan,
 * hd_engine_prepare(); release: context, lock, hd_engine_release()), for
 * the domain DOMAIN.xml with 0, 1 or 8 <hostdev managed='no'> added.  The
 * host is the unit tests' simulated PCI sysfs (tests/mock-sysfs.h): 8
 * e1000e NICs, each alone in its IOMMU group, vfio-pci loaded.  The three
 * configurations alternate, every cycle is checked to leave the host
 * exactly as it found it, and medians are printed with the per-device cost
 * and the ratios 8 vs 1 and 1 vs 0 hostdevs, all from this one run.
 *
 * What this measures is the engine's own overhead: XML parsing, the policy,
 * planning (libpci reading config space, IOMMU groups, every journal in the
 * state directory), journalling each step with fsync, and every sysfs read
 * and write through HdSysfs, the one choke point.  The simulated write
 * handler is not the kernel: it binds synchronously in a few system calls,
 * where real drivers' probe() and remove() take milliseconds
 * (bench/vm/kvm-bind.sh measures those, in a QEMU guest).  The time spent
 * inside it is measured and shown apart, as "mock".  Not measured here:
 * process start-up and dynamic linking (bench/hook-startup.c), and logging
 * (the records go to GLib's default writer, which drops INFO, where the
 * hook sends them to the journal or syslog).
 *
 * The state directory and the simulated tree live in temporary directories
 * under DIR (default /dev/shm: a tmpfs, like /run where the journals live
 * on a host, and like sysfs, which is in memory); the file system type is
 * printed, because it decides what an fsync costs.
 *
 * Peak RSS: each configuration also runs 20 cycles in a child process of
 * its own, whose ru_maxrss wait4() reports, beside a child that only builds
 * the simulated tree.
 *
 * usage: engine-sim [--state-in DIR] DOMAIN.xml [ITERATIONS]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hd-engine.h"
#include "hd-journal.h"
#include "hd-plan.h"
#include "mock-sysfs.h"

#include "bench-stats.h"

extern char **environ;

#define MAX_DEVICES 8
#define WARMUP_CYCLES 20
#define RSS_CYCLES 20
/* the writes one device costs: override, unbind, probe; and back */
#define WRITES_PER_DEVICE 6

static const guint device_counts[] = {0, 1, MAX_DEVICES};
#define N_CONFIGS G_N_ELEMENTS(device_counts)

typedef struct {
	guint n_devices;
	gchar *xml;
	gsize len;
	double *prepare_us;
	double *release_us;
	double *cycle_us;
	double *mock_us;
	double *engine_us; /* cycle minus mock, sample by sample */
	long maxrss_kib;
} Config;

typedef struct {
	MockSysfs *ms;
	/* the mock installed: our timed write handler passes writes on to it */
	HdContext *kernel;
	gchar *state_dir;
	gchar *pristine; /* the tree's snapshot before any cycle */
	gint64 mock_ns;
	guint writes;
} Bench;

static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};

/* what die() removes: the simulated tree and the state directory */
static Bench *live_bench;
static void bench_clear(Bench *b);

static gint64
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

static G_NORETURN void
die(const char *what, const GError *error)
{
	if (error != NULL)
		fprintf(stderr, "engine-sim: %s: %s\n", what, error->message);
	else
		fprintf(stderr, "engine-sim: %s\n", what);
	if (live_bench != NULL)
		bench_clear(g_steal_pointer(&live_bench));
	exit(1);
}

static gchar *
nic_bdf(guint i)
{
	return g_strdup_printf("0000:%02x:00.0", i + 1);
}

/* the sysfs write of the engine, timed, through to the simulated kernel */
static gboolean
bench_timed_write(const char *relpath, const char *value, gpointer user_data, GError **error)
{
	Bench *b = user_data;
	gint64 start = now_ns();
	gboolean ok = hd_sysfs_write(b->kernel->sysfs, relpath, value, error);

	b->mock_ns += now_ns() - start;
	b->writes++;
	return ok;
}

/* what hd_hook_open() does, with the mock as the kernel */
static HdContext *
bench_open(Bench *b, HdStateLock **lock)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = hd_context_new(mock_sysfs_get_root(b->ms), BENCH_POLICY_FILE, &error);

	if (ctx == NULL || !hd_context_set_state_dir(ctx, b->state_dir, &error))
		die("context", error);
	mock_sysfs_install(b->ms, ctx);
	hd_sysfs_set_write_func(ctx->sysfs, bench_timed_write, b);
	*lock = hd_state_lock_acquire(ctx->state_dir, &error);
	if (*lock == NULL)
		die("state lock", error);
	return g_steal_pointer(&ctx);
}

/* hd_hook_prepare() without its log records */
static void
bench_prepare(Bench *b, const Config *c)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = hd_domain_parse(c->xml, c->len, &error);
	g_autoptr(HdStateLock) lock = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(HdPlan) plan = NULL;
	const HdPlanDevice *refused;

	if (domain == NULL)
		die("domain", error);
	if (domain->requests->len == 0)
		return;
	ctx = bench_open(b, &lock);
	plan = hd_plan_new_for_domain(ctx, "web01", g_steal_pointer(&domain), &error);
	if (plan == NULL)
		die("plan", error);
	refused = hd_plan_first_error(plan);
	if (refused != NULL) {
		g_autofree gchar *why = g_strdup_printf("the plan refuses %s: %s", refused->info->bdf,
							 refused->reason);
		die(why, NULL);
	}
	if (!hd_engine_prepare(ctx, plan, &error))
		die("prepare", error);
}

/* hd_hook_release() */
static void
bench_release(Bench *b)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdStateLock) lock = NULL;
	g_autoptr(HdContext) ctx = bench_open(b, &lock);
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"web01"};

	if (!hd_engine_release(ctx, &owner, &error))
		die("release", error);
}

/*
 * A host with 8 NICs on e1000e, each alone in its IOMMU group, and
 * vfio-pci loaded (the first prepare on a host loads it; every later one
 * finds it), plus an empty state directory.
 */
static void
bench_init(Bench *b)
{
	g_autoptr(GError) error = NULL;

	b->ms = mock_sysfs_new();
	mock_sysfs_add_driver(b->ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(b->ms, "vfio-pci", NULL);
	for (guint i = 0; i < MAX_DEVICES; i++) {
		g_autofree gchar *bdf = nic_bdf(i);
		g_autofree gchar *group = g_strdup_printf("%u", i + 1);

		mock_sysfs_add_device(b->ms, bdf, 0x8086, 0x10d3, 0x020000, group, "e1000e");
	}
	b->kernel = hd_context_new(mock_sysfs_get_root(b->ms), BENCH_POLICY_FILE, &error);
	if (b->kernel == NULL)
		die("context", error);
	mock_sysfs_install(b->ms, b->kernel);
	b->state_dir = g_dir_make_tmp("engine-sim-state-XXXXXX", &error);
	if (b->state_dir == NULL)
		die("state directory", error);
	b->pristine = mock_sysfs_snapshot(b->ms);
	live_bench = b;
}

/* MOCK_SYSFS_KEEP set keeps the simulated tree, as in the tests */
static void
bench_clear(Bench *b)
{
	g_autofree gchar *lock = g_build_filename(b->state_dir, "lock", NULL);
	g_autofree gchar *journal = g_build_filename(b->state_dir, "web01.journal", NULL);

	live_bench = NULL;
	hd_context_free(b->kernel);
	mock_sysfs_free(b->ms);
	unlink(journal);
	unlink(lock);
	rmdir(b->state_dir);
	g_free(b->state_dir);
	g_free(b->pristine);
}

/* one prepare + release; the host must end as it began */
static void
bench_cycle(Bench *b, Config *c, guint sample)
{
	g_autofree gchar *journal = g_build_filename(b->state_dir, "web01.journal", NULL);
	g_autofree gchar *after = NULL;
	gint64 start, prepared, released;

	b->mock_ns = 0;
	b->writes = 0;
	start = now_ns();
	bench_prepare(b, c);
	prepared = now_ns();
	bench_release(b);
	released = now_ns();

	after = mock_sysfs_snapshot(b->ms);
	if (b->writes != WRITES_PER_DEVICE * c->n_devices || g_strcmp0(after, b->pristine) != 0 ||
	    g_file_test(journal, G_FILE_TEST_EXISTS)) {
		g_autofree gchar *why = g_strdup_printf(
		    "%u hostdevs: %u sysfs writes (expected %u), host %s, journal %s", c->n_devices, b->writes,
		    WRITES_PER_DEVICE * c->n_devices, g_strcmp0(after, b->pristine) == 0 ? "restored" : "changed",
		    g_file_test(journal, G_FILE_TEST_EXISTS) ? "left behind" : "removed");
		die(why, NULL);
	}
	/* the mock keeps every write for the tests; a benchmark needs none */
	g_ptr_array_set_size(mock_sysfs_get_writes(b->ms), 0);
	if (c->cycle_us == NULL)
		return;
	c->prepare_us[sample] = (prepared - start) / 1e3;
	c->release_us[sample] = (released - prepared) / 1e3;
	c->cycle_us[sample] = (released - start) / 1e3;
	c->mock_us[sample] = b->mock_ns / 1e3;
	c->engine_us[sample] = (released - start - b->mock_ns) / 1e3;
}

/* DOMAIN.xml with @n hostdevs, managed='no', added to its <devices> */
static gchar *
domain_with_hostdevs(const char *xml, guint n)
{
	const char *end = strstr(xml, "</devices>");
	GString *out;

	if (end == NULL)
		die("the domain has no </devices>", NULL);
	out = g_string_new_len(xml, end - xml);
	for (guint i = 0; i < n; i++)
		g_string_append_printf(out,
				       "    <hostdev mode='subsystem' type='pci' managed='no'>\n"
				       "      <source><address domain='0x0000' bus='0x%02x' slot='0x00' "
				       "function='0x0'/></source>\n"
				       "    </hostdev>\n",
				       i + 1);
	g_string_append(out, end);
	return g_string_free(out, FALSE);
}

static const char *
fs_type(const char *path)
{
	static char other[32];
	struct statfs st;

	if (statfs(path, &st) < 0)
		return "unknown";
	switch ((unsigned long)st.f_type) {
	case 0x01021994:
		return "tmpfs";
	case 0xef53:
		return "ext4";
	case 0x794c7630:
		return "overlayfs";
	case 0x9123683e:
		return "btrfs";
	case 0x58465342:
		return "xfs";
	default:
		snprintf(other, sizeof(other), "0x%lx", (unsigned long)st.f_type);
		return other;
	}
}

/* child: RSS_CYCLES cycles of one configuration (-1: only build the tree) */
static int
rss_child(int n_devices, const char *domain_path)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = NULL;
	Bench b = {0};
	Config c = {0};

	if (!g_file_get_contents(domain_path, &xml, NULL, &error))
		die(domain_path, error);
	bench_init(&b);
	if (n_devices >= 0) {
		c.n_devices = (guint)n_devices;
		c.xml = domain_with_hostdevs(xml, c.n_devices);
		c.len = strlen(c.xml);
		for (guint i = 0; i < RSS_CYCLES; i++)
			bench_cycle(&b, &c, i);
		g_free(c.xml);
	}
	bench_clear(&b);
	return 0;
}

/* the peak RSS of a child running one configuration, as wait4() reports it */
static long
rss_of(const char *self, const char *domain_path, int n_devices)
{
	g_autofree gchar *count = g_strdup_printf("%d", n_devices);
	char *argv[] = {(char *)"engine-sim", (char *)"--rss-child", count, (char *)domain_path, NULL};
	struct rusage usage;
	int status;
	pid_t pid;

	if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0) {
		perror(self);
		exit(1);
	}
	if (wait4(pid, &status, 0, &usage) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "engine-sim: the RSS child for %d hostdevs failed\n", n_devices);
		exit(1);
	}
	return usage.ru_maxrss;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *domain = NULL;
	const char *state_in = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : NULL;
	const char *domain_path;
	Config configs[N_CONFIGS] = {0};
	long tree_rss;
	int iterations;
	int arg = 1;
	Bench b = {0};

	if (argc > 2 && strcmp(argv[1], "--state-in") == 0) {
		state_in = argv[2];
		arg = 3;
	}
	/* the engine refuses a sysfs root that is the real /sys under this,
	 * and so refuses to let a mistake here touch this machine's devices */
	g_setenv(HD_TESTING_ENV, "1", TRUE);
	/* the simulated tree and the state directory: g_dir_make_tmp() */
	if (state_in != NULL)
		g_setenv("TMPDIR", state_in, TRUE);
	if (argc == 4 && strcmp(argv[1], "--rss-child") == 0)
		return rss_child(atoi(argv[2]), argv[3]);

	iterations = argc > arg + 1 ? atoi(argv[arg + 1]) : 300;
	if (argc <= arg || argc > arg + 2 || iterations < 1) {
		fprintf(stderr, "usage: %s [--state-in DIR] DOMAIN.xml [ITERATIONS]\n", argv[0]);
		return 2;
	}
	domain_path = argv[arg];
	if (!g_file_get_contents(domain_path, &domain, NULL, &error))
		die(domain_path, error);

	g_free(domain_with_hostdevs(domain, 0)); /* dies if it cannot */

	/* the children first, while this process is small: exec passes its
	 * peak RSS on to theirs */
	tree_rss = rss_of("/proc/self/exe", domain_path, -1);
	for (guint k = 0; k < N_CONFIGS; k++)
		configs[k].maxrss_kib = rss_of("/proc/self/exe", domain_path, (int)device_counts[k]);

	bench_init(&b);
	for (guint k = 0; k < N_CONFIGS; k++) {
		Config *c = &configs[k];

		c->n_devices = device_counts[k];
		c->xml = domain_with_hostdevs(domain, c->n_devices);
		c->len = strlen(c->xml);
	}
	for (guint i = 0; i < WARMUP_CYCLES; i++) {
		for (guint k = 0; k < N_CONFIGS; k++)
			bench_cycle(&b, &configs[k], 0);
	}
	for (guint k = 0; k < N_CONFIGS; k++) {
		Config *c = &configs[k];

		c->prepare_us = g_new0(double, iterations);
		c->release_us = g_new0(double, iterations);
		c->cycle_us = g_new0(double, iterations);
		c->mock_us = g_new0(double, iterations);
		c->engine_us = g_new0(double, iterations);
	}
	/* alternating, and each round starting with the next configuration, so
	 * that neither the machine's drift nor the order favours one */
	for (int i = 0; i < iterations; i++) {
		for (guint k = 0; k < N_CONFIGS; k++)
			bench_cycle(&b, &configs[(i + k) % N_CONFIGS], i);
	}

	printf("engine-sim: hostdev-hook's prepare begin + release end, in-process, on the simulated sysfs\n");
	printf("  domain %s with 0, 1 or %u <hostdev managed='no'>: e1000e NICs, each alone in its IOMMU group\n",
	       domain_path, MAX_DEVICES);
	printf("  state directory and simulated tree in %s (%s); policy %s\n", g_get_tmp_dir(),
	       fs_type(b.state_dir), BENCH_POLICY_FILE);
	printf("  %d cycles per configuration, alternating; medians, in microseconds\n\n", iterations);
	printf("  %8s %10s %10s %10s %10s %10s %12s\n", "hostdevs", "prepare", "release", "cycle", "in mock",
	       "engine", "peak RSS");

	double cycle[N_CONFIGS], engine[N_CONFIGS], mock[N_CONFIGS];

	for (guint k = 0; k < N_CONFIGS; k++) {
		Config *c = &configs[k];
		double prepare = bench_median(c->prepare_us, iterations);
		double release = bench_median(c->release_us, iterations);

		cycle[k] = bench_median(c->cycle_us, iterations);
		mock[k] = bench_median(c->mock_us, iterations);
		engine[k] = bench_median(c->engine_us, iterations);
		printf("  %8u %10.1f %10.1f %10.1f %10.1f %10.1f %8ld KiB\n", c->n_devices, prepare, release,
		       cycle[k], mock[k], engine[k], c->maxrss_kib);
	}
	printf("\n  per device (8 vs 1 hostdevs, / %u): cycle %.1f us, of which engine %.1f us and mock %.1f us\n",
	       MAX_DEVICES - 1, (cycle[2] - cycle[1]) / (MAX_DEVICES - 1),
	       (engine[2] - engine[1]) / (MAX_DEVICES - 1), (mock[2] - mock[1]) / (MAX_DEVICES - 1));
	printf("  ratio 8 vs 1 hostdevs: cycle %.2fx, engine %.2fx\n", cycle[2] / cycle[1], engine[2] / engine[1]);
	printf("  ratio 1 vs 0 hostdevs: cycle %.2fx, engine %.2fx\n", cycle[1] / cycle[0], engine[1] / engine[0]);
	printf("  peak RSS: the simulated tree alone %ld KiB; 0, 1, %u hostdevs: %+ld, %+ld, %+ld KiB over it\n",
	       tree_rss, MAX_DEVICES, configs[0].maxrss_kib - tree_rss, configs[1].maxrss_kib - tree_rss,
	       configs[2].maxrss_kib - tree_rss);
	printf("  \"mock\" is the simulated kernel's write handler, which binds synchronously; a real\n"
	       "  driver's probe() and remove() are not in these figures (bench/vm/kvm-bind.sh has them)\n");

	for (guint k = 0; k < N_CONFIGS; k++) {
		Config *c = &configs[k];

		g_free(c->xml);
		g_free(c->prepare_us);
		g_free(c->release_us);
		g_free(c->cycle_us);
		g_free(c->mock_us);
		g_free(c->engine_us);
	}
	bench_clear(&b);
	return 0;
}
