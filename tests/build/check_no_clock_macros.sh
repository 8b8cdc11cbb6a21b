#!/usr/bin/env bash
# check_no_clock_macros.sh SOURCE_DIR
#
# Fails if any file under SOURCE_DIR/src uses the compiler's clock macros
# (the date, time or timestamp of the compilation): they make two builds of
# one commit differ, and reproducible builds are how two organisations agree
# on a build (docs/trust.md). Where a build date is wanted, use
# liaison::kSourceDateEpoch (base/version.h), the commit's time.
set -euo pipefail
src=$1/src
# The pattern is assembled so that this file does not match itself if it is
# ever moved under src/.
pattern='__(DATE|TIME|TIMESTAMP)'"__"
if hits=$(grep -rnE "$pattern" "$src"); then
  echo "clock macros under src/ make builds irreproducible:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "no clock macros under src/"
