/* The client side of CRIU's RPC (see criu.h for why the RPC, and why the
 * protobuf encoding is done here). */
#include "criu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec.h"

#define CRIU_MIN_VERSION 31700
#define RESP_MAX (64 * 1024)
#define SWRK_FD 3

/* ---- protobuf encoding: varints (wire type 0) and length-delimited (2) -- */

static void put_bytes(struct criu_msg *m, const void *p, size_t n) {
  if (m->oom)
    return;
  if (m->len + n > m->cap) {
    size_t cap = m->cap ? m->cap : 256;
    while (cap < m->len + n)
      cap *= 2;
    uint8_t *np = realloc(m->p, cap);
    if (np == NULL) {
      m->oom = true;
      return;
    }
    m->p = np;
    m->cap = cap;
  }
  memcpy(m->p + m->len, p, n);
  m->len += n;
}

static void put_varint(struct criu_msg *m, uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  do {
    b[n] = v & 0x7f;
    v >>= 7;
    if (v)
      b[n] |= 0x80;
    n++;
  } while (v);
  put_bytes(m, b, n);
}

static void put_key(struct criu_msg *m, unsigned field, unsigned wire_type) {
  put_varint(m, (uint64_t)field << 3 | wire_type);
}

void criu_msg_free(struct criu_msg *m) {
  free(m->p);
  *m = (struct criu_msg){0};
}

void criu_msg_bool(struct criu_msg *m, unsigned field, bool v) {
  put_key(m, field, 0);
  put_varint(m, v ? 1 : 0);
}

/* int32 and enums: negative values are sign-extended to 64 bits. */
void criu_msg_int(struct criu_msg *m, unsigned field, int64_t v) {
  put_key(m, field, 0);
  put_varint(m, (uint64_t)v);
}

static void put_len_delimited(struct criu_msg *m, unsigned field, const void *p, size_t n) {
  put_key(m, field, 2);
  put_varint(m, n);
  put_bytes(m, p, n);
}

void criu_msg_string(struct criu_msg *m, unsigned field, const char *s) {
  put_len_delimited(m, field, s, strlen(s));
}

void criu_msg_embed(struct criu_msg *m, unsigned field, const struct criu_msg *sub) {
  if (sub->oom)
    m->oom = true;
  put_len_delimited(m, field, sub->p, sub->len);
}

void criu_msg_pair(struct criu_msg *m, unsigned field, const char *a, const char *b) {
  struct criu_msg sub = {0};
  if (a != NULL)
    criu_msg_string(&sub, 1, a);
  criu_msg_string(&sub, 2, b);
  criu_msg_embed(m, field, &sub);
  criu_msg_free(&sub);
}

void criu_msg_inherit_fd(struct criu_msg *m, const char *key, int fd) {
  struct criu_msg sub = {0};
  criu_msg_string(&sub, 1, key);
  criu_msg_int(&sub, 2, fd);
  criu_msg_embed(m, CRIU_OPT_INHERIT_FD, &sub);
  criu_msg_free(&sub);
}

/* ---- protobuf decoding of criu_resp ------------------------------------ */

struct pb_field {
  unsigned num;
  unsigned wire_type;
  uint64_t v;       /* wire type 0 */
  const uint8_t *p; /* wire type 2 */
  size_t len;
};

static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return true;
  }
  return false;
}

/* The next field of [*p, end); false at the end or on malformed input. */
static bool next_field(const uint8_t **p, const uint8_t *end, struct pb_field *f) {
  uint64_t key, n;
  if (*p >= end || !get_varint(p, end, &key))
    return false;
  f->num = (unsigned)(key >> 3);
  f->wire_type = key & 7;
  switch (f->wire_type) {
  case 0:
    return get_varint(p, end, &f->v);
  case 1:
    if (end - *p < 8)
      return false;
    *p += 8;
    return true;
  case 2:
    if (!get_varint(p, end, &n) || n > (uint64_t)(end - *p))
      return false;
    f->p = *p;
    f->len = n;
    *p += n;
    return true;
  case 5:
    if (end - *p < 4)
      return false;
    *p += 4;
    return true;
  default:
    return false;
  }
}

