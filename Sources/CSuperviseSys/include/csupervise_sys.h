#ifndef CSUPERVISE_SYS_H
#define CSUPERVISE_SYS_H
#include <sys/types.h>
#include <stdint.h>

/** What a child should become before exec. Every pointer is owned by the caller. */
typedef struct csupervise_spawn_request {
    const char *path;            /* absolute path of the executable */
    char *const *argv;           /* NULL-terminated */
    char *const *envp;           /* NULL-terminated; the complete environment */
    const char *working_dir;     /* NULL: inherit */
    int set_user;                /* nonzero: setgroups/setgid/setuid to the ids below */
    uid_t uid;
    gid_t gid;
    const gid_t *groups;         /* supplementary groups, used when set_user */
    int group_count;
    int stdin_fd;                /* dup2'd onto 0, 1, 2; -1 opens /dev/null */
    int stdout_fd;
    int stderr_fd;
    int cgroup_fd;               /* >= 0: a cgroup v2 directory the child starts in (CLONE_INTO_CGROUP) */
    int nice;                    /* the child's nice value (0 for the default) */
    int inherit_scheduling;      /* nonzero: the calling thread already has the default policy, I/O priority and
                                    nice 0 (csupervise_normalize_thread_priority), so the child keeps them and only
                                    sets a nice of its own; 0: the child resets all three */
} csupervise_spawn_request;

/**
 Forks and execs `req` in a new process group (pgid = pid), with every signal
 set to its default disposition, an empty signal mask, nice `req->nice`, the
 default scheduling policy (SCHED_OTHER) and the default I/O priority, whatever
 the spawning thread had. With `cgroup_fd` the child is created in that cgroup
 (clone3 with CLONE_INTO_CGROUP; on kernels without it, the child writes itself
 to cgroup.procs before exec), so it never runs a moment outside it. Returns the
 child's pid, or -1 with *child_errno set to the errno of the step that failed
 (in the child or the parent) and *failed_step to a static string naming it.
 */
pid_t csupervise_spawn(const csupervise_spawn_request *req, int *child_errno, const char **failed_step);

/** Sets the calling thread's nice value, scheduling policy (SCHED_OTHER) and I/O priority to the
    defaults, so what it spawns with posix_spawn inherits those. Returns 0, or -1 with errno. */
int csupervise_normalize_thread_priority(void);

/** Like csupervise_normalize_thread_priority, then sets the calling thread's nice value to `nice`
    (background work at a positive value yields to the supervision loop). Returns 0, or -1. */
int csupervise_set_thread_nice(int nice);

/** 1 when `path` is on a cgroup2 file system, 0 when not, -1 when it cannot be looked at. */
int csupervise_is_cgroup2(const char *path);

/** 1 when the cgroup directory `path` carries systemd's `trusted.delegate=1` mark (set by systemd 251
    and later on the cgroups it delegates), else 0. */
int csupervise_cgroup_delegated(const char *path);

/** The calling thread's id (gettid). */
pid_t csupervise_gettid(void);

/** Makes this process a child subreaper so orphaned grandchildren are reparented to it (and reaped). */
int csupervise_set_child_subreaper(void);

/** Names the calling thread (at most 15 bytes kept) for top -H and /proc/PID/task/TID/comm. */
int csupervise_set_thread_name(const char *name);

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or 0 when it
    does not exist or is a zombie (ended, not yet reaped). */
unsigned long long csupervise_process_start_ticks(pid_t pid);



/** pidfd_open(pid, 0): a descriptor that polls readable once `pid` has ended (kernel 5.3+), close-on-exec.
    -1 with errno (ENOSYS on older kernels, ESRCH when there is no such process). */
int csupervise_pidfd_open(pid_t pid);

/** eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK): a wake-up counter for an epoll loop. */
int csupervise_eventfd(void);

/** Adds one to the eventfd `fd`, waking whoever polls it. Returns 0, or -1 with errno. */
int csupervise_eventfd_signal(int fd);

/** Resets the eventfd `fd` to zero (nothing happens when it already is). */
void csupervise_eventfd_drain(int fd);

/** Blocks until a child of this process has ended and returns its pid WITHOUT reaping it
    (waitid P_ALL, WEXITED | WNOWAIT): the caller decides who reaps it. -1 with errno (ECHILD: no
    children at all). */
pid_t csupervise_wait_exited_child(void);

/** 1 when `pid` is a child of this process that has ended and is not reaped yet, else 0. */
int csupervise_is_unreaped_exited(pid_t pid);

/** waitpid(pid, status, WNOHANG), retried on EINTR: pid when reaped, 0 when it has not ended, -1 with errno. */
pid_t csupervise_reap(pid_t pid, int *status);

/** pipe2(fds, O_CLOEXEC): both ends close on exec. Returns 0 on success. */
int csupervise_pipe_cloexec(int fds[2]);

/** epoll_create1(EPOLL_CLOEXEC). */
int csupervise_epoll_create(void);

/** Watches `fd` for input (level-triggered, with hang-up). Returns 0 on success. */
int csupervise_epoll_add(int epfd, int fd);

/** Stops watching `fd`. */
int csupervise_epoll_remove(int epfd, int fd);

/** Waits for ready descriptors; writes up to `max` of them to `fds`. Returns the count, or -1. */
int csupervise_epoll_wait(int epfd, int *fds, int max, int timeout_ms);

/** Layout of Linux's struct ucred (SO_PEERCRED), which glibc only declares under _GNU_SOURCE. */
typedef struct csupervise_ucred { pid_t pid; uid_t uid; gid_t gid; } csupervise_ucred;
/** A socket created inside the network namespace of process `pid` (close-on-exec), so connecting
    to 127.0.0.1 reaches that process's loopback; -1 with errno set on failure. Needs CAP_SYS_ADMIN. */

int csupervise_socket_in_netns(pid_t pid, int domain, int type, int protocol);

/** malloc_trim(0): returns the free pages of every malloc arena to the kernel, including those between blocks
    in use, which free() keeps. Returns 1 when memory was released. */
int csupervise_heap_trim(void);

#endif
