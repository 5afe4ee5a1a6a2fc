/* config.json parsing: values land in the right fields, and every kind of
 * mistake is reported with the file, the JSON path and what was expected. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <unistd.h>

#include "spec.h"
#include "spec_resources.h"
#include "unit.h"

/* JSON is written with single quotes here to keep the C strings readable. */
static char *json_of(const char *text) {
  char *s = strdup(text);
  for (char *p = s; *p != '\0'; p++)
    if (*p == '\'')
      *p = '"';
  return s;
}

static spec *parse_ok(const char *text) {
  char *json = json_of(text);
  spec *s = NULL;
  berth_error *err = NULL;
  if (spec_parse(json, strlen(json), "config.json", &s, &err) < 0) {
    fprintf(stderr, "unexpected parse error: %s\n", berth_error_text(err));
    berth_error_free(err);
    s = NULL;
  }
  free(json);
  return s;
}

/* The error text of a document that must fail, or "" when it parsed. */
static char *parse_err(const char *text) {
  char *json = json_of(text);
  spec *s = NULL;
  berth_error *err = NULL;
  char *msg;
  if (spec_parse(json, strlen(json), "config.json", &s, &err) == 0) {
    spec_free(s);
    msg = strdup("");
  } else {
    msg = strdup(berth_error_text(err));
  }
  berth_error_free(err);
  free(json);
  return msg;
}

#define BASE "'ociVersion': '1.0.2', 'root': {'path': 'rootfs'}"

/* Wraps `fields` into a minimal valid document, then expects `want` in the error. */
static void expect_error(const char *fields, const char *want) {
  char *doc = NULL;
  if (asprintf(&doc, "{" BASE "%s%s}", fields[0] ? ", " : "", fields) < 0)
    abort();
  char *msg = parse_err(doc);
  CHECK_STR_CONTAINS(msg, want);
  free(msg);
  free(doc);
}

static spec *parse_fields(const char *fields) {
  char *doc = NULL;
  if (asprintf(&doc, "{" BASE ", %s}", fields) < 0)
    abort();
  spec *s = parse_ok(doc);
  free(doc);
  return s;
}

static bool has_warning(const spec_strv *w, const char *text) {
  for (size_t i = 0; i < w->n; i++)
    if (strcmp(w->v[i], text) == 0)
      return true;
  return false;
}

static uint64_t capbit(cap_value_t cap) {
  return UINT64_C(1) << cap;
}

/* ---- a `runc spec` document ---- */

static const char runc_spec[] =
  "{'ociVersion': '1.0.2-dev',"
  " 'process': {'terminal': true, 'user': {'uid': 0, 'gid': 0}, 'args': ['sh'],"
  "  'env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],"
  "  'cwd': '/',"
  "  'capabilities': {"
  "   'bounding': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],"
  "   'effective': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],"
  "   'permitted': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],"
  "   'ambient': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']},"
  "  'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 1024}],"
  "  'noNewPrivileges': true},"
  " 'root': {'path': 'rootfs', 'readonly': true},"
  " 'hostname': 'runc',"
  " 'mounts': ["
  "  {'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
  "  {'destination': '/dev', 'type': 'tmpfs', 'source': 'tmpfs',"
  "   'options': ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},"
  "  {'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts',"
  "   'options': ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']},"
  "  {'destination': '/dev/shm', 'type': 'tmpfs', 'source': 'shm',"
  "   'options': ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']},"
  "  {'destination': '/dev/mqueue', 'type': 'mqueue', 'source': 'mqueue',"
  "   'options': ['nosuid', 'noexec', 'nodev']},"
  "  {'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs',"
  "   'options': ['nosuid', 'noexec', 'nodev', 'ro']},"
  "  {'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup',"
  "   'options': ['nosuid', 'noexec', 'nodev', 'relatime', 'ro']}],"
  " 'linux': {"
  "  'resources': {'devices': [{'allow': false, 'access': 'rwm'}]},"
  "  'namespaces': [{'type': 'pid'}, {'type': 'network'}, {'type': 'ipc'}, {'type': 'uts'},"
  "                 {'type': 'mount'}],"
  "  'maskedPaths': ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys',"
  "   '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug',"
  "   '/sys/firmware', '/proc/scsi'],"
  "  'readonlyPaths': ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']}}";