struct criu_resp {
  int type;
  bool success;
  int cr_errno;
  char errmsg[512];
  char script[64];
  pid_t notify_pid;
  pid_t restored_pid;
  int version;
  bool mem_track, lazy_pages;
};

static void copy_string(char *dst, size_t cap, const struct pb_field *f) {
  size_t n = f->len < cap - 1 ? f->len : cap - 1;
  memcpy(dst, f->p, n);
  dst[n] = '\0';
}

/* Varint fields of a submessage, by field number (up to 8). */
static void sub_varints(const struct pb_field *f, int64_t out[8], char *str1, size_t str1_cap) {
  const uint8_t *p = f->p, *end = f->p + f->len;
  struct pb_field sf;
  while (next_field(&p, end, &sf)) {
    if (sf.wire_type == 0 && sf.num < 8)
      out[sf.num] = (int64_t)sf.v;
    else if (sf.wire_type == 2 && sf.num == 1 && str1 != NULL)
      copy_string(str1, str1_cap, &sf);
  }
}

static bool parse_resp(const uint8_t *buf, size_t n, struct criu_resp *r) {
  const uint8_t *p = buf, *end = buf + n;
  struct pb_field f;
  *r = (struct criu_resp){.type = -1};
  while (p < end) {
    if (!next_field(&p, end, &f))
      return false;
    int64_t sub[8] = {0};
    if (f.wire_type == 0) {
      if (f.num == 1)
        r->type = (int)f.v;
      else if (f.num == 2)
        r->success = f.v != 0;
      else if (f.num == 7)
        r->cr_errno = (int)f.v;
    } else if (f.wire_type == 2) {
      switch (f.num) {
      case 4: /* criu_restore_resp */
        sub_varints(&f, sub, NULL, 0);
        r->restored_pid = (pid_t)sub[1];
        break;
      case 5: /* criu_notify */
        sub_varints(&f, sub, r->script, sizeof(r->script));
        r->notify_pid = (pid_t)sub[2];
        break;
      case 8: /* criu_features */
        sub_varints(&f, sub, NULL, 0);
        r->mem_track = sub[1] != 0;
        r->lazy_pages = sub[2] != 0;
        break;
      case 9:
        copy_string(r->errmsg, sizeof(r->errmsg), &f);
        r->errmsg[strcspn(r->errmsg, "\n")] = '\0';
        break;
      case 10: /* criu_version */
        sub_varints(&f, sub, NULL, 0);
        r->version = (int)(sub[1] * 10000 + sub[2] * 100 + sub[4]);
        break;
      }
    }
  }
  return r->type >= 0;
}

/* ---- finding and starting criu ----------------------------------------- */

void criu_find(char *path, size_t len) {
  criu_find_tool("criu", path, len);
}

void criu_find_tool(const char *name, char *path, size_t len) {
  const char *env = getenv("PATH");
  const char *dirs = env && *env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  path[0] = '\0';
  for (const char *d = dirs; *d;) {
    const char *colon = strchr(d, ':');
    size_t n = colon ? (size_t)(colon - d) : strlen(d);
    if (n > 0 && n < PATH_MAX) {
      char cand[PATH_MAX];
      snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, d, name);
      struct stat st;
      if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
        snprintf(path, len, "%s", cand);
        return;
      }
    }
    d += n + (colon ? 1 : 0);
  }
}

/* In the child: the swrk socket at 3, the extra fds at 4..., everything
 * else as inherited (stdio stays, so restored processes can get it). */
