/*
 * peak-rss: what `/usr/bin/time -f %M -o FILE` says, where time(1) is missing
 *
 * Runs COMMAND with this process's stdin, stdout and stderr, writes its
 * peak resident set size in KiB (ru_maxrss from wait4(), the largest of
 * every program it exec'd) to FILE, and exits with its status.
 * posix_spawn() lends the command this process's memory until the exec,
 * and the kernel counts that memory's peak too: about 1 MiB, less than any
 * program that links more than libc, so only the smallest are overstated.
 *
 * usage: peak-rss FILE COMMAND [ARG...]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

int
main(int argc, char **argv)
{
	struct rusage usage;
	FILE *out;
	int status;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FILE COMMAND [ARG...]\n", argv[0]);
		return 2;
	}
	if (posix_spawnp(&pid, argv[2], NULL, NULL, &argv[2], environ) != 0) {
		perror(argv[2]);
		return 127;
	}
	if (wait4(pid, &status, 0, &usage) < 0) {
		perror("wait4");
		return 1;
	}
	out = fopen(argv[1], "w");
	if (out == NULL || fprintf(out, "%ld\n", usage.ru_maxrss) < 0 || fclose(out) != 0) {
		perror(argv[1]);
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