static void test_runc_spec(void) {
  spec *s = parse_ok(runc_spec);
  CHECK(s != NULL);
  if (s == NULL)
    return;
  CHECK(strcmp(s->path, "config.json") == 0);
  CHECK(strcmp(s->oci_version, "1.0.2-dev") == 0);
  CHECK(strcmp(s->root_path, "rootfs") == 0 && s->root_readonly);
  CHECK(strcmp(s->hostname, "runc") == 0 && s->domainname == NULL);
  CHECK(s->n_mounts == 7);
  CHECK(strcmp(s->mounts[2].destination, "/dev/pts") == 0);
  CHECK(strcmp(s->mounts[2].type, "devpts") == 0);
  CHECK(s->mounts[2].options.n == 6 && s->mounts[2].options.v[6] == NULL);
  CHECK(strcmp(s->mounts[2].options.v[5], "gid=5") == 0);
  CHECK(s->mounts[0].options.n == 0 && s->mounts[0].options.v == NULL);

  spec_process *p = s->process;
  CHECK(p != NULL && p->terminal && !p->has_console_size);
  CHECK(p->uid == 0 && p->gid == 0 && !p->umask.set);
  CHECK(p->args.n == 1 && strcmp(p->args.v[0], "sh") == 0 && p->args.v[1] == NULL);
  CHECK(p->env.n == 2 && strcmp(p->env.v[1], "TERM=xterm") == 0);
  CHECK(strcmp(p->cwd, "/") == 0);
  uint64_t three = capbit(CAP_AUDIT_WRITE) | capbit(CAP_KILL) | capbit(CAP_NET_BIND_SERVICE);
  CHECK(p->caps.present);
  CHECK(p->caps.bounding == three && p->caps.effective == three);
  CHECK(p->caps.permitted == three && p->caps.ambient == three && p->caps.inheritable == 0);
  CHECK(p->n_rlimits == 1 && p->rlimits[0].resource == RLIMIT_NOFILE);
  CHECK(strcmp(p->rlimits[0].type, "RLIMIT_NOFILE") == 0);
  CHECK(p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 1024);
  CHECK(p->no_new_privileges && !p->oom_score_adj.set);
  CHECK(p->io_priority == NULL && p->scheduler == NULL);

  spec_linux *l = &s->linux;
  CHECK(l->resources != NULL && l->resources->n_devices == 1);
  CHECK(!l->resources->devices[0].allow && l->resources->devices[0].type == 'a');
  CHECK(strcmp(l->resources->devices[0].access, "rwm") == 0);
  CHECK(!l->resources->devices[0].major.set && !l->resources->devices[0].minor.set);
  CHECK(l->resources->memory == NULL && l->resources->cpu == NULL);
  CHECK(l->n_namespaces == 5);
  CHECK(l->namespaces[1].type == NS_NETWORK && l->namespaces[1].clone_flag == CLONE_NEWNET);
  CHECK(l->namespaces[4].type == NS_MOUNT && l->namespaces[4].clone_flag == CLONE_NEWNS);
  CHECK(l->namespaces[0].path == NULL);
  CHECK(spec_find_namespace(s, NS_PID) == &l->namespaces[0]);
  CHECK(spec_find_namespace(s, NS_USER) == NULL);
  CHECK(l->masked_paths.n == 10 && strcmp(l->masked_paths.v[9], "/proc/scsi") == 0);
  CHECK(l->readonly_paths.n == 5 && l->readonly_paths.v[5] == NULL);
  CHECK(l->seccomp == NULL && l->rootfs_propagation == NULL && l->cgroups_path == NULL);
  CHECK(s->warnings.n == 0);
  spec_free(s);
}

/* ---- every other field ---- */

static const char everything[] =
  "{'ociVersion': '1.3.0', 'root': {'path': '/abs/rootfs'}, 'domainname': 'example.org',"
  " 'annotations': {'org.example.a': 'one', 'b': 'two'},"
  " 'mounts': [{'destination': '/data', 'source': '/src', 'options': ['rbind', 'idmap'],"
  "   'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}],"
  "   'gidMappings': [{'containerID': 0, 'hostID': 200000, 'size': 1}]}],"
  " 'hooks': {"
  "  'prestart': [{'path': '/bin/pre', 'args': ['pre', '-x'], 'env': ['A=1'], 'timeout': 5}],"
  "  'createRuntime': [{'path': '/bin/cr'}], 'createContainer': [{'path': '/bin/cc'}],"
  "  'startContainer': [{'path': '/bin/sc'}], 'poststart': [{'path': '/bin/ps'}],"
  "  'poststop': [{'path': '/bin/p1'}, {'path': '/bin/p2'}]},"
  " 'process': {'args': ['/init'], 'cwd': '/work', 'consoleSize': {'height': 24, 'width': 80},"
  "  'user': {'uid': 1000, 'gid': 1001, 'umask': 18, 'additionalGids': [5, 4294967295]},"
  "  'capabilities': {'inheritable': ['CAP_SYS_ADMIN']},"
  "  'rlimits': [{'type': 'RLIMIT_CORE', 'soft': 0, 'hard': 18446744073709551615},"
  "              {'type': 'RLIMIT_RTTIME', 'soft': 1, 'hard': 2}],"
  "  'apparmorProfile': 'aa', 'selinuxLabel': 'system_u:r', 'oomScoreAdj': -500,"
  "  'ioPriority': {'class': 'IOPRIO_CLASS_IDLE', 'priority': 7},"
  "  'scheduler': {'policy': 'SCHED_FIFO', 'priority': 10, 'nice': -3,"
  "    'flags': ['SCHED_FLAG_RESET_ON_FORK'], 'runtime': 1, 'deadline': 2, 'period': 3},"
  "  'execCPUAffinity': {'initial': '0-3, 7', 'final': '1'}},"
  " 'linux': {"
  "  'namespaces': [{'type': 'user'}, {'type': 'cgroup'}, {'type': 'time'},"
  "                 {'type': 'network', 'path': '/run/netns/x'}],"
  "  'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}],"
  "  'gidMappings': [{'containerID': 0, 'hostID': 1001, 'size': 1},"
  "                  {'containerID': 1, 'hostID': 100000, 'size': 65535}],"
  "  'timeOffsets': {'monotonic': {'secs': -86400, 'nanosecs': 5}, 'boottime': {'secs': 7}},"
  "  'devices': [{'type': 'c', 'path': '/dev/fuse', 'major': 10, 'minor': 229,"
  "               'fileMode': 438, 'uid': 0, 'gid': 0},"
  "              {'type': 'p', 'path': '/dev/fifo'}],"
  "  'netDevices': {'eth1': {'name': 'ctr0'}, 'eth2': {}},"
  "  'cgroupsPath': 'system.slice:berth:abc',"
  "  'resources': {"
  "   'devices': [{'allow': true, 'type': 'c', 'major': 1, 'minor': -1, 'access': 'rw'}],"
  "   'memory': {'limit': 536870912, 'reservation': 1, 'swap': -1, 'kernel': 2, 'kernelTCP': 3,"
  "     'swappiness': 60, 'disableOOMKiller': true, 'useHierarchy': false,"
  "     'checkBeforeUpdate': true},"
  "   'cpu': {'shares': 1024, 'quota': -1, 'burst': 5, 'period': 100000,"
  "     'realtimeRuntime': 950000, 'realtimePeriod': 1000000, 'cpus': '0-1', 'mems': '0',"
  "     'idle': 1},"
  "   'pids': {'limit': 100},"
  "   'blockIO': {'weight': 500, 'leafWeight': 300,"
  "     'weightDevice': [{'major': 8, 'minor': 0, 'weight': 600}],"
  "     'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 1048576}],"
  "     'throttleWriteBpsDevice': [{'major': 8, 'minor': 1, 'rate': 2}],"
  "     'throttleReadIOPSDevice': [{'major': 8, 'minor': 2, 'rate': 3}],"
  "     'throttleWriteIOPSDevice': [{'major': 8, 'minor': 3, 'rate': 4}]},"
  "   'hugepageLimits': [{'pageSize': '2MB', 'limit': 209715200}],"
  "   'network': {'classID': 1048577, 'priorities': [{'name': 'eth0', 'priority': 500}]},"
  "   'rdma': {'mlx5_1': {'hcaHandles': 3, 'hcaObjects': 10000}},"
  "   'unified': {'memory.high': '1G'}},"
  "  'intelRdt': {'closID': 'guaranteed', 'l3CacheSchema': 'L3:0=7f0', 'memBwSchema': 'MB:0=20',"
  "    'schemata': ['L2:0=ff'], 'enableMonitoring': true},"
  "  'memoryPolicy': {'mode': 'MPOL_BIND', 'nodes': '0-1', 'flags': ['MPOL_F_STATIC_NODES']},"
  "  'sysctl': {'net.ipv4.ip_forward': '1'},"
  "  'seccomp': {'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 1,"
  "    'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],"
  "    'flags': ['SECCOMP_FILTER_FLAG_LOG'], 'listenerPath': '/run/l.sock',"
  "    'listenerMetadata': 'meta',"
  "    'syscalls': [{'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'},"
  "     {'names': ['personality'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38,"
  "      'args': [{'index': 0, 'value': 18446744073709551615, 'valueTwo': 8,"
  "                'op': 'SCMP_CMP_MASKED_EQ'}]}]},"
  "  'rootfsPropagation': 'rslave',"
  "  'mountLabel': 'system_u:object_r', 'personality': {'domain': 'LINUX32', 'flags': []},"
  "  'someFutureField': {'ignored': true}},"
  " 'unknownTopLevel': [1, 2, 3]}";

