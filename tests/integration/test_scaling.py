"""Auto scaling with a real stratusd and demo-web instances: launch templates, auto scaling
groups that replace dead instances, register with target groups and drain on scale-in, instance
refresh keeping MinHealthyPercentage in service, restart convergence, target tracking, bad input.
Traffic goes only to the LB's loopback listener."""
import re
import subprocess
import threading
import time

import pytest

from stratus_harness import ApiError, wrk



def template(s, name="web-lt", **data):
    body = {"LaunchTemplateName": name, "LaunchTemplateData": {"ImageId": "demo-web", "InstanceType": "t3.micro", **data}}
    return s.request("POST", "/v1/launch-templates", body)["LaunchTemplate"]


def create_group(s, name="web", min_size=1, max_size=4, desired=2, **fields):
    body = {"AutoScalingGroupName": name, "LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": "$Default"},
            "MinSize": min_size, "MaxSize": max_size, "DesiredCapacity": desired, **fields}
    return s.request("POST", "/v1/auto-scaling-groups", body)["AutoScalingGroup"]


def group(s, name="web"):
    return s.request("GET", f"/v1/auto-scaling-groups/{name}")["AutoScalingGroup"]


def in_service(g):
    return [i["InstanceId"] for i in g["Instances"] if i["LifecycleState"] == "InService"]


def wait_for(what, fn, limit_s=60, step=0.2):
    deadline = time.time() + limit_s
    while True:
        value = fn()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"{what} not reached after {limit_s}s")
        time.sleep(step)


