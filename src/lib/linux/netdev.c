#include "linux/netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- a minimal rtnetlink client ---- */

typedef struct nl_sock {
  int fd;
  uint32_t seq;
} nl_sock;

/* One request: header, fixed body, then attributes, all NLMSG_ALIGNed. */
typedef struct nl_req {
  union {
    struct nlmsghdr h;
    char bytes[512];
  } u;
} nl_req;

static void req_init(nl_req *r, uint16_t type, uint16_t flags, const void *body, size_t len) {
  memset(r, 0, sizeof(*r));
  r->u.h.nlmsg_type = type;
  r->u.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
  r->u.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
  memcpy(NLMSG_DATA(&r->u.h), body, len);
}

/* Requests here carry a few short attributes, far below the buffer. */
static void req_attr(nl_req *r, uint16_t type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)(r->u.bytes + NLMSG_ALIGN(r->u.h.nlmsg_len));
  a->rta_type = type;
  a->rta_len = (uint16_t)RTA_LENGTH(len);
  memcpy(RTA_DATA(a), data, len);
  r->u.h.nlmsg_len = (uint32_t)(NLMSG_ALIGN(r->u.h.nlmsg_len) + RTA_ALIGN(a->rta_len));
}

typedef void (*nl_msg_fn)(const struct nlmsghdr *h, void *arg);

/* Handle one received batch; 1 when the answer is complete, 0 for more,
 * -errno for a kernel error. */
static int nl_batch(const nl_sock *s, char *buf, size_t len, nl_msg_fn fn, void *arg) {
  for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_seq != s->seq)
      continue; /* a late answer to an earlier request */
    if (h->nlmsg_type == NLMSG_DONE)
      return 1;
    if (h->nlmsg_type == NLMSG_ERROR) {
      const struct nlmsgerr *e = NLMSG_DATA(h);
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
        return -EBADMSG;
      return e->error == 0 ? 1 : e->error;
    }
    if (fn != NULL)
      fn(h, arg);
  }
  return 0;
}

/* Send `r` and read until its ACK (or NLMSG_DONE for a dump), passing data
 * messages to `fn`. Returns 0 or -errno. */
static int nl_talk(nl_sock *s, nl_req *r, nl_msg_fn fn, void *arg) {
  enum { BUF_SIZE = 65536 }; /* more than one dump batch of the kernel */
  r->u.h.nlmsg_seq = ++s->seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(s->fd, r, r->u.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
    return -errno;
  char *buf = malloc(BUF_SIZE);
  if (buf == NULL)
    return -ENOMEM;
  int rc = 0;
  while (rc == 0) {
    struct sockaddr_nl from;
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(s->fd, buf, BUF_SIZE, MSG_TRUNC, (struct sockaddr *)&from, &from_len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      rc = -errno;
    else if (from.nl_pid != 0)
      continue; /* only the kernel's answers count */
    else if (n > BUF_SIZE)
      rc = -EMSGSIZE;
    else
      rc = nl_batch(s, buf, (size_t)n, fn, arg);
  }
  free(buf);
  return rc > 0 ? 0 : rc;
}

/* A NETLINK_ROUTE socket bound to the network namespace `netns_fd` (the
 * caller's when -1). A socket keeps the namespace it was created in, so the
 * thread enters the namespace only for the socket() call. */
static int nl_open(int netns_fd, nl_sock *s, berth_error **err) {
  s->seq = 0;
  s->fd = -1;
  int home = -1;
  if (netns_fd >= 0) {
    home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0)
      return berth_fail_errno(err, "open the runtime's network namespace");
    if (setns(netns_fd, CLONE_NEWNET) < 0) {
      close(home);
      return berth_fail_errno(err, "enter the container's network namespace");
    }
  }
  s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  int socket_errno = errno;
  if (home >= 0) {
    int back = setns(home, CLONE_NEWNET);
    close(home);
    if (back < 0) /* the thread would act in the container's namespace */
      return berth_fail_errno(err, "return to the runtime's network namespace");
  }
  if (s->fd < 0)
    return berth_fail(err, socket_errno, "open a netlink socket");
  return 0;
}

static void nl_close(nl_sock *s) {
  if (s->fd >= 0)
    close(s->fd);
  s->fd = -1;
}

/* ---- links ---- */

typedef struct link_info {
  int index;
  unsigned flags;
} link_info;

static void on_link(const struct nlmsghdr *h, void *arg) {
  if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
    return;
  const struct ifinfomsg *ifi = NLMSG_DATA(h);
  link_info *out = arg;
  out->index = ifi->ifi_index;
  out->flags = ifi->ifi_flags;
}

/* 0, or -ENODEV when the namespace has no such interface. */
static int link_get(nl_sock *s, const char *name, link_info *out) {
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  nl_req r;
  req_init(&r, RTM_GETLINK, NLM_F_ACK, &ifi, sizeof(ifi));
  req_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  out->index = 0;
  int rc = nl_talk(s, &r, on_link, out);
  if (rc == 0 && out->index <= 0)
    rc = -ENODEV;
  return rc;
}

static int link_set_up(nl_sock *s, int index, bool up) {
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_change = IFF_UP,
                          .ifi_flags = up ? IFF_UP : 0};
  nl_req r;
  req_init(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof(ifi));
  return nl_talk(s, &r, NULL, NULL);
}