static void check_everything_top(const spec *s) {
  CHECK(strcmp(s->root_path, "/abs/rootfs") == 0 && !s->root_readonly);
  CHECK(s->hostname == NULL && strcmp(s->domainname, "example.org") == 0);
  CHECK(s->annotations.n == 2 && strcmp(s->annotations.v[0].key, "org.example.a") == 0);
  CHECK(strcmp(s->annotations.v[1].value, "two") == 0);
  const spec_mount *m = &s->mounts[0];
  CHECK(s->n_mounts == 1 && strcmp(m->source, "/src") == 0 && m->type == NULL);
  CHECK(m->uid_mappings.n == 1 && m->uid_mappings.v[0].host_id == 100000);
  CHECK(m->uid_mappings.v[0].size == 65536 && m->gid_mappings.v[0].host_id == 200000);
  const spec_hooks *pre = &s->hooks[HOOK_PRESTART];
  CHECK(pre->n == 1 && strcmp(pre->v[0].path, "/bin/pre") == 0);
  CHECK(pre->v[0].args.n == 2 && pre->v[0].env.n == 1);
  CHECK(pre->v[0].timeout.set && pre->v[0].timeout.v == 5);
  CHECK(s->hooks[HOOK_CREATE_RUNTIME].n == 1 && !s->hooks[HOOK_CREATE_RUNTIME].v[0].timeout.set);
  CHECK(strcmp(s->hooks[HOOK_CREATE_CONTAINER].v[0].path, "/bin/cc") == 0);
  CHECK(strcmp(s->hooks[HOOK_START_CONTAINER].v[0].path, "/bin/sc") == 0);
  CHECK(strcmp(s->hooks[HOOK_POSTSTART].v[0].path, "/bin/ps") == 0);
  CHECK(s->hooks[HOOK_POSTSTOP].n == 2 && strcmp(s->hooks[HOOK_POSTSTOP].v[1].path, "/bin/p2") == 0);
}

static void check_everything_process(const spec_process *p) {
  CHECK(p->has_console_size && p->console_height == 24 && p->console_width == 80);
  CHECK(p->uid == 1000 && p->gid == 1001 && p->umask.set && p->umask.v == 18);
  CHECK(p->n_additional_gids == 2 && p->additional_gids[1] == UINT32_MAX);
  CHECK(p->caps.present && p->caps.inheritable == capbit(CAP_SYS_ADMIN) && p->caps.bounding == 0);
  CHECK(p->n_rlimits == 2 && p->rlimits[0].resource == RLIMIT_CORE);
  CHECK(p->rlimits[0].hard == UINT64_MAX && p->rlimits[1].resource == RLIMIT_RTTIME);
  CHECK(strcmp(p->apparmor_profile, "aa") == 0 && strcmp(p->selinux_label, "system_u:r") == 0);
  CHECK(p->oom_score_adj.set && p->oom_score_adj.v == -500);
  CHECK(p->io_priority != NULL && p->io_priority->class_num == 3 && p->io_priority->priority == 7);
  CHECK(strcmp(p->io_priority->class_name, "IOPRIO_CLASS_IDLE") == 0);
  const spec_scheduler *sc = p->scheduler;
  CHECK(sc != NULL && sc->policy_num == SCHED_FIFO && strcmp(sc->policy, "SCHED_FIFO") == 0);
  CHECK(sc->priority.set && sc->priority.v == 10 && sc->nice.v == -3);
  CHECK(sc->flags.n == 1 && sc->runtime.v == 1 && sc->deadline.v == 2 && sc->period.v == 3);
  CHECK(strcmp(p->exec_cpu_affinity_initial, "0-3, 7") == 0);
  CHECK(strcmp(p->exec_cpu_affinity_final, "1") == 0);
}

