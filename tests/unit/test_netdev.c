/* linux.netDevices against the real kernel. Everything happens in network
 * namespaces the test makes: a "runtime" child unshares its own namespace
 * and creates a veth pair there (one end is the device to move; veth rather
 * than dummy because not every kernel has the dummy driver), and a "container" grandchild in a
 * second new namespace answers questions about its interfaces. The host's
 * namespace is never touched, and both namespaces (with the veth pair) vanish
 * when the children exit. */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/netdev.h"
#include "unit.h"

typedef struct if_state {
  bool exists, up, global4, global6, linklocal4;
} if_state;

static if_state query_if(const char *name) {
  if_state st = {0};
  st.exists = if_nametoindex(name) != 0;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
  st.up = st.exists && s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
  if (s >= 0)
    close(s);
  struct ifaddrs *all = NULL;
  if (getifaddrs(&all) < 0)
    return st;
  for (struct ifaddrs *a = all; a != NULL; a = a->ifa_next) {
    if (a->ifa_addr == NULL || strcmp(a->ifa_name, name) != 0)
      continue;
    if (a->ifa_addr->sa_family == AF_INET) {
      uint32_t ip = ntohl(((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr);
      st.global4 |= ip == 0xc000020a;          /* 192.0.2.10 */
      st.linklocal4 |= (ip >> 16) == 0xa9fe;   /* 169.254/16 */
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const uint8_t *b = ((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr.s6_addr;
      st.global6 |= b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8;
    }
  }
  freeifaddrs(all);
  return st;
}

static int run(const char *cmd) {
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* ---- the "container": a process in its own network namespace ---- */

typedef struct container {
  pid_t pid;
  int cmd, reply;
} container;

/* Requests are 16-byte names: "?name" asks for if_state, "+name" adds a
 * veth interface, "" ends the process. */
static void container_loop(int cmd, int reply) {
  char req[IFNAMSIZ + 1];
  while (read(cmd, req, sizeof(req)) == (ssize_t)sizeof(req) && req[0] != '\0') {
    if_state st = {0};
    if (req[0] == '+') {
      char line[128];
      snprintf(line, sizeof(line), "/usr/sbin/ip link add %s type veth peer name %.8speer", req + 1,
               req + 1);
      st.exists = run(line) == 0;
    } else {
      st = query_if(req + 1);
    }
    if (write(reply, &st, sizeof(st)) != sizeof(st))
      break;
  }
  _exit(0);
}

static int container_start(container *c) {
  int to[2], from[2];
  if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
    return -1;
  c->pid = fork();
  if (c->pid == 0) {
    if (unshare(CLONE_NEWNET) < 0)
      _exit(1);
    if_state ready = {.exists = true};
    if (write(from[1], &ready, sizeof(ready)) != sizeof(ready))
      _exit(1);
    container_loop(to[0], from[1]);
  }
  close(to[0]);
  close(from[1]);
  c->cmd = to[1];
  c->reply = from[0];
  if_state ready;
  return read(c->reply, &ready, sizeof(ready)) == sizeof(ready) ? 0 : -1;
}

static if_state container_ask(container *c, char op, const char *name) {
  char req[IFNAMSIZ + 1] = {0};
  req[0] = op;
  snprintf(req + 1, IFNAMSIZ, "%s", name);
  if_state st = {0};
  if (write(c->cmd, req, sizeof(req)) != sizeof(req) ||
      read(c->reply, &st, sizeof(st)) != sizeof(st))
    fprintf(stderr, "container did not answer\n");
  return st;
}

static void container_stop(container *c) {
  char end[IFNAMSIZ + 1] = {0};
  if (write(c->cmd, end, sizeof(end)) != sizeof(end))
    kill(c->pid, SIGKILL);
  waitpid(c->pid, NULL, 0);
  close(c->cmd);
  close(c->reply);
}

/* ---- the tests, run inside the "runtime" namespace ---- */

static void test_round_trip(container *c) {
  spec_net_device dev = {.host_name = "berthtest0", .container_name = "eth7"};
  berth_error *e = NULL;
  CHECK(netdev_move_into(c->pid, &dev, 1, &e) == 0);
  if (e != NULL)
    fprintf(stderr, "move into: %s\n", berth_error_text(e));
  berth_error_clear(&e);
  CHECK(!query_if("berthtest0").exists);
  if_state in = container_ask(c, '?', "eth7");
  CHECK(in.exists && in.up && in.global4 && in.global6);
  CHECK(!in.linklocal4); /* not global scope: left behind, as runc does */

  CHECK(netdev_move_back(c->pid, &dev, 1, &e) == 0);
  if (e != NULL)
    fprintf(stderr, "move back: %s\n", berth_error_text(e));
  berth_error_clear(&e);
  CHECK(!container_ask(c, '?', "eth7").exists);
  if_state home = query_if("berthtest0");
  CHECK(home.exists && home.up && home.global4 && home.global6);
  /* Nothing left to move back: a no-op, not an error. */
  CHECK(netdev_move_back(c->pid, &dev, 1, &e) == 0 && e == NULL);
}

static void test_partial_failure_is_undone(container *c) {
  spec_net_device devs[] = {{.host_name = "berthtest0", .container_name = "eth7"},
                            {.host_name = "berthnone0", .container_name = "eth8"}};
  berth_error *e = NULL;
  CHECK(netdev_move_into(c->pid, devs, 2, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "linux.netDevices[\"berthnone0\"]: find interface "
                                          "\"berthnone0\": no such device");
  berth_error_clear(&e);
  if_state home = query_if("berthtest0");
  CHECK(home.exists && home.up && home.global4);
  CHECK(!container_ask(c, '?', "eth7").exists);
}

static void test_name_taken_in_container(container *c) {
  CHECK(container_ask(c, '+', "taken0").exists);
  spec_net_device dev = {.host_name = "berthtest0", .container_name = "taken0"};
  berth_error *e = NULL;
  CHECK(netdev_move_into(c->pid, &dev, 1, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "linux.netDevices[\"berthtest0\"]: move into the "
                                          "container as \"taken0\": file exists");
  berth_error_clear(&e);
  /* The device stays home, up again; the container's own one is not taken. */
  if_state home = query_if("berthtest0");
  CHECK(home.exists && home.up);
  CHECK(container_ask(c, '?', "taken0").exists);
}

static void test_bad_pid(void) {
  spec_net_device dev = {.host_name = "berthtest0", .container_name = "eth7"};
  berth_error *e = NULL;
  CHECK(netdev_move_into(999999999, &dev, 1, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "linux.netDevices: open the network namespace of "
                                          "pid 999999999");
  berth_error_clear(&e);
  CHECK(netdev_move_into(999999999, &dev, 0, &e) == 0); /* nothing asked, nothing opened */
}

static int runtime_child(void) {
  if (unshare(CLONE_NEWNET) < 0)
    return 100;
  const char *setup[] = {
    "/usr/sbin/ip link add berthtest0 type veth peer name berthpeer0",
    "/usr/sbin/ip addr add 192.0.2.10/24 dev berthtest0",
    "/usr/sbin/ip addr add 169.254.3.3/16 scope link dev berthtest0",
    "/usr/sbin/ip addr add 2001:db8::10/64 dev berthtest0 nodad",
    "/usr/sbin/ip link set berthtest0 up",
  };
  for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
    if (run(setup[i]) != 0)
      return 101;
  if_state before = query_if("berthtest0");
  CHECK(before.exists && before.up && before.global4 && before.global6 && before.linklocal4);
  container c;
  if (container_start(&c) < 0)
    return 102;
  test_round_trip(&c);
  test_partial_failure_is_undone(&c);
  test_name_taken_in_container(&c);
  test_bad_pid();
  container_stop(&c);
  printf("test_netdev (in its network namespaces): %d passed, %d failed\n", unit_passed,
         unit_failed);
  fflush(stdout);
  return unit_failed == 0 ? 0 : 1;
}

int main(void) {
  if (geteuid() != 0 || access("/usr/sbin/ip", X_OK) != 0) {
    printf("test_netdev: skipped (needs root and iproute2)\n");
    return 77;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0)
    _exit(runtime_child());
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fprintf(stderr, "runtime child ended with status %#x\n", status);
  return unit_summary("test_netdev");
}