def target_group_and_lb(s, port, delay=2):
    s.request("POST", "/v1/target-groups", {"Name": "web", "Port": 80, "HealthCheckPath": "/healthz",
                                            "HealthCheckIntervalSeconds": 1, "HealthCheckTimeoutSeconds": 1,
                                            "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2})
    s.request("PATCH", "/v1/target-groups/web", {"Attributes": {"deregistration_delay.timeout_seconds": str(delay)}})
    s.request("POST", "/v1/load-balancers", {"Name": "front"})
    s.request("POST", "/v1/load-balancers/front/listeners", {"Port": port, "TargetGroup": "web"})
    return f"http://127.0.0.1:{port}"


def tg_health(s):
    return {h["Target"]["Id"]: h["TargetHealth"]["State"]
            for h in s.request("GET", "/v1/target-groups/web/health")["TargetHealthDescriptions"]}


def test_bad_input_is_refused_and_changes_nothing(stratus):
    with pytest.raises(ApiError) as e:
        template(stratus, ImageId="ami-00000000000000000")
    assert e.value.status == 400 or e.value.status == 404
    template(stratus)
    cases = [
        dict(min_size=3, max_size=1, desired=2),
        dict(min_size=1, max_size=3, desired=5),
        dict(min_size=2, max_size=3, desired=1),
        dict(TargetGroupARNs=["no-such-tg"]),
        dict(LaunchTemplate={"LaunchTemplateName": "no-such-template"}),
        dict(LaunchTemplate={"LaunchTemplateName": "web-lt", "Version": "9"}),
        dict(HealthCheckType="HTTP"),
        dict(VPCZoneIdentifier="subnet-00000000000000000"),
    ]
    for fields in cases:
        with pytest.raises(ApiError) as e:
            create_group(stratus, **fields)
        assert e.value.status == 400 and e.value.code == "ValidationError", (fields, e.value)
        assert e.value.message
    assert stratus.request("GET", "/v1/auto-scaling-groups")["AutoScalingGroups"] == []
    assert stratus.instances("state=pending,running") == []
    create_group(stratus, desired=0, min_size=0)
    with pytest.raises(ApiError) as e:
        stratus.request("POST", "/v1/auto-scaling-groups/web/desired-capacity", {"DesiredCapacity": 9})
    assert e.value.code == "ValidationError" and "above max" in e.value.message
    with pytest.raises(ApiError) as e:
        stratus.request("PATCH", "/v1/auto-scaling-groups/web", {"MinSize": 5, "MaxSize": 2})
    assert e.value.code == "ValidationError"
    assert group(stratus)["DesiredCapacity"] == 0 and group(stratus)["MaxSize"] == 4
    with pytest.raises(ApiError) as e:
        stratus.request("PUT", "/v1/auto-scaling-groups/web/policies/p", {"PolicyType": "TargetTrackingScaling"})
    assert e.value.code == "ValidationError"
    with pytest.raises(ApiError) as e:
        stratus.request("PUT", "/v1/auto-scaling-groups/web/policies/p", {
            "TargetTrackingConfiguration": {"TargetValue": 50, "ScaleOutEvaluationPeriods": 0,
                                            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}})
    assert e.value.code == "ValidationError" and "ScaleOutEvaluationPeriods" in e.value.message
    assert stratus.request("GET", "/v1/auto-scaling-groups/web/policies")["ScalingPolicies"] == []


def test_killed_instance_is_replaced_and_capacity_is_back_in_service(stratus):
    template(stratus)
    create_group(stratus, min_size=2, desired=2)
    g = wait_for("2 InService", lambda: len(in_service(group(stratus))) == 2 and group(stratus))
    victim = in_service(g)[0]
    killed = time.time()
    subprocess.run(["runc", "--root", f"/run/{stratus.name}/runc", "kill", victim, "KILL"], check=True)
    g = wait_for("replacement InService", lambda: (lambda g: victim not in [i["InstanceId"] for i in g["Instances"]]
                                                   and len(in_service(g)) == 2 and g)(group(stratus)))
    print(f"capacity back InService {time.time() - killed:.1f}s after the kill")
    acts = stratus.request("GET", "/v1/auto-scaling-groups/web/activities")["Activities"]
    assert any("status check failure" in a["Cause"] and victim in a["Description"] for a in acts), acts
    assert all(a["StatusCode"] == "Successful" for a in acts[:2]), acts[:2]
    running = stratus.instances("state=running", "tag:aws:autoscaling:groupName=web")
    assert sorted(i["InstanceId"] for i in running) == sorted(in_service(g))


def test_target_group_registration_and_scale_in_drains_without_errors(stratus):
    template(stratus)
    url = target_group_and_lb(stratus, stratus.port + 510)
    create_group(stratus, min_size=1, desired=3, TargetGroupARNs=["web"], HealthCheckType="ELB",
                 HealthCheckGracePeriod=5)
    g = wait_for("3 InService", lambda: (lambda g: len(in_service(g)) == 3 and g)(group(stratus)))
    assert all(tg_health(stratus).get(i) == "healthy" for i in in_service(g))
    result = {}
    load = threading.Thread(target=lambda: result.update(zip(("requests", "non2xx", "errors", "out"),
                                                             wrk(url + "/", seconds=8))))
    load.start()
    time.sleep(1)
    stratus.request("POST", "/v1/auto-scaling-groups/web/desired-capacity", {"DesiredCapacity": 1})
    seen_draining = wait_for("a draining target", lambda: "draining" in tg_health(stratus).values(), limit_s=10, step=0.05)
    g = wait_for("one instance left", lambda: (lambda g: len(g["Instances"]) == 1 and g)(group(stratus)), limit_s=30)
    load.join()
    assert seen_draining
    assert list(tg_health(stratus)) == in_service(g)
    assert result["requests"] > 100, result["out"]
    assert result["non2xx"] == 0 and result["errors"] == 0, result["out"]
    acts = stratus.request("GET", "/v1/auto-scaling-groups/web/activities")["Activities"]
    assert any("shrinking the capacity from 3 to 1" in a["Cause"] for a in acts), acts


def test_instance_refresh_keeps_min_healthy_in_service(stratus):
    lt = template(stratus, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "build", "Value": "1"}]}])
    url = target_group_and_lb(stratus, stratus.port + 520, delay=1)
    create_group(stratus, min_size=1, desired=3, TargetGroupARNs=["web"], HealthCheckType="ELB")
    wait_for("3 InService", lambda: len(in_service(group(stratus))) == 3)
    stratus.request("POST", f"/v1/launch-templates/{lt['LaunchTemplateId']}/versions",
                    {"SourceVersion": "1", "LaunchTemplateData": {
                        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "build", "Value": "2"}]}]}})
    stratus.request("PATCH", f"/v1/launch-templates/{lt['LaunchTemplateId']}", {"DefaultVersion": "2"})
    rid = stratus.request("POST", "/v1/auto-scaling-groups/web/instance-refreshes",
                          {"Preferences": {"MinHealthyPercentage": 66, "InstanceWarmup": 1}})["InstanceRefreshId"]
    lowest, lowest_healthy = 3, 3
    deadline = time.time() + 120
    while time.time() < deadline:
        g = group(stratus)
        lowest = min(lowest, len(in_service(g)))
        lowest_healthy = min(lowest_healthy, sum(1 for v in tg_health(stratus).values() if v == "healthy"))
        r = stratus.request("GET", "/v1/auto-scaling-groups/web/instance-refreshes")["InstanceRefreshes"][0]
        if r["Status"] in ("Successful", "Failed", "Cancelled"):
            break
        time.sleep(0.1)
    assert r["InstanceRefreshId"] == rid and r["Status"] == "Successful", r
    assert lowest >= 2 and lowest_healthy >= 2, (lowest, lowest_healthy)
    g = group(stratus)
    assert len(g["Instances"]) == 3 and all(i["LaunchTemplate"]["Version"] == "2" for i in g["Instances"]), g
    tags = {i["InstanceId"]: {t["Key"]: t["Value"] for t in i["Tags"]} for i in stratus.instances("state=running")}
    assert all(tags[i]["build"] == "2" for i in in_service(g))


