#!/usr/bin/env bash
# make demo: start Stratus on its embedded defaults and show a group of demo-web instances serving.
#   scripts/demo.sh BUILD_DIR         start (or reuse) stratusd and run the demo
#   scripts/demo.sh BUILD_DIR stop    stop stratusd and remove everything the demo made
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
action=${2:-run}
state=${STRATUS_STATE_DIR:-/var/lib/stratus}
endpoint=http://127.0.0.1:7600
bin=$build/bin
log=$state/stratusd.log

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if [ "$action" = stop ]; then
  pkill -TERM -f "^$bin/stratusd" 2>/dev/null || true
  sleep 1
  "$bin/stratusd" --state-dir "$state" --uninstall
  say "Stratus stopped; instances, bridges and nft table removed (state kept in $state)"
  exit 0
fi

mkdir -p "$state"
if ! curl -fsS "$endpoint/v1/health" >/dev/null 2>&1; then
  say "starting stratusd (state in $state, log in $log)"
  setsid "$bin/stratusd" --state-dir "$state" >>"$log" 2>&1 < /dev/null &
  for _ in $(seq 100); do
    curl -fsS "$endpoint/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "$endpoint/v1/health" >/dev/null || { tail -20 "$log"; exit 1; }
fi
export STRATUS_ENDPOINT=$endpoint STRATUS_TOKEN=$(cat "$state/api-token")
stratus() { "$bin/stratus" "$@"; }

say "images"
stratus image list

say "launching 3 demo-web instances (user data writes a greeting; tag Name=demo)"
userdata=$(mktemp)
trap 'rm -f "$userdata"' EXIT
printf '#!/bin/sh\necho "bootstrapped by user data at $(date)" > /var/lib/greeting\n' >"$userdata"
start=$(date +%s%N)
ids=$(stratus run demo-web --count 3 --tag Name=demo --user-data "$userdata" --wait)
echo "$ids"
echo "launched and running in $(( ($(date +%s%N) - start) / 1000000 )) ms"

say "instances"
stratus instance list --filter tag:Name=demo --filter state=running

say "each instance answers on its private IP"
for id in $ids; do
  ip=$(stratus -o json instance show "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["PrivateIpAddress"])')
  printf '%s  http://%s/  ->  %s\n' "$id" "$ip" "$(curl -fsS -m 5 "http://$ip/")"
done

say "done. Try: STRATUS_ENDPOINT=$endpoint STRATUS_TOKEN=\$(cat $state/api-token) $bin/stratus instance list"
echo "Stop everything with: scripts/demo.sh $build stop"
