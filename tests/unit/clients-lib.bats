#!/usr/bin/env bats
# tests/clients/lib.sh puts back the host directories the clients touch
# outside their temporary directories (/run/berth and the like): what a
# test made goes, what was there before stays.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# host_dirs SETUP CHANGE: runs SETUP, remembers the host directories, runs
# CHANGE (what a client test would do), removes what it made, and prints
# what is left under the test's own stand-in for /run.
host_dirs() {
  local run=$BATS_TEST_TMPDIR/run
  mkdir -p "$run"
  bash -c '
    source "$1/tests/clients/lib.sh"
    HOST_DIRS=("$2/berth" "$2/runc")
    cd "$2" && eval "$3"
    remember_host_dirs
    eval "$4"
    remove_host_dirs
    find . -mindepth 1 | sort' bash "$REPO" "$run" "$1" "$2"
}

@test "clients lib: a cache made in a runtime root that was there goes, the root stays" {
  run host_dirs 'mkdir berth' 'mkdir berth/.seccomp-cache && touch berth/.seccomp-cache/f.bpf'
  [ "$status" -eq 0 ]
  [ "$output" = "./berth" ]
}

@test "clients lib: a root and a cache that were there stay" {
  run host_dirs 'mkdir -p berth/.seccomp-cache' 'touch berth/.seccomp-cache/new.bpf'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf './berth\n./berth/.seccomp-cache\n./berth/.seccomp-cache/new.bpf')" ]
}

@test "clients lib: a root the test made goes with its cache; one not empty stays" {
  run host_dirs ':' 'mkdir -p berth/.seccomp-cache runc/ctr'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf './runc\n./runc/ctr')" ]
}