/* Move and rename in one message, so that neither name is ever taken
 * half-way. */
static int link_move(nl_sock *s, int index, const char *new_name, int netns_fd) {
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};
  uint32_t fd = (uint32_t)netns_fd;
  nl_req r;
  req_init(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof(ifi));
  req_attr(&r, IFLA_NET_NS_FD, &fd, sizeof(fd));
  req_attr(&r, IFLA_IFNAME, new_name, strlen(new_name) + 1);
  return nl_talk(s, &r, NULL, NULL);
}

/* ---- addresses ---- */

typedef struct saved_addr {
  uint8_t family, prefixlen;
  uint8_t addr[16];
} saved_addr;

typedef struct addr_list {
  int index;
  saved_addr *v;
  size_t n;
  bool oom;
} addr_list;

/* Only permanent addresses of global scope travel, as with runc: the rest
 * are host-specific, automatic or short-lived. */
static bool worth_keeping(const struct ifaddrmsg *ifa, const struct rtattr *flags_attr) {
  uint32_t flags = ifa->ifa_flags;
  if (flags_attr != NULL && RTA_PAYLOAD(flags_attr) >= sizeof(uint32_t))
    memcpy(&flags, RTA_DATA(flags_attr), sizeof(flags));
  return (flags & IFA_F_PERMANENT) && ifa->ifa_scope == RT_SCOPE_UNIVERSE &&
         (ifa->ifa_family == AF_INET || ifa->ifa_family == AF_INET6);
}

static void on_addr(const struct nlmsghdr *h, void *arg) {
  addr_list *l = arg;
  if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
    return;
  const struct ifaddrmsg *ifa = NLMSG_DATA(h);
  if ((int)ifa->ifa_index != l->index)
    return;
  const struct rtattr *local = NULL, *address = NULL, *flags = NULL;
  int len = (int)IFA_PAYLOAD(h);
  for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFA_LOCAL)
      local = a;
    else if (a->rta_type == IFA_ADDRESS)
      address = a;
    else if (a->rta_type == IFA_FLAGS)
      flags = a;
  }
  const struct rtattr *use = local ? local : address;
  size_t want = ifa->ifa_family == AF_INET ? 4 : 16;
  if (use == NULL || RTA_PAYLOAD(use) != want || !worth_keeping(ifa, flags))
    return;
  saved_addr *v = realloc(l->v, (l->n + 1) * sizeof(*v));
  if (v == NULL) {
    l->oom = true;
    return;
  }
  l->v = v;
  saved_addr *s = &v[l->n++];
  memset(s, 0, sizeof(*s));
  s->family = ifa->ifa_family;
  s->prefixlen = ifa->ifa_prefixlen;
  memcpy(s->addr, RTA_DATA(use), want);
}

static int addrs_get(nl_sock *s, int index, addr_list *out) {
  memset(out, 0, sizeof(*out));
  out->index = index;
  struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
  nl_req r;
  req_init(&r, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa));
  int rc = nl_talk(s, &r, on_addr, out);
  if (rc == 0 && out->oom)
    rc = -ENOMEM;
  return rc;
}

