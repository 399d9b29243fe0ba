#!/usr/bin/env bash
# Installs every Debian package geoplex needs to build, test and benchmark.
# Idempotent: packages already installed are left alone. Uses sudo when not root.
# Nothing is downloaded from anywhere but the Debian archive.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # geodata stack
  libgdal-dev gdal-bin python3-gdal libproj-dev proj-bin libgeos-dev
  libosmium2-dev libprotozero-dev osmium-tool
  # C++ libraries
  libboost-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev
  libsqlite3-dev libpq-dev libutf8proc-dev
  libssl-dev libxml2-dev libstemmer-dev  # catalog: key hashing, ISO 19139 / CSW XML, French stemming
  zlib1g-dev libdeflate-dev libbz2-dev libexpat1-dev libpng-dev libjpeg-dev libwebp-dev
  # tests and benchmarks
  catch2 libbenchmark-dev wrk
  libxml2-utils  # xmllint: the catalog_metadata test checks the ISO 19139 it writes
  postgresql  # the catalog's PostgreSQL store tests run a private instance on a Unix socket
  nginx  # benchmarks/peers/serve_vs_nginx.sh runs a private instance (own config, high port)
  # Python bindings
  python3-dev python3-venv pybind11-dev python3-numpy python3-pytest python3-pandas python3-shapely
)
# The web viewer's browser test (headless Chromium driven by playwright-core from npm).
PACKAGES+=(chromium)
# Node.js + npm fetch the viewer's MapLibre GL JS at build time; a Node.js already installed
# (e.g. from NodeSource, which bundles npm) is kept.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} Debian packages already installed."
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "setup: installing ${#missing[@]} Debian package(s) with apt-get:"
printf '  %s\n' "${missing[@]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done."
