#define _GNU_SOURCE
#include "csupervise_sys.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <sched.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <linux/close_range.h>
#include <sys/wait.h>
#include <unistd.h>

/* Report from the child to the parent through a close-on-exec pipe: if exec
   succeeds the pipe closes with nothing written. */
struct failure { int err; int step; };

static const char *step_names[] = {
    "setpgid", "reset signals", "open /dev/null", "dup2", "chdir", "setgroups", "setgid", "setuid", "execve",
    "nice", "scheduling policy", "I/O priority", "cgroup",
};
enum { STEP_NICE = 9, STEP_SCHED = 10, STEP_IOPRIO = 11, STEP_CGROUP = 12 };

static void child_fail(int fd, int step) {
    struct failure f = { errno, step };
    ssize_t n;
    do { n = write(fd, &f, sizeof f); } while (n < 0 && errno == EINTR);
    _exit(127);
}

static int move_above(int fd, int floor) {
    /* Keep descriptors we are about to dup2 from being overwritten by an earlier dup2. */
    if (fd < 0 || fd >= floor) return fd;
    return fcntl(fd, F_DUPFD_CLOEXEC, floor);
}

/* The defaults a unit starts with whatever thread spawned it: libdispatch threads run at raised
   priority (nice -2 for .userInitiated), and nice is per thread on Linux, so a child would
   inherit it. Policy and I/O priority are reset too (SCHED_RESET_ON_FORK would not cover nice). */
static int reset_scheduling(int nice_value, int *step) {
    struct sched_param param = { .sched_priority = 0 };
    if (sched_setscheduler(0, SCHED_OTHER, &param) != 0) { *step = STEP_SCHED; return -1; }
    /* ioprio class NONE, data 0: I/O priority follows the CPU nice value, the kernel's default. */
    if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, 0) != 0) { *step = STEP_IOPRIO; return -1; }
    if (setpriority(PRIO_PROCESS, 0, nice_value) != 0) { *step = STEP_NICE; return -1; }
    return 0;
}

/* The fast path: glibc's posix_spawn (clone with CLONE_VM|CLONE_VFORK, so no page tables are
   copied) covers a unit with no user, cgroup or nice of its own. The calling thread is a spawn
   thread whose own priority is the default (csupervise_normalize_thread_priority), which the
   child inherits; the policy is set explicitly as well. */
static pid_t spawn_posix(const csupervise_spawn_request *req, int *child_errno, const char **failed_step) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    if (req->stdin_fd >= 0) posix_spawn_file_actions_adddup2(&fa, req->stdin_fd, 0);
    else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (req->stdout_fd >= 0) posix_spawn_file_actions_adddup2(&fa, req->stdout_fd, 1);
    else posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (req->stderr_fd >= 0) posix_spawn_file_actions_adddup2(&fa, req->stderr_fd, 2);
    else posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    /* Nothing of the daemon's leaks into the child (control connections would stay open). */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (req->working_dir) posix_spawn_file_actions_addchdir_np(&fa, req->working_dir);

    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all); /* ignored dispositions would survive exec */
    posix_spawnattr_setpgroup(&attr, 0);
    struct sched_param param = { .sched_priority = 0 };
    posix_spawnattr_setschedpolicy(&attr, SCHED_OTHER);
    posix_spawnattr_setschedparam(&attr, &param);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
                                    | POSIX_SPAWN_SETSCHEDULER);

    pid_t pid = -1;
    int rc = posix_spawn(&pid, req->path, &fa, &attr, req->argv, req->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        *child_errno = rc;
        *failed_step = "execve";
        return -1;
    }
    return pid;
}

/* In the child (a copy of the parent, one thread): async-signal-safe calls only, then exec. */
static void child_exec(const csupervise_spawn_request *req, int report_fd, int join_cgroup) {
    if (join_cgroup) {
        /* Kernels before 5.7 (no CLONE_INTO_CGROUP): join the cgroup before anything runs. */
        int procs = openat(req->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (procs < 0 || write(procs, "0", 1) != 1) child_fail(report_fd, STEP_CGROUP);
        close(procs);
    }
    if (setpgid(0, 0) != 0) child_fail(report_fd, 0);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        signal(s, SIG_DFL); /* ignored dispositions survive exec; reset them */
    }
    int step = 0;
    if (req->inherit_scheduling) {
        /* Three system calls fewer before the exec, on every restart. */
        if (req->nice != 0 && setpriority(PRIO_PROCESS, 0, req->nice) != 0) child_fail(report_fd, STEP_NICE);
    } else if (reset_scheduling(req->nice, &step) != 0) {
        child_fail(report_fd, step);
    }
    sigset_t none; sigemptyset(&none);
    int in = move_above(req->stdin_fd, 3), out = move_above(req->stdout_fd, 3), err = move_above(req->stderr_fd, 3);
    int null_fd = -1;
    if (in < 0 || out < 0 || err < 0) {
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0) child_fail(report_fd, 2);
        null_fd = move_above(null_fd, 3);
    }
    if (dup2(in >= 0 ? in : null_fd, 0) < 0) child_fail(report_fd, 3);
    if (dup2(out >= 0 ? out : null_fd, 1) < 0) child_fail(report_fd, 3);
    if (dup2(err >= 0 ? err : null_fd, 2) < 0) child_fail(report_fd, 3);
    if (req->working_dir && chdir(req->working_dir) != 0) child_fail(report_fd, 4);
    if (req->set_user) {
        if (setgroups((size_t)req->group_count, req->groups) != 0) child_fail(report_fd, 5);
        if (setgid(req->gid) != 0) child_fail(report_fd, 6);
        if (setuid(req->uid) != 0) child_fail(report_fd, 7);
    }
    /* Nothing of the daemon's leaks into the child: every descriptor above 2 closes on exec
       (sockets of control connections would otherwise keep them open). The report pipe is
       already close-on-exec, so it still works until execve. */
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536) max = 65536;
        for (int fd = 3; fd < max; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) child_fail(report_fd, 1);
    execve(req->path, req->argv, req->envp);
    child_fail(report_fd, 8);
}

