#!/usr/bin/env bash
# Runs every benchmark binary (time and bytes per party). Extra arguments go
# to Google Benchmark, e.g. --benchmark_filter=EcdhPsi.
set -euo pipefail
build=${1:-build}
shift || true
for b in "$build"/bench/liaison_*_bench; do
  echo "== $(basename "$b")"
  "$b" "$@"
done
