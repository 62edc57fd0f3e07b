#!/usr/bin/env bash
# `make fuzz` (and the fuzz step of `make test`): builds the libFuzzer targets of tests/fuzz with clang, ASan and
# UBSan in build-fuzz/ (incrementally), then runs each for FUZZ_SECONDS over its seed corpus. New inputs go to
# build-fuzz/corpus-work/<target>/, never into the git tree. A crash, a sanitizer report or a broken invariant
# fails the run and names the saved input that reproduces it:  build-fuzz/tests/fuzz/fuzz_<target> <input>
set -euo pipefail
source "$(dirname "$0")/common.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
JOBS=${JOBS:-$(nproc)}
CORPUS="$ROOT/tests/fuzz/corpus"

command -v clang++ >/dev/null || die "clang++ not found: run make deps (deploy/debian-packages.txt lists clang)"
# -O1 -g without NDEBUG: fast enough to fuzz, and the code's own assertions stay armed.
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DPAYMENTS_FUZZ=ON -DPAYMENTS_TESTS=OFF >/dev/null
started=$SECONDS
cmake --build "$BUILD" --target fuzz_targets -j "$JOBS" || die "the fuzz targets did not build"
log "built in $((SECONDS - started)) s"

symbolizer=$(command -v llvm-symbolizer || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | head -n1 || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=$symbolizer
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for seeds in "$CORPUS"/*/; do
  name=$(basename "$seeds")
  binary="$BUILD/tests/fuzz/fuzz_$name"
  [ -x "$binary" ] || die "tests/fuzz/corpus/$name has no fuzz target fuzz_$name"
  work="$BUILD/corpus-work/$name" crashes="$BUILD/crashes/$name" logfile="$BUILD/fuzz-logs/$name.log"
  mkdir -p "$work" "$crashes" "$(dirname "$logfile")"
  # The work dir first: libFuzzer writes what it finds into the first directory only; the seeds are only read.
  if "$binary" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$crashes/" "$work" "$seeds" >"$logfile" 2>&1; then
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$logfile" | grep -Eo '[0-9]+$' || echo '?')
    log "$name: ok, $runs inputs in ${FUZZ_SECONDS} s, corpus $(find "$work" -type f | wc -l) files"
  else
    failed+=("$name")
    grep -E 'ERROR: |fuzz invariant violated|runtime error|SUMMARY' -A2 "$logfile" | head -n 30 >&2 || true
    reproducer=$(grep -Eo 'Test unit written to [^ ]+' "$logfile" | tail -n1 | sed 's/Test unit written to //')
    log "$name: FAILED; log $logfile"
    log "$name: reproduce with: $binary ${reproducer:-<no input saved>}"
  fi
done
[ ${#failed[@]} -eq 0 ] || die "fuzz targets failed: ${failed[*]}"
