#!/bin/bash
# Makes a working `criu` available to berth's checkpoint and restore, and
# CRIU's C library (libcriu, criu.h, rpc.proto) for building against it.
#
# Debian bookworm's criu 3.17 cannot initialise on recent kernels ("vdso:
# Unexpected rt vDSO area bounds"). Debian trixie's criu 4.x works, but
# installing it would upgrade libc6 and half the system. Instead this script
# downloads trixie's criu and the libraries it needs with a private apt
# configuration (the system's sources, lists and caches are left alone),
# unpacks them with `dpkg -x` into one directory, and writes a small `criu`
# wrapper that runs trixie's criu through that directory's own dynamic
# loader and libraries.
#
# Usage: scripts/install-criu.sh [--prefix DIR] [--bin-dir DIR] [--force]
#   --prefix DIR   where the packages are unpacked
#                  (default /usr/local/lib/berth-criu)
#   --bin-dir DIR  where the `criu` wrapper goes (default PREFIX/bin); put
#                  it first on PATH, e.g. --bin-dir /usr/local/sbin
#   --force        download and unpack even when a working criu is found
#
# When the criu already on PATH works (`criu check` says it looks good and
# its version is at least 3.17), nothing is downloaded unless --force is
# given. Prints the wrapper's directory on the last line of its output.
# Needs root for apt-get's downloads only when the prefix is not writable.
set -euo pipefail

PREFIX=/usr/local/lib/berth-criu
BIN_DIR=
FORCE=0
SUITE=${CRIU_SUITE:-trixie}
ARCH=$(dpkg --print-architecture)

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --bin-dir) BIN_DIR=$2; shift 2 ;;
    --bin-dir=*) BIN_DIR=${1#*=}; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-criu: unknown argument: $1" >&2; exit 2 ;;
  esac
done
BIN_DIR=${BIN_DIR:-$PREFIX/bin}

# The packages whose files are needed. criu and libcompel1 for the tool,
# libcriu2 and libcriu-dev for the C library; the rest comes from their
# dependencies (see closure below).
ROOTS=(criu libcompel1 libcriu2 libcriu-dev)
# Dependencies that are not libraries criu loads: programs it may call are
# the host's own (iptables, iproute2), and packaging-only ones are useless
# under `dpkg -x`.
SKIP_RE='^(iproute2|iptables|nftables|python3.*|debconf.*|dpkg|perl.*|libc-bin|libc-dev-bin|libc6-dev|linux-libc-dev|rpcsvc-proto|libcrypt-dev|libnsl-dev|libtirpc-dev|gcc.*|cpp.*|binutils.*|tzdata|usr-is-merged|base-files|libprotobuf-c-dev|libprotobuf-dev|protobuf-c-compiler|.*-common|init-system-helpers)$'

say() { echo "install-criu: $*" >&2; }

version_at_least() { # version_at_least HAVE WANT
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]
}

# criu_checks CRIU: `criu check` passes and the version is new enough.
criu_checks() {
  local criu=$1 v out
  v=$("$criu" --version 2>/dev/null | sed -n 's/^Version: *//p' | head -1)
  [ -n "$v" ] && version_at_least "$v" 3.17 || return 1
  out=$("$criu" check 2>&1) || return 1
  case $out in *"Looks good"*) return 0 ;; esac
  return 1
}

# criu_dumps CRIU: a real dump of a sleeping process finishes. `criu check`
# does not try this, and some virtual machines never deliver the hardware
# breakpoint CRIU sets to catch its parasite leaving the task, so the dump
# hangs for ever.
criu_dumps() {
  local criu=$1 dir pid rc=0
  dir=$(mktemp -d "${TMPDIR:-/tmp}/criu-probe.XXXXXX")
  setsid sleep 60 </dev/null >/dev/null 2>&1 &
  pid=$!
  sleep 0.2
  timeout -k 2 20 "$criu" dump -t "$pid" -D "$dir" -o dump.log --shell-job >/dev/null 2>&1 || rc=1
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -rf "$dir"
  return "$rc"
}

criu_works() {
  criu_checks "$1" && criu_dumps "$1"
}

# The Debian mirror this machine already uses: the first URI of a Debian
# entry (deb822 .sources or one-line .list) that is not the security archive.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f"
  done
} 2>/dev/null

pick_mirror() {
  local uri
  while read -r uri; do
    case $uri in
      *security*) ;;
      */debian|*/debian/) echo "${uri%/}"; return 0 ;;
    esac
  done < <(debian_mirror)
  return 1
}

# wrapper_text [no-breakpoints]
wrapper_text() {
  cat <<EOF
#!/bin/sh
# criu from Debian $SUITE, unpacked under $PREFIX by berth's
# scripts/install-criu.sh and run through its own dynamic loader, so the
# host's older C library is never involved.
D=$PREFIX
EOF
  if [ "${1:-}" = no-breakpoints ]; then
    cat <<'EOF'
# Hardware breakpoints never fire on this machine (a dump hangs): CRIU's
# fault-injection switch 130 makes it trace syscalls instead.
: "${CRIU_FAULT:=130}"
export CRIU_FAULT
EOF
  fi
  cat <<EOF
exec "\$D/usr/lib64/ld-linux-x86-64.so.2" \\
  --library-path "\$D/usr/lib/x86_64-linux-gnu:\$D/lib/x86_64-linux-gnu" \\
  "\$D/usr/sbin/criu" "\$@"
EOF
}

