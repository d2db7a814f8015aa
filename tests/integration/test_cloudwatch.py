"""CloudWatch in a real stratusd: the collector, PutMetricData validation, alarms, /metrics and the CLI."""
import base64
import json
import math
import time
import urllib.error
import urllib.request

import pytest

from conftest import ApiError


def b64(data):
    return base64.b64encode(data).decode()


def wait_for(fn, timeout=30, interval=0.5):
    """Polls fn() until it returns something truthy (bounded in time and count)."""
    deadline = time.time() + timeout
    for _ in range(int(timeout / interval) + 1):
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(interval)
    return fn()


def stats(s, ns, name, dims, statistic="Average", since=30, period=1):
    now = int(time.time())
    q = [("namespace", ns), ("name", name), ("statistic", statistic), ("period", str(period)),
         ("start", str(now - since)), ("end", str(now))] + [("dimension", f"{k}={v}") for k, v in dims.items()]
    path = "/v1/metrics/statistics?" + "&".join(f"{k}={urllib.request.quote(v, safe='')}" for k, v in q)
    return s.request("GET", path)["Datapoints"]


def put(s, ns, data):
    return s.request("POST", "/v1/metrics", {"Namespace": ns, "MetricData": data})


def raw_post(s, path, body_bytes):
    req = urllib.request.Request(s.endpoint + path, data=body_bytes, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + s.token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def cgroup_cpu_ns(s, iid):
    for ctl in ("cpuacct", "cpu,cpuacct"):
        path = f"/sys/fs/cgroup/{ctl}/{s.name}/{iid}/cpuacct.usage"
        try:
            with open(path) as f:
                return int(f.read())
        except OSError:
            continue
    with open(f"/sys/fs/cgroup/{s.name}/{iid}/cpu.stat") as f:  # cgroup v2
        return int(f.read().split("usage_usec ")[1].split()[0]) * 1000


def test_busy_instance_shows_cpu_near_its_vcpu_share(stratus):
    # A busy loop on a 2-vCPU type uses at most one of its two vCPUs: CPUUtilization <= 50 %, and
    # exactly what the cgroup says it got (the host's 2 cores are shared, so it may get less).
    busy = b64(b"#!/bin/sh\n(while :; do :; done) &\n")
    iid = stratus.run("busybox", InstanceType="t3.micro", UserData=busy)[0]["InstanceId"]
    idle = stratus.run("busybox", InstanceType="t3.micro")[0]["InstanceId"]
    time.sleep(3)  # user data started, the collector has a baseline
    t0, c0 = time.time(), cgroup_cpu_ns(stratus, iid)
    time.sleep(8)
    t1, c1 = time.time(), cgroup_cpu_ns(stratus, iid)
    truth = (c1 - c0) / ((t1 - t0) * 1e9 * 2) * 100
    pts = stats(stratus, "AWS/EC2", "CPUUtilization", {"InstanceId": iid}, since=int(t1 - t0) + 1)
    pts = [p for p in pts if t0 - 1 <= time.mktime(time.strptime(p["Timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone < t1]
    assert len(pts) >= 5, pts
    measured = sum(p["Average"] for p in pts) / len(pts)
    print(f"CPUUtilization of a busy loop on t3.micro: {measured:.1f} % (cgroup: {truth:.1f} %, "
          f"load average {open('/proc/loadavg').read().split()[0]})")
    assert truth > 1, "the busy loop did not run"
    assert measured <= 50 * 1.05
    assert abs(measured - truth) <= max(5, 0.3 * truth)
    idle_pts = stats(stratus, "AWS/EC2", "CPUUtilization", {"InstanceId": idle}, since=8)
    assert idle_pts and max(p["Average"] for p in idle_pts) < 5
    metrics = stratus.request("GET", "/v1/metrics?namespace=AWS%2FEC2&dimension=InstanceId%3D" + iid)["Metrics"]
    names = {m["MetricName"] for m in metrics}
    assert {"CPUUtilization", "MemoryUtilization", "MemoryUsedBytes", "NetworkIn", "NetworkOut"} <= names
    text = stratus.cli("metrics", "get", "--namespace", "AWS/EC2", "--name", "CPUUtilization",
                       "--dimension", f"InstanceId={iid}", "--since", "10s").stdout
    assert "TIMESTAMP" in text and "Average" in text


def test_put_metric_data_rejects_bad_input_and_stores_nothing(stratus):
    cases = [
        (b'{"Namespace":"T","MetricData":[{"MetricName":"m","Value":NaN}]}', "JSON"),
        (b'{"Namespace":"T","MetricData":[{"MetricName":"m","Value":1e999}]}', ""),
        (json.dumps({"Namespace": "T", "MetricData": [{"MetricName": "m", "Value": "Infinity"}]}).encode(), "number"),
        (json.dumps({"Namespace": "T", "MetricData": [
            {"MetricName": "m", "Value": 1, "Dimensions": [{"Name": f"d{i}", "Value": "v"} for i in range(31)]}]}).encode(),
         "30"),
        (json.dumps({"Namespace": "T", "MetricData": [{"MetricName": "ok", "Value": 1},
                                                      {"MetricName": "m", "Value": 1, "Unit": "Parsecs"}]}).encode(),
         "Parsecs"),
        (json.dumps({"Namespace": "T", "MetricData": [{"MetricName": "m", "Value": 1, "Timestamp": "yesterday"}]}).encode(),
         "ISO 8601"),
        (json.dumps({"Namespace": "T", "MetricData": []}).encode(), "MetricData"),
    ]
    for body, words in cases:
        status, reply = raw_post(stratus, "/v1/metrics", body)
        assert 400 <= status < 500, (body, status, reply)
        message = reply["Error"]["Message"]
        assert words in message, (body, message)
    assert stratus.request("GET", "/v1/metrics?namespace=T")["Metrics"] == []


def test_alarm_without_data_stays_insufficient_and_says_why(stratus):
    stratus.request("POST", "/v1/alarms", {
        "AlarmName": "quiet", "Namespace": "Test", "MetricName": "Nothing", "Statistic": "Average",
        "Period": 1, "EvaluationPeriods": 2, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"})

    def reason():
        a = stratus.request("GET", "/v1/alarms/quiet")["MetricAlarm"]
        return a if a["StateReason"].startswith("Insufficient Data") else None

    a = wait_for(reason, timeout=15)
    assert a, stratus.request("GET", "/v1/alarms/quiet")
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    with pytest.raises(ApiError) as e:
        stratus.request("POST", "/v1/alarms", {"AlarmName": "bad", "Namespace": "T", "MetricName": "m",
                                               "Statistic": "Average", "Period": 1, "Threshold": 1,
                                               "ComparisonOperator": "Above"})
    assert e.value.status == 400 and e.value.code == "ValidationError"


def test_alarm_driven_by_put_metric_data_goes_ok_alarm_ok(stratus):
    stratus.cli("alarm", "create", "load", "--namespace", "App", "--metric", "Load", "--dimension", "Host=a",
                "--threshold", "50", "--period", "1", "--evaluation-periods", "2")

    def feed_until(value, state, timeout=20):
        deadline = time.time() + timeout
        for _ in range(int(timeout / 0.5) + 1):
            put(stratus, "App", [{"MetricName": "Load", "Dimensions": [{"Name": "Host", "Value": "a"}], "Value": value}])
            a = stratus.request("GET", "/v1/alarms/load")["MetricAlarm"]
            if a["StateValue"] == state or time.time() > deadline:
                return a
            time.sleep(0.5)
        return a

    assert feed_until(10, "OK")["StateValue"] == "OK"
    a = feed_until(90, "ALARM")
    assert a["StateValue"] == "ALARM" and "greater than the threshold" in a["StateReason"], a
    assert feed_until(10, "OK")["StateValue"] == "OK"
    history = stratus.request("GET", "/v1/alarms/load/history")["AlarmHistoryItems"]
    summaries = [h["HistorySummary"] for h in history]
    assert "Alarm updated from ALARM to OK" in summaries and "Alarm updated from OK to ALARM" in summaries
    assert "load" in stratus.cli("alarm", "list").stdout
    stratus.cli("alarm", "set-state", "load", "ALARM", "--reason", "drill")
    assert stratus.request("GET", "/v1/alarms/load")["MetricAlarm"]["StateReason"] == "drill"
    # Alarms survive a restart of stratusd.
    stratus.stop()
    stratus.start()
    assert stratus.request("GET", "/v1/alarms/load")["MetricAlarm"]["Period"] == 1
    stratus.cli("alarm", "delete", "load")
    with pytest.raises(ApiError) as e:
        stratus.request("GET", "/v1/alarms/load")
    assert e.value.status == 404


def test_prometheus_endpoint_needs_the_token(stratus):
    put(stratus, "App", [{"MetricName": "Queue", "Value": 7, "Unit": "Count"}])
    req = urllib.request.Request(stratus.endpoint + "/metrics")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 401
    req.add_header("Authorization", "Bearer " + stratus.token)
    with urllib.request.urlopen(req, timeout=5) as r:
        text = r.read().decode()
        assert r.headers["Content-Type"].startswith("text/plain")
    assert "stratus_app_queue" in text and " 7" in text, text[:2000]


def test_load_balancer_metrics(stratus):
    from test_load_balancer import setup_lb
    instances, url = setup_lb(stratus, count=2)
    lb_arn = stratus.request("GET", "/v1/load-balancers")["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = stratus.request("GET", "/v1/target-groups")["TargetGroups"][0]["TargetGroupArn"]
    lb_dim = lb_arn.split(":loadbalancer/")[1]
    tg_dim = tg_arn.split(":")[-1]
    assert lb_dim.startswith("app/front/") and tg_dim.startswith("targetgroup/web/")
    time.sleep(2)  # the collector's baseline
    for _ in range(40):
        with urllib.request.urlopen(url + "/", timeout=5) as r:
            r.read()

    def total(metric, dims, statistic="Sum"):
        pts = stats(stratus, "AWS/ApplicationELB", metric, dims, statistic=statistic, since=60, period=60)
        return sum(p[statistic] for p in pts)

    assert wait_for(lambda: total("RequestCount", {"LoadBalancer": lb_dim}) == 40, timeout=15), \
        total("RequestCount", {"LoadBalancer": lb_dim})
    assert wait_for(lambda: total("RequestCount", {"TargetGroup": tg_dim}) == 40, timeout=15)
    assert total("HTTPCode_Target_2XX_Count", {"TargetGroup": tg_dim}) == 40
    assert total("RequestCountPerTarget", {"TargetGroup": tg_dim}) == 20
    assert total("HealthyHostCount", {"TargetGroup": tg_dim}, "Maximum") == 2
    assert total("TargetResponseTime", {"TargetGroup": tg_dim}, "SampleCount") == 40
    req = urllib.request.Request(stratus.endpoint + "/metrics", headers={"Authorization": "Bearer " + stratus.token})
    with urllib.request.urlopen(req, timeout=5) as r:
        text = r.read().decode()
    assert "stratus_aws_application_elb_healthy_host_count" in text and "stratus_lb_" in text