#if defined(__x86_64__) || defined(__aarch64__)
#define HAVE_CLONE3_VFORK 1
/* clone3_vfork.S: the child shares memory and stack with the parent, which waits until it execs. */
extern long csupervise_clone3_vfork(struct clone_args *args, size_t size) __attribute__((returns_twice));
#endif

/* fork(), or clone3 with CLONE_INTO_CGROUP: a copy of the parent either way (no CLONE_VM), so the
   child returns here on its own stack. Sets *join_cgroup when the child must move itself. */
static pid_t fork_child(const csupervise_spawn_request *req, int *join_cgroup) {
    *join_cgroup = 0;
    if (req->cgroup_fd < 0) return fork();
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)req->cgroup_fd;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL)) return (pid_t)pid;
    *join_cgroup = 1;
    return fork();
}

pid_t csupervise_spawn(const csupervise_spawn_request *req, int *child_errno, const char **failed_step) {
    if (!req->set_user && req->cgroup_fd < 0 && req->nice == 0) return spawn_posix(req, child_errno, failed_step);
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *child_errno = errno; *failed_step = "pipe";
        return -1;
    }
    /* All signals blocked across fork so no handler of the parent's runtime runs in the child. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);

    int join_cgroup = 0;
    pid_t pid = -1;
    int fork_errno = 0;
#ifdef HAVE_CLONE3_VFORK
    /* Into a cgroup, as a unit's own user: vfork-style, no page tables copied, as fast as
       posix_spawn. Changing user needs the fork path: glibc's setuid signals every thread of
       the process, and a child sharing the daemon's memory would signal the daemon's. */
    if (req->cgroup_fd >= 0 && !req->set_user) {
        struct clone_args args;
        memset(&args, 0, sizeof args);
        args.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t)req->cgroup_fd;
        long r = csupervise_clone3_vfork(&args, sizeof args);
        if (r == 0) child_exec(req, report[1], 0);
        if (r > 0) pid = (pid_t)r;
        else fork_errno = (int)-r;
    }
    if (pid < 0 && (req->cgroup_fd < 0 || req->set_user || fork_errno == ENOSYS || fork_errno == E2BIG || fork_errno == EINVAL))
#endif
    {
        pid = fork_child(req, &join_cgroup);
        if (pid == 0) child_exec(req, report[1], join_cgroup);
        fork_errno = errno;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        *child_errno = fork_errno; *failed_step = req->cgroup_fd >= 0 ? "clone3 into the unit's cgroup" : "fork";
        return -1;
    }
    /* Also set the group from the parent, so a signal sent right after we return reaches it. */
    setpgid(pid, pid);
    struct failure f;
    ssize_t n;
    do { n = read(report[0], &f, sizeof f); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof f) {
        /* The child failed before exec and exits with 127. Collect it here; if a
           reaper thread's waitpid(-1) got it first this fails with ECHILD, which is fine. */
        *child_errno = f.err;
        *failed_step = (f.step >= 0 && f.step < (int)(sizeof step_names / sizeof *step_names)) ? step_names[f.step] : "exec";
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        return -1;
    }
    return pid;
}

int csupervise_normalize_thread_priority(void) {
    int step = 0;
    (void)step;
    struct sched_param param = { .sched_priority = 0 };
    if (sched_setscheduler(0, SCHED_OTHER, &param) != 0) return -1;
    if (syscall(SYS_ioprio_set, 1, 0, 0) != 0) return -1;
    /* PRIO_PROCESS with a thread id acts on that thread alone. */
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 0);
}

int csupervise_set_thread_nice(int nice) {
    if (csupervise_normalize_thread_priority() != 0) return -1;
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}

int csupervise_is_cgroup2(const char *path) {
    struct statfs fs;
    if (statfs(path, &fs) != 0) return -1;
    return fs.f_type == 0x63677270 /* CGROUP2_SUPER_MAGIC */ ? 1 : 0;
}

int csupervise_cgroup_delegated(const char *path) {
    char value[8] = {0};
    ssize_t n = getxattr(path, "trusted.delegate", value, sizeof value - 1);
    return n > 0 && value[0] == '1';
}

pid_t csupervise_gettid(void) {
    return (pid_t)syscall(SYS_gettid);
}

int csupervise_set_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int csupervise_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, name, 0, 0, 0);
}

unsigned long long csupervise_process_start_ticks(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* comm may contain spaces and parentheses */
    if (!p) return 0;
    p++;
    /* After ") " come fields 3..; start time is field 22. */
    int field = 2;
    unsigned long long value = 0;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        field++;
        /* A zombie (or a dead task) is not alive, even while its parent has not reaped it. */
        if (field == 3 && (tok[0] == 'Z' || tok[0] == 'X')) return 0;
        if (field == 22) { sscanf(tok, "%llu", &value); break; }
    }
    return value;
}

int csupervise_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int csupervise_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int csupervise_epoll_add(int epfd, int fd) {
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data = { .fd = fd } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int csupervise_epoll_remove(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

int csupervise_epoll_wait(int epfd, int *fds, int max, int timeout_ms) {
    struct epoll_event events[128];
    if (max > 128) max = 128;
    int n = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < n; i++) fds[i] = events[i].data.fd;
    return n;
}
