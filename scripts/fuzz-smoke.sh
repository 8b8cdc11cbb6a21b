#!/usr/bin/env bash
# fuzz-smoke.sh [BUILD_DIR] [SECONDS]
#
# Builds the libFuzzer targets with clang in their own build folder
# (default build-fuzz) and fuzzes each for SECONDS (default 10) from its
# recorded seeds, so that every parser stays fuzzable: the build must
# compile with clang, each target must load its seeds and run them, and a
# short run must find nothing. `make fuzz-smoke` runs it; so does CI, after
# `make test`. Each run is bounded by -max_total_time and, should a target
# hang, by timeout(1). Findings go to BUILD_DIR/fuzz-smoke/<target>/.
#
# Long fuzzing is for a developer's machine: see the README (Development).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-fuzz}
seconds=${2:-10}
jobs=${JOBS:-2}
cd "$root"
case "$build" in /*) ;; *) build="$root/$build" ;; esac

targets=(normalize input handshake ecdh_psi rr22_psi dp_aggregate node_config node_peer
         rest_job_body quorum parties quorum_terms)

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DLIAISON_FUZZ=ON \
    -DLIAISON_TESTS=OFF -DLIAISON_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j "$jobs" --target liaison_fuzz_targets

failed=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/${t}_fuzz"
  work="$build/fuzz-smoke/$t"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  log="$work/log.txt"
  # The seeds are added by the binary itself (fuzz/libfuzzer_seeds.cc);
  # corpus/ takes what this run finds. -timeout is per input.
  status=0
  timeout -k 10 $((seconds + 240)) "$bin" "$work/corpus" -max_total_time="$seconds" \
    -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$work/" \
    >"$log" 2>&1 || status=$?
  seeds=$(sed -n 's/^liaison fuzz: \([0-9]*\) recorded seeds.*/\1/p' "$log")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if [ "$status" -ne 0 ] || [ -z "$seeds" ] || [ "$seeds" -eq 0 ] || ! grep -q INITED "$log"; then
    echo "fuzz-smoke: $t FAILED (exit $status, seeds '${seeds}'); the end of $log:"
    tail -n 40 "$log"
    failed+=("$t")
    continue
  fi
  echo "fuzz-smoke: $t: $seeds seeds, ${runs:-?} inputs in ${seconds} s, nothing found"
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz-smoke: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}"
  exit 1
fi
echo "fuzz-smoke: all ${#targets[@]} targets ok"