static void check_everything_linux(const spec_linux *l) {
  CHECK(l->n_namespaces == 4 && l->namespaces[0].clone_flag == CLONE_NEWUSER);
  CHECK(l->namespaces[1].type == NS_CGROUP && l->namespaces[2].type == NS_TIME);
  CHECK(l->namespaces[2].clone_flag == 0x80);
  CHECK(strcmp(l->namespaces[3].path, "/run/netns/x") == 0);
  CHECK(l->uid_mappings.n == 1 && l->gid_mappings.n == 2 && l->gid_mappings.v[1].size == 65535);
  CHECK(l->time_monotonic.set && l->time_monotonic.secs == -86400);
  CHECK(l->time_monotonic.nanosecs == 5 && l->time_boottime.set && l->time_boottime.secs == 7);
  CHECK(l->n_devices == 2 && l->devices[0].type == 'c' && l->devices[0].major == 10);
  CHECK(l->devices[0].minor == 229 && l->devices[0].file_mode.v == 438);
  CHECK(l->devices[0].uid.set && l->devices[1].type == 'p' && !l->devices[1].file_mode.set);
  CHECK(l->n_net_devices == 2 && strcmp(l->net_devices[0].container_name, "ctr0") == 0);
  CHECK(strcmp(l->net_devices[1].host_name, "eth2") == 0);
  CHECK(strcmp(l->net_devices[1].container_name, "eth2") == 0);
  CHECK(strcmp(l->cgroups_path, "system.slice:berth:abc") == 0);
  CHECK(l->intel_rdt != NULL && strcmp(l->intel_rdt->clos_id, "guaranteed") == 0);
  CHECK(strcmp(l->intel_rdt->mem_bw_schema, "MB:0=20") == 0 && l->intel_rdt->enable_monitoring);
  CHECK(l->intel_rdt->schemata.n == 1);
  CHECK(strcmp(l->memory_policy->mode, "MPOL_BIND") == 0 && l->memory_policy->flags.n == 1);
  CHECK(l->sysctl.n == 1 && strcmp(l->sysctl.v[0].key, "net.ipv4.ip_forward") == 0);
  CHECK(strcmp(l->rootfs_propagation, "rslave") == 0);
  CHECK(strcmp(l->mount_label, "system_u:object_r") == 0);
  CHECK(strcmp(l->personality->domain, "LINUX32") == 0 && l->personality->flags.n == 0);
  const spec_seccomp *sc = l->seccomp;
  CHECK(sc != NULL && strcmp(sc->default_action, "SCMP_ACT_ERRNO") == 0);
  CHECK(sc->default_errno_ret.set && sc->default_errno_ret.v == 1);
  CHECK(sc->architectures.n == 2 && sc->flags.n == 1);
  CHECK(strcmp(sc->listener_path, "/run/l.sock") == 0 && strcmp(sc->listener_metadata, "meta") == 0);
  CHECK(sc->n_syscalls == 2 && sc->syscalls[0].names.n == 2 && !sc->syscalls[0].errno_ret.set);
  CHECK(sc->syscalls[1].errno_ret.v == 38 && sc->syscalls[1].n_args == 1);
  CHECK(sc->syscalls[1].args[0].value == UINT64_MAX && sc->syscalls[1].args[0].value_two == 8);
  CHECK(strcmp(sc->syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ") == 0);
}

static void check_everything_resources(const spec_resources *r) {
  CHECK(r->n_devices == 1 && r->devices[0].allow && r->devices[0].type == 'c');
  CHECK(r->devices[0].major.set && r->devices[0].major.v == 1 && !r->devices[0].minor.set);
  const spec_memory *m = r->memory;
  CHECK(m->limit.v == 536870912 && m->reservation.v == 1 && m->swap.set && m->swap.v == -1);
  CHECK(m->kernel.v == 2 && m->kernel_tcp.v == 3 && m->swappiness.v == 60);
  CHECK(m->disable_oom_killer.set && m->disable_oom_killer.v);
  CHECK(m->use_hierarchy.set && !m->use_hierarchy.v && m->check_before_update.v);
  const spec_cpu *cpu = r->cpu;
  CHECK(cpu->shares.v == 1024 && cpu->quota.v == -1 && cpu->burst.v == 5);
  CHECK(cpu->period.v == 100000 && cpu->realtime_runtime.v == 950000);
  CHECK(cpu->realtime_period.v == 1000000 && strcmp(cpu->cpus, "0-1") == 0);
  CHECK(strcmp(cpu->mems, "0") == 0 && cpu->idle.set && cpu->idle.v == 1);
  CHECK(r->pids_limit.set && r->pids_limit.v == 100);
  const spec_blkio *b = r->block_io;
  CHECK(b->weight.v == 500 && b->leaf_weight.v == 300 && b->n_weight_device == 1);
  CHECK(b->weight_device[0].weight.v == 600 && !b->weight_device[0].leaf_weight.set);
  CHECK(b->read_bps.n == 1 && b->read_bps.v[0].rate == 1048576);
  CHECK(b->write_bps.v[0].minor == 1 && b->read_iops.v[0].rate == 3 && b->write_iops.v[0].rate == 4);
  CHECK(r->n_hugepage_limits == 1 && strcmp(r->hugepage_limits[0].page_size, "2MB") == 0);
  CHECK(r->hugepage_limits[0].limit == 209715200);
  CHECK(r->has_network && r->net_class_id.v == 1048577 && r->n_net_priorities == 1);
  CHECK(strcmp(r->net_priorities[0].name, "eth0") == 0 && r->net_priorities[0].priority == 500);
  CHECK(r->n_rdma == 1 && strcmp(r->rdma[0].device, "mlx5_1") == 0);
  CHECK(r->rdma[0].hca_handles.v == 3 && r->rdma[0].hca_objects.v == 10000);
  CHECK(r->unified.n == 1 && strcmp(r->unified.v[0].value, "1G") == 0);
}

static void test_everything(void) {
  spec *s = parse_ok(everything);
  CHECK(s != NULL);
  if (s == NULL)
    return;
  check_everything_top(s);
  check_everything_process(s->process);
  check_everything_linux(&s->linux);
  check_everything_resources(s->linux.resources);
  /* memory.kernel is set: ignored, with runc's warning and nothing else. */
  CHECK(s->warnings.n == 1 &&
        strcmp(s->warnings.v[0], "Kernel memory settings are ignored and will be removed") == 0);
  spec_free(s);
}

/* ---- syntax and document shape ---- */

static void test_syntax_errors(void) {
  char *msg = parse_err("{\n  'ociVersion': '1',\n  ]\n}");
  CHECK_STR_CONTAINS(msg, "config.json:3:3: string or '}' expected near ']'");
  free(msg);
  msg = parse_err("{'ociVersion': '1',\n 'hostname': 'a\nb'}");
  CHECK_STR_CONTAINS(msg, "config.json:2:15: unexpected newline");
  free(msg);
  msg = parse_err("");
  CHECK_STR_CONTAINS(msg, "config.json:1:0: '[' or '{' expected near end of file");
  free(msg);
  /* Columns after a number beyond int64 stay where the author sees them. */
  msg = parse_err("{'ociVersion': '1', 'x': 18446744073709551615, }");
  CHECK_STR_CONTAINS(msg, "config.json:1:48: string or '}' expected near '}'");
  free(msg);
  msg = parse_err("{'a': 99999999999999999999}");
  CHECK_STR_CONTAINS(msg, "config.json:1:26: too big integer");
  free(msg);
  msg = parse_err("['ociVersion']");
  CHECK_STR_CONTAINS(msg, "config.json: expected an object at the top level, got an array");
  free(msg);
}

static void test_required_and_types(void) {
  char *msg = parse_err("{'root': {'path': 'r'}}");
  CHECK_STR_CONTAINS(msg, "config.json: ociVersion: is required");
  free(msg);
  msg = parse_err("{'ociVersion': '1'}");
  CHECK_STR_CONTAINS(msg, "config.json: root: is required");
  free(msg);
  msg = parse_err("{'ociVersion': 1.1, 'root': {'path': 'r'}}");
  CHECK_STR_CONTAINS(msg, "config.json: ociVersion: expected a string, got a real number");
  free(msg);
  msg = parse_err("{'ociVersion': '1', 'root': {'readonly': true}}");
  CHECK_STR_CONTAINS(msg, "config.json: root.path: is required");
  free(msg);
  msg = parse_err("{'ociVersion': '1', 'root': {'path': 'r', 'readonly': 'yes'}}");
  CHECK_STR_CONTAINS(msg, "config.json: root.readonly: expected a boolean, got a string");
  free(msg);
  expect_error("'linux': {'resources': {'memory': {'limit': '1G'}}}",
               "config.json: linux.resources.memory.limit: expected an integer, got a string");
  expect_error("'linux': {'resources': {'memory': {'limit': 1.5}}}",
               "linux.resources.memory.limit: expected an integer, got a real number");
  expect_error("'linux': {'resources': {'memory': {'limit': 9223372036854775808}}}",
               "linux.resources.memory.limit: expected an integer from -9223372036854775808 to "
               "9223372036854775807, got 9223372036854775808");
  expect_error("'hostname': 18446744073709551615",
               "config.json: hostname: expected a string, got an integer");
  expect_error("'process': [], 'x': 1", "config.json: process: expected an object, got an array");
  expect_error("'linux': {'namespaces': {}}",
               "linux.namespaces: expected an array, got an object");
  expect_error("'mounts': [{'destination': '/a'}, {'destination': '/b', 'options': ['ro', 3]}]",
               "config.json: mounts[1].options[1]: expected a string, got an integer");
  expect_error("'mounts': [{'destination': '/a'}, {'destination': '/b'}, {'type': 'tmpfs'}]",
               "config.json: mounts[2].destination: is required");
  expect_error("'mounts': ['x']", "mounts[0]: expected an object, got a string");
  expect_error("'annotations': {'a': true}",
               "config.json: annotations[\"a\"]: expected a string, got a boolean");
  expect_error("'linux': {'sysctl': {'net.ipv4.ip_forward': 1}}",
               "linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got an integer");
}

static void test_ranges(void) {
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'user': {'uid': -1}}",
               "process.user.uid: expected an integer from 0 to 4294967295, got -1");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'user': {'gid': 4294967296}}",
               "process.user.gid: expected an integer from 0 to 4294967295, got 4294967296");
  expect_error("'linux': {'resources': {'blockIO': {'weight': 65536}}}",
               "linux.resources.blockIO.weight: expected an integer from 0 to 65535, got 65536");
  expect_error("'linux': {'devices': [{'type': 'c', 'path': '/dev/x', 'major': 1, 'minor': 1,"
               " 'fileMode': 8192}]}",
               "linux.devices[0].fileMode: expected an integer from 0 to 4095, got 8192");
  expect_error("'linux': {'uidMappings': [{'containerID': 0, 'hostID': -5, 'size': 1}]}",
               "linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, got -5");
  expect_error("'linux': {'gidMappings': [{'containerID': 0, 'hostID': 5}]}",
               "linux.gidMappings[0].size: is required");
  expect_error("'linux': {'timeOffsets': {'boottime': {'nanosecs': -1}}}",
               "linux.timeOffsets.boottime.nanosecs: expected an integer from 0 to 4294967295");
}

