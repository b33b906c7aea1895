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

/** Start of the measured window: this thread's CPU so far and the time. */
typedef struct { struct rusage usage; long long started_ns; } floor_window;

static inline void floor_window_open(floor_window *w) {
    getrusage(RUSAGE_THREAD, &w->usage);
    w->started_ns = floor_now_ns();
}

static inline void floor_window_close(const floor_window *w, csupervise_floor_result *out) {
    struct rusage now;
    getrusage(RUSAGE_THREAD, &now);
    out->user_seconds = floor_seconds(now.ru_utime) - floor_seconds(w->usage.ru_utime);
    out->system_seconds = floor_seconds(now.ru_stime) - floor_seconds(w->usage.ru_stime);
    out->elapsed_seconds = (floor_now_ns() - w->started_ns) / 1e9;
}

#endif
