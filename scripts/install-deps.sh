#!/usr/bin/env bash
# Installs the Debian 12 packages liaison builds and runs with. Idempotent:
# when every package is already present it does nothing (no network needed).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  git  # the commit in the version, and scripts/check-reproducible.sh (cmake/Reproducible.cmake)
  libssl-dev openssl libsodium-dev libabsl-dev
  libidn2-dev liburiparser-dev libre2-dev
  libgmp-dev  # exact rationals for the differential-privacy samplers (src/dp)
  nlohmann-json3-dev libcli11-dev
  libsqlite3-dev libcpp-httplib-dev libtomlplusplus-dev  # the node: store, webhooks, config
  libboost-dev  # the node's HTTPS server (Boost.Beast and Asio, header-only)
  libgtest-dev libgmock-dev libbenchmark-dev
  valgrind  # the constant-time check of the portable crypto code
  clang libclang-rt-dev  # the libFuzzer build (make fuzz-smoke, CI); libFuzzer is in libclang-rt
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