/* ---- process ---- */

static void test_process_errors(void) {
  expect_error("'process': {'args': [], 'cwd': '/'}", "config.json: process.args: must not be empty");
  expect_error("'process': {'cwd': '/'}", "config.json: process.args: must not be empty");
  expect_error("'process': {'args': ['a']}", "config.json: process.cwd: is required");
  expect_error("'process': {'args': ['a'], 'cwd': 'tmp'}",
               "config.json: process.cwd: must be an absolute path, got \"tmp\"");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'consoleSize': {'height': 1}}",
               "process.consoleSize.width: is required");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'user': {'additionalGids': [1, -2]}}",
               "process.user.additionalGids[1]: expected an integer from 0 to 4294967295, got -2");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'ioPriority': {'class': 'RT'}}",
               "process.ioPriority.class: expected one of IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, "
               "IOPRIO_CLASS_IDLE, got \"RT\"");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'ioPriority': {'priority': 1}}",
               "process.ioPriority.class: is required");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'ioPriority': "
               "{'class': 'IOPRIO_CLASS_BE', 'priority': 8}}",
               "process.ioPriority.priority: expected an integer from 0 to 7, got 8");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'scheduler': {'nice': 1}}",
               "process.scheduler.policy: is required");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'scheduler': "
               "{'policy': 'SCHED_OTHER', 'nice': 20}}",
               "process.scheduler.nice: expected an integer from -20 to 19, got 20");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'scheduler': "
               "{'policy': 'SCHED_OTHER', 'priority': 5}}",
               "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'scheduler': "
               "{'policy': 'SCHED_RR', 'flags': ['SCHED_FLAG_RECLAIM', 'SCHED_FLAG_X']}}",
               "process.scheduler.flags[1]: expected one of SCHED_FLAG_RESET_ON_FORK");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'execCPUAffinity': {'final': 'all'}}",
               "process.execCPUAffinity.final: expected a CPU list like \"0-3,7\", got \"all\"");
}

