#define _GNU_SOURCE
#include "csupervise_sys.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* setns(2) on the network namespace changes only the calling thread, and a socket keeps the
   namespace it was created in: switch, create, switch back, with nothing in between that could
   run other code on this thread. */
int csupervise_socket_in_netns(pid_t pid, int domain, int type, int protocol) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    int target = open(path, O_RDONLY | O_CLOEXEC);
    if (target < 0) return -1;
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        int saved = errno;
        close(target);
        errno = saved;
        return -1;
    }
    int fd = -1, saved = 0;
    if (setns(target, CLONE_NEWNET) == 0) {
        fd = socket(domain, type | SOCK_CLOEXEC, protocol);
        saved = errno;
        if (setns(self, CLONE_NEWNET) != 0) {
            /* Every later connection of this thread would go to the wrong network: stop here. */
            perror("supervise: cannot return to the daemon's network namespace");
            abort();
        }
    } else {
        saved = errno;
    }
    close(target);
    close(self);
    errno = saved;
    return fd;
}
