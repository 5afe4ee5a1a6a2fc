#!/usr/bin/env bats
# Man pages (docs/man/*.scd, built by make with scdoc) agree with --help, and
# make install puts berth, the man pages and the shell completion in place.

load ../lib/helpers

setup() {
  skip_if_runc "berth's own man pages"
  MAN=$REPO_ROOT/docs/man
}

commands() {
  "$BERTH" --help | awk '/^COMMANDS:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'
}

# help_flags: every flag (long and short) of --help text on stdin, from the
# section that starts with $1, sorted.
help_flags() {
  sed -n "/^$1/,\$p" | sed -n '2,/^ *$/p' | grep -E '^   -' |
    sed -E 's/^ +//; s/  +.*//; s/ value//g; s/, /\n/g' | sort
}

# man_flags PAGE SECTION: the flags the scdoc page lists in # SECTION.
man_flags() {
  sed -n "/^# $2\$/,/^# /p" "$MAN/$1.8.scd" | grep -E '^\*-' |
    sed -E 's/ _[a-z.-]+_//g; s/, /\n/g' | tr -d '*' | sort
}

@test "docs: every command has a man page whose options are exactly its --help options" {
  local c want got n=0
  for c in $(commands); do
    [ -f "$MAN/berth-$c.8.scd" ] || fail "no docs/man/berth-$c.8.scd"
    want=$("$BERTH" "$c" --help | help_flags OPTIONS:)
    got=$(man_flags "berth-$c" OPTIONS)
    [ "$want" = "$got" ] ||
      fail "berth-$c(8): --help has [$(echo $want)], the man page [$(echo $got)]"
    n=$((n + 1))
  done
  [ "$n" -ge 18 ]
}

@test "docs: berth(8) lists the global options of --help and every command" {
  local want got c
  want=$("$BERTH" --help | help_flags "GLOBAL OPTIONS:")
  got=$(man_flags berth "GLOBAL OPTIONS")
  [ "$want" = "$got" ] || fail "--help has [$(echo $want)], berth(8) [$(echo $got)]"
  got=$(sed -n '/^# COMMANDS$/,/^# /p' "$MAN/berth.8.scd" | grep -E '^\*[a-z]+\*$' | tr -d '*' | sort)
  [ "$(commands | sort)" = "$got" ] || fail "berth(8) lists [$(echo $got)]"
}

@test "docs: no man page for a command berth does not have" {
  local f c
  for f in "$MAN"/berth-*.8.scd; do
    c=$(basename "$f" .8.scd)
    c=${c#berth-}
    commands | grep -qx "$c" || fail "$f documents '$c', which is not a command"
  done
}

@test "docs: make built every page, and man renders them" {
  local build f name
  build=$(dirname "$BERTH")
  [ -f "$build/build.ninja" ] || skip "$BERTH is not in a meson build directory"
  for f in "$MAN"/*.scd; do
    name=$(basename "$f" .scd)
    [ -s "$build/$name" ] || fail "$build/$name was not built"
    # But for the date in .TH: the day it was built, which a build before
    # midnight does not share with a test after it.
    cmp -s <(scdoc <"$f" | sed '/^\.TH /s/"[0-9-]*"$//') <(sed '/^\.TH /s/"[0-9-]*"$//' "$build/$name") ||
      fail "$build/$name is not its source's scdoc output"
  done
  run env MANWIDTH=80 man -l "$build/berth-check.8"
  assert_status 0
  assert_contains "$output" "berth-check - check whether this host"
}

@test "docs: make install puts berth, the man pages and the completions in place" {
  local build dest
  build=$(dirname "$BERTH")
  [ -f "$build/build.ninja" ] || skip "$BERTH is not in a meson build directory"
  dest=$BATS_TEST_TMPDIR/dest
  run env DESTDIR="$dest" meson install -C "$build" --no-rebuild --quiet
  assert_status 0
  local prefix
  prefix=$(meson introspect --buildoptions "$build" | jq -r '.[] | select(.name == "prefix") | .value')
  [ -x "$dest$prefix/sbin/berth" ]
  local c
  for c in $(commands); do
    [ -f "$dest$prefix/share/man/man8/berth-$c.8" ] || fail "berth-$c.8 not installed"
  done
  [ -f "$dest$prefix/share/man/man8/berth.8" ]
  [ -f "$dest$prefix/share/bash-completion/completions/berth" ]
  local zsh_dir
  zsh_dir=$(meson introspect --buildoptions "$build" | jq -r '.[] | select(.name == "zsh-completions-dir") | .value')
  [ -f "$dest${zsh_dir:-$prefix/share/zsh/site-functions}/_berth" ]
  [ -f "$dest$prefix/share/fish/vendor_completions.d/berth.fish" ]
  rm -rf "$dest"
}

@test "docs: every error code in the source is in docs/errors.md, and only those" {
  local in_src in_doc
  in_src=$(grep -rhoE '"BERTH-E-[A-Z0-9-]+"' "$REPO_ROOT/src" | tr -d '"' | sort -u)
  in_doc=$(grep -oE '^### BERTH-E-[A-Z0-9-]+$' "$REPO_ROOT/docs/errors.md" | cut -c5- | sort -u)
  [ "$(wc -l <<<"$in_src")" -ge 20 ] || fail "only $(wc -l <<<"$in_src") codes found in src"
  [ "$in_src" = "$in_doc" ] ||
    fail "not documented: $(comm -23 <(echo "$in_src") <(echo "$in_doc") | tr '\n' ' ')" \
         "documented, not in src: $(comm -13 <(echo "$in_src") <(echo "$in_doc") | tr '\n' ' ')"
  # Each section says what causes it and how to fix it.
  [ "$(grep -c '^Cause: ' "$REPO_ROOT/docs/errors.md")" = "$(wc -l <<<"$in_doc")" ]
  [ "$(grep -c '^Fix: ' "$REPO_ROOT/docs/errors.md")" = "$(wc -l <<<"$in_doc")" ]
}

@test "docs: the JSON log line carries the error's code; the text line is runc's" {
  common_setup
  rtc --log-format json state no-such-container
  assert_status 1
  jq -e '.code == "BERTH-E-NOT-FOUND" and .msg == "container does not exist"' <<<"$stderr"
  rtc state no-such-container
  assert_status 1
  [[ $stderr =~ ^time=\"[^\"]+\"\ level=error\ msg=\"container\ does\ not\ exist\"$ ]]
  # An error made in the container's init keeps its code through the sync socket.
  # (The program is looked up by the init, after pivot_root.)
  jq '.process.args = ["no-such-program"]' "$BUNDLE/config.json" >"$BUNDLE/c" &&
    mv "$BUNDLE/c" "$BUNDLE/config.json"
  new_id
  rtc --log-format json create --bundle "$BUNDLE" "$ID"
  assert_status 1
  jq -e '.code == "BERTH-E-PROCESS-NOT-FOUND" and (.msg | contains("no-such-program"))' <<<"$stderr"
  rtc --log-format json kill
  jq -e '.code == "BERTH-E-USAGE"' <<<"$stderr"
  common_teardown
}