static void test_rlimits(void) {
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'rlimits': "
               "[{'type': 'RLIMIT_FOO', 'soft': 1, 'hard': 1}]}",
               "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'rlimits': ["
               "{'type': 'RLIMIT_NOFILE', 'soft': 1, 'hard': 1},"
               "{'type': 'RLIMIT_CPU', 'soft': 1, 'hard': 1},"
               "{'type': 'RLIMIT_AS', 'soft': 1, 'hard': 1},"
               "{'type': 'RLIMIT_NOFILE', 'soft': 2, 'hard': 2}]}",
               "config.json: process.rlimits[3]: duplicate RLIMIT_NOFILE");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'rlimits': "
               "[{'type': 'RLIMIT_NPROC', 'hard': 1}]}",
               "process.rlimits[0].soft: is required");
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'rlimits': "
               "[{'type': 'RLIMIT_NPROC', 'soft': 1, 'hard': -1}]}",
               "process.rlimits[0].hard: expected an integer from 0 to 18446744073709551615, got -1");
}

static void test_capability_warnings(void) {
  spec *s = parse_fields("'process': {'args': ['a'], 'cwd': '/', 'capabilities': {"
                         "'bounding': ['CAP_KILL', 'CAP_FOO'], 'effective': ['cap_kill', '5'],"
                         "'permitted': [], 'ambient': null}}");
  CHECK(s != NULL);
  if (s == NULL)
    return;
  CHECK(s->process->caps.present && s->process->caps.bounding == capbit(CAP_KILL));
  CHECK(s->process->caps.effective == 0 && s->process->caps.permitted == 0);
  CHECK(s->warnings.n == 3 && s->warnings.v[3] == NULL);
  CHECK(has_warning(&s->warnings,
                    "unknown capability \"CAP_FOO\" in process.capabilities.bounding ignored"));
  CHECK(has_warning(&s->warnings,
                    "unknown capability \"cap_kill\" in process.capabilities.effective ignored"));
  CHECK(has_warning(&s->warnings,
                    "unknown capability \"5\" in process.capabilities.effective ignored"));
  spec_free(s);

  s = parse_fields("'process': {'args': ['a'], 'cwd': '/'}");
  CHECK(s != NULL && !s->process->caps.present);
  spec_free(s);
  expect_error("'process': {'args': ['a'], 'cwd': '/', 'capabilities': {'bounding': 'CAP_KILL'}}",
               "process.capabilities.bounding: expected an array, got a string");
}

/* ---- linux ---- */

static void test_namespaces(void) {
  expect_error("'linux': {'namespaces': [{'type': 'pid'}, {'type': 'pid', 'path': '/proc/1/ns/pid'}]}",
               "config.json: linux.namespaces[1]: duplicate namespace type \"pid\"");
  expect_error("'linux': {'namespaces': [{'type': 'net'}]}",
               "config.json: linux.namespaces[0].type: unknown namespace type \"net\"");
  expect_error("'linux': {'namespaces': [{'path': '/x'}]}", "linux.namespaces[0].type: is required");
  spec *s = parse_fields("'linux': {'namespaces': [{'type': 'ipc', 'path': ''}]}");
  CHECK(s != NULL && s->linux.namespaces[0].path == NULL);
  CHECK(s != NULL && s->linux.namespaces[0].clone_flag == CLONE_NEWIPC);
  spec_free(s);
  CHECK(strcmp(spec_ns_type_name(NS_NETWORK), "network") == 0);
  CHECK(strcmp(spec_ns_type_name(NS_TIME), "time") == 0);
  CHECK(strcmp(spec_ns_type_name(NS_TYPE_COUNT), "unknown") == 0);
}

