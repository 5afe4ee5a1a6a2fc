#!/usr/bin/env bats
# scripts/demo.sh, behind the README's `make demo`: it runs its container
# and keeps every berth call inside its own temporary directory, so that
# nothing of it (not even an empty /run/berth) is left on the host.

load ../lib/helpers

@test "demo: runs its container with a state root inside its temporary directory" {
  local calls=$TEST_DIR/calls wrapper=$TEST_DIR/berth-logged
  cat >"$wrapper" <<WRAP
#!/bin/bash
printf '%s\n' "\$*" >>"$calls"
exec "$BERTH" "\$@"
WRAP
  chmod +x "$wrapper"
  mkdir -p "$TEST_DIR/tmp"
  TMPDIR=$TEST_DIR/tmp run "$REPO_ROOT/scripts/demo.sh" "$wrapper"
  [ "$status" -eq 0 ] || fail "demo failed: $output"
  assert_contains "$output" "exited cleanly"
  grep -q ' run ' "$calls" || fail "no run call: $(cat "$calls")"
  local line
  while read -r line; do
    [[ "$line" == spec* || "$line" == "--root $TEST_DIR/tmp/berth-demo."* ]] ||
      fail "a call outside the demo's own root: $line"
  done <"$calls"
  [ -z "$(ls -A "$TEST_DIR/tmp")" ] || fail "left in its temp dir: $(ls -A "$TEST_DIR/tmp")"
}
