#!/usr/bin/env bash
# Builds the web console (web/) into BUILD/bin/console, beside stratusd, which serves it at /console/.
# `npm ci` installs the locked packages (package-lock.json) once per lock change; the build itself is offline.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build"
out=$(cd "$build" && pwd)/bin/console
cd "$root/web"
stamp=node_modules/.stratus-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
node build.mjs "$out"
