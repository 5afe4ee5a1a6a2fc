/* checkpoint and restore: a running container's processes saved to images
 * by CRIU, and a container made again from such images. */
#ifndef BERTH_CHECKPOINT_H
#define BERTH_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* The flags checkpoint and restore both take, as runc's of the same names,
 * handed to CRIU alike by both (criu_msg_shared). */
struct criu_flags {
  const char *manage_cgroups_mode; /* soft, full, strict, ignore; NULL or "": CRIU's default */
  const char *const *empty_ns;     /* namespace names, "network" as in the spec */
  size_t n_empty_ns;
  bool shell_job;
  bool ext_unix_sk;
  bool tcp_established;
  bool file_locks;
  bool auto_dedup;
  bool lazy_pages;
};

struct checkpoint_opts {
  const char *root;
  const char *id;
  const char *image_path;  /* NULL: "checkpoint" in the current directory */
  const char *work_path;   /* NULL: logs go to the image directory */
  const char *parent_path; /* previous (pre-)dump, relative to image_path */
  struct criu_flags criu;
  bool leave_running;
  bool tcp_skip_in_flight;
  bool link_remap;
  bool pre_dump;
  int status_fd;           /* -1: none; gets "\0" once lazy pages are served */
  const char *page_server; /* "ADDRESS:PORT" or NULL */
};

/* Dump the container. Unless leave_running or pre_dump, the container is
 * gone afterwards (as after `delete`), to be brought back by restore. */
int container_checkpoint(const struct checkpoint_opts *o, berth_error **err);

struct restore_opts {
  const char *root;
  const char *id;
  const char *bundle;     /* NULL: the current directory */
  const char *image_path; /* NULL: "checkpoint" in the current directory */
  const char *work_path;
  const char *console_socket;
  const char *pid_file;
  struct criu_flags criu;
  const char *lsm_profile;       /* "TYPE:NAME" */
  const char *lsm_mount_context; /* SELinux context for the restored mounts */
  bool no_pivot; /* accepted for runc's sake: CRIU restores the mount tree */
  bool systemd_cgroup;
  /* Foreground restore with a terminal keeps the pty master instead of
   * sending it to a console socket. */
  bool keep_pty_master;
};

struct restore_result {
  pid_t pid;      /* host pid of the restored init, a child of the caller */
  int pty_master; /* -1 unless keep_pty_master and the container has a tty */
};

/* Make container `id` from the images: state directory, cgroup, the
 * process tree in its namespaces, state.json and the pid file. A failure
 * leaves none of it behind. */
int container_restore(const struct restore_opts *o, struct restore_result *res,
                      berth_error **err);

/* Whether CRIU can be used: `criu` found on PATH and at least 3.17.
 * `version` gets e.g. "4.1.1" (may be NULL). */
int checkpoint_criu_available(char *version, size_t len, berth_error **err);

#endif
