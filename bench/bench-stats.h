/*
 * bench-stats.h: the statistics every benchmark here reports
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdlib.h>

static inline int
bench_compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the median, which one slow run on a busy machine cannot move; sorts @values */
static inline double
bench_median(double *values, int n)
{
	qsort(values, n, sizeof(double), bench_compare_double);
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}
