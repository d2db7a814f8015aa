#!/usr/bin/env bash
# Installs every Debian package Stratus needs to build, run, test and benchmark.
# Idempotent: packages already present are skipped, and apt is not touched when nothing is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config ccache clang libclang-rt-14-dev
  libsqlite3-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
  # runtime: instances, networking, images
  runc containernetworking-plugins nftables iproute2 busybox-static mmdebstrap skopeo umoci
  # packaging: man pages from --help (make install, make deb); the package test's root is made by mmdebstrap
  help2man
  # the optional OCI runtime stratusd --runtime runsc offers (gVisor)
  runsc
  # tests, demo and benchmarks
  curl jq wrk haproxy nginx-light python3 python3-pytest python3-requests python3-boto3 awscli sqlite3
  # the web console: node builds it (web/, npm ci + esbuild); headless chromium drives its tests
  nodejs
  chromium
  # the openssl command: lb TLS tests and bench/lb/tls make their certificates with it
  openssl
  # volumes: mkfs.ext4 formats a new volume on its first attach (docs/volumes.md)
  e2fsprogs
  # volumes: blkid (is a volume formatted yet) and losetup (the tests' leak checks)
  util-linux mount
  # volumes: mkfs.xfs formats volumes (XFS grows online with CAP_SYS_ADMIN) and the reflink volume pool (snapshots)
  xfsprogs
  # bench/volumes: 4 KiB sequential and random I/O inside an instance and on the host
  fio
)
# Debian's nodejs comes without npm (NodeSource's brings its own): only ask for Debian's npm when none is there.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts nginx/haproxy services on install where an init system exists; Stratus runs its own.
for svc in nginx haproxy; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done
