/*
 * units-sim: K IOMMU groups at once against one, on the simulated kernel
 *
 * The engine runs each IOMMU group as a unit on a thread pool of up to
 * ctx->max_workers threads, because most of a bind or a restore is the
 * kernel sleeping in a driver's probe() or remove().  This measures what
 * that buys: prepare begin and release end of a domain with K = 1, 2, 4 and
 * 8 NICs, each alone in its IOMMU group, on the unit tests' simulated sysfs
 * (tests/mock-sysfs.h) with every write of "unbind" and of "drivers_probe"
 * sleeping LATENCY ms outside the mock's lock, as a driver's remove() and
 * probe() sleep in the kernel.  Each K runs twice: with the engine's own
 * pool (HD_CONTEXT_MAX_WORKERS threads) and with max_workers = 1, the
 * sequential engine, as the baseline of the same run.
 *
 * Timed, per cycle, as the hook does it: prepare is a fresh context (the
 * shipped policy) and hd_hook_prepare_domain() (state lock, plan, claims,
 * units, journal); release is a fresh context and hd_hook_release_domain().
 * Parsing the domain's XML is not timed.  The eight configurations
 * alternate, each round starting with the next one, and every cycle is
 * checked: 6 writes per device, the tree exactly as before (the mock's
 * snapshot), no journal left.  Medians are printed with the ratios K groups
 * / 1 group and concurrent / sequential, all from this one run.
 *
 * usage: units-sim [--latency-ms MS] [ITERATIONS]
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
#include "mock-sysfs.h"

#include "bench-stats.h"

#define MAX_GROUPS 8
#define WARMUP_ROUNDS 2
#define DEFAULT_ITERATIONS 20
#define DEFAULT_LATENCY_MS 20
/* the writes one device costs: override, unbind, probe; and back */
#define WRITES_PER_DEVICE 6
#define DOMAIN_NAME "units01"

static const guint group_counts[] = {1, 2, 4, MAX_GROUPS};
#define N_COUNTS G_N_ELEMENTS(group_counts)
/* the engine's pool, and the sequential engine as the baseline */
static const guint worker_limits[] = {HD_CONTEXT_MAX_WORKERS, 1};
#define N_MODES G_N_ELEMENTS(worker_limits)
#define N_CONFIGS (N_COUNTS * N_MODES)

typedef struct {
	guint n_groups;
	guint workers;
	gchar *xml;
	double *prepare_ms;
	double *release_ms;
	double *cycle_ms;
	double median_prepare;
	double median_release;
	double median_cycle;
} Config;

typedef struct {
	MockSysfs *ms;
	gchar *state_dir;
	gchar *pristine; /* the tree's snapshot before any cycle */
} Bench;

static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};

/* what die() removes */
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
		fprintf(stderr, "units-sim: %s: %s\n", what, error->message);
	else
		fprintf(stderr, "units-sim: %s\n", what);
	if (live_bench != NULL)
		bench_clear(g_steal_pointer(&live_bench));
	exit(1);
}

/* what hd_hook_open() does, with the mock as the kernel and @workers threads */
static HdContext *
bench_open(Bench *b, guint workers)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = hd_context_new(mock_sysfs_get_root(b->ms), BENCH_POLICY_FILE, &error);

	if (ctx == NULL || !hd_context_set_state_dir(ctx, b->state_dir, &error))
		die("context", error);
	mock_sysfs_install(b->ms, ctx);
	/* mock_sysfs_install() makes it 1, for the unit tests' write order */
	ctx->max_workers = workers;
	return g_steal_pointer(&ctx);
}

/* a host with 8 e1000e NICs, each alone in its IOMMU group, vfio-pci loaded */
static void
bench_init(Bench *b, guint latency_us)
{
	g_autoptr(GError) error = NULL;

	b->ms = mock_sysfs_new();
	mock_sysfs_add_driver(b->ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(b->ms, "vfio-pci", NULL);
	for (guint i = 0; i < MAX_GROUPS; i++) {
		g_autofree gchar *bdf = g_strdup_printf("0000:%02x:00.0", i + 1);
		g_autofree gchar *group = g_strdup_printf("%u", i + 1);

		mock_sysfs_add_device(b->ms, bdf, 0x8086, 0x10d3, 0x020000, group, "e1000e");
	}
	mock_sysfs_set_write_latency(b->ms, "unbind", latency_us);
	mock_sysfs_set_write_latency(b->ms, "drivers_probe", latency_us);
	b->state_dir = g_dir_make_tmp("units-sim-state-XXXXXX", &error);
	if (b->state_dir == NULL)
		die("state directory", error);
	b->pristine = mock_sysfs_snapshot(b->ms);
	live_bench = b;
}

/* the state directory holds the lock files of the state and of each unit */
static void
bench_clear(Bench *b)
{
	g_autoptr(GDir) dir = g_dir_open(b->state_dir, 0, NULL);
	const char *name;

	live_bench = NULL;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(b->state_dir, name, NULL);

		unlink(path);
	}
	rmdir(b->state_dir);
	mock_sysfs_free(b->ms);
	g_free(b->state_dir);
	g_free(b->pristine);
}

