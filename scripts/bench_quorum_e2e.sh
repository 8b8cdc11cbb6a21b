#!/usr/bin/env bash
# End-to-end benchmark of `liaison quorum`: K processes, each with its own
# identity and an N-line file, over the pinned TLS mesh on loopback, at
# threshold T (default K: the intersection). A quarter of the items are
# everyone's, the rest each member's own.
#   scripts/bench_quorum_e2e.sh [BUILD] [K] [N] [T]     (defaults: build 5 100000 K)
# Prints each member's wall time, CPU time and peak memory, member 0's
# summary line (bytes sent by the leader) and the whole run's wall time.
set -euo pipefail
build=${1:-build}
k=${2:-5}
n=${3:-100000}
t=${4:-$k}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/$build/src/cli/liaison"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

common=$((n / 4))
base=$((20000 + RANDOM % 20000))
for ((i = 0; i < k; i++)); do
  awk -v c="$common" -v n="$n" -v i="$i" 'BEGIN {
    for (j = 0; j < c; j++) printf "shared-%d.example.net\n", j
    for (j = c; j < n; j++) printf "m%d-own-%d.example.org\n", i, j }' >"$work/in$i.txt"
  fp=$("$bin" keygen --out "$work/id$i" | sed -n 's/^fingerprint: //p')
  echo "m$i 127.0.0.1:$((base + i)) $fp" >>"$work/parties.txt"
done

start=$(date +%s.%N)
pids=()
for ((i = k - 1; i >= 0; i--)); do
  /usr/bin/time -f "m$i: %e s wall, %U s user, %S s sys, %M KB peak RSS" -o "$work/m$i.time" \
    "$bin" quorum --parties "$work/parties.txt" --me "m$i" --identity "$work/id$i" \
    --input "$work/in$i.txt" --output "$work/out$i.csv" --threshold "$t" --timeout 120 \
    >"$work/m$i.out" 2>"$work/m$i.err" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || { cat "$work"/m*.err; exit 1; }; done
end=$(date +%s.%N)

echo "== liaison quorum end to end: $k members x $n items from files, t = $t, TLS on loopback, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$work"/m*.time
cat "$work/m0.out"
echo "rows at m0: $(($(wc -l <"$work/out0.csv") - 1)) (expected $common)"
awk -v s="$start" -v e="$end" 'BEGIN { printf "whole run: %.2f s (from the first member starting to all exiting)\n", e - s }'
