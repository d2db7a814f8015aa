"""The web console (docs/console.md) driven by Debian's chromium through playwright-core: each test prepares a
real stratusd through the REST API, runs one scenario of web/test/console_e2e.mjs and checks what it saw.
Latencies are printed (the suite makes no timing assertions); screenshots land in STRATUS_CONSOLE_OUT
(default build/console-test)."""
import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from stratus_harness import BUILD, ApiError
from test_scaling import wait_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WEB = os.path.join(ROOT, "web")
OUT = os.environ.get("STRATUS_CONSOLE_OUT", os.path.join(os.path.abspath(BUILD), "console-test"))

pytestmark = pytest.mark.skipif(
    not os.path.isdir(os.path.join(WEB, "node_modules", "playwright-core")) or not shutil.which("chromium"),
    reason="needs web/node_modules (make build) and chromium (install-deps)")


def scenario(s, name, timeout=180, **args):
    env = dict(os.environ, STRATUS_URL=s.endpoint, STRATUS_TOKEN=s.token, STRATUS_OUT=OUT, STRATUS_ARGS=json.dumps(args))
    r = subprocess.run(["node", os.path.join(WEB, "test", "console_e2e.mjs"), name], cwd=WEB, env=env,
                       capture_output=True, text=True, timeout=timeout)
    print(r.stderr[-4000:])
    assert r.returncode == 0, f"scenario {name} failed:\n{r.stdout}\n{r.stderr[-4000:]}"
    line = [l for l in r.stdout.splitlines() if l.startswith("RESULT ")][-1]
    out = json.loads(line[len("RESULT "):])
    assert out.get("leaks", []) == [], f"the token appeared in a URL: {out['leaks']}"
    assert out.get("errors", []) == [], out["errors"]
    return out


