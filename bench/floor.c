/*
 * floor: the kernel's own floor for starting a container.
 *
 * Does, with bare syscalls and nothing else, the work that the default
 * `runc spec` bundle asks of a runtime on a cgroup v1 host, and runs the
 * bundle's rootfs /bin/true in it:
 *   - with --cgroups, a cgroup in every v1 hierarchy (cpuset seeded, device
 *     rules written), joined by the init itself as its first act and
 *     removed after it exits,
 *   - clone3 into new pid, network, ipc, uts and mount namespaces (the
 *     default spec asks for no cgroup namespace),
 *   - hostname, the default mounts, device nodes and /dev symlinks,
 *   - pivot_root, masked and read-only paths, a read-only root,
 *   - rlimits, capabilities, no_new_privs, then exec.
 * What the benchmark measures for a runtime beyond this is the runtime's
 * own cost: parsing, state files, re-execs, helper processes.
 *
 * Usage: floor [--cgroups] ROOTFS
 *
 * Without --cgroups no cgroup is made: /sys/fs/cgroup in the container
 * binds our own cgroups instead, so the only difference between the two
 * floors is the kernel's cgroup work (mkdir, cpuset and device rules, the
 * migration into each hierarchy, rmdir). The init joins the cheapest way
 * the kernel offers: "0" written to each hierarchy's `tasks`, which moves
 * the calling thread without the threadgroup lock (and the RCU grace
 * period its first taker waits for) that a write to cgroup.procs takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

#define MAX_HIERARCHIES 32

struct hierarchy {
	char name[64];          /* directory under /sys/fs/cgroup, e.g. "memory" */
	char path[PATH_MAX];    /* the container's cgroup directory on the host */
	int tasks_fd;           /* its tasks file, open for the init to join */
};

static struct hierarchy hierarchies[MAX_HIERARCHIES];
static int hierarchy_count;
static int with_cgroups;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* snprintf that refuses to truncate: a cut path would name the wrong file. */
#define FORMAT_PATH(buffer, ...)                                               \
	do {                                                                   \
		int length_ = snprintf(buffer, sizeof(buffer), __VA_ARGS__);   \
		if (length_ < 0 || (size_t)length_ >= sizeof(buffer)) {        \
			errno = ENAMETOOLONG;                                  \
			die(buffer);                                           \
		}                                                              \
	} while (0)