static void exec_swrk(const char *path, int sock, const int *fds, size_t n, int err_pipe) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int base = 100 + (int)n;
  int moved_sock = fcntl(sock, F_DUPFD_CLOEXEC, base);
  int moved[64];
  for (size_t i = 0; i < n && i < 64; i++)
    moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, base);
  if (moved_sock < 0 || dup2(moved_sock, SWRK_FD) < 0)
    goto fail;
  for (size_t i = 0; i < n && i < 64; i++) {
    if (moved[i] < 0 || dup2(moved[i], SWRK_FD + 1 + (int)i) < 0)
      goto fail;
  }
  execl(path, "criu", "swrk", "3", (char *)NULL);
fail:;
  int e = errno;
  if (write(err_pipe, &e, sizeof(e)) < 0)
    _exit(126);
  _exit(127);
}

struct swrk {
  pid_t pid;
  int sock;
  char path[PATH_MAX];
};

static int not_found(berth_error **err) {
  const char *env = getenv("PATH");
  return berth_fail_id(err, "BERTH-E-CRIU-MISSING", 0,
                       "CRIU is needed for checkpoint and restore, but no \"criu\" was found in "
                       "PATH (%s); scripts/install-criu.sh installs one that works",
                       env ? env : "unset");
}

static int start_swrk(struct swrk *w, const int *fds, size_t n, berth_error **err) {
  criu_find(w->path, sizeof(w->path));
  if (w->path[0] == '\0')
    return not_found(err);
  if (n > 64)
    return berth_fail(err, EINVAL, "too many descriptors for criu");
  int sv[2], ep[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return berth_fail_errno(err, "socketpair for criu");
  if (pipe2(ep, O_CLOEXEC) < 0) {
    close(sv[0]);
    close(sv[1]);
    return berth_fail_errno(err, "pipe for criu");
  }
  /* criu is not made to die with berth (no PDEATHSIG), as runc does not:
   * a berth killed mid-request leaves criu to find the socket closed at
   * its next notification or answer and undo its own work, thawing and
   * resuming a dump's tasks or killing those of a restore. A criu killed
   * there instead could leave the container frozen, or its tasks
   * mid-restore with nobody to finish or end them. */
  w->pid = fork();
  if (w->pid == 0) {
    close(sv[0]);
    close(ep[0]);
    exec_swrk(w->path, sv[1], fds, n, ep[1]);
  }
  int saved = errno;
  close(sv[1]);
  close(ep[1]);
  if (w->pid < 0) {
    close(sv[0]);
    close(ep[0]);
    return berth_fail(err, saved, "fork for criu");
  }
  int child_errno = 0;
  ssize_t got = read(ep[0], &child_errno, sizeof(child_errno));
  close(ep[0]);
  if (got == (ssize_t)sizeof(child_errno)) {
    close(sv[0]);
    waitpid(w->pid, NULL, 0);
    return berth_fail(err, child_errno, "run \"%s swrk\"", w->path);
  }
  w->sock = sv[0];
  return 0;
}

static const char *req_name(int type) {
  switch (type) {
  case CRIU_REQ_DUMP: return "dump";
  case CRIU_REQ_RESTORE: return "restore";
  case CRIU_REQ_PRE_DUMP: return "pre-dump";
  case CRIU_REQ_NOTIFY: return "notify";
  case CRIU_REQ_FEATURE_CHECK: return "feature check";
  case CRIU_REQ_VERSION: return "version";
  default: return "request";
  }
}

/* The code of a failed request, by what the user was doing. */
static const char *req_code(int type) {
  switch (type) {
  case CRIU_REQ_DUMP:
  case CRIU_REQ_PRE_DUMP: return "BERTH-E-CRIU-DUMP";
  case CRIU_REQ_RESTORE: return "BERTH-E-CRIU-RESTORE";
  default: return NULL;
  }
}

/* ---- one request ------------------------------------------------------- */

static int send_msg(int sock, const struct criu_msg *m, berth_error **err) {
  if (m->oom)
    return berth_fail(err, ENOMEM, "build the request for criu");
  ssize_t n;
  do
    n = send(sock, m->p, m->len, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)m->len)
    return berth_fail_errno(err, "send a request to criu");
  return 0;
}

