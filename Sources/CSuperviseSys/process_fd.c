#define _GNU_SOURCE
#include "csupervise_sys.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int csupervise_pidfd_open(pid_t pid) {
    /* pidfds are close-on-exec from birth (the kernel sets O_CLOEXEC itself). */
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int csupervise_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

int csupervise_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t n;
    do { n = write(fd, &one, sizeof one); } while (n < 0 && errno == EINTR);
    /* EAGAIN: the counter is at its maximum, so the reader is woken anyway. */
    return n == sizeof one || errno == EAGAIN ? 0 : -1;
}

void csupervise_eventfd_drain(int fd) {
    uint64_t count;
    while (read(fd, &count, sizeof count) < 0 && errno == EINTR) {}
}

pid_t csupervise_wait_exited_child(void) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) != 0) return -1;
    return info.si_pid;
}

int csupervise_is_unreaped_exited(pid_t pid) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | WNOHANG) != 0) return 0;
    return info.si_pid == pid;
}

pid_t csupervise_reap(pid_t pid, int *status) {
    pid_t r;
    do { r = waitpid(pid, status, WNOHANG); } while (r < 0 && errno == EINTR);
    return r;
}