static int addr_add(nl_sock *s, int index, const saved_addr *a) {
  struct ifaddrmsg ifa = {.ifa_family = a->family, .ifa_prefixlen = a->prefixlen,
                          .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (uint32_t)index};
  size_t len = a->family == AF_INET ? 4 : 16;
  nl_req r;
  req_init(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
  req_attr(&r, IFA_ADDRESS, a->addr, len);
  if (a->family == AF_INET) {
    req_attr(&r, IFA_LOCAL, a->addr, len);
    if (a->prefixlen < 31) { /* what `ip addr add ... brd +` would set */
      uint32_t ip, mask = a->prefixlen ? htonl(~0U << (32 - a->prefixlen)) : 0;
      memcpy(&ip, a->addr, 4);
      uint32_t brd = ip | ~mask;
      req_attr(&r, IFA_BROADCAST, &brd, 4);
    }
  }
  int rc = nl_talk(s, &r, NULL, NULL);
  return rc == -EEXIST ? 0 : rc;
}

/* ---- one device ---- */

typedef struct move_ctx {
  nl_sock *from, *to;
  int to_netns_fd;
  const char *where; /* "into the container" or "back to the host" */
} move_ctx;

static int fail_dev(berth_error **err, const char *host_name, int neg_errno, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

static int fail_dev(berth_error **err, const char *host_name, int neg_errno, const char *fmt,
                    ...) {
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  return berth_fail_id(err, "BERTH-E-NETDEV-MOVE", -neg_errno,
                       "linux.netDevices[\"%s\"]: %s", host_name, what);
}

/* After the move: addresses back on, link up, in the target namespace. */
static int settle(const move_ctx *m, const char *host_name, const char *to_name,
                  const addr_list *addrs, berth_error **err) {
  link_info moved;
  int rc = link_get(m->to, to_name, &moved);
  if (rc < 0)
    return fail_dev(err, host_name, rc, "find \"%s\" after the move", to_name);
  for (size_t i = 0; i < addrs->n; i++) {
    rc = addr_add(m->to, moved.index, &addrs->v[i]);
    if (rc < 0)
      return fail_dev(err, host_name, rc, "restore an address of \"%s\"", to_name);
  }
  rc = link_set_up(m->to, moved.index, true);
  if (rc < 0)
    return fail_dev(err, host_name, rc, "set \"%s\" up", to_name);
  return 0;
}

/* *moved tells whether the device left `from`, even when a later step
 * failed: only then may a caller move it back. */
static int move_one(const move_ctx *m, const char *host_name, const char *from_name,
                    const char *to_name, bool *moved, berth_error **err) {
  *moved = false;
  link_info dev, clash;
  int rc = link_get(m->from, from_name, &dev);
  if (rc < 0)
    return fail_dev(err, host_name, rc, "find interface \"%s\"", from_name);
  /* The kernel moves first and renames after, so a taken name would leave
   * the device moved under its old name: refuse before touching it. */
  if (link_get(m->to, to_name, &clash) == 0)
    return fail_dev(err, host_name, -EEXIST, "move %s as \"%s\"", m->where, to_name);
  /* Addresses first: taking an IPv6 link down can flush them. */
  addr_list addrs;
  rc = addrs_get(m->from, dev.index, &addrs);
  if (rc < 0)
    return fail_dev(err, host_name, rc, "list the addresses of \"%s\"", from_name);
  if ((dev.flags & IFF_UP) && (rc = link_set_up(m->from, dev.index, false)) < 0) {
    free(addrs.v);
    return fail_dev(err, host_name, rc, "set \"%s\" down", from_name);
  }
  rc = link_move(m->from, dev.index, to_name, m->to_netns_fd);
  if (rc < 0) {
    link_info still;
    *moved = link_get(m->from, from_name, &still) == -ENODEV;
    if (!*moved && (dev.flags & IFF_UP))
      link_set_up(m->from, dev.index, true);
    free(addrs.v);
    return fail_dev(err, host_name, rc, "move %s as \"%s\"", m->where, to_name);
  }
  *moved = true;
  rc = settle(m, host_name, to_name, &addrs, err);
  free(addrs.v);
  return rc;
}

/* ---- the public calls ---- */

static int open_pid_netns(pid_t pid, berth_error **err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    berth_fail_errno(err, "linux.netDevices: open the network namespace of pid %d", (int)pid);
  return fd;
}

static int open_own_netns(berth_error **err) {
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    berth_fail_errno(err, "linux.netDevices: open the runtime's network namespace");
  return fd;
}

/* Both ends of a move: a socket in the runtime's network namespace (and
 * that namespace, to move devices back into), one in the container's. */
typedef struct move_pair {
  nl_sock host, ctr;
  int host_netns;
} move_pair;

static int pair_open(int netns_fd, move_pair *p, berth_error **err) {
  p->host_netns = open_own_netns(err);
  if (p->host_netns < 0)
    return -1;
  if (nl_open(-1, &p->host, err) < 0) {
    close(p->host_netns);
    return -1;
  }
  if (nl_open(netns_fd, &p->ctr, err) < 0) {
    nl_close(&p->host);
    close(p->host_netns);
    return -1;
  }
  return 0;
}

static void pair_close(move_pair *p) {
  nl_close(&p->host);
  nl_close(&p->ctr);
  close(p->host_netns);
}

/* Moves devs[0..n) back, best effort, after a failed move_into. */
static void undo_moves(move_pair *p, const spec_net_device *devs, size_t n) {
  move_ctx back = {.from = &p->ctr, .to = &p->host, .to_netns_fd = p->host_netns,
                   .where = "back to the host"};
  for (size_t i = 0; i < n; i++) {
    berth_error *ignored = NULL;
    bool moved;
    move_one(&back, devs[i].host_name, devs[i].container_name, devs[i].host_name, &moved,
             &ignored);
    berth_error_free(ignored);
  }
}

int netdev_move_into_nsfd(int netns_fd, const spec_net_device *devs, size_t n,
                          berth_error **err) {
  if (n == 0)
    return 0;
  move_pair p;
  if (pair_open(netns_fd, &p, err) < 0)
    return -1;
  move_ctx into = {.from = &p.host, .to = &p.ctr, .to_netns_fd = netns_fd,
                   .where = "into the container"};
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    bool moved;
    rc = move_one(&into, devs[i].host_name, devs[i].host_name, devs[i].container_name, &moved,
                  err);
    if (rc < 0) /* the failed one too when it got as far as moving */
      undo_moves(&p, devs, moved ? i + 1 : i);
  }
  pair_close(&p);
  return rc;
}

int netdev_move_back_nsfd(int netns_fd, const spec_net_device *devs, size_t n,
                          berth_error **err) {
  if (n == 0)
    return 0;
  move_pair p;
  if (pair_open(netns_fd, &p, err) < 0)
    return -1;
  move_ctx back = {.from = &p.ctr, .to = &p.host, .to_netns_fd = p.host_netns,
                   .where = "back to the host"};
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    link_info gone;
    if (link_get(&p.ctr, devs[i].container_name, &gone) == -ENODEV)
      continue; /* never moved in, or already back */
    berth_error *e = NULL;
    bool moved;
    if (move_one(&back, devs[i].host_name, devs[i].container_name, devs[i].host_name, &moved,
                 &e) < 0) {
      if (rc == 0 && err != NULL) {
        berth_error_free(*err);
        *err = e;
        e = NULL;
      }
      rc = -1;
    }
    berth_error_free(e);
  }
  pair_close(&p);
  return rc;
}

typedef int (*move_nsfd_fn)(int netns_fd, const spec_net_device *devs, size_t n,
                            berth_error **err);

/* A move by pid: through the namespace /proc/<pid>/ns/net names. */
static int move_by_pid(move_nsfd_fn move, pid_t pid, const spec_net_device *devs, size_t n,
                       berth_error **err) {
  if (n == 0)
    return 0;
  int fd = open_pid_netns(pid, err);
  if (fd < 0)
    return -1;
  int rc = move(fd, devs, n, err);
  close(fd);
  return rc;
}

int netdev_move_into(pid_t container_pid, const spec_net_device *devs, size_t n,
                     berth_error **err) {
  return move_by_pid(netdev_move_into_nsfd, container_pid, devs, n, err);
}

int netdev_move_back(pid_t container_pid, const spec_net_device *devs, size_t n,
                     berth_error **err) {
  return move_by_pid(netdev_move_back_nsfd, container_pid, devs, n, err);
}