/* One packet from criu, with at most one passed fd (-1 when none).
 * Returns 0, or 1 when criu closed the socket. */
static int recv_msg(int sock, uint8_t *buf, size_t *len, int *fd, berth_error **err) {
  char cbuf[CMSG_SPACE(sizeof(int) * 4)];
  struct iovec iov = {.iov_base = buf, .iov_len = RESP_MAX};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                      .msg_controllen = sizeof(cbuf)};
  ssize_t n;
  do
    n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  *fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *fds = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < nfds; i++) {
      if (*fd < 0)
        *fd = fds[i];
      else
        close(fds[i]);
    }
  }
  if (n < 0)
    return berth_fail_errno(err, "read criu's answer");
  if (n == 0)
    return 1;
  if (mh.msg_flags & MSG_TRUNC) {
    if (*fd >= 0)
      close(*fd);
    return berth_fail(err, EMSGSIZE, "criu's answer is too long");
  }
  *len = (size_t)n;
  return 0;
}

static int reply_to_notify(int sock, bool ok, berth_error **err) {
  struct criu_msg m = {0};
  criu_msg_int(&m, 1, CRIU_REQ_NOTIFY);
  criu_msg_bool(&m, 3, ok);
  int rc = send_msg(sock, &m, err);
  criu_msg_free(&m);
  return rc;
}

static int handle_notify(const struct criu_call *c, int sock, const struct criu_resp *r, int fd,
                         berth_error **err) {
  struct criu_notify n = {.script = r->script, .pid = r->notify_pid, .fd = fd};
  int rc = 0;
  if (c->notify != NULL)
    rc = c->notify(c->notify_ctx, &n, err);
  else if (fd >= 0)
    close(fd);
  if (rc < 0) {
    berth_error *ignored = NULL;
    reply_to_notify(sock, false, &ignored);
    berth_error_free(ignored);
    return -1;
  }
  return reply_to_notify(sock, true, err);
}

/* Exchange packets until the answer to the request arrives. */
static int converse(const struct criu_call *c, struct swrk *w, struct criu_resp *r,
                    berth_error **err) {
  uint8_t *buf = malloc(RESP_MAX);
  if (buf == NULL)
    return berth_fail(err, ENOMEM, "buffer for criu");
  int rc = -1;
  for (;;) {
    size_t len = 0;
    int fd = -1;
    int got = recv_msg(w->sock, buf, &len, &fd, err);
    if (got < 0)
      break;
    if (got == 1) {
      berth_fail_id(err, req_code(c->type), 0,
                    "criu (%s) ended before it answered the %s request", w->path,
                    req_name(c->type));
      break;
    }
    if (!parse_resp(buf, len, r)) {
      if (fd >= 0)
        close(fd);
      berth_fail(err, EPROTO, "unreadable answer from criu (%s)", w->path);
      break;
    }
    if (r->type == CRIU_REQ_NOTIFY && r->success) {
      if (handle_notify(c, w->sock, r, fd, err) < 0)
        break;
      continue;
    }
    if (fd >= 0)
      close(fd);
    rc = 0;
    break;
  }
  free(buf);
  return rc;
}

/* The last lines of CRIU's log that report an error, for the message. */
static void quote_log(const char *path, char *out, size_t cap) {
  out[0] = '\0';
  FILE *f = path ? fopen(path, "re") : NULL;
  if (f == NULL)
    return;
  char *lines[3] = {NULL, NULL, NULL};
  size_t k = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t n;
  while ((n = getline(&line, &lcap, f)) > 0) {
    if (strstr(line, "Error") == NULL)
      continue;
    if (line[n - 1] == '\n')
      line[n - 1] = '\0';
    free(lines[k % 3]);
    lines[k % 3] = strdup(line);
    k++;
  }
  free(line);
  fclose(f);
  size_t first = k > 3 ? k - 3 : 0;
  size_t o = 0;
  for (size_t i = first; i < k && o < cap; i++)
    o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "; " : "", lines[i % 3] ? lines[i % 3] : "");
  for (size_t i = 0; i < 3; i++)
    free(lines[i]);
}

