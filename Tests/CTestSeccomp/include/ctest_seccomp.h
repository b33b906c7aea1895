#ifndef CTEST_SECCOMP_H
#define CTEST_SECCOMP_H

/** Makes system call `nr` fail with `err` in every thread of this process from now on (a seccomp
    filter, synchronised to all threads), as an older kernel that lacks it would. For tests of
    fallbacks, in a child process of their own: the filter cannot be removed. 0, or -1 with errno. */
int ctest_refuse_syscall(long nr, int err);

/** The number of pidfd_open(2) on this machine. */
long ctest_pidfd_open_nr(void);

#endif
