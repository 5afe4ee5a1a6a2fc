/* checkpoint and restore, with runc's flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli_util.h"
#include "commands.h"
#include "container.h"
#include "linux/terminal.h"
#include "log.h"

struct checkpoint_flags {
  struct criu_flags criu; /* --empty-ns is parsed into empty_ns, then pointed to */
  const char *image_path, *work_path, *parent_path, *page_server;
  bool leave_running, tcp_skip_in_flight, link_remap, pre_dump;
  long status_fd;
  struct opt_list empty_ns;
};

/* The flags with the --empty-ns list they were parsed beside. */
static struct criu_flags with_empty_ns(struct criu_flags c, const struct opt_list *empty_ns) {
  c.empty_ns = empty_ns->v;
  c.n_empty_ns = empty_ns->n;
  return c;
}

#define CG_MODE_HELP "cgroups mode: soft|full|strict|ignore (default: soft)"
#define EMPTY_NS_HELP "create a namespace, but don't restore its properties"

static bool asks_for_help(int argc, char **argv) {
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-help") == 0 ||
        strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--h") == 0)
      return true;
  }
  return false;
}

int cmd_checkpoint(struct cli_globals *g, int argc, char **argv) {
  struct checkpoint_flags f = {.status_fd = -1};
  const struct opt_def defs[] = {
      {"image-path", 0, OPT_STRING, &f.image_path, "path for saving criu image files", "value"},
      {"work-path", 0, OPT_STRING, &f.work_path, "path for saving work files and logs",
       "value"},
      {"parent-path", 0, OPT_STRING, &f.parent_path,
       "path for previous criu image files in pre-dump", "value"},
      {"leave-running", 0, OPT_BOOL, &f.leave_running,
       "leave the process running after checkpointing", NULL},
      {"tcp-established", 0, OPT_BOOL, &f.criu.tcp_established, "allow open tcp connections", NULL},
      {"tcp-skip-in-flight", 0, OPT_BOOL, &f.tcp_skip_in_flight,
       "skip in-flight tcp connections", NULL},
      {"link-remap", 0, OPT_BOOL, &f.link_remap,
       "allow one to link unlinked files back when possible", NULL},
      {"ext-unix-sk", 0, OPT_BOOL, &f.criu.ext_unix_sk, "allow external unix sockets", NULL},
      {"shell-job", 0, OPT_BOOL, &f.criu.shell_job, "allow shell jobs", NULL},
      {"lazy-pages", 0, OPT_BOOL, &f.criu.lazy_pages,
       "use userfaultfd to lazily restore memory pages", NULL},
      {"status-fd", 0, OPT_INT, &f.status_fd, "criu writes \\0 to this FD once lazy-pages is ready",
       "value"},
      {"page-server", 0, OPT_STRING, &f.page_server, "ADDRESS:PORT of the page server", "value"},
      {"file-locks", 0, OPT_BOOL, &f.criu.file_locks, "handle file locks, for safety", NULL},
      {"pre-dump", 0, OPT_BOOL, &f.pre_dump,
       "dump container's memory information only, leave the container running after this",
       NULL},
      {"manage-cgroups-mode", 0, OPT_STRING, &f.criu.manage_cgroups_mode, CG_MODE_HELP, "value"},
      {"empty-ns", 0, OPT_LIST, &f.empty_ns, EMPTY_NS_HELP, "value"},
      {"auto-dedup", 0, OPT_BOOL, &f.criu.auto_dedup, "enable auto deduplication of memory images",
       NULL},
      {0},
  };
  const struct opt_command_help help = {
      "checkpoint", "checkpoint a running container", "<container-id>",
      "The checkpoint command saves the state of the container instance."};
  /* Podman and CRI-O take a successful `checkpoint --help` to mean that
   * checkpointing works, so it fails when CRIU does not. */
  if (asks_for_help(argc, argv)) {
    berth_error *err = NULL;
    opts_print_command_help(&help, defs);
    if (checkpoint_criu_available(NULL, 0, &err) < 0)
      return cli_fail("checkpoint/restore is not available", err);
    return 0;
  }
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, false, &pos, &npos, 1, OPT_ARGS_EXACT);
  if (rc < 0) {
    struct checkpoint_opts o = {
        .root = g->root, .id = pos[0], .image_path = f.image_path, .work_path = f.work_path,
        .parent_path = f.parent_path, .leave_running = f.leave_running,
        .criu = with_empty_ns(f.criu, &f.empty_ns), .tcp_skip_in_flight = f.tcp_skip_in_flight,
        .link_remap = f.link_remap, .pre_dump = f.pre_dump, .status_fd = (int)f.status_fd,
        .page_server = f.page_server};
    berth_error *err = NULL;
    rc = container_checkpoint(&o, &err) < 0 ? cli_fail(NULL, err) : 0;
  }
  opts_list_free(&f.empty_ns);
  free(pos);
  return rc;
}

