#include "linux/idmap.h"
#include "linux/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/clone_fork.h"
#include "linux/mount_options.h"
#include "linux/rootfs_internal.h"

/* The kernel's SCM_MAX_FD: descriptors one message may carry. */
#define TREES_PER_MESSAGE 253

struct idmap_trees {
  size_t n_mounts;
  int *fds;      /* per spec mount: its claimed tree, or -1 */
  size_t n_trees;
  int holder[2]; /* the trees in flight: [1] sent them, [0] gives them out */
};

/* What one idmapped mount needs, worked out from its spec entry. */
typedef struct idmap_plan {
  bool recursive_bind;  /* rbind: the whole tree under the source */
  bool recursive_idmap; /* ridmap: every mount of it gets the mapping */
  const spec_idmaps *uids, *gids;
  const char *userns_path; /* the container joins this user namespace */
} idmap_plan;

/* User namespaces already made during one prepare, so mounts with the same
 * mapping share one. */
typedef struct userns_cache {
  struct cached_userns {
    const spec_idmaps *uids, *gids;
    int fd;
  } *v;
  size_t n;
} userns_cache;

bool idmap_wanted(const spec_mount *m) {
  if (m->uid_mappings.n > 0 || m->gid_mappings.n > 0)
    return true;
  for (size_t i = 0; i < m->options.n; i++)
    if (strcmp(m->options.v[i], "idmap") == 0 || strcmp(m->options.v[i], "ridmap") == 0)
      return true;
  return false;
}

/* The option without mappings borrows the container's user namespace. */
static int plan_mappings(const spec *s, const spec_mount *m, idmap_plan *p, berth_error **err) {
  if (m->uid_mappings.n > 0 || m->gid_mappings.n > 0) {
    p->uids = &m->uid_mappings;
    p->gids = &m->gid_mappings;
  } else {
    const spec_namespace *u = spec_find_namespace(s, NS_USER);
    if (u != NULL && u->path != NULL)
      p->userns_path = u->path;
    p->uids = &s->linux.uid_mappings;
    p->gids = &s->linux.gid_mappings;
    if (u == NULL)
      return berth_fail_id(err, "BERTH-E-IDMAP-MAPPINGS", 0,
                           "idmapped mounts must have both uid and gid mappings "
                           "specified (or a user namespace to take them from)");
  }
  if (p->userns_path == NULL && (p->uids->n == 0 || p->gids->n == 0))
    return berth_fail_id(err, "BERTH-E-IDMAP-MAPPINGS", 0,
                         "idmapped mounts must have both uid and gid mappings specified");
  return 0;
}

static int plan_mount(const spec *s, const spec_mount *m, idmap_plan *p, berth_error **err) {
  memset(p, 0, sizeof(*p));
  mount_options mo;
  if (mount_options_parse(&m->options, &mo, err) < 0)
    return -1;
  bool bind = (mo.flags & MS_BIND) != 0 || (m->type != NULL && strcmp(m->type, "bind") == 0);
  p->recursive_bind = (mo.flags & MS_REC) != 0;
  p->recursive_idmap = mo.idmap && mo.idmap_recursive;
  mount_options_free(&mo);
  if (!bind)
    return berth_fail_id(err, "BERTH-E-IDMAP-NOT-BIND", 0,
                         "idmapped mounts are only supported for bind mounts");
  if (geteuid() != 0)
    return berth_fail_id(err, "BERTH-E-IDMAP-ROOTLESS", 0,
                         "idmapped mounts are not supported for rootless containers");
  if (m->source == NULL)
    return berth_fail_id(err, "BERTH-E-MOUNT-SOURCE", 0, "a bind mount needs a source");
  return plan_mappings(s, m, p, err);
}


/* A child cloned into a new user namespace only waits for its pipe to
 * close; the runtime writes its maps and opens its namespace, whose open
 * descriptor keeps the namespace alive once the child is gone. */
static int new_userns(const spec_idmaps *uids, const spec_idmaps *gids, berth_error **err) {
  int wait_pipe[2];
  if (pipe2(wait_pipe, O_CLOEXEC) < 0)
    return berth_fail_errno(err, "pipe");
  pid_t pid = clone_fork(CLONE_NEWUSER | SIGCHLD);
  if (pid == 0) {
    char c;
    close(wait_pipe[1]);
    while (read(wait_pipe[0], &c, 1) < 0 && errno == EINTR)
      ;
    _exit(0);
  }
  int saved = errno;
  close(wait_pipe[0]);
  int fd = -1;
  if (pid < 0) {
    berth_fail(err, saved, "clone a user namespace");
  } else if (ns_write_id_map(pid, "uid_map", uids, err) == 0 &&
             ns_write_id_map(pid, "gid_map", gids, err) == 0) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
      berth_fail_errno(err, "open %s", path);
  }
  close(wait_pipe[1]);
  if (pid > 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  return fd;
}

