#ifndef SUPERVISE_FLOOR_CLOCK_H
#define SUPERVISE_FLOOR_CLOCK_H
#include <sys/resource.h>
#include <time.h>
#include "cprobefloor.h"

/* The clock and the thread-CPU bookkeeping both anchor loops share. */

static inline long long floor_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline double floor_seconds(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

/** Milliseconds until `deadline_ns`, rounded up so a loop never wakes just before it and spins. */
static inline int floor_ms_until(long long deadline_ns) {
    long long ms = (deadline_ns - floor_now_ns() + 999999) / 1000000;
    return ms < 0 ? 0 : (int)ms;
}

/** The measured window: a 2 s warm-up (connections made, caches warm), then `seconds` during
    which this thread's CPU is counted. */
typedef struct {
    struct rusage usage;
    long long warm_until_ns, started_ns, end_ns, length_ns;
    int measuring;
} floor_window;

static inline void floor_window_init(floor_window *w, int seconds) {
    w->warm_until_ns = floor_now_ns() + 2000000000LL;
    w->length_ns = seconds * 1000000000LL;
    w->measuring = 0;
}

/** Called on every turn of a loop: opens the window once the warm-up is over (and zeroes the
    loop's counters then); true once the window has ended. */
static inline int floor_window_over(floor_window *w, long *completed, long *failed) {
    long long now = floor_now_ns();
    if (!w->measuring && now >= w->warm_until_ns) {
        w->measuring = 1;
        *completed = *failed = 0;
        getrusage(RUSAGE_THREAD, &w->usage);
        w->started_ns = now;
        w->end_ns = now + w->length_ns;
    }
    return w->measuring && now >= w->end_ns;
}

/** What the window cost this thread, into `out`. */
static inline void floor_window_close(const floor_window *w, csupervise_floor_result *out) {
    struct rusage now;
    getrusage(RUSAGE_THREAD, &now);
    out->user_seconds = floor_seconds(now.ru_utime) - floor_seconds(w->usage.ru_utime);
    out->system_seconds = floor_seconds(now.ru_stime) - floor_seconds(w->usage.ru_stime);
    out->elapsed_seconds = (floor_now_ns() - w->started_ns) / 1e9;
}

#endif