static void test_linux_errors(void) {
  expect_error("'linux': {'devices': [{'type': 'x', 'path': '/dev/x'}]}",
               "linux.devices[0].type: expected one of c, b, u, p, got \"x\"");
  expect_error("'linux': {'devices': [{'type': 'b', 'path': '/dev/x', 'minor': 1}]}",
               "config.json: linux.devices[0].major: is required");
  expect_error("'linux': {'devices': [{'type': 'c', 'major': 1, 'minor': 1}]}",
               "linux.devices[0].path: is required");
  expect_error("'linux': {'rootfsPropagation': 'bogus'}",
               "linux.rootfsPropagation: expected one of private, shared, slave, unbindable, "
               "rprivate, rshared, rslave, runbindable, got \"bogus\"");
  expect_error("'linux': {'netDevices': {'eth0': {'name': 'a/b'}}}",
               "linux.netDevices[\"eth0\"].name: \"a/b\" is not a valid interface name");
  expect_error("'linux': {'netDevices': {'this-name-is-too-long': {}}}",
               "linux.netDevices[\"this-name-is-too-long\"]: \"this-name-is-too-long\" is not a "
               "valid interface name");
  expect_error("'linux': {'memoryPolicy': {'nodes': '0'}}", "linux.memoryPolicy.mode: is required");
  expect_error("'linux': {'memoryPolicy': {'mode': 'MPOL_BIND', 'flags': ['X']}}",
               "linux.memoryPolicy.flags[0]: expected one of MPOL_F_NUMA_BALANCING");
  expect_error("'linux': {'personality': {'domain': 'LINUX64'}}",
               "linux.personality.domain: expected one of LINUX, LINUX32, got \"LINUX64\"");
  expect_error("'linux': {'intelRdt': {'closID': '../x'}}",
               "linux.intelRdt.closID: \"../x\" is not a valid directory name");
  expect_error("'linux': {'intelRdt': {'memBwSchema': 'L3:0=1'}}",
               "linux.intelRdt.memBwSchema: expected a line starting with \"MB:\"");
}

static void test_resources_errors(void) {
  expect_error("'linux': {'resources': {'devices': [{'access': 'rwm'}]}}",
               "linux.resources.devices[0].allow: is required");
  expect_error("'linux': {'resources': {'devices': [{'allow': true, 'type': 'p'}]}}",
               "linux.resources.devices[0].type: expected one of a, c, b, got \"p\"");
  expect_error("'linux': {'resources': {'devices': [{'allow': true, 'access': 'rwx'}]}}",
               "linux.resources.devices[0].access: expected letters from \"rwm\", got \"rwx\"");
  expect_error("'linux': {'resources': {'pids': {}}}", "linux.resources.pids.limit: is required");
  expect_error("'linux': {'resources': {'hugepageLimits': [{'pageSize': '2mb', 'limit': 1}]}}",
               "linux.resources.hugepageLimits[0].pageSize: expected a size like \"2MB\", got \"2mb\"");
  expect_error("'linux': {'resources': {'blockIO': {'throttleReadBpsDevice': [{'major': 8}]}}}",
               "linux.resources.blockIO.throttleReadBpsDevice[0].minor: is required");
  expect_error("'linux': {'resources': {'network': {'priorities': [{'name': 'eth0'}]}}}",
               "linux.resources.network.priorities[0].priority: is required");
  expect_error("'linux': {'resources': {'rdma': {'mlx': {'hcaHandles': 'x'}}}}",
               "linux.resources.rdma[\"mlx\"].hcaHandles: expected an integer, got a string");
  expect_error("'linux': {'resources': {'unified': {'memory.max': 5}}}",
               "linux.resources.unified[\"memory.max\"]: expected a string, got an integer");
}