static bool maps_equal(const spec_idmaps *a, const spec_idmaps *b) {
  return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof(a->v[0])) == 0;
}

/* The namespace fd stays owned by the cache. */
static int userns_for(userns_cache *c, const idmap_plan *p, berth_error **err) {
  if (p->userns_path != NULL) {
    int fd = open(p->userns_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return berth_fail_errno_id(err, "BERTH-E-IDMAP-USERNS",
                                 "open user namespace \"%s\"", p->userns_path);
    c->v[c->n++] = (struct cached_userns){.fd = fd};
    return fd;
  }
  for (size_t i = 0; i < c->n; i++)
    if (c->v[i].uids != NULL && maps_equal(c->v[i].uids, p->uids) &&
        maps_equal(c->v[i].gids, p->gids))
      return c->v[i].fd;
  int fd = new_userns(p->uids, p->gids, err);
  if (fd >= 0)
    c->v[c->n++] = (struct cached_userns){.uids = p->uids, .gids = p->gids, .fd = fd};
  return fd;
}

/* EINVAL from MOUNT_ATTR_IDMAP mostly means the filesystem cannot do it:
 * name the filesystem, which the user can act on. */
static int explain_idmap_failure(const char *source, berth_error **err) {
  int saved = errno;
  if (saved != EINVAL)
    return berth_fail_id(err, "BERTH-E-IDMAP-UNSUPPORTED", saved,
                         "set MOUNT_ATTR_IDMAP on \"%s\"", source);
  char real[PATH_MAX], fstype[64] = "unknown";
  mountinfo mi;
  berth_error *ignored = NULL;
  if (realpath(source, real) != NULL && mountinfo_read(&mi, &ignored) == 0) {
    const mountinfo_entry *e = mountinfo_holding(&mi, real);
    if (e != NULL)
      snprintf(fstype, sizeof(fstype), "%s", e->fstype);
    mountinfo_free(&mi);
  }
  berth_error_free(ignored);
  return berth_fail_id(err, "BERTH-E-IDMAP-UNSUPPORTED", EINVAL,
                       "set MOUNT_ATTR_IDMAP on \"%s\": its filesystem (%s) does "
                       "not support idmapped mounts on this kernel", source, fstype);
}

/* Slave, as a bind made inside the container's rslave mount namespace
 * would be: host mounts still reach it, nothing flows back to the host. */
static int make_tree(const char *source, const idmap_plan *p, int userns_fd,
                     berth_error **err) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (p->recursive_bind ? AT_RECURSIVE : 0);
  int tree = open_tree(AT_FDCWD, source, flags);
  if (tree < 0)
    return berth_fail_errno_id(err, "BERTH-E-MOUNT-SOURCE", "bind source \"%s\"", source);
  struct mount_attr slave = {.propagation = MS_SLAVE};
  struct mount_attr idmap = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
  unsigned idmap_at = AT_EMPTY_PATH | (p->recursive_idmap ? AT_RECURSIVE : 0);
  if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave, sizeof(slave)) < 0) {
    berth_fail_errno(err, "make the clone of \"%s\" a slave", source);
  } else if (mount_setattr(tree, "", idmap_at, &idmap, sizeof(idmap)) < 0) {
    explain_idmap_failure(source, err);
  } else {
    return tree;
  }
  close(tree);
  return -1;
}

static int prepare_one(const spec *s, size_t i, const char *bundle, userns_cache *cache,
                       int *tree, berth_error **err) {
  const spec_mount *m = &s->mounts[i];
  idmap_plan p;
  if (plan_mount(s, m, &p, err) < 0)
    return -1;
  char source[PATH_MAX];
  if (m->source[0] != '/' && bundle != NULL)
    snprintf(source, sizeof(source), "%s/%s", bundle, m->source);
  else
    snprintf(source, sizeof(source), "%s", m->source);
  int userns_fd = userns_for(cache, &p, err);
  if (userns_fd < 0)
    return -1;
  *tree = make_tree(source, &p, userns_fd, err);
  return *tree < 0 ? -1 : 0;
}

/* One message per batch: the mount indexes as data, the trees as
 * SCM_RIGHTS. The sender's copies are closed once they are in flight. */
static int send_batch(struct idmap_trees *t, const uint32_t *index, size_t n,
                      berth_error **err) {
  union {
    char buf[CMSG_SPACE(sizeof(int) * TREES_PER_MESSAGE)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = (void *)index, .iov_len = n * sizeof(*index)};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * n);
  int *fds = (int *)CMSG_DATA(c);
  for (size_t k = 0; k < n; k++)
    fds[k] = t->fds[index[k]];
  if (sendmsg(t->holder[1], &msg, MSG_NOSIGNAL) < 0)
    return berth_fail_errno(err, "hold the idmapped mount trees");
  for (size_t k = 0; k < n; k++) {
    close(t->fds[index[k]]);
    t->fds[index[k]] = -1;
  }
  return 0;
}