if [ "$FORCE" = 0 ]; then
  if [ -x "$BIN_DIR/criu" ] && criu_works "$BIN_DIR/criu"; then
    say "criu in $BIN_DIR works"
    echo "$BIN_DIR"
    exit 0
  fi
  if command -v criu >/dev/null 2>&1 && criu_works "$(command -v criu)"; then
    say "$(command -v criu) works; nothing to install (--force installs anyway)"
    dirname "$(command -v criu)"
    exit 0
  fi
fi

if [ "$ARCH" != amd64 ]; then
  say "only amd64 is supported (this is $ARCH)"
  exit 1
fi
MIRROR=$(pick_mirror) || {
  say "no Debian source entry found in /etc/apt to take the mirror from"
  exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/install-criu.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/archives/partial" "$WORK/parts" "$WORK/debs"
cat >"$WORK/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main
EOF
# Only the private list, lists directory and caches: the system's apt state
# is neither read for sources nor written.
APT=(-q -o "Dir::Etc::sourcelist=$WORK/sources.list" -o "Dir::Etc::sourceparts=$WORK/parts"
     -o "Dir::State::Lists=$WORK/lists" -o "Dir::Cache=$WORK/cache"
     -o "Dir::Cache::archives=$WORK/archives" -o Dir::Cache::pkgcache=
     -o Dir::Cache::srcpkgcache= -o "APT::Architecture=$ARCH"
     -o "APT::Architectures=$ARCH" -o Debug::NoLocking=1)

say "reading the $SUITE package lists from $MIRROR"
apt-get "${APT[@]}" update </dev/null >"$WORK/update.log" 2>&1 || {
  cat "$WORK/update.log" >&2
  say "apt-get update of the private $SUITE list failed"
  exit 1
}

# The packages to fetch: the roots and, recursively, what they depend on
# (pre-dependencies included), less the programs and packaging helpers
# above. Virtual names (printed as <name>) are provided by a real
# alternative that is listed too, so they are dropped.
PKGS=()
declare -A seen=()
queue=("${ROOTS[@]}")
while [ ${#queue[@]} -gt 0 ]; do
  next=()
  for p in "${queue[@]}"; do
    [ -n "${seen[$p]:-}" ] && continue
    seen[$p]=1
    if [[ $p =~ $SKIP_RE ]]; then
      continue
    fi
    PKGS+=("$p")
    while read -r d; do
      [ -n "${seen[$d]:-}" ] || next+=("$d")
    done < <(apt-cache "${APT[@]}" depends --no-recommends --no-suggests --no-conflicts \
               --no-breaks --no-replaces --no-enhances "$p" </dev/null |
             awk '$1 == "Depends:" || $1 == "PreDepends:" || $1 == "|Depends:" { print $2 }' |
             grep -v '^<' | sed 's/:any$//' | sort -u)
  done
  queue=("${next[@]+"${next[@]}"}")
done

say "downloading ${#PKGS[@]} packages: ${PKGS[*]}"
(cd "$WORK/debs" && apt-get "${APT[@]}" download "${PKGS[@]}" </dev/null >"$WORK/download.log" 2>&1) || {
  cat "$WORK/download.log" >&2
  say "apt-get download failed"
  exit 1
}

# Unpack into a fresh directory and swap it in, so a failure half-way
# leaves the previous installation as it was.
mkdir -p "$(dirname "$PREFIX")"
STAGE=$(mktemp -d "$(dirname "$PREFIX")/.berth-criu.XXXXXX")
for deb in "$WORK"/debs/*.deb; do
  dpkg -x "$deb" "$STAGE"
done
# trixie's libc6 ships the loader in /usr/lib64 and /usr/lib/x86_64-linux-gnu;
# the wrapper names the first, which older layouts may lack.
if [ ! -e "$STAGE/usr/lib64/ld-linux-x86-64.so.2" ]; then
  mkdir -p "$STAGE/usr/lib64"
  ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$STAGE/usr/lib64/ld-linux-x86-64.so.2"
fi
[ -x "$STAGE/usr/sbin/criu" ] || {
  rm -rf "$STAGE"
  say "the unpacked packages hold no usr/sbin/criu"
  exit 1
}
chmod 755 "$STAGE"
rm -rf "$PREFIX.old"
[ -e "$PREFIX" ] && mv "$PREFIX" "$PREFIX.old"
mv "$STAGE" "$PREFIX"
rm -rf "$PREFIX.old"

write_wrapper() {
  mkdir -p "$BIN_DIR"
  wrapper_text "$@" >"$BIN_DIR/criu.tmp"
  chmod 755 "$BIN_DIR/criu.tmp"
  mv "$BIN_DIR/criu.tmp" "$BIN_DIR/criu"
}
write_wrapper

# libcriu for builds: a pkg-config file that points into the prefix.
PC_DIR=$PREFIX/usr/lib/x86_64-linux-gnu/pkgconfig
if [ -f "$PC_DIR/criu.pc" ]; then
  sed -i -e "s|^libdir=/usr|libdir=$PREFIX/usr|" \
    -e "s|^includedir=/usr|includedir=$PREFIX/usr|" "$PC_DIR/criu.pc"
fi

if ! criu_checks "$BIN_DIR/criu"; then
  "$BIN_DIR/criu" check 2>&1 | tail -5 >&2
  say "installed in $PREFIX, but 'criu check' does not pass on this kernel"
  exit 1
fi
if ! criu_dumps "$BIN_DIR/criu"; then
  write_wrapper no-breakpoints
  if ! criu_dumps "$BIN_DIR/criu"; then
    say "installed in $PREFIX, but a test dump of a sleeping process fails"
    exit 1
  fi
  say "hardware breakpoints do not work here: the wrapper makes CRIU trace syscalls instead"
fi
say "$("$BIN_DIR/criu" --version | head -1) in $BIN_DIR works"
echo "$BIN_DIR"
