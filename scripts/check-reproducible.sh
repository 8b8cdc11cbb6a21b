#!/usr/bin/env bash
# check-reproducible.sh [COMMIT]
#
# Shows that a commit builds reproducibly: clones COMMIT (default: HEAD of
# the repository this script lives in) twice, into two temporary folders
# whose paths differ in length, builds the `liaison` target in each (Release,
# Ninja), and compares the two executables byte for byte.
#
# Prints both SHA-256 digests, then "reproducible: sha256:<hex>" and exits 0
# when they are identical; otherwise prints the first differing byte offset
# and exits 1 (2 for a failed clone or build). The digest is the one
# `liaison version` prints as "build sha256:..." and the session handshake
# announces, so two organisations that both run this on a tagged commit can
# compare it over the phone and list it in `require_build` (docs/trust.md).
# Uncommitted changes are not part of the check. The temporary folders are
# removed on exit.
#
# Environment: JOBS (default: nproc) parallel compile jobs; TMPDIR; CC, CXX.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-HEAD}
commit=$(git -C "$root" rev-parse --verify "$rev^{commit}") || {
  echo "check-reproducible: $rev is not a commit of $root" >&2
  exit 2
}
jobs=${JOBS:-$(nproc)}
if [[ $rev == HEAD ]] && [[ -n $(git -C "$root" status --porcelain --untracked-files=no) ]]; then
  echo "check-reproducible: note: uncommitted changes are not part of the check" >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/liaison-repro.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Two folders, different depths and lengths: any absolute path that reaches
# the binary makes the builds differ.
dirs=("$tmp/a" "$tmp/second-folder-with-a-much-longer-name/b")

# The commit's time, as the build's SOURCE_DATE_EPOCH (reproducible-builds.org).
SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct "$commit")
export SOURCE_DATE_EPOCH

git_dir=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir)
binaries=()
for dir in "${dirs[@]}"; do
  echo "check-reproducible: building ${commit:0:12} in $dir" >&2
  mkdir -p "$(dirname "$dir")"
  if ! git clone --quiet --no-checkout "$git_dir" "$dir" ||
     ! git -C "$dir" -c advice.detachedHead=false checkout --quiet "$commit"; then
    echo "check-reproducible: cannot clone $commit into $dir" >&2
    exit 2
  fi
  if ! cmake -S "$dir" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$dir.configure.log" 2>&1; then
    tail -n 20 "$dir.configure.log" >&2
    echo "check-reproducible: configuring in $dir failed" >&2
    exit 2
  fi
  if ! cmake --build "$dir/build" -j "$jobs" --target liaison >"$dir.build.log" 2>&1; then
    tail -n 20 "$dir.build.log" >&2
    echo "check-reproducible: building in $dir failed" >&2
    exit 2
  fi
  binaries+=("$dir/build/src/cli/liaison")
done

a=${binaries[0]} b=${binaries[1]}
sum_a=$(sha256sum "$a" | cut -d' ' -f1)
sum_b=$(sha256sum "$b" | cut -d' ' -f1)
echo "first build:  sha256:$sum_a"
echo "second build: sha256:$sum_b"
status=0
if ! cmp "$a" "$b" >"$tmp/cmp.out" 2>&1; then
  # cmp: "... differ: byte N, line M" (N counts from 1).
  byte=$(sed -n 's/.*differ: \(char\|byte\) \([0-9]*\).*/\2/p' "$tmp/cmp.out")
  if [[ -n $byte ]]; then
    echo "not reproducible: the binaries first differ at offset $((byte - 1)) (byte $byte)"
  else
    echo "not reproducible: $(cat "$tmp/cmp.out")"
  fi
  status=1
fi
for i in 0 1; do
  if grep -qaF -- "${dirs[$i]}" "${binaries[$i]}"; then
    echo "not reproducible: build $((i + 1)) contains the path of its folder ${dirs[$i]}"
    status=1
  fi
done
if (( status == 0 )); then
  echo "reproducible: sha256:$sum_a"
fi
exit $status