static int park(struct idmap_trees *t, berth_error **err) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t->holder) < 0)
    return berth_fail_errno(err, "socketpair");
  uint32_t index[TREES_PER_MESSAGE];
  size_t n = 0;
  for (size_t i = 0; i < t->n_mounts; i++) {
    if (t->fds[i] < 0)
      continue;
    index[n++] = (uint32_t)i;
    if (n == TREES_PER_MESSAGE) {
      if (send_batch(t, index, n, err) < 0)
        return -1;
      n = 0;
    }
  }
  return n > 0 ? send_batch(t, index, n, err) : 0;
}

static struct idmap_trees *trees_new(size_t n_mounts) {
  struct idmap_trees *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->fds = malloc(n_mounts * sizeof(int));
  if (t->fds == NULL) {
    free(t);
    return NULL;
  }
  t->n_mounts = n_mounts;
  for (size_t i = 0; i < n_mounts; i++)
    t->fds[i] = -1;
  t->holder[0] = t->holder[1] = -1;
  return t;
}

static void cache_free(userns_cache *c) {
  for (size_t i = 0; i < c->n; i++)
    close(c->v[i].fd);
  free(c->v);
}

int idmap_prepare(const spec *s, const char *bundle, struct idmap_trees **out,
                  berth_error **err) {
  *out = NULL;
  size_t wanted = 0;
  for (size_t i = 0; i < s->n_mounts; i++)
    wanted += idmap_wanted(&s->mounts[i]);
  if (wanted == 0)
    return 0;
  struct idmap_trees *t = trees_new(s->n_mounts);
  userns_cache cache = {.v = calloc(wanted, sizeof(*cache.v))};
  if (t == NULL || cache.v == NULL) {
    free(cache.v);
    idmap_trees_free(t);
    return berth_fail(err, ENOMEM, "prepare idmapped mounts");
  }
  int rc = 0;
  for (size_t i = 0; i < s->n_mounts && rc == 0; i++) {
    const spec_mount *m = &s->mounts[i];
    if (!idmap_wanted(m))
      continue;
    rc = prepare_one(s, i, bundle, &cache, &t->fds[i], err);
    if (rc < 0)
      berth_wrap(err, "mounts[%zu] (\"%s\")", i, m->destination ? m->destination : "");
    else
      t->n_trees++;
  }
  cache_free(&cache);
  if (rc == 0)
    rc = park(t, err);
  if (rc < 0) {
    idmap_trees_free(t);
    return -1;
  }
  *out = t;
  return 0;
}

int idmap_trees_holder_fd(const struct idmap_trees *t) {
  return t != NULL ? t->holder[0] : -1;
}

/* Fills t->fds from one message; returns how many trees it carried. */
static ssize_t claim_batch(struct idmap_trees *t, berth_error **err) {
  uint32_t index[TREES_PER_MESSAGE];
  union {
    char buf[CMSG_SPACE(sizeof(int) * TREES_PER_MESSAGE)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = index, .iov_len = sizeof(index)};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = sizeof(control.buf)};
  ssize_t got = recvmsg(t->holder[0], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (got < 0)
    return berth_fail_errno(err, "take the idmapped mount trees");
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  size_t n = (size_t)got / sizeof(uint32_t);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS || (msg.msg_flags & MSG_CTRUNC) ||
      (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) != n)
    return berth_fail(err, EPROTO, "take the idmapped mount trees");
  const int *fds = (const int *)CMSG_DATA(c);
  for (size_t k = 0; k < n; k++) {
    if (index[k] < t->n_mounts && t->fds[index[k]] < 0)
      t->fds[index[k]] = fds[k];
    else
      close(fds[k]);
  }
  return (ssize_t)n;
}

int idmap_trees_claim(struct idmap_trees *t, berth_error **err) {
  if (t == NULL || t->holder[0] < 0)
    return 0;
  for (size_t claimed = 0; claimed < t->n_trees;) {
    ssize_t n = claim_batch(t, err);
    if (n <= 0)
      return n < 0 ? -1 : berth_fail(err, EPROTO, "take the idmapped mount trees");
    claimed += (size_t)n;
  }
  for (int i = 0; i < 2; i++) {
    if (t->holder[i] >= 0)
      close(t->holder[i]);
    t->holder[i] = -1;
  }
  return 0;
}

int idmap_tree_fd(const struct idmap_trees *t, size_t mount_index) {
  if (t == NULL || mount_index >= t->n_mounts)
    return -1;
  return t->fds[mount_index];
}

void idmap_trees_free(struct idmap_trees *t) {
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->n_mounts; i++)
    if (t->fds[i] >= 0)
      close(t->fds[i]);
  for (int i = 0; i < 2; i++)
    if (t->holder[i] >= 0)
      close(t->holder[i]);
  free(t->fds);
  free(t);
}