static void write_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	FORMAT_PATH(path, "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (write(fd, text, strlen(text)) < 0)
		die(path);
	close(fd);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *file)
{
	char path[PATH_MAX], text[4096];
	FORMAT_PATH(path, "%s/%s", from_dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	ssize_t n = read(fd, text, sizeof text - 1);
	if (n < 0)
		die(path);
	close(fd);
	text[n] = '\0';
	write_file(to_dir, file, text);
}

/*
 * Device cgroup rules: the spec denies everything, and a runtime must then
 * allow the device nodes it creates, or the container could not use them.
 */
static const char *const allowed_devices[] = {
	"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
	"c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm",
};

static void configure_cgroup(const struct hierarchy *h, const char *parent)
{
	/* A fresh v1 cpuset has no cpus or mems, and refuses tasks until given some. */
	if (strcmp(h->name, "cpuset") == 0) {
		copy_file(parent, h->path, "cpuset.cpus");
		copy_file(parent, h->path, "cpuset.mems");
	}
	if (strcmp(h->name, "devices") == 0) {
		write_file(h->path, "devices.deny", "a");
		for (size_t i = 0; i < sizeof allowed_devices / sizeof *allowed_devices; i++)
			write_file(h->path, "devices.allow", allowed_devices[i]);
	}
}

/*
 * The container's cgroup goes below our own in every v1 hierarchy, as
 * runtimes place a cgroup when the spec gives no cgroupsPath. Without
 * --cgroups the hierarchies are only found, and our own cgroups named.
 */
static void find_cgroups(const char *leaf)
{
	FILE *self = fopen("/proc/self/cgroup", "re");
	if (!self)
		die("/proc/self/cgroup");
	char line[PATH_MAX + 128];
	while (fgets(line, sizeof line, self)) {
		line[strcspn(line, "\n")] = '\0';
		char *controllers = strchr(line, ':');
		char *own_path = controllers ? strchr(controllers + 1, ':') : NULL;
		if (!own_path)
			continue;
		*own_path++ = '\0';
		controllers++;
		if (*controllers == '\0')
			continue; /* the cgroup2 line: this floor is for v1 hosts */
		if (strncmp(controllers, "name=", 5) == 0)
			controllers += 5;
		if (hierarchy_count == MAX_HIERARCHIES)
			break;

		char parent[PATH_MAX];
		FORMAT_PATH(parent, "/sys/fs/cgroup/%s%s", controllers,
			 strcmp(own_path, "/") == 0 ? "" : own_path);
		struct statfs fs;
		if (statfs(parent, &fs) < 0 || fs.f_type != CGROUP_SUPER_MAGIC)
			continue;

		struct hierarchy *h = &hierarchies[hierarchy_count];
		FORMAT_PATH(h->name, "%s", controllers);
		hierarchy_count++;
		if (!with_cgroups) {
			FORMAT_PATH(h->path, "%s", parent);
			continue;
		}
		FORMAT_PATH(h->path, "%s/%s", parent, leaf);
		if (mkdir(h->path, 0755) < 0)
			die(h->path);
		configure_cgroup(h, parent);
	}
	fclose(self);
}

/* In the parent: the files the init writes itself into. */
static void open_tasks_files(void)
{
	for (int i = 0; with_cgroups && i < hierarchy_count; i++) {
		char path[PATH_MAX];
		FORMAT_PATH(path, "%s/tasks", hierarchies[i].path);
		hierarchies[i].tasks_fd = open(path, O_WRONLY | O_CLOEXEC);
		if (hierarchies[i].tasks_fd < 0)
			die(path);
	}
}

/* In the init, first: "0" is the calling thread, which is all of it. */
static void join_cgroups(void)
{
	for (int i = 0; with_cgroups && i < hierarchy_count; i++) {
		if (write(hierarchies[i].tasks_fd, "0", 1) != 1)
			die(hierarchies[i].path);
		close(hierarchies[i].tasks_fd);
	}
}

static void close_tasks_files(void)
{
	for (int i = 0; with_cgroups && i < hierarchy_count; i++)
		close(hierarchies[i].tasks_fd);
}

static void remove_cgroups(void)
{
	if (!with_cgroups)
		return;
	for (int i = hierarchy_count - 1; i >= 0; i--)
		if (rmdir(hierarchies[i].path) < 0)
			perror(hierarchies[i].path);
}

/* Mount targets may be missing from a minimal rootfs; runtimes create them too. */
static void make_dir(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
}

static void mount_at(const char *source, const char *target, const char *type,
		     unsigned long flags, const char *data)
{
	make_dir(target);
	if (mount(source, target, type, flags, data) < 0)
		die(target);
}

/* A bind mount takes its flags only on a second, remounting call. */
static void bind_read_only(const char *source, const char *target, unsigned long flags)
{
	if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		die(target);
	if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | flags, NULL) < 0)
		die(target);
}

/*
 * /sys/fs/cgroup on a v1 host: a tmpfs holding, per hierarchy, a read-only
 * bind of the container's own cgroup (the spec's "ro" applies to those, as
 * runc reads it; the tmpfs itself stays writable). Paths are relative to the rootfs (our working directory), host cgroup
 * paths are still reachable because this runs before pivot_root.
 */
static void mount_cgroup_tree(void)
{
	const unsigned long flags = MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME;
	mount_at("tmpfs", "sys/fs/cgroup", "tmpfs", flags, "mode=755");
	for (int i = 0; i < hierarchy_count; i++) {
		char target[PATH_MAX];
		FORMAT_PATH(target, "sys/fs/cgroup/%s", hierarchies[i].name);
		make_dir(target);
		bind_read_only(hierarchies[i].path, target, flags);
	}
}