static gchar *
domain_xml(guint n_groups)
{
	GString *xml = g_string_new("<domain type='kvm'><name>" DOMAIN_NAME "</name>"
				    "<uuid>6f1d2c3b-4a5e-4f60-8172-93a4b5c6d7e8</uuid><devices>\n");

	for (guint i = 0; i < n_groups; i++)
		g_string_append_printf(xml,
				       "<hostdev mode='subsystem' type='pci' managed='no'><source>"
				       "<address domain='0x0000' bus='0x%02x' slot='0x00' function='0x0'/>"
				       "</source></hostdev>\n",
				       i + 1);
	g_string_append(xml, "</devices></domain>\n");
	return g_string_free(xml, FALSE);
}

/* the host as it began, nothing journalled, 6 writes per device */
static void
bench_check(Bench *b, const Config *c)
{
	g_autofree gchar *after = mock_sysfs_snapshot(b->ms);
	g_autofree gchar *journal = g_build_filename(b->state_dir, DOMAIN_NAME ".journal", NULL);
	GPtrArray *writes = mock_sysfs_get_writes(b->ms);
	g_autofree gchar *why = NULL;

	if (writes->len == WRITES_PER_DEVICE * c->n_groups && g_strcmp0(after, b->pristine) == 0 &&
	    !g_file_test(journal, G_FILE_TEST_EXISTS)) {
		/* the mock keeps every write for the tests; a benchmark needs none */
		g_ptr_array_set_size(writes, 0);
		return;
	}
	why = g_strdup_printf("%u groups, %u workers: %u sysfs writes (expected %u), host %s, journal %s",
			      c->n_groups, c->workers, writes->len, WRITES_PER_DEVICE * c->n_groups,
			      g_strcmp0(after, b->pristine) == 0 ? "restored" : "changed",
			      g_file_test(journal, G_FILE_TEST_EXISTS) ? "left behind" : "removed");
	die(why, NULL);
}

/* one prepare + release through the hook's functions; @sample < 0: warm-up */
static void
bench_cycle(Bench *b, Config *c, gint sample)
{
	g_autoptr(GError) error = NULL;
	HdDomain *domain = hd_domain_parse(c->xml, strlen(c->xml), &error);
	gint64 start, prepared, released;

	if (domain == NULL)
		die("domain", error);
	start = now_ns();
	{
		g_autoptr(HdContext) ctx = bench_open(b, c->workers);

		if (!hd_hook_prepare_domain(ctx, DOMAIN_NAME, domain, &error))
			die("prepare", error);
	}
	prepared = now_ns();
	{
		g_autoptr(HdContext) ctx = bench_open(b, c->workers);

		if (!hd_hook_release_domain(ctx, DOMAIN_NAME, &error))
			die("release", error);
	}
	released = now_ns();
	bench_check(b, c);
	if (sample < 0)
		return;
	c->prepare_ms[sample] = (prepared - start) / 1e6;
	c->release_ms[sample] = (released - prepared) / 1e6;
	c->cycle_ms[sample] = (released - start) / 1e6;
}

static Config *
config_find(Config *configs, guint n_groups, guint workers)
{
	for (guint k = 0; k < N_CONFIGS; k++) {
		if (configs[k].n_groups == n_groups && configs[k].workers == workers)
			return &configs[k];
	}
	g_assert_not_reached();
}

