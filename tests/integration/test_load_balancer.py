"""The load balancer with real instances: the load balancer follows target health, drains, and keeps
serving when stratusd dies. Traffic goes to the LB's loopback listener and to instances in network
namespaces the test's daemon created."""
import re
import subprocess
import threading
import time
import urllib.request

import pytest

from stratus_harness import ApiError, http_get, wrk



def setup_lb(s, count=3, port=None, interval=1, **tg_fields):
    instances = s.run("demo-web", count=count)
    s.request("POST", "/v1/target-groups", {"Name": "web", "Port": 80, "HealthCheckPath": "/healthz",
                                            "HealthCheckIntervalSeconds": interval, "HealthCheckTimeoutSeconds": 1,
                                            "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2, **tg_fields})
    s.request("POST", "/v1/load-balancers", {"Name": "front"})
    port = port or s.port + 500
    s.request("POST", "/v1/load-balancers/front/listeners", {"Port": port, "TargetGroup": "web"})
    s.request("POST", "/v1/target-groups/web/register",
              {"Targets": [{"Id": i["InstanceId"]} for i in instances]})
    wait_health(s, {i["InstanceId"] for i in instances}, "healthy")
    return instances, f"http://127.0.0.1:{port}"


def health(s):
    return {h["Target"]["Id"]: h["TargetHealth"]["State"]
            for h in s.request("GET", "/v1/target-groups/web/health")["TargetHealthDescriptions"]}


def wait_health(s, ids, state, limit_s=20):
    deadline = time.time() + limit_s
    while True:
        h = health(s)
        if all(h.get(i) == state for i in ids):
            return time.time()
        if time.time() > deadline:
            raise AssertionError(f"targets {ids} not {state} after {limit_s}s: {h}")
        time.sleep(0.1)


def test_every_target_gets_traffic_and_a_dead_one_is_taken_out_without_errors(stratus):
    instances, url = setup_lb(stratus)
    ids = {i["InstanceId"] for i in instances}
    seen = set()
    for _ in range(12):
        seen.add(http_get(url + "/")[1].split()[-1])
    assert seen == ids

    victim = instances[0]["InstanceId"]
    result = {}
    load = threading.Thread(target=lambda: result.update(zip(("requests", "non2xx", "errors", "out"),
                                                             wrk(url + "/", seconds=6))))
    load.start()
    time.sleep(1.5)
    killed_at = time.time()
    # Kill the instance's processes behind the control plane's back: its server is gone.
    subprocess.run(["runc", "--root", f"/run/{stratus.name}/runc", "kill", victim, "KILL"], check=True)
    marked = wait_health(stratus, {victim}, "unhealthy", limit_s=15)
    load.join()
    print(f"unhealthy after {marked - killed_at:.2f}s (interval 1s x threshold 2)")
    assert result["requests"] > 100, result["out"]
    assert result["non2xx"] == 0 and result["errors"] == 0, result["out"]
    survivors = ids - {victim}
    for _ in range(6):
        assert http_get(url + "/")[1].split()[-1] in survivors


def test_deregistered_target_finishes_its_request_and_gets_no_new_ones(stratus):
    instances, url = setup_lb(stratus, count=2)
    a, b = instances[0]["InstanceId"], instances[1]["InstanceId"]
    stratus.request("POST", "/v1/target-groups/web/deregister", {"Targets": [{"Id": b}]})
    time.sleep(0.5)
    long = {}
    t = threading.Thread(target=lambda: long.update(r=http_get(url + "/sleep?ms=3000", timeout=20)))
    t.start()
    time.sleep(0.5)  # the long request is in flight on a
    stratus.request("POST", "/v1/target-groups/web/register", {"Targets": [{"Id": b}]})
    wait_health(stratus, {b}, "healthy")
    stratus.request("POST", "/v1/target-groups/web/deregister", {"Targets": [{"Id": a}]})
    assert health(stratus).get(a) == "draining"
    # stratusd pushes the new configuration to stratus-lb asynchronously (within its sync loop's 100-200 ms):
    # once it runs there, every new request goes to b. Ten in a row, within a bounded wait.
    served, deadline = [], time.time() + 5
    while served[-10:] != [b] * 10 and time.time() < deadline:
        served.append(http_get(url + "/")[1].split()[-1])
    assert served[-10:] == [b] * 10, served
    t.join()
    assert long["r"][0] == 200


def test_kill9_stratusd_under_load_keeps_serving_and_resyncs(stratus):
    instances, url = setup_lb(stratus, count=2)
    result = {}
    load = threading.Thread(target=lambda: result.update(zip(("requests", "non2xx", "errors", "out"),
                                                             wrk(url + "/", seconds=5))))
    load.start()
    time.sleep(1)
    stratus.kill9()
    time.sleep(1)
    stratus.start()
    load.join()
    assert result["non2xx"] == 0 and result["errors"] == 0 and result["requests"] > 100, result["out"]
    # The restarted control plane drives the data plane again: a new target group and rule take effect.
    [extra] = stratus.run("demo-web")
    stratus.request("POST", "/v1/target-groups", {"Name": "api", "Port": 80, "HealthCheckPath": "/healthz",
                                                  "HealthCheckIntervalSeconds": 1, "HealthCheckTimeoutSeconds": 1,
                                                  "HealthyThresholdCount": 2})
    stratus.request("POST", "/v1/target-groups/api/register", {"Targets": [{"Id": extra["InstanceId"]}]})
    listener = stratus.request("GET", "/v1/load-balancers/front/listeners")["Listeners"][0]["ListenerArn"]
    stratus.request("POST", "/v1/rules", {"ListenerArn": listener, "Priority": 10, "Hosts": ["api.example"],
                                          "TargetGroup": "api"})
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            req = urllib.request.Request(url + "/", headers={"Host": "api.example"})
            with urllib.request.urlopen(req, timeout=5) as r:
                if extra["InstanceId"] in r.read().decode():
                    break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        raise AssertionError("rule added after restart never took effect")


def test_load_balancer_bad_input(stratus):
    cases = [
        ("POST", "/v1/target-groups", {"Name": "bad name!", "Port": 80}, "ValidationError"),
        ("POST", "/v1/target-groups", {"Name": "tg", "Port": 70000}, "ValidationError"),
        ("POST", "/v1/target-groups", {"Name": "tg", "Port": 80, "HealthCheckTimeoutSeconds": 9,
                                       "HealthCheckIntervalSeconds": 5}, "ValidationError"),
        ("POST", "/v1/load-balancers/nope/listeners", {"Port": 8080, "TargetGroup": "x"}, "LoadBalancerNotFound"),
        ("POST", "/v1/target-groups/nope/register", {"Targets": [{"Id": "i-0123456789abcdef0"}]}, "TargetGroupNotFound"),
    ]
    for method, path, body, code in cases:
        with pytest.raises(ApiError) as e:
            stratus.request(method, path, body)
        assert e.value.code == code and 400 <= e.value.status < 500, (path, e.value)
    stratus.request("POST", "/v1/target-groups", {"Name": "tg", "Port": 80})
    with pytest.raises(ApiError) as e:
        stratus.request("POST", "/v1/target-groups/tg/register", {"Targets": [{"Id": "i-0123456789abcdef0"}]})
    assert e.value.code == "InvalidTarget"
    # A listener port already in use on the host is refused with a clear error, and nothing is kept.
    import socket
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    stratus.request("POST", "/v1/load-balancers", {"Name": "front"})
    try:
        with pytest.raises(ApiError) as e:
            stratus.request("POST", "/v1/load-balancers/front/listeners", {"Port": port, "TargetGroup": "tg"})
        assert "in use" in e.value.message
    finally:
        busy.close()
    assert stratus.request("GET", "/v1/target-groups/tg")["Targets"] == []