static void mount_defaults(void)
{
	mount_at("proc", "proc", "proc", 0, NULL);
	mount_at("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
	mount_at("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 "newinstance,ptmxmode=0666,mode=0620,gid=5");
	mount_at("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV,
		 "mode=1777,size=65536k");
	mount_at("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	mount_at("sysfs", "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
	mount_cgroup_tree();
}

static void create_devices(void)
{
	static const struct { const char *path; unsigned major, minor; } nodes[] = {
		{ "dev/null", 1, 3 }, { "dev/zero", 1, 5 }, { "dev/full", 1, 7 },
		{ "dev/random", 1, 8 }, { "dev/urandom", 1, 9 }, { "dev/tty", 5, 0 },
	};
	static const struct { const char *target, *path; } links[] = {
		{ "/proc/self/fd", "dev/fd" }, { "/proc/self/fd/0", "dev/stdin" },
		{ "/proc/self/fd/1", "dev/stdout" }, { "/proc/self/fd/2", "dev/stderr" },
		{ "pts/ptmx", "dev/ptmx" },
	};
	mode_t old_umask = umask(0);
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
		if (mknod(nodes[i].path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0)
			die(nodes[i].path);
	umask(old_umask);
	for (size_t i = 0; i < sizeof links / sizeof *links; i++)
		if (symlink(links[i].target, links[i].path) < 0)
			die(links[i].path);
}

/* The old root stays stacked under "." after pivot_root(".", "."); detach it. */
static void enter_rootfs(void)
{
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die("pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		die("umount old root");
	if (chdir("/") < 0)
		die("chdir /");
}

static void mask_paths(void)
{
	static const char *const masked[] = {
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/sys/firmware", "/proc/scsi",
	};
	static const char *const read_only[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};
	for (size_t i = 0; i < sizeof masked / sizeof *masked; i++) {
		if (mount("/dev/null", masked[i], NULL, MS_BIND, NULL) == 0 || errno == ENOENT)
			continue;
		/* /dev/null cannot cover a directory: an empty read-only tmpfs does. */
		if (errno != ENOTDIR || mount("tmpfs", masked[i], "tmpfs", MS_RDONLY, NULL) < 0)
			die(masked[i]);
	}
	for (size_t i = 0; i < sizeof read_only / sizeof *read_only; i++) {
		if (access(read_only[i], F_OK) < 0)
			continue;
		bind_read_only(read_only[i], read_only[i], 0);
	}
}

static void drop_privileges(void)
{
	static const cap_value_t kept[] = { CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE };
	const int kept_count = sizeof kept / sizeof *kept;

	for (cap_value_t cap = 0; cap <= (cap_value_t)cap_max_bits() - 1; cap++) {
		int keep = 0;
		for (int i = 0; i < kept_count; i++)
			keep |= cap == kept[i];
		if (!keep && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die("PR_CAPBSET_DROP");
	}
	/*
	 * The default spec also lists ambient capabilities, but gives no
	 * inheritable set, so the kernel would refuse to raise them: skipped.
	 */
	cap_t caps = cap_init();
	if (!caps || cap_set_flag(caps, CAP_EFFECTIVE, kept_count, kept, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_PERMITTED, kept_count, kept, CAP_SET) < 0 ||
	    cap_set_proc(caps) < 0)
		die("capabilities");
	cap_free(caps);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("PR_SET_NO_NEW_PRIVS");
}

/* Runs as pid 1 of the new namespaces; never returns. */
static void container_init(const char *rootfs)
{
	join_cgroups();
	if (sethostname("runc", 4) < 0)
		die("sethostname");
	/* Keep our mounts from propagating back to the host, and pivot_root legal. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / private");
	/* pivot_root needs the new root to be a mount point. */
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		die("bind rootfs");
	if (chdir(rootfs) < 0)
		die(rootfs);
	mount_defaults();
	create_devices();
	enter_rootfs();
	mask_paths();
	if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		die("read-only root");

	struct rlimit nofile = { .rlim_cur = 1024, .rlim_max = 1024 };
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		die("setrlimit");
	drop_privileges();

	char *const argv[] = { "/bin/true", NULL };
	char *const envp[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=xterm", NULL,
	};
	execve(argv[0], argv, envp);
	die("execve /bin/true");
}

static pid_t clone_container(void)
{
	struct clone_args args = {
		.flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS,
		.exit_signal = SIGCHLD,
	};
	return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--cgroups") == 0) {
		with_cgroups = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s [--cgroups] ROOTFS\n", argv[0]);
		return 2;
	}
	char rootfs[PATH_MAX];
	if (!realpath(argv[1], rootfs))
		die(argv[1]);

	char leaf[64];
	FORMAT_PATH(leaf, "floor-%d", getpid());
	find_cgroups(leaf);

	open_tasks_files();
	pid_t child = clone_container();
	if (child < 0)
		die("clone3");
	if (child == 0)
		container_init(rootfs);
	close_tasks_files();

	int status;
	if (waitpid(child, &status, 0) < 0)
		die("waitpid");
	remove_cgroups();
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