static void test_seccomp_errors(void) {
  expect_error("'linux': {'seccomp': {'architectures': []}}",
               "config.json: linux.seccomp.defaultAction: is required");
  expect_error("'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_NOPE'}}",
               "linux.seccomp.defaultAction: expected one of SCMP_ACT_KILL, ");
  expect_error("'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW',"
               " 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX']}}",
               "linux.seccomp.architectures[1]: expected one of SCMP_ARCH_X86");
  expect_error("'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['TSYNC']}}",
               "linux.seccomp.flags[0]: expected one of SECCOMP_FILTER_FLAG_TSYNC");
  expect_error("'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               "{'names': ['read'], 'action': 'SCMP_ACT_ALLOW'}, {'names': [], 'action': 'SCMP_ACT_LOG'}]}}",
               "linux.seccomp.syscalls[1].names: must not be empty");
  expect_error("'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               "{'names': ['read']}]}}",
               "linux.seccomp.syscalls[0].action: is required");
  expect_error("'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               "{'names': ['read'], 'action': 'SCMP_ACT_ALLOW', 'args': [{'index': 0, 'value': 1,"
               " 'op': 'SCMP_CMP_XX'}]}]}}",
               "linux.seccomp.syscalls[0].args[0].op: expected one of SCMP_CMP_NE");
  expect_error("'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               "{'names': ['read'], 'action': 'SCMP_ACT_ALLOW', 'args': [{'index': 0, 'op': "
               "'SCMP_CMP_EQ'}]}]}}",
               "linux.seccomp.syscalls[0].args[0].value: is required");
}

/* ---- hooks and mounts ---- */

static void test_hooks(void) {
  expect_error("'hooks': {'prestart': [{'path': 'hook.sh'}]}",
               "config.json: hooks.prestart[0].path: must be an absolute path, got \"hook.sh\"");
  expect_error("'hooks': {'poststop': [{'path': '/a'}, {'path': '/b', 'timeout': 0}]}",
               "hooks.poststop[1].timeout: expected an integer from 1 to 9223372036854775807, got 0");
  expect_error("'hooks': {'createRuntime': [{'args': ['x']}]}", "hooks.createRuntime[0].path: is required");
  expect_error("'hooks': {'startContainer': {}}",
               "hooks.startContainer: expected an array, got an object");
  CHECK(strcmp(spec_hook_kind_name(HOOK_CREATE_CONTAINER), "createContainer") == 0);
  CHECK(strcmp(spec_hook_kind_name(HOOK_POSTSTOP), "poststop") == 0);
}

static void test_mount_destination(void) {
  spec *s = parse_fields("'mounts': [{'destination': 'data', 'type': 'tmpfs'}]");
  CHECK(s != NULL);
  if (s == NULL)
    return;
  CHECK(strcmp(s->mounts[0].destination, "/data") == 0);
  CHECK(s->warnings.n == 1);
  CHECK_STR_CONTAINS(s->warnings.v[0], "mounts[0].destination: mount destination \"data\" is not absolute");
  spec_free(s);
  expect_error("'mounts': [{'destination': ''}]", "mounts[0].destination: must not be empty");
}

/* ---- null, unknown and odd-but-accepted input ---- */

static void test_lenient_input(void) {
  spec *s = parse_fields("'hostname': null, 'mounts': null, 'hooks': {'prestart': null},"
                         " 'process': {'args': ['a'], 'cwd': '/', 'env': null, 'user': {}},"
                         " 'linux': {'resources': {'devices': [{'allow': true, 'type': '',"
                         " 'access': '', 'major': -1}]}, 'rootfsPropagation': ''},"
                         " 'ociVersion': 'later key wins', 'x-unknown': {'deep': [null]}");
  CHECK(s != NULL);
  if (s == NULL)
    return;
  CHECK(s->hostname == NULL && s->n_mounts == 0 && s->hooks[HOOK_PRESTART].n == 0);
  CHECK(s->process->env.n == 0 && s->process->uid == 0);
  CHECK(strcmp(s->oci_version, "later key wins") == 0);
  const spec_device_rule *d = &s->linux.resources->devices[0];
  CHECK(d->type == 'a' && d->access == NULL && !d->major.set);
  CHECK(s->linux.rootfs_propagation == NULL);
  spec_free(s);
}

/* ---- files ---- */

static char *write_temp(const char *text) {
  char *path = strdup("/tmp/berth-test-spec-XXXXXX");
  int fd = mkstemp(path);
  char *json = json_of(text);
  size_t len = strlen(json);
  if (fd < 0 || write(fd, json, len) != (ssize_t)len)
    abort();
  close(fd);
  free(json);
  return path;
}

static void test_load_files(void) {
  char *path = write_temp(runc_spec);
  spec *s = NULL;
  berth_error *err = NULL;
  CHECK(spec_load(path, &s, &err) == 0);
  CHECK(s != NULL && strcmp(s->path, path) == 0 && s->n_mounts == 7);
  spec_free(s);
  unlink(path);
  free(path);

  path = write_temp("{\n'ociVersion': '1', 'root': {'path': 'r'},\n'process': {'cwd': 3}}");
  CHECK(spec_load(path, &s, &err) < 0);
  char *want = NULL;
  if (asprintf(&want, "%s: process.args: must not be empty", path) < 0)
    abort();
  CHECK_STR_CONTAINS(berth_error_text(err), want);
  free(want);
  berth_error_clear(&err);
  unlink(path);
  free(path);

  CHECK(spec_load("/nonexistent/config.json", &s, &err) < 0);
  CHECK(err != NULL && err->code == ENOENT);
  CHECK_STR_CONTAINS(berth_error_text(err), "open /nonexistent/config.json: ");
  berth_error_clear(&err);
}

static void test_load_process(void) {
  char *path = write_temp("{'args': ['/bin/ls', '-l'], 'cwd': '/tmp', 'terminal': true,"
                          " 'capabilities': {'bounding': ['CAP_CHOWN', 'CAP_NOPE']},"
                          " 'rlimits': [{'type': 'RLIMIT_NOFILE', 'soft': 10, 'hard': 20}]}");
  spec_process *p = NULL;
  berth_error *err = NULL;
  CHECK(spec_load_process(path, &p, &err) == 0);
  CHECK(p != NULL && p->args.n == 2 && strcmp(p->cwd, "/tmp") == 0 && p->terminal);
  CHECK(p != NULL && p->caps.bounding == capbit(CAP_CHOWN) && p->n_rlimits == 1);
  CHECK(p != NULL && p->warnings.n == 1);
  if (p != NULL && p->warnings.n == 1)
    CHECK_STR_CONTAINS(p->warnings.v[0], "unknown capability \"CAP_NOPE\" in capabilities.bounding");
  spec_process_free(p);
  unlink(path);
  free(path);

  path = write_temp("{'args': ['sh'], 'user': {'uid': 'root'}, 'cwd': '/'}");
  CHECK(spec_load_process(path, &p, &err) < 0);
  char *want = NULL;
  if (asprintf(&want, "%s: user.uid: expected an integer, got a string", path) < 0)
    abort();
  CHECK_STR_CONTAINS(berth_error_text(err), want);
  free(want);
  berth_error_clear(&err);
  unlink(path);
  free(path);
}

static void test_resources_alone(void) {
  const char *json = "{\"memory\": {\"limit\": 1048576}, \"pids\": {\"limit\": -1}}";
  spec_resources *r = NULL;
  berth_error *err = NULL;
  CHECK(spec_parse_resources(json, strlen(json), "-", &r, &err) == 0);
  CHECK(r != NULL && r->memory->limit.v == 1048576 && r->pids_limit.v == -1);
  spec_resources_free(r);
  json = "{\"cpu\": {\"shares\": -2}}";
  CHECK(spec_parse_resources(json, strlen(json), "-", &r, &err) < 0);
  CHECK_STR_CONTAINS(berth_error_text(err), "-: cpu.shares: expected an integer from 0 to");
  berth_error_clear(&err);
}

int main(void) {
  test_runc_spec();
  test_everything();
  test_syntax_errors();
  test_required_and_types();
  test_ranges();
  test_process_errors();
  test_rlimits();
  test_capability_warnings();
  test_namespaces();
  test_linux_errors();
  test_resources_errors();
  test_seccomp_errors();
  test_hooks();
  test_mount_destination();
  test_lenient_input();
  test_load_files();
  test_load_process();
  test_resources_alone();
  return unit_summary("spec");
}