static int fail_with_log(const struct criu_call *c, const struct swrk *w,
                         const struct criu_resp *r, berth_error **err) {
  char quoted[2048];
  quote_log(c->log_path, quoted, sizeof(quoted));
  /* CRIU's own message is its first error; the log's last ones say more. */
  const char *why = quoted[0] ? quoted : r->errmsg;
  return berth_fail_id(err, req_code(c->type), r->cr_errno > 0 ? r->cr_errno : 0,
                       "criu %s failed (%s)%s%s%s%s%s", req_name(c->type), w->path,
                       why[0] ? ": " : "", why, c->log_path ? " (log: " : "",
                       c->log_path ? c->log_path : "", c->log_path ? ")" : "");
}

static int wait_swrk(struct swrk *w) {
  int status = 0;
  while (waitpid(w->pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return status;
}

int criu_run(const struct criu_call *c, struct criu_reply *out, berth_error **err) {
  struct swrk w = {.pid = -1, .sock = -1};
  *out = (struct criu_reply){0};
  if (start_swrk(&w, c->fds, c->n_fds, err) < 0)
    return -1;
  /* The started hook may still add options: encode the request after it. */
  int rc = c->started != NULL ? c->started(c->notify_ctx, w.pid, err) : 0;
  struct criu_msg req = {0};
  criu_msg_int(&req, 1, c->type);
  if (c->opts != NULL)
    criu_msg_embed(&req, 2, c->opts);
  if (c->features != NULL)
    criu_msg_embed(&req, 5, c->features);
  struct criu_resp r = {0};
  if (rc == 0)
    rc = send_msg(w.sock, &req, err);
  criu_msg_free(&req);
  if (rc == 0)
    rc = converse(c, &w, &r, err);
  if (rc == 0 && !r.success)
    rc = fail_with_log(c, &w, &r, err);
  /* Closing our end ends criu: after a pre-dump it would otherwise wait
   * for the dump that follows. */
  close(w.sock);
  if (rc < 0)
    kill(w.pid, SIGKILL);
  int status = wait_swrk(&w);
  if (rc < 0)
    return -1;
  if (c->type != CRIU_REQ_PRE_DUMP && status != 0 && c->type != CRIU_REQ_VERSION &&
      c->type != CRIU_REQ_FEATURE_CHECK) {
    struct criu_resp failed = {.cr_errno = 0};
    return fail_with_log(c, &w, &failed, err);
  }
  out->restored_pid = r.restored_pid;
  out->version = r.version;
  out->mem_track = r.mem_track;
  out->lazy_pages = r.lazy_pages;
  return 0;
}

int criu_check_version(int min, int *version, berth_error **err) {
  char path[PATH_MAX];
  criu_find(path, sizeof(path));
  if (path[0] == '\0')
    return not_found(err);
  struct criu_call c = {.type = CRIU_REQ_VERSION};
  struct criu_reply r;
  if (criu_run(&c, &r, err) < 0)
    return berth_wrap(err, "ask criu its version");
  if (min < CRIU_MIN_VERSION)
    min = CRIU_MIN_VERSION;
  if (version)
    *version = r.version;
  if (r.version < min) {
    return berth_fail_id(err, "BERTH-E-CRIU-VERSION", 0,
                         "criu %s is version %d.%d.%d; %d.%d.%d or newer is needed "
                         "(scripts/install-criu.sh installs one)", path,
                         r.version / 10000, r.version / 100 % 100, r.version % 100, min / 10000,
                         min / 100 % 100, min % 100);
  }
  return 0;
}

/* ---- pieces shared by checkpoint and restore --------------------------- */

static int cg_mode_parse(const char *mode, enum criu_cg_mode *out, berth_error **err) {
  static const struct {
    const char *name;
    enum criu_cg_mode mode;
  } modes[] = {{"soft", CRIU_CG_SOFT}, {"full", CRIU_CG_FULL}, {"strict", CRIU_CG_STRICT},
               {"ignore", CRIU_CG_IGNORE}};
  *out = CRIU_CG_DEFAULT;
  if (mode == NULL || *mode == '\0')
    return 0;
  for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    if (strcmp(mode, modes[i].name) == 0) {
      *out = modes[i].mode;
      return 0;
    }
  }
  return berth_fail_id(err, "BERTH-E-CRIU-OPTION", EINVAL,
                       "invalid manage-cgroups-mode value \"%s\"", mode);
}

static int empty_ns_flags(const char *const *names, size_t n, unsigned *out, berth_error **err) {
  static const struct {
    const char *name;
    unsigned flag;
  } kinds[] = {{"network", CLONE_NEWNET}, {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID},
               {"mount", CLONE_NEWNS},    {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},
               {"user", CLONE_NEWUSER},   {"cgroup", CLONE_NEWCGROUP}};
  *out = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    while (k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(names[i], kinds[k].name) != 0)
      k++;
    if (k == sizeof(kinds) / sizeof(kinds[0]))
      return berth_fail_id(err, "BERTH-E-CRIU-OPTION", EINVAL,
                           "namespace \"%s\" is not supported", names[i]);
    *out |= kinds[k].flag;
  }
  return 0;
}

