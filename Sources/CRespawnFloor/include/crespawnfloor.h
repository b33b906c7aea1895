#ifndef CRESPAWNFLOOR_H
#define CRESPAWNFLOOR_H

/**
 The floor of a restart on this machine: a bare C loop that keeps one child running and, `kills`
 times, sends it SIGKILL, collects it with waitpid and starts the next with posix_spawn. Writes
 each kill -> new child exec'd time in milliseconds to `latencies_ms` (`kills` doubles). Returns
 0, or -1 with errno set.
 */
int crespawn_floor(const char *path, char *const argv[], int kills, double *latencies_ms);

#endif
