#!/usr/bin/env bats
# Namespaces: new, inherited and joined; sysctls inside them; user
# namespace mappings.

load ../lib/helpers

# ns_inode TYPE [PID]: the namespace identity, e.g. "net:[4026531840]".
ns_inode() {
  readlink "/proc/${2:-self}/ns/$1"
}

@test "namespaces: each listed namespace is new" {
  run_container 'for n in pid net ipc uts mnt; do echo "$n $(readlink /proc/self/ns/$n)"; done'
  assert_status 0
  local n
  for n in pid net ipc uts mnt; do
    local inside
    inside=$(awk -v n="$n" '$1 == n { print $2 }' <<<"$stdout")
    [ -n "$inside" ] || fail "no $n namespace reported"
    [ "$inside" != "$(ns_inode "$n")" ] || fail "$n namespace is the host's"
  done
}

@test "namespaces: a namespace that is not listed is inherited" {
  cfg '.linux.namespaces |= map(select(.type != "network" and .type != "ipc"))'
  run_container 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'
  assert_status 0
  [ "$(sed -n 1p <<<"$stdout")" = "$(ns_inode net)" ]
  [ "$(sed -n 2p <<<"$stdout")" = "$(ns_inode ipc)" ]
}

@test "namespaces: a time namespace with timeOffsets shifts the container's clocks, for exec too" {
  cfg '.linux.namespaces += [{"type": "time"}]
       | .linux.timeOffsets = {"boottime": {"secs": 86400}, "monotonic": {"secs": 3600, "nanosecs": 5}}'
  set_args sleep 1000
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  local host_uptime
  host_uptime=$(cut -d. -f1 /proc/uptime)
  for how in init exec; do
    if [ "$how" = init ]; then
      rtc exec "$ID" cat /proc/1/timens_offsets
    else
      rtc exec "$ID" cat /proc/self/timens_offsets
    fi
    assert_status 0
    [ "$(awk '$1 == "boottime" { print $2, $3 }' <<<"$stdout")" = "86400 0" ] || fail "$how: $stdout"
    [ "$(awk '$1 == "monotonic" { print $2, $3 }' <<<"$stdout")" = "3600 5" ] || fail "$how: $stdout"
  done
  [ "$(readlink /proc/"$(rt state "$ID" | jq .pid)"/ns/time)" != "$(readlink /proc/self/ns/time)" ] ||
    fail "the init shares the host's time namespace"
  rtc exec "$ID" cat /proc/uptime
  local inside=${stdout%%.*}
  [ "$inside" -ge $((host_uptime + 86400)) ] || fail "uptime inside $inside, host $host_uptime"
}

@test "namespaces: timeOffsets without a new time namespace is an error" {
  cfg '.linux.timeOffsets = {"boottime": {"secs": 10}}'
  run_container true
  assert_failure
  assert_contains "$output" "linux.timeOffsets: requires a new time namespace"
}

@test "namespaces: a new network namespace has only lo" {
  run_container 'ls /sys/class/net'
  assert_status 0
  [ "$stdout" = lo ]
}

@test "namespaces: joining another container's namespaces by path" {
  set_args sleep 1000
  new_id
  local first=$ID
  rtc run --detach --bundle "$BUNDLE" "$first"
  assert_status 0
  local pid
  pid=$(rt state "$first" | jq -r .pid)
  cfg '.linux.namespaces |= map(if .type == "network" then .path = $n
                               elif .type == "ipc" then .path = $i else . end)' \
    --arg n "/proc/$pid/ns/net" --arg i "/proc/$pid/ns/ipc"
  run_container 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'
  assert_status 0
  [ "$(sed -n 1p <<<"$stdout")" = "$(ns_inode net "$pid")" ]
  [ "$(sed -n 2p <<<"$stdout")" = "$(ns_inode ipc "$pid")" ]
}

@test "namespaces: a path to a namespace of the wrong type is an error" {
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  cfg '.linux.namespaces |= map(if .type == "network" then .path = $i else . end)' \
    --arg i "/proc/$pid/ns/ipc"
  run_container 'true'
  assert_failure
  [ "$(state_entries)" -eq 1 ]
}

@test "namespaces: duplicate namespace types are an error" {
  cfg '.linux.namespaces += [{"type": "ipc"}]'
  run_container 'true'
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "namespaces: cgroup namespace hides the host's cgroup path" {
  cfg '.linux.namespaces += [{"type": "cgroup"}]'
  run_container 'cat /proc/self/cgroup'
  assert_status 0
  # Every line ends in "/" : the container's cgroup is its root.
  local bad
  bad=$(grep -v ':/$' <<<"$stdout" || true)
  [ -z "$bad" ] || fail "cgroup paths not rooted: $bad"
}

@test "sysctl: net.ipv4.ip_forward inside a new network namespace" {
  local host_before
  host_before=$(cat /proc/sys/net/ipv4/ip_forward)
  local want=1
  [ "$host_before" = 1 ] && want=0
  cfg '.linux.sysctl = {"net.ipv4.ip_forward": $v}' --arg v "$want"
  run_container 'cat /proc/sys/net/ipv4/ip_forward'
  assert_status 0
  [ "$stdout" = "$want" ]
  # The host's value is untouched.
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_before" ]
}

@test "sysctl: an ipc sysctl inside a new ipc namespace" {
  local host_before
  host_before=$(cat /proc/sys/kernel/msgmax)
  cfg '.linux.sysctl = {"kernel.msgmax": "12345"}'
  run_container 'cat /proc/sys/kernel/msgmax'
  assert_status 0
  [ "$stdout" = 12345 ]
  [ "$(cat /proc/sys/kernel/msgmax)" = "$host_before" ]
}

@test "sysctl: an unknown key fails create" {
  cfg '.linux.sysctl = {"net.berth.test.nope": "1"}'
  run_container 'true'
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "namespaces: user namespace with uid and gid mappings" {
  # The mapped root must be able to reach the bundle: open up the search
  # bit of our own temporary directories on the way (never of /tmp itself).
  local d=$BUNDLE top=${TMPDIR:-/tmp}
  top=${top%/}
  while [ "$d" != / ] && [ "$d" != /tmp ] && [ "${d#"$top"}" != "$d" ]; do
    chmod a+x "$d"
    d=$(dirname "$d")
  done
  chmod -R a+rX "$BUNDLE"
  cfg '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; sleep 1000'
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  # Seen from the host, the container's root is uid 100000.
  [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = 100000 ]
  [ "$(tr -s ' ' <"/proc/$pid/uid_map" | sed 's/^ //')" = "0 100000 65536" ]
  [ "$(ns_inode user "$pid")" != "$(ns_inode user)" ]
}