static const char *annotation(const spec *s, const char *key) {
  for (size_t i = 0; i < s->annotations.n; i++) {
    if (strcmp(s->annotations.v[i].key, key) == 0)
      return s->annotations.v[i].value;
  }
  return NULL;
}

/* CRIU blocks the network namespace of the tree it dumps by running
 * iptables-restore inside it (its default lock), and fails where the host
 * has no iptables. Its nftables lock talks to the kernel through the
 * libnftables CRIU itself links, so it needs no program: taken when
 * iptables-restore is missing. Only for containers in a network namespace
 * other than the host's (made or joined), the only ones CRIU locks; the
 * others keep CRIU's default, which a CRIU built without nftables also
 * accepts. A restore unlocks with the method recorded in the images
 * (CRIU >= 3.16), whatever is asked here. The setting cannot come from
 * the CRIU configuration file instead: CRIU 4.1 crashes on "network-lock"
 * in a file named over the RPC. */
static void add_network_lock(struct criu_msg *m, const spec *s) {
  if (spec_find_namespace(s, NS_NETWORK) == NULL)
    return;
  char path[PATH_MAX];
  criu_find_tool("iptables-restore", path, sizeof(path));
  if (path[0] == '\0')
    criu_msg_int(m, CRIU_OPT_NETWORK_LOCK, CRIU_NETWORK_LOCK_NFTABLES);
}

static void msg_common(struct criu_msg *m, const spec *s, const char *log_file,
                     enum criu_cg_mode mode, unsigned empty_ns) {
  criu_msg_int(m, CRIU_OPT_LOG_LEVEL, 4);
  criu_msg_string(m, CRIU_OPT_LOG_FILE, log_file);
  criu_msg_bool(m, CRIU_OPT_NOTIFY_SCRIPTS, true);
  criu_msg_bool(m, CRIU_OPT_MANAGE_CGROUPS, true);
  criu_msg_int(m, CRIU_OPT_MANAGE_CGROUPS_MODE, mode);
  criu_msg_bool(m, CRIU_OPT_ORPHAN_PTS_MASTER, true);
  if (empty_ns)
    criu_msg_int(m, CRIU_OPT_EMPTY_NS, empty_ns);
  add_network_lock(m, s);
  /* The same file runc names, so a host's CRIU settings for containers
   * apply whichever of the two runtimes is installed. */
  const char *config = annotation(s, "org.criu.config");
  if (config == NULL)
    criu_msg_string(m, CRIU_OPT_CONFIG_FILE, "/etc/criu/runc.conf");
  else if (*config != '\0')
    criu_msg_string(m, CRIU_OPT_CONFIG_FILE, config);
}

