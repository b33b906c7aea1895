#define _GNU_SOURCE
#include "crespawnfloor.h"
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* glibc's posix_spawn returns once the child has exec'd (CLONE_VFORK), so "running" here means
   what it means for supervise: the new program is in place. */
static pid_t start(const char *path, char *const argv[]) {
    pid_t pid;
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    int rc = posix_spawn(&pid, path, NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) { errno = rc; return -1; }
    return pid;
}

int crespawn_floor(const char *path, char *const argv[], int kills, double *latencies_ms) {
    pid_t pid = start(path, argv);
    if (pid < 0) return -1;
    for (int k = 0; k < kills; k++) {
        double t0 = now_ms();
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        pid = start(path, argv);
        if (pid < 0) return -1;
        latencies_ms[k] = now_ms() - t0;
        usleep(2000);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    return 0;
}
