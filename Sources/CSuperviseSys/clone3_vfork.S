/* csupervise_clone3_vfork(struct clone_args *args, size_t size): clone3 for a vfork-style child
   (CLONE_VM | CLONE_VFORK, no stack of its own). Like glibc's vfork, the caller's return address is
   kept in a register across the system call, not on the stack the child shares: the child runs
   on that stack until it execs, and would overwrite it. Returns the pid, 0 in the child, or
   -errno. Declared returns_twice in csupervise_sys_internal.h. */
#if defined(__x86_64__)
    .text
    .globl csupervise_clone3_vfork
    .hidden csupervise_clone3_vfork
    .type csupervise_clone3_vfork, @function
csupervise_clone3_vfork:
    popq %rdx              /* return address; syscall clobbers only rcx and r11 */
    movl $435, %eax        /* __NR_clone3 */
    syscall
    pushq %rdx
    ret
    .size csupervise_clone3_vfork, .-csupervise_clone3_vfork
#elif defined(__aarch64__)
    .text
    .globl csupervise_clone3_vfork
    .hidden csupervise_clone3_vfork
    .type csupervise_clone3_vfork, %function
csupervise_clone3_vfork:
    mov x8, #435           /* __NR_clone3; the return address is in x30, not on the stack */
    svc #0
    ret
    .size csupervise_clone3_vfork, .-csupervise_clone3_vfork
#endif
#if defined(__linux__) && defined(__ELF__)
    .section .note.GNU-stack,"",%progbits
#endif