def test_restart_in_the_middle_of_a_scale_out_converges(stratus):
    template(stratus)
    create_group(stratus, desired=1)
    wait_for("1 InService", lambda: len(in_service(group(stratus))) == 1)
    stratus.request("POST", "/v1/auto-scaling-groups/web/desired-capacity", {"DesiredCapacity": 4})
    time.sleep(0.3)
    stratus.kill9()
    stratus.start()
    g = wait_for("4 InService", lambda: (lambda g: len(in_service(g)) == 4 and g)(group(stratus)))
    running = stratus.instances("state=pending,running", "tag:aws:autoscaling:groupName=web")
    assert sorted(i["InstanceId"] for i in running) == sorted(in_service(g))


def test_cli_template_and_asg(stratus):
    out = stratus.cli("template", "create", "web-lt", "--image", "demo-web", "--tag", "Role=web").stdout
    assert "web-lt" in out
    assert "web-lt" in stratus.cli("template", "list").stdout
    stratus.cli("asg", "create", "web", "--template", "web-lt", "--min", "1", "--max", "3", "--desired", "2")
    wait_for("2 InService", lambda: len(in_service(group(stratus))) == 2)
    assert "web" in stratus.cli("asg", "list").stdout
    assert "InService" in stratus.cli("asg", "show", "web").stdout
    stratus.cli("asg", "set-desired", "web", "1")
    wait_for("a terminate activity", lambda: "Terminating EC2 instance" in stratus.cli("asg", "activities", "web").stdout,
             limit_s=10)
    r = stratus.cli("asg", "create", "bad", "--template", "web-lt", "--min", "3", "--max", "1", check=False)
    assert r.returncode != 0 and "Max bound" in r.stderr
    stratus.cli("asg", "delete", "web", "--force")
    wait_for("group gone", lambda: stratus.request("GET", "/v1/auto-scaling-groups")["AutoScalingGroups"] == [],
             limit_s=60)


def cloudwatch_wired(s):
    try:
        s.request("GET", "/v1/alarms")
        return True
    except ApiError:
        return False


def test_target_tracking_scales_out_under_load_and_back_in_without_errors(stratus):
    if not cloudwatch_wired(stratus):
        pytest.skip("needs the CloudWatch collector and alarm service in stratusd (not wired yet)")
    # 1-vCPU instances and a low target so that the step crosses it even on a busy 2-core host.
    template(stratus, InstanceType="t1.micro")
    url = target_group_and_lb(stratus, stratus.port + 530, delay=2)
    create_group(stratus, min_size=2, max_size=5, desired=2, TargetGroupARNs=["web"], HealthCheckType="ELB")
    wait_for("2 InService", lambda: len(in_service(group(stratus))) == 2)
    put = stratus.request("PUT", "/v1/auto-scaling-groups/web/policies/cpu", {
        "PolicyType": "TargetTrackingScaling", "EstimatedInstanceWarmup": 3,
        "TargetTrackingConfiguration": {"TargetValue": 8, "ScaleInStabilizationSeconds": 10, "ScaleOutEvaluationPeriods": 2,
                                        "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}})
    assert len(put["Alarms"]) == 2
    tt = stratus.request("GET", "/v1/auto-scaling-groups/web/policies")["ScalingPolicies"][0]["TargetTrackingConfiguration"]
    assert tt["ScaleOutEvaluationPeriods"] == 2 and tt["ScaleInStabilizationSeconds"] == 10, tt
    result = {}
    load = threading.Thread(target=lambda: result.update(zip(("requests", "non2xx", "errors", "out"),
                                                             wrk(url + "/burn?ms=20", seconds=20, connections=6))))
    load.start()
    wait_for("scale-out", lambda: group(stratus)["DesiredCapacity"] > 2, limit_s=25)
    load.join()
    assert result["non2xx"] == 0 and result["errors"] == 0, result["out"]
    acts = stratus.request("GET", "/v1/auto-scaling-groups/web/activities")["Activities"]
    assert any("triggered policy cpu changing the desired capacity from 2" in a["Cause"] for a in acts), acts
    # Steady traffic through the scale-in (to see that draining fails nothing) that costs next to no CPU,
    # so the group's average falls below the target even on a busy host.
    quiet = {}
    idle = threading.Thread(target=lambda: quiet.update(zip(("requests", "non2xx", "errors", "out"),
                                                            wrk(url + "/sleep?ms=50", seconds=45, connections=2))))
    idle.start()
    wait_for("scale-in", lambda: (lambda g: g["DesiredCapacity"] == 2 and len(g["Instances"]) == 2)(group(stratus)),
             limit_s=60)
    idle.join()
    assert quiet["requests"] > 100, quiet["out"]
    assert quiet["non2xx"] == 0 and quiet["errors"] == 0, quiet["out"]
