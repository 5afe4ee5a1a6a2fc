#!/usr/bin/env bats
# The process object of config.json as the container sees it: hostname,
# env, cwd, user, umask, rlimits, capabilities, noNewPrivileges,
# oomScoreAdj.

load ../lib/helpers

# status_line NAME: the NAME: line of /proc/self/status from $stdout.
status_line() {
  grep "^$1:" <<<"$stdout" | cut -f2- | tr -s '\t ' ' ' | sed 's/ *$//'
}

@test "process: hostname" {
  cfg '.hostname = "berth-host"'
  run_container 'hostname'
  assert_status 0
  [ "$stdout" = berth-host ]
  [ "$(hostname)" != berth-host ]
}

@test "process: domainname" {
  skip_if_runc "1.1.5 ignores domainname (supported since 1.2)"
  cfg '.hostname = "berth-host" | .domainname = "berth.example"'
  run_container 'cat /proc/sys/kernel/domainname'
  assert_status 0
  [ "$stdout" = berth.example ]
}

@test "process: env is exactly what config.json says (plus HOME)" {
  cfg '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar", "WITH_SPACE=a b", "EMPTY="]'
  run_container 'env | sort'
  assert_status 0
  grep -qx 'FOO=bar' <<<"$stdout"
  grep -qx 'WITH_SPACE=a b' <<<"$stdout"
  grep -qx 'EMPTY=' <<<"$stdout"
  grep -qx 'PATH=/bin:/usr/bin' <<<"$stdout"
  # runc adds HOME from /etc/passwd when the config does not set it.
  grep -qx 'HOME=/root' <<<"$stdout"
  # Nothing of the caller's environment leaks in.
  export BERTH_TEST_LEAK=leaked
  run_container 'env'
  assert_not_contains "$stdout" BERTH_TEST_LEAK
}

@test "process: HOME from config.json wins" {
  cfg '.process.env += ["HOME=/tmp"]'
  run_container 'echo $HOME'
  assert_status 0
  [ "$stdout" = /tmp ]
}

@test "process: cwd" {
  cfg '.process.cwd = "/etc"'
  run_container 'pwd'
  assert_status 0
  [ "$stdout" = /etc ]
}

@test "process: a missing cwd is created" {
  cfg '.process.cwd = "/new/work/dir"'
  run_container 'pwd'
  assert_status 0
  [ "$stdout" = /new/work/dir ]
}

@test "process: relative cwd is refused" {
  cfg '.process.cwd = "etc"'
  run_container 'pwd'
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "process: user uid, gid and additionalGids" {
  cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [2000, 3000]}'
  run_container 'cat /proc/self/status'
  assert_status 0
  [ "$(status_line Uid)" = "1000 1000 1000 1000" ]
  [ "$(status_line Gid)" = "1001 1001 1001 1001" ]
  [ "$(status_line Groups)" = "2000 3000" ]
}

@test "process: uid 0 without additionalGids has no supplementary groups" {
  run_container 'cat /proc/self/status'
  assert_status 0
  [ "$(status_line Uid)" = "0 0 0 0" ]
  [ "$(status_line Groups)" = "" ]
}

@test "process: umask" {
  cfg '.process.user.umask = 63'
  run_container 'umask'
  assert_status 0
  [ "$stdout" = 0077 ]
}

@test "process: default umask is 0022" {
  cfg 'del(.process.user.umask)'
  run_container 'umask'
  assert_status 0
  [ "$stdout" = 0022 ]
}