static void
print_results(Config *configs, guint latency_ms, int iterations)
{
	double load[3] = {0};

	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	printf("units-sim: prepare begin + release end through hd_hook_prepare_domain()/hd_hook_release_domain(),\n"
	       "  on the simulated sysfs: K e1000e NICs, each alone in its IOMMU group; every write of unbind and\n"
	       "  drivers_probe sleeps %u ms outside the mock's lock (a driver's remove() and probe())\n",
	       latency_ms);
	printf("  %d cycles per configuration, alternating; medians in ms; nproc %ld, load %.2f %.2f %.2f\n\n",
	       iterations, sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
	printf("  %6s %8s %10s %10s %10s\n", "groups", "workers", "prepare", "release", "cycle");
	for (guint k = 0; k < N_CONFIGS; k++) {
		Config *c = &configs[k];

		c->median_prepare = bench_median(c->prepare_ms, iterations);
		c->median_release = bench_median(c->release_ms, iterations);
		c->median_cycle = bench_median(c->cycle_ms, iterations);
		printf("  %6u %8u %10.1f %10.1f %10.1f\n", c->n_groups, c->workers, c->median_prepare,
		       c->median_release, c->median_cycle);
	}
	for (guint m = 0; m < N_MODES; m++) {
		const Config *one = config_find(configs, 1, worker_limits[m]);

		printf("\n  K groups / 1 group, %s (max_workers %u):\n",
		       worker_limits[m] > 1 ? "concurrent" : "sequential", worker_limits[m]);
		for (guint i = 1; i < N_COUNTS; i++) {
			const Config *c = config_find(configs, group_counts[i], worker_limits[m]);

			printf("    K=%u: prepare %.2fx, release %.2fx, cycle %.2fx\n", c->n_groups,
			       c->median_prepare / one->median_prepare, c->median_release / one->median_release,
			       c->median_cycle / one->median_cycle);
		}
	}
	printf("\n  concurrent / sequential (max_workers %u / 1):\n", HD_CONTEXT_MAX_WORKERS);
	for (guint i = 0; i < N_COUNTS; i++) {
		const Config *con = config_find(configs, group_counts[i], HD_CONTEXT_MAX_WORKERS);
		const Config *seq = config_find(configs, group_counts[i], 1);

		printf("    K=%u: prepare %.2fx, release %.2fx, cycle %.2fx\n", group_counts[i],
		       con->median_prepare / seq->median_prepare, con->median_release / seq->median_release,
		       con->median_cycle / seq->median_cycle);
	}
}

int
main(int argc, char **argv)
{
	Config configs[N_CONFIGS] = {0};
	int iterations = DEFAULT_ITERATIONS;
	guint latency_ms = DEFAULT_LATENCY_MS;
	int arg = 1;
	Bench b = {0};

	if (argc > 2 && strcmp(argv[1], "--latency-ms") == 0) {
		latency_ms = (guint)atoi(argv[2]);
		arg = 3;
	}
	if (argc > arg)
		iterations = atoi(argv[arg]);
	if (argc > arg + 1 || iterations < 1) {
		fprintf(stderr, "usage: %s [--latency-ms MS] [ITERATIONS]\n", argv[0]);
		return 2;
	}
	/* the engine refuses a sysfs root that is the real /sys under this */
	g_setenv(HD_TESTING_ENV, "1", TRUE);
	/* the simulated tree and the state directory in memory, as on a host */
	if (g_file_test("/dev/shm", G_FILE_TEST_IS_DIR))
		g_setenv("TMPDIR", "/dev/shm", TRUE);

	bench_init(&b, latency_ms * 1000);
	for (guint k = 0; k < N_CONFIGS; k++) {
		Config *c = &configs[k];

		c->n_groups = group_counts[k % N_COUNTS];
		c->workers = worker_limits[k / N_COUNTS];
		c->xml = domain_xml(c->n_groups);
		c->prepare_ms = g_new0(double, iterations);
		c->release_ms = g_new0(double, iterations);
		c->cycle_ms = g_new0(double, iterations);
	}
	for (guint i = 0; i < WARMUP_ROUNDS; i++) {
		for (guint k = 0; k < N_CONFIGS; k++)
			bench_cycle(&b, &configs[k], -1);
	}
	/* alternating, each round starting with the next configuration, so
	 * that neither the machine's drift nor the order favours one */
	for (int i = 0; i < iterations; i++) {
		for (guint k = 0; k < N_CONFIGS; k++)
			bench_cycle(&b, &configs[(i + k) % N_CONFIGS], i);
	}
	print_results(configs, latency_ms, iterations);
	for (guint k = 0; k < N_CONFIGS; k++) {
		g_free(configs[k].xml);
		g_free(configs[k].prepare_ms);
		g_free(configs[k].release_ms);
		g_free(configs[k].cycle_ms);
	}
	bench_clear(&b);
	return 0;
}
