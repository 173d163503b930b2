/* Batch timing for the benchmarks: the mean of each batch of 20 calls,
 * then the median and the 10th/90th percentiles of the batch means, in
 * microseconds. Batches smooth out single scheduler hiccups on a shared
 * machine; the percentiles show what is left. Also the growth of the
 * resident set from the end of the warm-up to the end of the run. */
#ifndef AK_BENCH_STATS_H
#define AK_BENCH_STATS_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH 20

struct ak_stats {
	double *means;
	long n, cap, in_batch;
	double batch_sum, t0;
	long rss_kb;
};

static inline long rss_now_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * 4;
}

static inline void rss_mark(struct ak_stats *s)
{
	s->rss_kb = rss_now_kb();
}

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline void stats_init(struct ak_stats *s, long iters)
{
	s->cap = iters / BATCH + 1;
	s->means = calloc((size_t)s->cap, sizeof(double));
	s->n = s->in_batch = 0;
	s->batch_sum = 0;
}

static inline void stats_start(struct ak_stats *s)
{
	s->t0 = now_us();
}

static inline void stats_stop(struct ak_stats *s)
{
	s->batch_sum += now_us() - s->t0;
	if (++s->in_batch == BATCH && s->n < s->cap) {
		s->means[s->n++] = s->batch_sum / BATCH;
		s->in_batch = 0;
		s->batch_sum = 0;
	}
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static inline void stats_print(struct ak_stats *s, long fails)
{
	long grew = rss_now_kb() - s->rss_kb;

	if (s->n == 0) {
		printf("nan nan nan %ld %ld\n", fails, grew);
		free(s->means);
		return;
	}
	qsort(s->means, (size_t)s->n, sizeof(double), cmp_double);
	printf("%.2f %.2f %.2f %ld %ld\n", s->means[s->n / 2], s->means[s->n / 10],
	       s->means[(s->n * 9) / 10], fails, grew);
	free(s->means);
}
#endif