@test "process: rlimits" {
  cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1234, "hard": 2345},
                           {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
                           {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
  run_container 'cat /proc/self/limits'
  assert_status 0
  grep -qE '^Max open files +1234 +2345 ' <<<"$stdout"
  grep -qE '^Max processes +300 +400 ' <<<"$stdout"
  grep -qE '^Max core file size +0 +0 ' <<<"$stdout"
}

@test "process: rlimits unset are inherited from the caller" {
  cfg '.process.rlimits = []'
  run_container 'grep "Max stack size" /proc/self/limits'
  assert_status 0
  [ "$stdout" = "$(grep 'Max stack size' /proc/self/limits)" ]
}

@test "process: duplicate rlimits are an error" {
  skip_if_runc "1.1.5 lets the last duplicate win (the spec says error)"
  cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100},
                           {"type": "RLIMIT_NOFILE", "soft": 200, "hard": 200}]'
  run_container 'true'
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "process: unknown rlimit type is an error" {
  cfg '.process.rlimits = [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]'
  run_container 'true'
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "process: capabilities of each set" {
  # CAP_CHOWN is bit 0, CAP_KILL bit 5, CAP_NET_BIND_SERVICE bit 10.
  cfg '.process.capabilities = {
         "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
         "effective": ["CAP_CHOWN", "CAP_KILL"],
         "permitted": ["CAP_CHOWN", "CAP_KILL"],
         "inheritable": ["CAP_KILL"],
         "ambient": ["CAP_KILL"]}'
  run_container 'cat /proc/self/status'
  assert_status 0
  [ "$(status_line CapBnd)" = 0000000000000421 ]
  [ "$(status_line CapPrm)" = 0000000000000021 ]
  [ "$(status_line CapEff)" = 0000000000000021 ]
  [ "$(status_line CapInh)" = 0000000000000020 ]
  [ "$(status_line CapAmb)" = 0000000000000020 ]
}

@test "process: no capabilities at all" {
  cfg '.process.capabilities = {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}'
  run_container 'cat /proc/self/status'
  assert_status 0
  local s
  for s in CapBnd CapPrm CapEff CapInh CapAmb; do
    [ "$(status_line "$s")" = 0000000000000000 ] || fail "$s: $(status_line "$s")"
  done
}

@test "process: default capabilities of the spec" {
  run_container 'cat /proc/self/status'
  assert_status 0
  # runc spec: CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
  [ "$(status_line CapEff)" = 0000000020000420 ]
  [ "$(status_line CapBnd)" = 0000000020000420 ]
}

@test "process: a non-root user keeps only ambient capabilities" {
  cfg '.process.user = {"uid": 1000, "gid": 1000}
       | .process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL", "CAP_CHOWN"],
                                  "permitted": ["CAP_KILL", "CAP_CHOWN"], "inheritable": ["CAP_KILL"],
                                  "ambient": ["CAP_KILL"]}'
  run_container 'cat /proc/self/status'
  assert_status 0
  [ "$(status_line CapEff)" = 0000000000000020 ]
  [ "$(status_line CapAmb)" = 0000000000000020 ]
  [ "$(status_line CapBnd)" = 0000000000000021 ]
}

@test "process: unknown capability names are not fatal" {
  cfg '.process.capabilities.bounding += ["CAP_NOT_A_THING"] | .process.capabilities.effective += ["CAP_NOT_A_THING"]'
  run_container 'grep CapEff /proc/self/status'
  assert_status 0
}

@test "process: noNewPrivileges true" {
  cfg '.process.noNewPrivileges = true'
  run_container 'grep NoNewPrivs /proc/self/status'
  assert_status 0
  [ "$(tr -s '\t ' ' ' <<<"$stdout")" = "NoNewPrivs: 1" ]
}

@test "process: noNewPrivileges false" {
  cfg '.process.noNewPrivileges = false'
  run_container 'grep NoNewPrivs /proc/self/status'
  assert_status 0
  [ "$(tr -s '\t ' ' ' <<<"$stdout")" = "NoNewPrivs: 0" ]
}

@test "process: oomScoreAdj" {
  cfg '.process.oomScoreAdj = 500'
  run_container 'cat /proc/self/oom_score_adj'
  assert_status 0
  [ "$stdout" = 500 ]
}

@test "process: oomScoreAdj unset leaves the inherited value alone" {
  cfg 'del(.process.oomScoreAdj)'
  # Run from a shell whose score is not the default, so "touched" shows.
  local want=123
  new_id
  set_cmd 'cat /proc/self/oom_score_adj'
  run bash -c 'echo "$1" >/proc/self/oom_score_adj && exec timeout 60 "$2" --root "$3" run --bundle "$4" "$5" </dev/null 2>&1' \
    _ "$want" "$BERTH" "$TEST_ROOT" "$BUNDLE" "$ID"
  assert_status 0
  [ "$output" = "$want" ]
}

@test "process: the container's environment has no terminal without one" {
  run_container '[ -t 0 ] && echo tty || echo notty'
  assert_status 0
  [ "$stdout" = notty ]
}
