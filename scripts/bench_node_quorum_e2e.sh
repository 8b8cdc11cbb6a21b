#!/usr/bin/env bash
# End-to-end benchmark of the node's quorum jobs: K `liaison node run`
# processes on loopback, each with its own home, identity, store and an
# N-line dataset, one quorum job posted over REST at node 0 and run to the
# end at every node. A quarter of the items are everyone's, the rest each
# node's own.
#   scripts/bench_node_quorum_e2e.sh [BUILD] [K] [N] [T]    (defaults: build 3 100000 2)
# Prints the job's wall time (from the POST to succeeded at every node),
# each node's CPU time and peak memory over its whole life (start, dataset
# read, job, stop), and node 0's counts.
set -euo pipefail
build=${1:-build}
k=${2:-3}
n=${3:-100000}
t=${4:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/$build/src/cli/liaison"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do pkill -KILL -P "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

common=$((n / 4))
base=$((20000 + RANDOM % 20000))
for ((i = 0; i < k; i++)); do
  "$bin" node init "$work/n$i" >/dev/null
  fp[$i]=$("$bin" fingerprint "$work/n$i")
  awk -v c="$common" -v n="$n" -v i="$i" 'BEGIN {
    for (j = 0; j < c; j++) printf "shared-%d.example.net\n", j
    for (j = c; j < n; j++) printf "n%d-own-%d.example.org\n", i, j }' >"$work/n$i/ind.txt"
done
for ((i = 0; i < k; i++)); do
  {
    printf '[node]\nname = "n%d"\npeer_listen = "127.0.0.1:%d"\nrest_listen = "127.0.0.1:%d"\n' \
      "$i" $((base + 2 * i)) $((base + 2 * i + 1))
    members="" datasets=""
    for ((j = 0; j < k; j++)); do
      [ "$j" = "$i" ] && continue
      printf '[peers.n%d]\naddress = "127.0.0.1:%d"\nfingerprint = "%s"\n' "$j" $((base + 2 * j)) "${fp[$j]}"
      members="$members${members:+, }\"n$j\""
      datasets="${datasets}n$j = [\"ind\"]\n"
    done
    printf '[datasets.ind]\nfile = "ind.txt"\ntlp = "amber"\n'
    printf '[alliances.ring]\nmembers = [%s]\nquestions = ["quorum"]\nprotocols = ["rr22"]\n' "$members"
    printf 'max_set_size = %d\njobs_per_hour_per_peer = 100\napproval = "auto"\ntlp_ceiling = "amber"\n' $((n * 2))
    printf '[alliances.ring.datasets]\n'"$datasets"
  } >"$work/n$i/liaison.toml"
done
key=$("$bin" node apikey create "$work/n0" --scope automation --label bench 2>/dev/null | tail -n 1)
for ((i = 0; i < k; i++)); do
  /usr/bin/time -f "n$i: %U s user, %S s sys, %M KB peak RSS (whole life)" -o "$work/n$i.time" \
    "$bin" node run "$work/n$i" >"$work/n$i.out" 2>"$work/n$i.err" &
  pids+=($!)
done
api="https://127.0.0.1:$((base + 1))"
for _ in $(seq 1 200); do
  curl -sk "$api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 1  # the other nodes
participants=""
for ((i = 0; i < k; i++)); do participants="$participants${participants:+, }\"n$i\""; done
start=$(date +%s.%N)
id=$(curl -sk -H "Authorization: Bearer $key" "$api/v1/jobs" -d "{\"alliance\": \"ring\",
  \"question\": \"quorum\", \"participants\": [$participants], \"threshold\": $t,
  \"dataset\": \"ind\"}" | sed -n 's/.*"id":"\(job_[0-9a-f]*\)".*/\1/p')
[ -n "$id" ] || { echo "the job was not accepted"; cat "$work"/n0.err; exit 1; }
for ((i = 0; i < k; i++)); do
  port=$((base + 2 * i + 1))
  nkey=$key
  [ "$i" = 0 ] || nkey=$("$bin" node apikey create "$work/n$i" --scope analyst --label bench 2>/dev/null | tail -n 1)
  for _ in $(seq 1 6000); do
    state=$(curl -sk -H "Authorization: Bearer $nkey" "https://127.0.0.1:$port/v1/jobs/$id" |
      sed -n 's/.*"state":"\([a-z_]*\)".*/\1/p')
    case "$state" in succeeded) break ;; failed | refused | cancelled)
      echo "n$i: job $state"; curl -sk -H "Authorization: Bearer $nkey" "https://127.0.0.1:$port/v1/jobs/$id"; exit 1 ;; esac
    sleep 0.05
  done
done
end=$(date +%s.%N)
result=$(curl -sk -H "Authorization: Bearer $key" "$api/v1/jobs/$id/result")
# Stop each node (the child of its /usr/bin/time), which then reports.
for pid in "${pids[@]}"; do pkill -TERM -P "$pid"; done
for pid in "${pids[@]}"; do wait "$pid" || true; done
pids=()
echo "== liaison node quorum job end to end: $k nodes x $n items from files, t = $t, TLS on loopback, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v s="$start" -v e="$end" 'BEGIN { printf "job: %.2f s (from the POST to succeeded at every node)\n", e - s }'
cat "$work"/n*.time
echo "$result" | grep -o '"num_qualifying":[0-9]*' | sed "s/^/n0 /; s/\$/ (expected $common)/"
