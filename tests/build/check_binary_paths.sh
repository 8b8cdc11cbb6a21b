#!/usr/bin/env bash
# check_binary_paths.sh BINARY SOURCE_DIR BINARY_DIR
#
# Fails if the built executable contains the absolute path of the source or
# the build directory: such a path would make builds in two folders differ.
set -euo pipefail
binary=$1 src=$2 bin=$3
status=0
for dir in "$src" "$bin"; do
  if grep -qaF -- "$dir/" "$binary"; then
    echo "$binary contains the path $dir/:" >&2
    grep -aoF -- "$dir/" "$binary" | head -3 >&2
    status=1
  fi
done
(( status == 0 )) && echo "$(basename "$binary") names neither $src nor $bin"
exit $status