int criu_msg_shared(struct criu_msg *m, const spec *s, const struct criu_shared_opts *o,
                    berth_error **err) {
  enum criu_cg_mode mode;
  unsigned empty_ns;
  const struct criu_flags *f = o->flags;
  if (cg_mode_parse(f->manage_cgroups_mode, &mode, err) < 0 ||
      empty_ns_flags(f->empty_ns, f->n_empty_ns, &empty_ns, err) < 0)
    return -1;
  criu_msg_int(m, CRIU_OPT_IMAGES_DIR_FD, o->image_fd);
  if (o->work_fd >= 0)
    criu_msg_int(m, CRIU_OPT_WORK_DIR_FD, o->work_fd);
  msg_common(m, s, o->log_file, mode, empty_ns);
  criu_msg_bool(m, CRIU_OPT_SHELL_JOB, f->shell_job);
  criu_msg_bool(m, CRIU_OPT_EXT_UNIX_SK, f->ext_unix_sk);
  criu_msg_bool(m, CRIU_OPT_TCP_ESTABLISHED, f->tcp_established);
  criu_msg_bool(m, CRIU_OPT_FILE_LOCKS, f->file_locks);
  criu_msg_bool(m, CRIU_OPT_AUTO_DEDUP, f->auto_dedup);
  criu_msg_bool(m, CRIU_OPT_LAZY_PAGES, f->lazy_pages);
  return 0;
}

const char *criu_ext_ns_key(int clone_flag) {
  return clone_flag == CLONE_NEWNET ? "extRootNetNS" : "extRootPidNS";
}

bool criu_mount_is_bind(const spec_mount *m) {
  if (m->type != NULL && strcmp(m->type, "bind") == 0)
    return true;
  for (size_t i = 0; i < m->options.n; i++) {
    if (strcmp(m->options.v[i], "bind") == 0 || strcmp(m->options.v[i], "rbind") == 0)
      return true;
  }
  return false;
}

bool criu_bind_source(const char *bundle, const spec_mount *m, char *buf, size_t len) {
  if (!criu_mount_is_bind(m) || m->source == NULL)
    return false;
  if (m->source[0] == '/')
    snprintf(buf, len, "%s", m->source);
  else
    snprintf(buf, len, "%s/%s", bundle, m->source);
  return true;
}

const char *const criu_default_devices[] = {"/dev/null",   "/dev/zero",    "/dev/full",
                                            "/dev/random", "/dev/urandom", "/dev/tty", NULL};

/* Masked files were recorded under the key "/dev/null" (see checkpoint.c),
 * which the default devices map back to the host's /dev/null. */
void criu_restore_mounts(struct criu_msg *m, const spec *s, const char *bundle) {
  for (size_t i = 0; i < s->n_mounts; i++) {
    char src[PATH_MAX];
    if (criu_bind_source(bundle, &s->mounts[i], src, sizeof(src)))
      criu_msg_pair(m, CRIU_OPT_EXT_MNT, s->mounts[i].destination, src);
  }
  for (size_t i = 0; criu_default_devices[i] != NULL; i++)
    criu_msg_pair(m, CRIU_OPT_EXT_MNT, criu_default_devices[i], criu_default_devices[i]);
  for (size_t i = 0; i < s->linux.n_devices; i++)
    criu_msg_pair(m, CRIU_OPT_EXT_MNT, s->linux.devices[i].path, s->linux.devices[i].path);
}

const char *criu_ns_name(int type) {
  switch (type) {
  case NS_NETWORK: return "net";
  case NS_PID: return "pid";
  case NS_MOUNT: return "mnt";
  case NS_IPC: return "ipc";
  case NS_UTS: return "uts";
  case NS_USER: return "user";
  case NS_TIME: return "time";
  default: return NULL;
  }
}

/* One line of /proc/PID/cgroup: "ID:CONTROLLERS:PATH". */
struct cg_line {
  char ctrls[256];
  char path[PATH_MAX];
};

