#!/usr/bin/env bash
# The liaison demo: two organisations, CERT-Alpha and CERT-Bravo, each with
# its own indicator list and its own identity, privately match their lists.
# Two `liaison psi` processes talk over mutually authenticated TLS on
# loopback; each learns the shared indicators and nothing else.
set -euo pipefail

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/$build/src/cli/liaison"
out="$root/demo-out"

rm -rf "$out"
mkdir -p "$out"

# A free port on loopback.
port=47310
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

echo "== liaison demo: CERT-Alpha and CERT-Bravo match indicator lists privately =="
echo
echo "-- each organisation creates its identity (Ed25519 key + self-signed certificate)"
alpha_fp=$("$bin" keygen --out "$out/alpha/identity" | sed -n 's/^fingerprint: //p')
bravo_fp=$("$bin" keygen --out "$out/bravo/identity" | sed -n 's/^fingerprint: //p')
echo "   CERT-Alpha  $alpha_fp"
echo "   CERT-Bravo  $bravo_fp"
echo "   (they exchange fingerprints out of band, as with SSH host keys)"
echo
echo "-- their lists (different formats, defanged, mixed letter case, trailing dots)"
echo "   CERT-Alpha: demo/cert-alpha.csv, column 'indicator'"
echo "   CERT-Bravo: demo/cert-bravo.txt, one per line"
echo
echo "-- CERT-Bravo waits on 127.0.0.1:$port; CERT-Alpha connects"
"$bin" psi --listen "127.0.0.1:$port" --identity "$out/bravo/identity" --peer "$alpha_fp" \
  --input "$root/demo/cert-bravo.txt" --output "$out/bravo/matches.csv" \
  --summary-json "$out/bravo/summary.json" --rejects "$out/bravo/rejects.csv" --timeout 30 \
  >"$out/bravo/stdout.log" 2>"$out/bravo/stderr.log" &
bravo_pid=$!
alpha_status=0
"$bin" psi --connect "127.0.0.1:$port" --identity "$out/alpha/identity" --peer "$bravo_fp" \
  --input "$root/demo/cert-alpha.csv" --column indicator --output "$out/alpha/matches.csv" \
  --summary-json "$out/alpha/summary.json" --rejects "$out/alpha/rejects.csv" --timeout 30 \
  >"$out/alpha/stdout.log" 2>"$out/alpha/stderr.log" || alpha_status=$?
bravo_status=0
wait "$bravo_pid" || bravo_status=$?
if [ "$alpha_status" -ne 0 ] || [ "$bravo_status" -ne 0 ]; then
  echo "demo failed (CERT-Alpha exit $alpha_status, CERT-Bravo exit $bravo_status):" >&2
  cat "$out/alpha/stderr.log" "$out/bravo/stderr.log" >&2
  exit 1
fi

echo
echo "-- result: each side's summary line"
printf '   CERT-Alpha: %s\n' "$(cat "$out/alpha/stdout.log")"
printf '   CERT-Bravo: %s\n' "$(cat "$out/bravo/stdout.log")"
echo
echo "-- a few of CERT-Alpha's matched rows (demo-out/alpha/matches.csv)"
head -n 6 "$out/alpha/matches.csv" | sed 's/^/   /'
echo
echo "-- the same indicators as CERT-Bravo wrote them (demo-out/bravo/matches.csv)"
head -n 6 "$out/bravo/matches.csv" | sed 's/^/   /'
echo
echo "-- rejected records are reported with their line, never dropped silently"
for org in alpha bravo; do
  sed -n "s/^liaison psi: rejected /   $org: /p" "$out/$org/stderr.log"
done
echo
echo "Neither side saw the other's unmatched indicators. The default protocol,"
echo "rr22-psi, exchanged only pseudo-random values: a key-value store masked by"
echo "a silent VOLE one way, truncated OPRF outputs the other"
echo "(docs/protocols/rr22-psi.md says exactly what each side learns)."
