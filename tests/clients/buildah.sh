#!/bin/bash
# buildah with `--runtime /path/to/RT`: `buildah run` (a foreground process
# in a working container, with and without a terminal) and a RUN step of
# `buildah bud`, whose result must be in the built image. Buildah has no
# detached containers, so exec, ps, pause, update and stop do not apply.
# Storage, run state, bundles ($TMPDIR) and configuration are in the
# temporary directory; containers have no network.
#
# Usage: buildah.sh (BERTH, RUNC, CLIENT_RUNTIMES, VERBOSE from the
# environment; see lib.sh).
. "$(dirname "$0")/lib.sh"

IMG=localhost/berth-busybox:test

client_prepare() {
  ensure_packages buildah runc busybox-static jq util-linux || return 1
  B=$WORK/buildah
  mkdir -p "$B/tmp" "$B/ctx" || return 1
  CGROUP_PARENT=berth-buildah-$$
  CGROUP_NAMES+=("$CGROUP_PARENT")
  # As for podman: rlimits under this machine's hard NOFILE limit, no
  # systemd, and berth in the lists of runtimes keyed on basename.
  cat >"$B/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "berth"]
runtime_supports_nocgroups = ["crun", "krun", "berth"]

[network]
network_backend = "cni"
network_config_dir = "$B/net"
EOF
  cat >"$B/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$B/runroot"
graphroot = "$B/root"
EOF
  : >"$B/registries.conf"
  export CONTAINERS_CONF=$B/containers.conf
  export CONTAINERS_STORAGE_CONF=$B/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$B/registries.conf
  # buildah writes its bundles (and image copies) under $TMPDIR.
  export TMPDIR=$B/tmp
  make_rootfs_tar "$WORK/rootfs.tar" || return 1
  make_oci_archive "$WORK/rootfs.tar" "$WORK/image.tar" "$IMG" || return 1
  ba pull "oci-archive:$WORK/image.tar" || return 1
  ba tag "$(ba images -q | head -n 1)" "$IMG" || return 1
  on_exit 'ba rm -a; ba rmi -af'
  cat >"$B/ctx/Containerfile" <<EOF
FROM $IMG
RUN echo "built by \$(cat /proc/1/comm)" >/built && exit 0
EOF
}

ba() { tmo buildah "$@"; }

# buildah makes every runtime call itself (no conmon), so --runtime-flag
# keeps the runtime's state in the temporary directory. Only `bud` takes a
# cgroup parent; `buildah run` containers get the runtime's default cgroup,
# which it removes on delete.
RUN_OPTS=()
BUD_OPTS=()
set_run_opts() {
  RUN_OPTS=(--runtime "$2" --runtime-flag "root=$WORK/$1-root" --isolation oci --network none)
  BUD_OPTS=("${RUN_OPTS[@]}" --cgroup-parent "/$CGROUP_PARENT")
  RUNTIME_ROOTS+=("$WORK/$1-root")
}

s_run() {
  local out
  capture out ba run "${RUN_OPTS[@]}" "$CTR" -- sh -c 'echo hello-from-run; exit 7'
  expect_text run "$out" hello-from-run && expect_status run "$out_status" 7
}

s_missing_exec() {
  local out
  capture out ba run "${RUN_OPTS[@]}" "$CTR" -- no-such-binary
  check_missing_exec "$1" "" "$out_status" "$out"
}

s_run_tty() {
  local out
  capture out in_tty buildah run -t "${RUN_OPTS[@]}" "$CTR" -- sh -c 'tty; exit 0'
  expect_text "run -t" "$out" /dev/pts/ && expect_status "run -t" "$out_status" 0
}

s_build() {
  local out c
  capture out ba bud "${BUD_OPTS[@]}" -t "localhost/built-$1:test" "$B/ctx"
  expect_status bud "$out_status" 0 || return 1
  c=$(ba from "localhost/built-$1:test") || return "$(fail "buildah from the built image failed")"
  capture out ba run "${RUN_OPTS[@]}" "$c" -- cat /built
  ba rm "$c" >/dev/null 2>&1
  expect_status "run in the built image" "$out_status" 0 || return 1
  expect_text "built image" "$out" "built by"
}

client_steps() {
  local rt=$1 path=$2
  set_run_opts "$rt" "$path"
  CTR=$(ba from --name "bt-$rt" "$IMG" 2>>"$WORK/logs/from-$rt.log") ||
    { record FAIL "$rt" all "buildah from $IMG failed"; return 0; }
  step "$rt" run s_run "$rt"
  step "$rt" missing-exec s_missing_exec "$rt"
  step "$rt" run-tty s_run_tty "$rt"
  step "$rt" build s_build "$rt"
  ba rm "$CTR" >/dev/null 2>&1
  return 0
}

client_main
