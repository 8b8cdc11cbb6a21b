#!/usr/bin/env bash
# Load measurement of a liaison node (issue 12). Sets up two nodes, a and b,
# in a temporary directory (identities, configs pinning each other, an
# alliance, small datasets, API keys), runs both with `liaison node run` on
# loopback, and runs the scenarios of liaison_node_load against them:
#   throughput  GET /v1/health on a: keep-alive, then a connection per request
#   slowloris   200 REST connections dribbling a header and 50 half-open
#               peer-port connections against b, while b's health is probed
#               every 100 ms and a partner job a -> b is posted at a and timed
#               until it runs (b's peer port is the one under attack)
#   bodies      8 unauthenticated clients POST oversized bodies to a
#               (chunked, then Content-Length), while a's memory is sampled
#               every 100 ms from /proc
# and prints a summary against the targets. Both nodes are stopped and the
# directory removed on exit.
#
#   cmake --build build --target liaison liaison_node_load && scripts/node-load.sh build
set -euo pipefail

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build="$root/$build" ;; esac
bin="$build/src/cli/liaison"
load="$build/bench/liaison_node_load"
for b in "$bin" "$load"; do
  if [ ! -x "$b" ]; then
    echo "node-load: $b is missing; build it first:" >&2
    echo "  cmake --build ${1:-build} --target liaison liaison_node_load" >&2
    exit 2
  fi
done

work=$(mktemp -d)
node_pids=()
sampler_pid=
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${node_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- two nodes --------------------------------------------------------------

taken=" "
# free_port VAR: a port nobody listens on, not given out before, into VAR.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    case $taken in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then break; fi
  done
  taken+="$p "
  printf -v "$1" '%s' "$p"
}

declare -A peer_port rest_port fingerprint automation_key pid_of
for n in a b; do
  "$bin" node init "$work/$n" --name "$n" >/dev/null
  fingerprint[$n]=$("$bin" fingerprint "$work/$n")
  free_port "peer_port[$n]"
  free_port "rest_port[$n]"
  automation_key[$n]=$("$bin" node apikey create "$work/$n" --scope automation \
    --label node-load 2>/dev/null | head -n 1)
done
# Small datasets sharing two items.
printf '1.2.3.4\n5.6.7.8\nexample.com\n10.0.0.1\n' >"$work/a/ind.txt"
printf '5.6.7.8\nexample.com\n9.9.9.9\n' >"$work/b/ind.txt"

# configure NODE OTHER: NODE's liaison.toml, pinning OTHER.
configure() {
  local n=$1 o=$2
  cat >"$work/$n/liaison.toml" <<EOF
[node]
name = "$n"
peer_listen = "127.0.0.1:${peer_port[$n]}"
rest_listen = "127.0.0.1:${rest_port[$n]}"

[peers.$o]
address = "127.0.0.1:${peer_port[$o]}"
fingerprint = "${fingerprint[$o]}"

[datasets.ind]
file = "ind.txt"
tlp = "amber"

[alliances.load]
members = ["$o"]
questions = ["match"]
protocols = ["rr22", "ecdh"]
max_set_size = 1000
jobs_per_hour_per_peer = 100
approval = "auto"
tlp_ceiling = "amber"

[alliances.load.datasets]
$o = ["ind"]
EOF
  "$bin" node check "$work/$n" >/dev/null
}
configure a b
configure b a

# healthy NODE: whether NODE answers GET /v1/health.
healthy() {
  "$load" throughput --port "${rest_port[$1]}" --clients 1 --requests 1 --seconds 2 \
    --timeout-ms 1000 2>/dev/null | grep -q '^requests_ok: 1$'
}

for n in a b; do
  "$bin" node run "$work/$n" >"$work/$n.out" 2>"$work/$n.err" &
  pid_of[$n]=$!
  node_pids+=("$!")
done
for n in a b; do
  for _ in $(seq 100); do healthy "$n" && break; sleep 0.1; done
  if ! healthy "$n"; then
    echo "node-load: node $n did not start:" >&2
    cat "$work/$n.err" >&2
    exit 1
  fi
done

# alive NODE SCENARIO: stop with the node's stderr if it is gone.
alive() {
  if ! kill -0 "${pid_of[$1]}" 2>/dev/null; then
    echo "node-load: node $1 exited during $2:" >&2
    tail -n 20 "$work/$1.err" >&2
    exit 1
  fi
}

# figure FILE KEY: the value of "KEY: value" in FILE ("-" if absent).
figure() {
  local v
  v=$(sed -n "s/^$2: //p" "$1" | head -n 1)
  echo "${v:--}"
}

# show TITLE FILE: a scenario's figures, indented.
show() {
  echo "== $1"
  sed 's/^/   /' "$2"
  echo
}