static size_t read_cgroup_lines(pid_t pid, struct cg_line *out, size_t cap) {
  char file[64];
  snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
  FILE *f = fopen(file, "re");
  if (f == NULL)
    return 0;
  char line[PATH_MAX + 300];
  size_t n = 0;
  while (n < cap && fgets(line, sizeof(line), f)) {
    char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (b == NULL)
      continue;
    line[strcspn(line, "\n")] = '\0';
    snprintf(out[n].ctrls, sizeof(out[n].ctrls), "%.*s", (int)(b - a - 1), a + 1);
    snprintf(out[n].path, sizeof(out[n].path), "%s", b + 1);
    n++;
  }
  fclose(f);
  return n;
}

/* Every controller of `ctrls` is among the mount's comma-separated super
 * options ("rw,cpu,cpuacct", "rw,name=systemd"). */
static bool ctrls_in_options(const char *ctrls, const char *options) {
  char copy[256];
  snprintf(copy, sizeof(copy), "%s", ctrls);
  for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    size_t n = strlen(tok);
    const char *p = options;
    bool found = false;
    while (!found && (p = strstr(p, tok)) != NULL) {
      found = (p == options || p[-1] == ',') && (p[n] == ',' || p[n] == '\0');
      p += n;
    }
    if (!found)
      return false;
  }
  return true;
}

/* The host's hierarchies are the cgroup mounts right below /sys/fs/cgroup;
 * each bind under the container's cgroup mount is named after one. */
static void map_cgroup_binds(struct criu_msg *m, const char *dest, const struct cg_line *lines,
                             size_t n) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char mnt[PATH_MAX], fstype[64], source[256], options[512];
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
        sscanf(sep + 3, "%63s %255s %511s", fstype, source, options) != 3)
      continue;
    const char *name = mnt + strlen("/sys/fs/cgroup/");
    if (strncmp(mnt, "/sys/fs/cgroup/", strlen("/sys/fs/cgroup/")) != 0 ||
        strchr(name, '/') != NULL || strncmp(fstype, "cgroup", 6) != 0)
      continue;
    bool v2 = strcmp(fstype, "cgroup2") == 0;
    for (size_t i = 0; i < n; i++) {
      if (v2 ? lines[i].ctrls[0] != '\0'
             : lines[i].ctrls[0] == '\0' || !ctrls_in_options(lines[i].ctrls, options))
        continue;
      char key[PATH_MAX], val[PATH_MAX * 2];
      snprintf(key, sizeof(key), "%s/%s", dest, name);
      snprintf(val, sizeof(val), "%s%s", mnt, lines[i].path);
      criu_msg_pair(m, CRIU_OPT_EXT_MNT, key, val);
      break;
    }
  }
  free(line);
  fclose(f);
}

int criu_restore_cgroups(struct criu_msg *m, const spec *s, pid_t criu_pid, berth_error **err) {
  struct cg_line *lines = calloc(32, sizeof(*lines));
  if (lines == NULL)
    return berth_fail(err, ENOMEM, "read criu's cgroups");
  size_t n = read_cgroup_lines(criu_pid, lines, 32);
  for (size_t i = 0; i < n; i++) {
    /* cgroup2's line has no controllers: CRIU calls that hierarchy "". */
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", lines[i].ctrls);
    if (copy[0] == '\0')
      criu_msg_pair(m, CRIU_OPT_CG_ROOT, "", lines[i].path);
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save))
      criu_msg_pair(m, CRIU_OPT_CG_ROOT, tok, lines[i].path);
  }
  const bool cgroupns = spec_find_namespace(s, NS_CGROUP) != NULL;
  for (size_t i = 0; !cgroupns && i < s->n_mounts; i++) {
    if (s->mounts[i].type && strcmp(s->mounts[i].type, "cgroup") == 0)
      map_cgroup_binds(m, s->mounts[i].destination, lines, n);
  }
  free(lines);
  if (n == 0)
    return berth_fail(err, ENOENT, "read /proc/%d/cgroup", (int)criu_pid);
  return 0;
}
