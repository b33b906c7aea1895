#define _GNU_SOURCE
#include "crespawnfloor.h"
#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

double crespawn_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int crespawn_exec_watch_open(void) {
    int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) return -1;
    struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0 };
    // nlmsghdr, then cn_msg (whose data is the variable part), then the operation.
    char listen[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op))] __attribute__((aligned(NLMSG_ALIGNTO)));
    memset(listen, 0, sizeof listen);
    struct nlmsghdr *header = (struct nlmsghdr *)listen;
    header->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op));
    header->nlmsg_type = NLMSG_DONE;
    struct cn_msg *message = NLMSG_DATA(header);
    message->id.idx = CN_IDX_PROC;
    message->id.val = CN_VAL_PROC;
    message->len = sizeof(enum proc_cn_mcast_op);
    *(enum proc_cn_mcast_op *)message->data = PROC_CN_MCAST_LISTEN;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || send(fd, listen, header->nlmsg_len, 0) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int crespawn_exec_watch_next(int fd, int timeout_ms, int *pid, double *at_ms) {
    double deadline = crespawn_now_ms() + timeout_ms;
    char buffer[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        int left = (int)(deadline - crespawn_now_ms());
        if (left < 0) return 0;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int ready = poll(&p, 1, left);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return ready;
        ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n < 0) {
            if (errno == EINTR || errno == ENOBUFS) continue;
            return -1;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            struct cn_msg *message = NLMSG_DATA(h);
            struct proc_event *event = (struct proc_event *)message->data;
            if (event->what != PROC_EVENT_EXEC) continue;
            *pid = event->event_data.exec.process_pid;
            *at_ms = event->timestamp_ns / 1e6;
            return 1;
        }
    }
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

int crespawn_floor(const char *path, char *const argv[], int kills, int gap_us, double *latencies_ms) {
    // Timed as supervise is: from the kill to the kernel's record of the new program's exec.
    int watch = crespawn_exec_watch_open();
    if (watch < 0) return -1;
    pid_t pid = start(path, argv);
    if (pid < 0) { close(watch); return -1; }
    for (int k = 0; k < kills; k++) {
        double t0 = crespawn_now_ms();
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        pid = start(path, argv);
        if (pid < 0) { close(watch); return -1; }
        int seen = 0;
        double at = 0;
        while (seen != pid) {
            if (crespawn_exec_watch_next(watch, 10000, &seen, &at) != 1) { close(watch); errno = ETIMEDOUT; return -1; }
        }
        latencies_ms[k] = at - t0;
        usleep(gap_us);
    }
    close(watch);
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    return 0;
}
