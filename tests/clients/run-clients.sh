#!/bin/bash
# run-clients.sh [BERTH] [CLIENT...]
#
# Runs the client tests (default: containerd podman docker conmon buildah),
# each against Debian's runc and then against BERTH (default: build/berth).
# Every client x runtime x step is one test. Prints each result and a
# summary per client and runtime. runc's steps are the reference: they show
# that a step can pass and how, but they are not berth's tests, so their
# failures are reported on a line of their own ("reference runc: ...", with
# each failed step and its reason) and do not count. The closing line,
# "N passed, N failed[, N skipped]", counts berth's steps only (and a
# client file that crashed or timed out), and so does the exit status.
#
# Environment: RUNC (default /usr/sbin/runc), CLIENT_TIMEOUT (seconds for
# one client file, default 600), VERBOSE=1 (show every step's log),
# KEEP_WORK=1 (keep the temporary directories, for debugging),
# CLIENTS_DIR (where the client files are; default: beside this script).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
BERTH=${1:-$REPO_ROOT/build/berth}
[ $# -gt 0 ] && shift
case $BERTH in
  /*) ;;
  *) BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH") ;;
esac
RUNC=${RUNC:-/usr/sbin/runc}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-600}
CLIENTS=("$@")
[ ${#CLIENTS[@]} -gt 0 ] || CLIENTS=(containerd podman docker conmon buildah)

if [ "$(id -u)" != 0 ]; then
  echo "run-clients: the client tests need root" >&2
  echo "0 passed, ${#CLIENTS[@]} failed"
  exit 1
fi

RESULTS=$(mktemp "${TMPDIR:-/tmp}/berth-clients-results.XXXXXX") || exit 1
BIN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/berth-clients-bin.XXXXXX") || exit 1
trap 'rm -rf "$RESULTS" "$BIN_DIR"' EXIT

# The tests run a copy of the binary, so that a rebuild during the run
# cannot swap it between two steps. Its name stays berth: podman keys
# behaviour on the basename.
if [ -x "$BERTH" ]; then
  chmod 755 "$BIN_DIR"
  cp "$BERTH" "$BIN_DIR/berth" && BERTH=$BIN_DIR/berth
fi

export BERTH RUNC CLIENT_RESULTS=$RESULTS
export CLIENT_RUNTIMES=${CLIENT_RUNTIMES:-"runc=$RUNC berth=$BERTH"}

for client in "${CLIENTS[@]}"; do
  script=${CLIENTS_DIR:-$HERE}/$client.sh
  echo "=== $client"
  before=$(wc -l <"$RESULTS")
  start=$(date +%s)
  if [ ! -f "$script" ]; then
    echo "FAIL $client all setup : no test file $script" | tee -a "$RESULTS"
    continue
  fi
  # A hung client must not take the whole run with it; TERM lets the test
  # clean up (its EXIT trap), KILL follows if it does not.
  CLIENT=$client timeout -k 60 "$CLIENT_TIMEOUT" bash "$script" </dev/null
  rc=$?
  after=$(wc -l <"$RESULTS")
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "FAIL $client all timeout : did not finish within ${CLIENT_TIMEOUT}s" | tee -a "$RESULTS"
  elif [ "$after" = "$before" ]; then
    echo "FAIL $client all crashed : exited $rc without a result" | tee -a "$RESULTS"
  fi
  echo "--- $client: $(($(date +%s) - start))s"
done

echo
echo "=== summary"
# Columns of a result line: STATUS CLIENT RUNTIME STEP [: REASON]
awk '{
    key = $2 " " $3
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    if ($1 == "SKIP") { skipped[key]++; next }
    total[key]++
    if ($1 == "PASS") pass[key]++
    else if ($1 == "FAIL") failed[key] = failed[key] " " $4
  }
  END {
    for (i = 1; i <= n; i++) {
      k = order[i]
      printf "%-22s %d/%d passed", k, pass[k], total[k]
      if (skipped[k]) printf ", %d skipped", skipped[k]
      if (failed[k] != "") printf "; failed:%s", failed[k]
      printf "\n"
    }
  }' "$RESULTS"

# The reference is the first runtime named in CLIENT_RUNTIMES (runc).
# With one runtime alone there is no reference.
reference=
case $CLIENT_RUNTIMES in
  *" "*) reference=${CLIENT_RUNTIMES%% *} reference=${reference%%=*} ;;
esac
count() { awk -v s="$1" -v ref="$reference" -v want="$2" \
  '$1 == s && (($3 == ref) == (want == "ref")) {n++} END {print n + 0}' "$RESULTS"; }

ref_passed=$(count PASS ref) ref_failed=$(count FAIL ref) ref_skipped=$(count SKIP ref)
if [ $((ref_passed + ref_failed + ref_skipped)) -gt 0 ]; then
  echo "reference $reference: $ref_passed passed, $ref_failed failed, $ref_skipped skipped (not counted below)"
  awk -v ref="$reference" '$1 == "FAIL" && $3 == ref {print "  reference failure: " $0}' "$RESULTS"
fi
passed=$(count PASS own) failed=$(count FAIL own) skipped=$(count SKIP own)
echo
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