def raw(s, path, token=True):
    req = urllib.request.Request(s.endpoint + path)
    if token:
        req.add_header("Authorization", "Bearer " + s.token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_console_is_served_with_security_headers_and_without_a_token(stratus):
    status, headers, body = raw(stratus, "/console/", token=False)
    assert status == 200 and b'<div id="app">' in body
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    # The page routes are the page; a missing asset is a 404; the API still needs the token.
    assert raw(stratus, "/console/instances", token=False)[0] == 200
    assert raw(stratus, "/console/nope.js", token=False)[0] == 404
    assert raw(stratus, "/v1/instances", token=False)[0] == 401
    # Assets come gzipped when asked.
    req = urllib.request.Request(stratus.endpoint + "/console/", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Encoding"] == "gzip"


def test_console_launches_and_terminates_instances_and_keeps_the_token_out_of_urls(stratus):
    run = f"console-{os.getpid()}"
    out = scenario(stratus, "instances", run=run)
    print(f"console: both running {out['bothRunningMs']} ms after Launch; terminated one left the running filter "
          f"{out['leftMs']} ms after Terminate ({out['requests']} requests, none with the token in the URL)")
    assert "AuthFailure" in out["refused"], out["refused"]
    assert "log in again" in out["expiredText"]
    ids = {i["InstanceId"]: i["State"]["Name"] for i in stratus.instances(f"tag:Run={run}")}
    assert len(ids) == 2
    assert ids[out["remaining"]] == "running" and ids[out["victim"]] in ("shutting-down", "terminated")


def test_console_renders_markup_in_names_and_tags_as_text(stratus):
    run = f"xss-{os.getpid()}"
    name = '<img src=x onerror="window.__xss=1">'
    value = '<script>window.__xss=2</script>"&amp;'
    stratus.run("demo-web", Tags=[{"Key": "Name", "Value": name}, {"Key": "Run", "Value": run},
                                  {"Key": "note", "Value": value}])
    out = scenario(stratus, "xss", run=run)
    assert out["nameCell"] == name
    assert value in out["details"]
    assert out["injected"] == {"flag": None, "imgs": 0, "scripts": 0}


def human_bytes(n):
    """The console's bytes(): binary units, one decimal."""
    units, u, v = ["B", "KiB", "MiB", "GiB", "TiB"], 0, float(n)
    while v >= 1024 and u < len(units) - 1:
        v, u = v / 1024, u + 1
    return f"{int(v)} B" if u == 0 else f"{v:.1f} {units[u]}"


def test_console_shows_image_sizes_and_host_capacity(stratus):
    # The API: each image's size is the sum of its layers', each measured as du does.
    image = stratus.request("GET", "/v1/images/demo-web")
    assert image["SizeBytes"] > 0 and [l["Digest"] for l in image["LayerSizes"]] == image["Layers"]
    assert image["SizeBytes"] == sum(l["SizeBytes"] for l in image["LayerSizes"])
    listed = {i["ImageId"]: i for i in stratus.request("GET", "/v1/images")["Images"]}
    assert listed[image["ImageId"]]["SizeBytes"] == image["SizeBytes"]
    layer_dir = os.path.join(stratus.state_dir, "layers", *image["Layers"][-1].split(":"))
    du = int(subprocess.run(["du", "-s", "-B1", layer_dir], capture_output=True, text=True, check=True).stdout.split()[0])
    assert 0 < image["LayerSizes"][-1]["SizeBytes"] <= du, (image["LayerSizes"][-1], du)  # du also counts directories

    # The host: its CPUs, memory and disk, and what one running t3.small holds of them.
    before = stratus.request("GET", "/v1/host")
    assert before["Capacity"]["VCpus"] == len(os.sched_getaffinity(0))
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    assert abs(before["Capacity"]["MemoryMiB"] - mem_kib // 1024) <= 1
    st = os.statvfs(stratus.state_dir)
    assert before["Capacity"]["DiskBytes"] == st.f_blocks * st.f_frsize
    assert 0 < before["Used"]["DiskBytes"] <= before["Capacity"]["DiskBytes"]
    t3 = [t for t in stratus.request("GET", "/v1/instance-types")["InstanceTypes"] if t["InstanceType"] == "t3.small"][0]
    stratus.run("demo-web", InstanceType="t3.small")
    host = stratus.request("GET", "/v1/host")
    assert host["Allocated"]["Instances"] == before["Allocated"]["Instances"] + 1
    assert host["Allocated"]["VCpus"] == before["Allocated"]["VCpus"] + t3["VCpus"]
    assert host["Allocated"]["MemoryMiB"] == before["Allocated"]["MemoryMiB"] + t3["MemoryMiB"]

    # The console shows both.
    out = scenario(stratus, "inventory", image=image["ImageId"], instances=host["Allocated"]["Instances"])
    assert out["size"] == human_bytes(image["SizeBytes"]), out
    assert out["layers"] == [f"{l['Digest'][:19]} {human_bytes(l['SizeBytes'])}" for l in image["LayerSizes"]], out
    cap = host["Capacity"]
    assert out["capacity"]["vCPUs"].startswith(f"{host['Allocated']['VCpus']:g} of {cap['VCpus']:g} ("), out
    assert f"of {human_bytes(cap['MemoryMiB'] * 1024 * 1024)}" in out["capacity"]["memory"], out
    assert f"of {human_bytes(cap['DiskBytes'])}" in out["capacity"]["disk"], out


def test_console_cost_of_a_known_run_and_a_budget_refusal(stratus):
    run, n, itype = f"cost-{os.getpid()}", 2, "t3.small"
    price = stratus.request("GET", "/v1/prices")["InstanceHour"][itype]
    launched = stratus.run("demo-web", count=n, InstanceType=itype, Tags=[{"Key": "Run", "Value": run}])
    started = time.time()
    time.sleep(6)
    before_terminate = time.time()
    for i in launched:
        stratus.action(i["InstanceId"], "terminate")
    ended = time.time()
    time.sleep(1.5)  # the meter's next pass sees them terminated
    t_min, t_max = before_terminate - started, ended - started + 1.0
    api = stratus.request("GET", "/v1/cost?by=type&since=1h&filter=" + urllib.parse.quote(f"tag:Run={run}", safe=""))
    seconds = api["Lines"][0]["InstanceSeconds"]["running"]
    # The meter samples every second: each end of the run may be off by up to a sample.
    expect_lo, expect_hi = n * (t_min - 2.5) * price / 3600, n * (t_max + 1.5) * price / 3600
    print(f"cost: {n} x {itype} for {t_min:.1f}..{t_max:.1f} s at ${price}/h: API ${api['Total']:.8f} "
          f"({seconds:.1f} instance-seconds running), expected ${expect_lo:.8f}..${expect_hi:.8f}")
    assert expect_lo <= api["Total"] <= expect_hi
    assert abs(api["Total"] - seconds * price / 3600) < 1e-9  # N x T x price, to the meter's own T
    # A crash of stratusd loses none of it: the usage a report showed was journaled first.
    stratus.kill9()
    stratus.start()
    again = stratus.request("GET", "/v1/cost?by=type&since=1h&filter=" + urllib.parse.quote(f"tag:Run={run}", safe=""))
    print(f"cost: after kill -9 and a restart of stratusd the run still costs ${again['Total']:.8f}")
    assert abs(again["Total"] - api["Total"]) < 1e-12, (again, api)
    assert again["Lines"][0]["InstanceSeconds"]["running"] == seconds
    out = scenario(stratus, "cost", run=run, type=itype)
    shown = float(out["total"].lstrip("$"))
    assert abs(shown - api["Total"]) < 1e-6, (out["total"], api["Total"])

    # A budget that pays for two t3.small: ExecutePolicy's +3 is refused and the activity says why.
    stratus.request("POST", "/v1/launch-templates", {"LaunchTemplateName": "cheap", "LaunchTemplateData": {
        "ImageId": "demo-web", "InstanceType": itype}})
    stratus.request("POST", "/v1/auto-scaling-groups", {
        "AutoScalingGroupName": "capped", "LaunchTemplate": {"LaunchTemplateName": "cheap"},
        "MinSize": 1, "MaxSize": 6, "DesiredCapacity": 1, "MaxSpendPerHour": 2.5 * price})
    stratus.request("PUT", "/v1/auto-scaling-groups/capped/policies/up", {
        "PolicyType": "SimpleScaling", "AdjustmentType": "ChangeInCapacity", "ScalingAdjustment": 3})
    stratus.request("POST", "/v1/auto-scaling-groups/capped/policies/up/execute", {"HonorCooldown": False})
    refused = wait_for("the budget's refusal", lambda: [a for a in stratus.request(
        "GET", "/v1/auto-scaling-groups/capped/activities")["Activities"] if a["StatusCode"] == "Failed"], limit_s=20)
    assert "MaxSpendPerHour" in refused[0]["Description"], refused
    g = stratus.request("GET", "/v1/auto-scaling-groups/capped")["AutoScalingGroup"]
    assert g["DesiredCapacity"] == 2 and g["MaxSpendPerHour"] == pytest.approx(2.5 * price)
    with pytest.raises(ApiError) as e:  # a user's SetDesiredCapacity past the budget is refused and changes nothing
        stratus.request("POST", "/v1/auto-scaling-groups/capped/desired-capacity", {"DesiredCapacity": 4})
    assert e.value.code == "ValidationError" and "MaxSpendPerHour" in e.value.message
    assert stratus.request("GET", "/v1/auto-scaling-groups/capped")["AutoScalingGroup"]["DesiredCapacity"] == 2
    out = scenario(stratus, "budget")
    assert "refused by the budget" in out["text"], out["text"]
    # The CLI translates the same route.
    cli = stratus.cli("cost", "--by", "type", "--since", "1h", "--filter", f"tag:Run={run}").stdout
    assert itype in cli and "TOTAL $" in cli, cli


def test_console_group_chart_target_health_and_screenshots(stratus):
    # The demo's shape: a group of 2 behind a load balancer, CPU target tracking, a load step.
    port = stratus.port + 540
    stratus.request("POST", "/v1/launch-templates", {"LaunchTemplateName": "web-lt", "LaunchTemplateData": {
        "ImageId": "demo-web", "InstanceType": "t1.micro"}})
    stratus.request("POST", "/v1/target-groups", {"Name": "web", "Port": 80, "HealthCheckPath": "/healthz",
                                                  "HealthCheckIntervalSeconds": 1, "HealthCheckTimeoutSeconds": 1,
                                                  "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2})
    stratus.request("POST", "/v1/load-balancers", {"Name": "front"})
    stratus.request("POST", "/v1/load-balancers/front/listeners", {"Port": port, "TargetGroup": "web"})
    stratus.request("POST", "/v1/auto-scaling-groups", {
        "AutoScalingGroupName": "web", "LaunchTemplate": {"LaunchTemplateName": "web-lt"}, "MinSize": 2, "MaxSize": 4,
        "DesiredCapacity": 2, "TargetGroupARNs": ["web"], "HealthCheckType": "EC2"})
    stratus.request("PUT", "/v1/auto-scaling-groups/web/policies/cpu", {
        "PolicyType": "TargetTrackingScaling", "EstimatedInstanceWarmup": 3,
        "TargetTrackingConfiguration": {"TargetValue": 8, "ScaleInStabilizationSeconds": 60, "ScaleOutEvaluationPeriods": 2,
                                        "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}})

    def healthy():
        h = stratus.request("GET", "/v1/target-groups/web/health")["TargetHealthDescriptions"]
        return len(h) >= 2 and all(t["TargetHealth"]["State"] == "healthy" for t in h) and h

    wait_for("2 healthy targets", healthy, limit_s=60)
    load = ["wrk", "-t1", "-c6", "-d25s", "--timeout", "5s", f"http://127.0.0.1:{port}/burn?ms=20"]
    out = scenario(stratus, "scaleout", group="web", load=load)
    print(f"console: scale-out activity marker on the group chart {out['markerMs']} ms after the activity started; "
          f"the chart's desired line (GroupDesiredCapacity from the metric store) at {out['desired']} after {out['desiredMs']} ms")
    assert "changing the desired capacity from 2" in out["cause"]
    assert "Launching a new EC2 instance" in out["title"]
    # The scaling service stored the group's sizes as AWS/AutoScaling metrics, the new capacity included.
    now = int(time.time())
    q = ("/v1/metrics/statistics?namespace=AWS/AutoScaling&name=GroupDesiredCapacity&dimension="
         + urllib.parse.quote("AutoScalingGroupName=web", safe="") + f"&statistic=Maximum&period=1&start={now - 300}&end={now + 1}")
    points = stratus.request("GET", q)["Datapoints"]
    assert [p["Maximum"] for p in points][:1] == [2] and max(p["Maximum"] for p in points) >= out["desired"], points

    # The group would replace the killed instance (and deregister it): keep it so its health shows.
    stratus.request("POST", "/v1/auto-scaling-groups/web/suspend", {"ScalingProcesses": ["HealthCheck", "ReplaceUnhealthy"]})
    # the instances the scale-out launched may still be in their first checks: wait until every target is healthy
    victim = wait_for("every target healthy after the scale-out", healthy, limit_s=60)[0]["Target"]["Id"]
    kill = ["runc", "--root", f"/run/{stratus.name}/runc", "kill", victim, "KILL"]
    out = scenario(stratus, "health", victim=victim, kill=kill)
    print(f"console: target {victim} shown unhealthy {out['unhealthyMs']} ms after it was killed "
          f"(the API said so after {out['apiMs']} ms, {out['reason']}; health checks every 1 s, then 0.2 s after "
          f"a failure, unhealthy at 2 failures)")

    out = scenario(stratus, "screenshots", timeout=240)
    assert len(out["shots"]) == 16 and all(os.path.getsize(p) > 5000 for p in out["shots"])
