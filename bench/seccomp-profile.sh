#!/usr/bin/env bash
# Writes to stdout an OCI linux.seccomp object the size of a typical
# container engine default: an allow-list of about 300 syscall names,
# everything else refused with EPERM, and a few rules that look at
# arguments. Filter compile time grows with the number of names and
# architectures, which is what the seccomp section of bench/run.sh is
# meant to exercise; the exact list matters less than its size and shape.
#
# Usage: bench/seccomp-profile.sh >profile.json    (needs jq)
set -euo pipefail

# Allowed without conditions. Names an architecture or libseccomp does not
# know are skipped by the runtimes, so 32-bit-only names sit alongside the
# 64-bit ones for the x86 and x32 filters. Left out on purpose: module and
# kexec loading, mount and namespace changes, tracing, keyrings, clock
# setting, swap, reboot, bpf and perf, which a default profile refuses.
read -r -d '' ALLOW <<'EOF' || true
read write readv writev pread64 pwrite64 preadv pwritev preadv2 pwritev2
open openat openat2 creat close close_range dup dup2 dup3 lseek _llseek
stat fstat lstat newfstatat statx stat64 fstat64 lstat64 fstatat64
statfs fstatfs statfs64 fstatfs64 access faccessat faccessat2
getdents getdents64 getcwd chdir fchdir rename renameat renameat2
mkdir mkdirat rmdir link linkat unlink unlinkat symlink symlinkat
readlink readlinkat chmod fchmod fchmodat chown fchown lchown fchownat
chown32 fchown32 lchown32 umask truncate ftruncate truncate64 ftruncate64
fcntl fcntl64 flock fsync fdatasync sync syncfs sync_file_range fallocate
fadvise64 fadvise64_64 readahead sendfile sendfile64 splice tee vmsplice
copy_file_range utime utimes utimensat futimesat mknod mknodat
setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr
listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr
mmap mmap2 munmap mprotect mremap msync mincore madvise brk
mlock mlock2 munlock mlockall munlockall memfd_create membarrier
remap_file_pages pkey_alloc pkey_free pkey_mprotect
rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigtimedwait
rt_sigqueueinfo rt_tgsigqueueinfo rt_sigsuspend sigaltstack sigreturn
sigaction sigprocmask sigpending sigsuspend signal signalfd signalfd4
kill tkill tgkill pidfd_open pidfd_send_signal restart_syscall
fork vfork execve execveat exit exit_group wait4 waitid waitpid
getpid getppid gettid getpgid setpgid getpgrp getsid setsid
getuid getgid geteuid getegid getuid32 getgid32 geteuid32 getegid32
setuid setgid setreuid setregid setresuid setresgid getresuid getresgid
setuid32 setgid32 setreuid32 setregid32 setresuid32 setresgid32
getresuid32 getresgid32 setfsuid setfsgid setfsuid32 setfsgid32
getgroups setgroups getgroups32 setgroups32 capget capset
getrlimit setrlimit ugetrlimit prlimit64 getrusage getpriority setpriority
sched_yield sched_setparam sched_getparam sched_setscheduler
sched_getscheduler sched_get_priority_max sched_get_priority_min
sched_rr_get_interval sched_setaffinity sched_getaffinity
sched_setattr sched_getattr ioprio_set ioprio_get
nanosleep clock_nanosleep clock_gettime clock_getres gettimeofday time
times getitimer setitimer alarm pause timer_create timer_settime
timer_gettime timer_getoverrun timer_delete timerfd_create
timerfd_settime timerfd_gettime
futex futex_waitv set_robust_list get_robust_list set_tid_address
set_thread_area get_thread_area arch_prctl prctl rseq
uname olduname sysinfo getcpu getrandom syslog
poll ppoll select _newselect pselect6 epoll_create epoll_create1
epoll_ctl epoll_wait epoll_pwait epoll_pwait2 eventfd eventfd2
inotify_init inotify_init1 inotify_add_watch inotify_rm_watch
pipe pipe2 ioctl
connect accept accept4 bind listen shutdown socketpair
getsockname getpeername setsockopt getsockopt sendto recvfrom
send recv sendmsg recvmsg sendmmsg recvmmsg socketcall
shmget shmat shmdt shmctl semget semop semctl semtimedop
msgget msgsnd msgrcv msgctl ipc
mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr
io_setup io_destroy io_getevents io_pgetevents io_submit io_cancel
io_uring_setup io_uring_enter io_uring_register
sethostname setdomainname chroot seccomp landlock_create_ruleset
landlock_add_rule landlock_restrict_self
EOF

# Namespace-creating clone flags (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC,
# NEWUSER, NEWPID, NEWNET): a plain fork or thread passes, the rest is refused.
readonly CLONE_NS_MASK=$((0x7E020000))
readonly AF_VSOCK=40
readonly ENOSYS=38

# shellcheck disable=SC2086 # the list is split into words on purpose
jq -n \
	--argjson mask "$CLONE_NS_MASK" --argjson vsock "$AF_VSOCK" --argjson enosys "$ENOSYS" \
	--args '{
	defaultAction: "SCMP_ACT_ERRNO",
	architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	syscalls: [
		{ names: $ARGS.positional, action: "SCMP_ACT_ALLOW" },
		# Only the common execution domains: the rest change how the kernel
		# reads addresses and flags.
		((0, 8, 131072, 4294967295) as $domain |
		 { names: ["personality"], action: "SCMP_ACT_ALLOW",
		   args: [{ index: 0, value: $domain, op: "SCMP_CMP_EQ" }] }),
		{ names: ["clone"], action: "SCMP_ACT_ALLOW",
		  args: [{ index: 0, value: $mask, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }] },
		# clone3 passes its flags in memory the filter cannot read: ENOSYS
		# sends the C library back to clone, which the rule above checks.
		{ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: $enosys },
		{ names: ["socket"], action: "SCMP_ACT_ALLOW",
		  args: [{ index: 0, value: $vsock, op: "SCMP_CMP_NE" }] }
	]
}' $ALLOW
