#!/usr/bin/env bats
# Shell completion (completion/): bash, zsh and fish over `berth
# __complete`, whose options must be exactly those `COMMAND --help` lists.

load ../lib/helpers

setup() {
  skip_if_runc "completion is berth's own"
  common_setup
  BIN=$TEST_DIR/bin
  mkdir -p "$BIN"
  ln -s "$BERTH" "$BIN/berth"
}

teardown() {
  common_teardown
}

# complete_bash WORD...: what bash offers for the last word, one per line.
complete_bash() {
  PATH=$BIN:$PATH bash -c '
    source "$0"
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _berth
    printf "%s\n" "${COMPREPLY[@]}"' "$REPO_ROOT/completion/berth.bash" berth "$@"
}

commands() {
  "$BERTH" --help | awk '/^COMMANDS:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'
}

# help_options CMD: the long options `berth CMD --help` lists, sorted.
help_options() {
  "$BERTH" "$1" --help | sed -n '/^OPTIONS:/,$p' | grep -oE '^   --[a-z0-9-]+' | sed 's/^ *//' | sort
}

@test "completion: bash registers _berth for berth" {
  run bash -c 'source "$1"; complete -p berth' _ "$REPO_ROOT/completion/berth.bash"
  assert_status 0
  [ "$output" = "complete -F _berth berth" ]
}

@test "completion: bash completes command names, global options and their values" {
  [ "$(complete_bash cre)" = create ]
  [ "$(complete_bash "" | sort)" = "$(commands | sort)" ]
  [ "$(complete_bash --root | sort | tr '\n' ' ')" = "--root --rootless " ]
  [ "$(complete_bash --log-format "" | sort | tr '\n' ' ')" = "json text " ]
  # "--log-format=j" reaches the function as three words, split at "=".
  [ "$(complete_bash --log-format = j)" = json ]
  [ "$(complete_bash list --format "" | sort | tr '\n' ' ')" = "json table " ]
  [ "$(complete_bash kill x SIGKI)" = SIGKILL ]
  [ "$(complete_bash exec --cap CAP_SYS_AD)" = CAP_SYS_ADMIN ]
}

@test "completion: every command's options are exactly its --help options" {
  local c want got
  for c in $(commands); do
    want=$(help_options "$c")
    got=$(complete_bash "$c" -- | grep -v '^--help$' | sort)
    [ "$want" = "$got" ] || fail "$c: --help lists [$(echo $want)], completion offers [$(echo $got)]"
  done
}

@test "completion: bash completes directories for --bundle and files for --pid-file" {
  mkdir -p "$TEST_DIR/cdir/sub"
  touch "$TEST_DIR/cdir/file"
  [ "$(complete_bash create --bundle "$TEST_DIR/cdir/")" = "$TEST_DIR/cdir/sub" ]
  [ "$(complete_bash create --pid-file "$TEST_DIR/cdir/f")" = "$TEST_DIR/cdir/file" ]
}

@test "completion: container ids under --root, for commands that take one" {
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(complete_bash --root "$TEST_ROOT" start "")" = "$ID" ]
  [ "$(complete_bash --root="$TEST_ROOT" delete "${ID:0:12}")" = "$ID" ]
  [ -z "$(complete_bash --root "$TEST_ROOT" spec "")" ]
  rtc delete --force "$ID"
}

@test "completion: fish completes commands, options and values" {
  command -v fish >/dev/null || skip "fish is not installed"
  run env PATH="$BIN:$PATH" fish -c "source $REPO_ROOT/completion/berth.fish
    complete -C 'berth cre'; complete -C 'berth create --bun'; complete -C 'berth list --format '"
  assert_status 0
  assert_contains "$output" $'create\tcreate a container'
  assert_contains "$output" $'--bundle\t'
  assert_contains "$output" "table"
}

@test "completion: the zsh function offers commands, options and values" {
  command -v zsh >/dev/null || skip "zsh is not installed"
  run zsh -n "$REPO_ROOT/completion/_berth"
  assert_status 0
  head -1 "$REPO_ROOT/completion/_berth" | grep -qx '#compdef berth'
  # zsh's completion widgets need a terminal; _describe and _files stand in
  # for them here, printing what the function hands them.
  run env PATH="$BIN:$PATH" zsh -f -c '
    fpath=("$1" $fpath); autoload -Uz _berth
    _describe() { local a=${@[-1]}; print -l -- ${(P)a} }
    _files() { print "_files $*" }
    words=(berth cre); CURRENT=2; _berth
    words=(berth create --bundle ""); CURRENT=4; _berth
    words=(berth list --format ""); CURRENT=4; _berth
    words=(berth --log-format=j); CURRENT=2; _berth' _ "$REPO_ROOT/completion"
  assert_status 0
  [ "$output" = "create:create a container
_files -/
table
json
--log-format=json" ]
}
