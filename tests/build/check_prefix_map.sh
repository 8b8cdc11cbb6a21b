#!/usr/bin/env bash
# check_prefix_map.sh COMPILE_COMMANDS SOURCE_DIR BINARY_DIR
#
# Fails unless every compile command maps both the source and the build
# directory to "." with -ffile-prefix-map (cmake/Reproducible.cmake), so
# that no absolute path of the builder reaches __FILE__ or debug info.
set -euo pipefail
commands=$1 src=$2 bin=$3
[[ -s $commands ]] || { echo "no $commands (CMAKE_EXPORT_COMPILE_COMMANDS off?)" >&2; exit 1; }
total=$(grep -c '"command":' "$commands" || true)
(( total > 0 )) || { echo "$commands lists no compile command" >&2; exit 1; }
status=0
for dir in "$src" "$bin"; do
  n=$(grep '"command":' "$commands" | grep -cF -- "-ffile-prefix-map=$dir=." || true)
  if (( n != total )); then
    echo "$((total - n)) of $total compile commands lack -ffile-prefix-map=$dir=." >&2
    status=1
  fi
done
(( status == 0 )) && echo "all $total compile commands map $src and $bin to ."
exit $status
