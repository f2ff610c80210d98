#!/usr/bin/env bash
# scripts/test.sh — install, build and run every test suite, then print one
# line "N passed, N failed" (exit 1 if anything failed).
#
# Suites: cmocka unit tests and fuzz-corpus replay (normal build and under
# AddressSanitizer+UBSan), the integration suite (real hearthd driven by the
# official centrifuge SDK, raw sockets and a msgpack client; normal and ASan
# builds), the faces (web/) in headless Chromium, and a short libFuzzer run of
# each decoder, and the bench smoke (hearth-bench against hearthd at tiny
# sizes, checking loss and ordering). Set HEARTH_FUZZ_SECONDS (default 20) to
# fuzz longer.
#
#   scripts/test.sh                 every suite (what CI runs)
#   scripts/test.sh SUITE...        only these: layers unit integration hostile
#                                   web bench-smoke release fuzz
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
suites=(layers unit integration hostile web bench-smoke release fuzz)
want() { # want SUITE: was it chosen (all are, without arguments)?
  [ ${#chosen[@]} -eq 0 ] && return 0
  local s; for s in "${chosen[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1
}
chosen=("$@")
for s in "${chosen[@]+"${chosen[@]}"}"; do
  case " ${suites[*]} " in *" $s "*) ;; *) echo "unknown suite '$s' (one of: ${suites[*]})"; echo "0 passed, 1 failed"; exit 2;; esac
done
bash scripts/deps.sh --test || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
failures=()
note() { printf '\n===== %s =====\n' "$*"; }
count() { # count NAME PASS FAIL
  passed=$((passed + $2)); failed=$((failed + $3))
  [ "$3" -gt 0 ] && failures+=("$1: $3 failed")
  echo "-- $1: $2 passed, $3 failed"
}

setup() { # setup DIR [meson options...]
  local dir=$1; shift
  if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi && ninja -C "$dir"
}

# meson suites: each test executable is one test; results from testlog.json
meson_suites() { # meson_suites LABEL BUILDDIR
  local label=$1 dir=$2
  meson test -C "$dir" --suite unit --suite fuzz --print-errorlogs
  local log="$dir/meson-logs/testlog.json"
  local ok bad
  ok=$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(sum(1 for t in r if t["result"] in ("OK","EXPECTEDFAIL")))' "$log")
  bad=$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(sum(1 for t in r if t["result"] not in ("OK","EXPECTEDFAIL","SKIP")))' "$log")
  count "$label" "${ok:-0}" "${bad:-1}"
}

# node --test suites: read the runner's own "# pass N" / "# fail N" lines
node_suite() { # node_suite LABEL SCRIPT ARGS...
  local label=$1; shift
  local out; out=$(mktemp)
  bash "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  local ok bad
  ok=$(grep -E '^# pass [0-9]+' "$out" | tail -1 | awk '{print $3}')
  bad=$(grep -E '^# fail [0-9]+' "$out" | tail -1 | awk '{print $3}')
  ok=${ok:-0}; bad=${bad:-0}
  if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi # the runner itself failed
  count "$label" "$ok" "$bad"
  rm -f "$out"
}

if want layers; then
  note "layers (no #include runs up the folders: tools/check_layers.py)"
  if python3 tools/check_layers.py; then count layers 1 0; else count layers 0 1; fi
fi

note "build (release with debug info)"
setup build || { echo "0 passed, 1 failed"; exit 1; }
note "build (AddressSanitizer + UBSan)"
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false || { echo "0 passed, 1 failed"; exit 1; }

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# quarantine_size_mb: ASan keeps freed blocks poisoned (256 MB by default)
# before reuse; the suites assert the server's RSS stays bounded under attack,
# which would then measure the quarantine instead. 16 MB still catches
# use-after-free within a loop turn's worth of allocations.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=16

if want unit; then
  note "unit + fuzz corpus replay"
  meson_suites "unit+fuzz-replay" build
  note "unit + fuzz corpus replay (ASan+UBSan)"
  meson_suites "unit+fuzz-replay (asan)" build-asan
fi

if want integration; then
  note "integration (official SDK, raw sockets, msgpack)"
  node_suite "integration" tests/integration/run.sh "$root/build/hearthd"
  note "integration (ASan+UBSan hearthd)"
  node_suite "integration (asan)" tests/integration/run.sh "$root/build-asan/hearthd"
fi

if want hostile; then
  note "hostile peers (attacks on loopback: the server keeps serving)"
  node_suite "hostile" tests/hostile/run.sh "$root/build/hearthd"
  note "hostile peers (ASan+UBSan hearthd)"
  node_suite "hostile (asan)" tests/hostile/run.sh "$root/build-asan/hearthd"
fi

if want web; then
  note "the faces (web/) in headless Chromium"
  node_suite "web" tests/web/run.sh "$root/build/hearthd"
fi

# bench smoke: prints "-- bench-smoke[ LABEL]: N passed, M failed"
bench_smoke() { # bench_smoke LABEL HEARTHD
  local label=$1 bin=$2 out ok bad rc
  out=$(mktemp)
  timeout 300 python3 bench/run.py --smoke --hearthd "$bin" --label "$label" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  ok=$(grep -E '^-- bench-smoke.*: [0-9]+ passed' "$out" | tail -1 | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
  bad=$(grep -E '^-- bench-smoke.*: [0-9]+ passed' "$out" | tail -1 | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
  ok=${ok:-0}; bad=${bad:-0}
  if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi # the runner itself failed
  rm -f "$out"
  passed=$((passed + ok)); failed=$((failed + bad))
  [ "$bad" -gt 0 ] && failures+=("bench-smoke$label: $bad failed")
  return 0
}
if want bench-smoke; then
  note "bench smoke (hearth-bench against hearthd at tiny sizes: correctness, not speed)"
  bench_smoke "" "$root/build/hearthd"
  note "bench smoke (ASan+UBSan hearthd)"
  bench_smoke " (asan)" "$root/build-asan/hearthd"
fi

# scripts/run.sh (the README's run command) builds with --buildtype=release:
# -O3 finds warnings (-Werror) that -O2 does not, so build that way too
if want release; then
  note "build (release, as scripts/run.sh does)"
  if setup build-release --buildtype=release; then count "release build" 1 0
  else count "release build" 0 1; fi
fi

if want fuzz; then
note "libFuzzer (short run per decoder)"
if CC=clang setup build-fuzz -Dfuzzing_engine=libfuzzer -Db_sanitize=address,undefined -Db_lundef=false; then
  for t in build-fuzz/tests/fuzz/fuzz_*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    name=$(basename "$t"); corpus_src="tests/fuzz/corpus/${name#fuzz_}"
    work=$(mktemp -d); cp -r "$corpus_src"/. "$work"/ 2>/dev/null || true
    if "$t" -max_total_time="${HEARTH_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 "$work" >"$work.log" 2>&1; then
      count "$name" 1 0
    else
      tail -40 "$work.log"; count "$name" 0 1
    fi
    rm -rf "$work" "$work.log"
  done
else
  count "libfuzzer build" 0 1
fi
fi

echo
for f in "${failures[@]+"${failures[@]}"}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