struct restore_flags {
  struct criu_flags criu; /* --empty-ns is parsed into empty_ns, then pointed to */
  const char *console_socket, *image_path, *work_path, *bundle, *pid_file;
  const char *lsm_profile, *lsm_mount_context;
  bool detach, no_subreaper, no_pivot;
  struct opt_list empty_ns;
};

/* Without --detach, restore behaves as `run`: it waits for the restored
 * init, relays its terminal, and deletes the container once it exits. */
static int restore_foreground(struct restore_opts *o, const struct restore_flags *f) {
  if (!f->no_subreaper)
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  o->keep_pty_master = true;
  struct restore_result res;
  berth_error *err = NULL;
  if (container_restore(o, &res, &err) < 0)
    return cli_fail(NULL, err);
  int status = 0, rc;
  if (foreground_wait(res.pid, res.pty_master, &status, &err) < 0) {
    rc = cli_fail(NULL, err);
    err = NULL;
  } else {
    rc = foreground_exit_code(status);
  }
  if (res.pty_master >= 0)
    close(res.pty_master);
  if (container_delete(o->root, o->id, true, &err) < 0)
    cli_fail("delete after restore", err);
  return rc;
}

static int restore_detached(const struct restore_opts *o) {
  struct restore_result res;
  berth_error *err = NULL;
  return container_restore(o, &res, &err) < 0 ? cli_fail(NULL, err) : 0;
}

int cmd_restore(struct cli_globals *g, int argc, char **argv) {
  struct restore_flags f = {0};
  const struct opt_def defs[] = {
      {"console-socket", 0, OPT_STRING, &f.console_socket,
       "path to an AF_UNIX socket which will receive a file descriptor referencing the master "
       "end of the console's pseudoterminal", "value"},
      {"image-path", 0, OPT_STRING, &f.image_path, "path to criu image files for restoring",
       "value"},
      {"work-path", 0, OPT_STRING, &f.work_path, "path for saving work files and logs",
       "value"},
      {"tcp-established", 0, OPT_BOOL, &f.criu.tcp_established, "allow open tcp connections", NULL},
      {"ext-unix-sk", 0, OPT_BOOL, &f.criu.ext_unix_sk, "allow external unix sockets", NULL},
      {"shell-job", 0, OPT_BOOL, &f.criu.shell_job, "allow shell jobs", NULL},
      {"file-locks", 0, OPT_BOOL, &f.criu.file_locks, "handle file locks, for safety", NULL},
      {"manage-cgroups-mode", 0, OPT_STRING, &f.criu.manage_cgroups_mode, CG_MODE_HELP, "value"},
      {"bundle", 'b', OPT_STRING, &f.bundle, "path to the root of the bundle directory",
       "value"},
      {"detach", 'd', OPT_BOOL, &f.detach, "detach from the container's process", NULL},
      {"pid-file", 0, OPT_STRING, &f.pid_file, "specify the file to write the process id to",
       "value"},
      {"no-subreaper", 0, OPT_BOOL, &f.no_subreaper, "disable the use of the subreaper used to "
                                                     "reap reparented processes", NULL},
      {"no-pivot", 0, OPT_BOOL, &f.no_pivot,
       "do not use pivot root to jail process inside rootfs.", NULL},
      {"empty-ns", 0, OPT_LIST, &f.empty_ns, EMPTY_NS_HELP, "value"},
      {"auto-dedup", 0, OPT_BOOL, &f.criu.auto_dedup, "enable auto deduplication of memory images",
       NULL},
      {"lazy-pages", 0, OPT_BOOL, &f.criu.lazy_pages,
       "use userfaultfd to lazily restore memory pages", NULL},
      {"lsm-profile", 0, OPT_STRING, &f.lsm_profile,
       "Specify an LSM profile to be used during restore in the form of TYPE:NAME.", "value"},
      {"lsm-mount-context", 0, OPT_STRING, &f.lsm_mount_context,
       "Specify an LSM mount context to be used during restore.", "value"},
      {0},
  };
  const struct opt_command_help help = {
      "restore", "restore a container from a previous checkpoint", "<container-id>",
      "Restores the saved state of the container instance that was previously saved using "
      "the berth checkpoint command."};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, false, &pos, &npos, 1, OPT_ARGS_EXACT);
  if (rc < 0) {
    struct restore_opts o = {
        .root = g->root, .id = pos[0], .bundle = f.bundle, .image_path = f.image_path,
        .work_path = f.work_path, .console_socket = f.console_socket, .pid_file = f.pid_file,
        .criu = with_empty_ns(f.criu, &f.empty_ns), .lsm_profile = f.lsm_profile,
        .lsm_mount_context = f.lsm_mount_context, .no_pivot = f.no_pivot,
        .systemd_cgroup = g->systemd_cgroup};
    rc = f.detach ? restore_detached(&o) : restore_foreground(&o, &f);
  }
  opts_list_free(&f.empty_ns);
  free(pos);
  return rc;
}
