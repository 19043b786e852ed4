/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The clock of the tool's instance ("mono"), as user space reads it. */
#ifndef MMT_CLOCK_H
#define MMT_CLOCK_H

#include <stdint.h>
#include <time.h>

/**
 * mmt_mono_ns() - CLOCK_MONOTONIC now, in ns: the clock the instance stamps
 * events with (trace_clock "mono"), so the two compare directly.
 */
static inline uint64_t mmt_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif /* MMT_CLOCK_H */
