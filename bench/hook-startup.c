/*
 * hook-startup: what the hook costs every VM start that has no PCI device
 *
 * Runs the no-op baseline and hostdev-hook alternately, each as libvirt
 * would (argv "vm1 prepare begin -", the domain XML on stdin), and prints
 * median wall time, peak RSS and their ratios from this one run.  The
 * machine's noise cancels out because both are measured side by side.
 *
 * usage: hook-startup HOOK NOOP DOMAIN.xml [ITERATIONS]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-stats.h"

extern char **environ;

typedef struct {
	double wall_us;
	long maxrss_kib;
} Sample;

static int
memfd_with(const char *data, size_t len)
{
	int fd = memfd_create("xml", 0);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror("memfd");
		exit(1);
	}
	return fd;
}

static Sample
run_once(const char *program, int xml_fd)
{
	/* posix_spawn() takes non-const strings but does not change them */
	char vm[] = "vm1", op[] = "prepare", subop[] = "begin", extra[] = "-";
	char *argv[] = {(char *)program, vm, op, subop, extra, NULL};
	posix_spawn_file_actions_t actions;
	struct timespec start, end;
	struct rusage usage;
	int status;
	pid_t pid;
	Sample s;

	lseek(xml_fd, 0, SEEK_SET);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, xml_fd, STDIN_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (posix_spawn(&pid, program, &actions, NULL, argv, environ) != 0) {
		perror(program);
		exit(1);
	}
	if (wait4(pid, &status, 0, &usage) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s did not exit 0\n", program);
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	posix_spawn_file_actions_destroy(&actions);
	s.wall_us = (end.tv_sec - start.tv_sec) * 1e6 + (end.tv_nsec - start.tv_nsec) / 1e3;
	s.maxrss_kib = usage.ru_maxrss;
	return s;
}

int
main(int argc, char **argv)
{
	int iterations = argc > 4 ? atoi(argv[4]) : 300;
	char *xml = NULL;
	size_t len = 0;
	FILE *in;
	double *hook_us, *noop_us;
	long hook_rss = 0, noop_rss = 0;
	int fd;

	if (argc < 4 || iterations < 1) {
		fprintf(stderr, "usage: %s HOOK NOOP DOMAIN.xml [ITERATIONS]\n", argv[0]);
		return 2;
	}
	in = fopen(argv[3], "r");
	if (in == NULL || getdelim(&xml, &len, '\0', in) < 0) {
		perror(argv[3]);
		return 1;
	}
	fclose(in);
	fd = memfd_with(xml, strlen(xml));
	hook_us = calloc(iterations, sizeof(double));
	noop_us = calloc(iterations, sizeof(double));

	/* warm the page cache and the dynamic loader's caches first */
	for (int i = 0; i < 10; i++) {
		run_once(argv[1], fd);
		run_once(argv[2], fd);
	}
	for (int i = 0; i < iterations; i++) {
		Sample h = run_once(argv[1], fd);
		Sample n = run_once(argv[2], fd);

		hook_us[i] = h.wall_us;
		noop_us[i] = n.wall_us;
		hook_rss = h.maxrss_kib > hook_rss ? h.maxrss_kib : hook_rss;
		noop_rss = n.maxrss_kib > noop_rss ? n.maxrss_kib : noop_rss;
	}
	double hook_median = bench_median(hook_us, iterations);
	double noop_median = bench_median(noop_us, iterations);

	printf("domain: %s (%zu bytes), %d runs each, alternating\n", argv[3], strlen(xml), iterations);
	printf("  %-14s median %8.1f us   peak RSS %6ld KiB\n", "no-op program", noop_median, noop_rss);
	printf("  %-14s median %8.1f us   peak RSS %6ld KiB\n", "hostdev-hook", hook_median, hook_rss);
	printf("  ratio: wall %.2fx (target <= 1.5x), peak RSS %.2f MiB (target <= 4 MiB)\n",
	       hook_median / noop_median, hook_rss / 1024.0);
	free(hook_us);
	free(noop_us);
	free(xml);
	return 0;
}
