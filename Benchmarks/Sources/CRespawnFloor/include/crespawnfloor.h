#ifndef CRESPAWNFLOOR_H
#define CRESPAWNFLOOR_H

/**
 The floor of a restart on this machine: a bare C loop that keeps one child running and, `kills`
 times, sends it SIGKILL, collects it with waitpid and starts the next with posix_spawn. Writes
 each kill -> new child exec'd time in milliseconds to `latencies_ms` (`kills` doubles), waiting
 `gap_us` after each restart. Returns 0, or -1 with errno set.
 */
int crespawn_floor(const char *path, char *const argv[], int kills, int gap_us, double *latencies_ms);

/**
 Watches every exec on the machine through the kernel's process connector (netlink, needs
 CAP_NET_ADMIN), so a benchmark learns when a new program is in place from the kernel's own
 timestamp, sleeping meanwhile: polling /proc would take a core from what it measures on a small
 machine. Returns a socket, or -1 with errno set.
 */
int crespawn_exec_watch_open(void);

/**
 The next exec seen on `fd`: its pid and the kernel's CLOCK_MONOTONIC time of it in milliseconds
 (the clock of `crespawn_now_ms`). Returns 1 with an event, 0 when none came within `timeout_ms`,
 -1 with errno set. Lost events (ENOBUFS on a busy machine) are skipped, not reported as errors.
 */
int crespawn_exec_watch_next(int fd, int timeout_ms, int *pid, double *at_ms);

/** CLOCK_MONOTONIC in milliseconds. */
double crespawn_now_ms(void);

#endif