echo "liaison node load: nodes a (rest ${rest_port[a]}, peer ${peer_port[a]}) and" \
  "b (rest ${rest_port[b]}, peer ${peer_port[b]}); $(nproc) cores"
echo

# --- throughput --------------------------------------------------------------

"$load" throughput --port "${rest_port[a]}" >"$work/keepalive"
show "throughput on a, keep-alive" "$work/keepalive"
"$load" throughput --port "${rest_port[a]}" --per-request >"$work/perrequest"
show "throughput on a, a TLS connection per request" "$work/perrequest"
alive a throughput

# --- slowloris ---------------------------------------------------------------

job_body='{"alliance":"load","peer":"b","dataset":"ind","result_to":"me"}'
"$load" slowloris --port "${rest_port[b]}" --peer-port "${peer_port[b]}" \
  --job-port "${rest_port[a]}" --api-key "${automation_key[a]}" --job-body "$job_body" \
  >"$work/slowloris"
show "slowloris on b (REST and peer port); partner job posted at a" "$work/slowloris"
alive b slowloris
# Let b drop the attack's connections before anything else.
for _ in $(seq 100); do healthy b && break; sleep 0.1; done

# --- bodies ------------------------------------------------------------------

# sample_memory PID FILE: every 100 ms, the peak VmRSS (kB) of PID so far
# into FILE, and VmHWM on a second line.
sample_memory() {
  local peak=0 rss hwm=0
  while [ -r "/proc/$1/status" ]; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)
    if [ -n "$rss" ] && [ "$rss" -gt "$peak" ]; then peak=$rss; fi
    printf '%s\n%s\n' "$peak" "${hwm:-0}" >"$2.tmp" && mv "$2.tmp" "$2"
    sleep 0.1
  done
}

declare -A rss_mb hwm_mb
rss_before_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/${pid_of[a]}/status")
for variant in chunked length; do
  sample_memory "${pid_of[a]}" "$work/mem-$variant" &
  sampler_pid=$!
  "$load" bodies --port "${rest_port[a]}" --variant "$variant" >"$work/bodies-$variant"
  sleep 0.3
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=
  rss_mb[$variant]=$(awk 'NR == 1 { printf "%.0f", $1 / 1024 }' "$work/mem-$variant")
  hwm_mb[$variant]=$(awk 'NR == 2 { printf "%.0f", $1 / 1024 }' "$work/mem-$variant")
  show "bodies on a, $variant (peak RSS ${rss_mb[$variant]} MB, VmHWM ${hwm_mb[$variant]} MB)" \
    "$work/bodies-$variant"
  alive a "bodies ($variant)"
done
rss_after_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/${pid_of[a]}/status")

# --- summary -----------------------------------------------------------------

# verdict VALUE OP LIMIT: PASS or FAIL ("-" when there is no figure).
verdict() {
  case $1 in -|"") echo "-"; return ;; esac
  if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
       exit !((op == "<=" && v <= l) || (op == "<" && v < l) || (op == ">=" && v >= l)) }'; then
    echo PASS
  else
    echo FAIL
  fi
}

p99=$(figure "$work/slowloris" health_p99_ms)
fails="$(figure "$work/slowloris" health_failures)/$(figure "$work/slowloris" health_count)"
job_ms=$(figure "$work/slowloris" job_start_ms)
job_state=$(figure "$work/slowloris" job_state)
[ "$job_ms" = "-1" ] && job_ms=-
keepalive=$(figure "$work/keepalive" req_per_s)
perrequest=$(figure "$work/perrequest" req_per_s)

echo "== summary (a failed health probe counts as the 5 s timeout)"
printf '   %-52s %-5s %-22s %-11s %s\n' figure node measured target verdict
row() { printf '   %-52s %-5s %-22s %-11s %s\n' "$@"; }
row "health p99, 200 slowloris + 50 half-open" b "$p99 ms ($fails failed)" "<= 1000 ms" \
  "$(verdict "$p99" "<=" 1000)"
row "partner job a->b start under that load ($job_state)" a "$job_ms ms" "<= 2000 ms" \
  "$(verdict "$job_ms" "<=" 2000)"
row "peak RSS, 8 unauthenticated chunked bodies" a "${rss_mb[chunked]} MB" "< 200 MB" \
  "$(verdict "${rss_mb[chunked]}" "<" 200)"
row "peak RSS, 8 unauthenticated 400 MB Content-Length" a "${rss_mb[length]} MB" "< 200 MB" \
  "$(verdict "${rss_mb[length]}" "<" 200)"
row "health req/s, 2 keep-alive clients" a "$keepalive" ">= 2000" \
  "$(verdict "$keepalive" ">=" 2000)"
row "health req/s, a TLS connection per request" a "$perrequest" "-" "-"
echo "   (a's RSS: $((rss_before_kb / 1024)) MB before the bodies, $((rss_after_kb / 1024)) MB after)"
