#!/usr/bin/env bash
# make demo: the whole story on one box. Start Stratus on its embedded defaults; a launch template of the
# built-in demo-web image; an auto scaling group of 2 behind a load balancer with a CPU target; a bounded
# load step that makes the group grow; the load stops and the group shrinks - the timeline printed as it
# happens. Stratus keeps running afterwards, with the load balancer's URL printed.
#   scripts/demo.sh BUILD_DIR         run the demo (reusing a running stratusd)
#   scripts/demo.sh BUILD_DIR stop    stop stratusd and remove everything the demo made
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
action=${2:-run}
state=${STRATUS_STATE_DIR:-/var/lib/stratus}
endpoint=http://127.0.0.1:7600
port=${STRATUS_DEMO_PORT:-8080}
load_seconds=${STRATUS_DEMO_LOAD_SECONDS:-40}
bin=$build/bin
log=$state/stratusd.log

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ "$action" = stop ]; then
  # The daemon this script started, by the pid it wrote (and only if that pid is still a stratusd).
  if [ -f "$state/stratusd.pid" ]; then
    pid=$(cat "$state/stratusd.pid")
    if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$bin/stratusd" ]; then
      kill -TERM "$pid"
      for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
    fi
    rm -f "$state/stratusd.pid"
  fi
  "$bin/stratusd" --state-dir "$state" --uninstall
  say "Stratus stopped; instances, load balancer, bridges and nft table removed (state kept in $state)"
  exit 0
fi

mkdir -p "$state"
if ! curl -fsS "$endpoint/v1/health" >/dev/null 2>&1; then
  say "starting stratusd (state in $state, log in $log)"
  setsid "$bin/stratusd" --state-dir "$state" >>"$log" 2>&1 </dev/null &
  echo $! >"$state/stratusd.pid"
  for _ in $(seq 100); do
    curl -fsS "$endpoint/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "$endpoint/v1/health" >/dev/null || { tail -20 "$log"; exit 1; }
fi
export STRATUS_ENDPOINT=$endpoint STRATUS_TOKEN=$(cat "$state/api-token")
stratus() { "$bin/stratus" "$@"; }
json() { "$bin/stratus" -o json "$@"; }

say "the web console: $endpoint/console/ (log in with the token in $state/api-token)"

say "images (built in: busybox, demo-web)"
stratus image list

say "a target group with a 1 s health check, and a load balancer on port $port"
stratus tg create demo-web --port 80 --health-path /healthz --health-interval 1 --deregistration-delay 5 >/dev/null 2>&1 || true
stratus lb create demo --port "$port" --target-group demo-web >/dev/null 2>&1 || true
stratus lb show demo

say "a launch template: demo-web on t2.micro (1 vCPU), bootstrapped by user data"
userdata=$(mktemp)
trap 'rm -f "$userdata"' EXIT
printf '#!/bin/sh\necho "bootstrapped by user data at $(date)" > /var/lib/greeting\n' >"$userdata"
stratus template create demo-web --image demo-web --type t2.micro --user-data "$userdata" --tag app=demo >/dev/null 2>&1 || true
stratus template show demo-web

say "an auto scaling group of 2 (up to 6) in the target group, tracking 50 % CPU"
stratus asg create demo --template demo-web --min 2 --max 6 --desired 2 --target-group demo-web \
  --health-check ELB --grace 10 >/dev/null 2>&1 || stratus asg set-desired demo 2 >/dev/null
stratus asg policy demo --name cpu50 --target-cpu 50 --warmup 5 --stabilization 20 >/dev/null

healthy() { json tg health demo-web | jq '[.TargetHealthDescriptions[] | select(.TargetHealth.State=="healthy")] | length'; }
desired() { json asg show demo | jq -r 'if type=="array" then .[0] else . end | .AutoScalingGroup // . | .DesiredCapacity'; }
cpu() {
  json metrics get --namespace AWS/EC2 --name CPUUtilization --dimension AutoScalingGroupName=demo --statistic Average \
    --period 5 --since 10s 2>/dev/null | jq -r '[.Datapoints[]?.Average] | if length==0 then "-" else (last|floor|tostring) end' || echo -
}
start=$(date +%s)
line() { printf '  t=%3ss  desired=%s  healthy in LB=%s  group CPU=%s%%  %s\n' "$(( $(date +%s) - start ))" "$(desired)" "$(healthy)" "$(cpu)" "${1:-}"; }

for _ in $(seq 60); do [ "$(healthy)" -ge 2 ] && break; sleep 0.5; done
line "2 instances InService behind the load balancer"

say "the load balancer answers at http://127.0.0.1:$port/"
for _ in 1 2 3 4; do printf '  %s\n' "$(curl -fsS -m 5 "http://127.0.0.1:$port/")"; done

say "load step: wrk for ${load_seconds}s on /burn (10 ms of CPU per request) -> the group grows"
start=$(date +%s)
wrk -t2 -c8 -d"${load_seconds}s" "http://127.0.0.1:$port/burn?ms=10" >/tmp/stratus-demo-wrk.txt 2>&1 &
wrk_pid=$!
while kill -0 "$wrk_pid" 2>/dev/null; do line; sleep 2; done
wait "$wrk_pid" || true
grep -E "requests in|Non-2xx|Socket errors" /tmp/stratus-demo-wrk.txt | sed 's/^/  wrk: /'

say "load stopped -> the group shrinks back to 2 (instances drain out of the LB first)"
for _ in $(seq 60); do
  line
  [ "$(desired)" -le 2 ] && [ "$(healthy)" -le 2 ] && break
  sleep 2
done

say "scaling activities"
stratus asg activities demo | head -15

say "done: the group serves at http://127.0.0.1:$port/"
echo "  Watch it in the web console: $endpoint/console/ (token: $state/api-token); what it cost: $bin/stratus cost --by type"
echo "  Try: STRATUS_ENDPOINT=$endpoint STRATUS_TOKEN=\$(cat $state/api-token) $bin/stratus asg show demo"
echo "  Stop everything with: scripts/demo.sh $build stop"
