#!/usr/bin/env bash
# End-to-end benchmark: two `liaison psi` processes match N-item files over
# mutually authenticated TLS on loopback, reading and normalising the files,
# as two organisations would. Half of each side's items are shared.
#   scripts/bench_e2e.sh [BUILD] [N] [PROTOCOL]     (defaults: build 1048576 rr22)
# Prints each side's wall time and peak memory, and the whole run's wall time.
set -euo pipefail
build=${1:-build}
n=${2:-1048576}
protocol=${3:-rr22}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/$build/src/cli/liaison"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Domains for one side and e-mail-like URLs for the other would not match;
# both sides list domains: side A d0..d(n-1), side B d(n/2)..d(3n/2-1).
half=$((n / 2))
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "host-%d.example-%d.net\n", i, i % 977 }' >"$work/a.txt"
awk -v s="$half" -v n="$n" 'BEGIN { print "indicator"; for (i = s; i < s + n; i++) printf "HOST-%d.Example-%d.NET.\n", i, i % 977 }' >"$work/b.csv"

a_fp=$("$bin" keygen --out "$work/a" | sed -n 's/^fingerprint: //p')
b_fp=$("$bin" keygen --out "$work/b" | sed -n 's/^fingerprint: //p')
port=$((20000 + RANDOM % 20000))

start=$(date +%s.%N)
/usr/bin/time -f "listener: %e s wall, %M KB peak RSS" -o "$work/b.time" \
  "$bin" psi --listen "127.0.0.1:$port" --identity "$work/b" --peer "$a_fp" \
  --protocol "$protocol" --input "$work/b.csv" --column indicator \
  --output "$work/b.out" --summary-json "$work/b.json" --timeout 120 \
  --max-peer-items $((2 * n)) >/dev/null 2>"$work/b.err" &
b_pid=$!
/usr/bin/time -f "connector: %e s wall, %M KB peak RSS" -o "$work/a.time" \
  "$bin" psi --connect "127.0.0.1:$port" --identity "$work/a" --peer "$b_fp" \
  --protocol "$protocol" --input "$work/a.txt" \
  --output "$work/a.out" --summary-json "$work/a.json" --timeout 120 \
  --max-peer-items $((2 * n)) >/dev/null 2>"$work/a.err" || { cat "$work/a.err"; exit 1; }
wait "$b_pid" || { cat "$work/b.err"; exit 1; }
end=$(date +%s.%N)

matched=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"intersection_size\"])" "$work/a.json")
echo "== liaison psi end to end: $n x $n items from files, $protocol, TLS on loopback, $(nproc) cores"
cat "$work/a.time" "$work/b.time"
echo "matched (connector): $matched (expected $((n - half)))"
awk -v s="$start" -v e="$end" 'BEGIN { printf "whole run: %.2f s (from the listener starting to both exiting)\n", e - s }'
