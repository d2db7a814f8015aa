"""A new instance on a reused address is reachable from the moment it is running: the load balancer's
health checks (from the host, through its neighbour table) pass at once, whatever the address held before.

The daemon's VPC is a /24, so its three subnets are /28s of 13 addresses and every subnet's allocation comes
round to its first addresses again within the run; each test checks that addresses really were reused.
Traffic goes only to instances in the daemon's own network namespaces (health checks)."""
import datetime
import time

# The functional bound: an instance's first passing health check is at most one interval (1 s) after its
# registration, and the control plane sees it within ~0.1 s. A stale neighbour entry costs 11-60 s.
HEALTHY_WITHIN_S = 2.0


def running_time(s, instance_id):
    """When the instance became running (its StateTransitionTime, milliseconds, UTC), as a Unix time."""
    i = s.request("GET", f"/v1/instances/{instance_id}")
    i = i.get("Instance", i)
    assert i["State"]["Name"] == "running", i
    t = datetime.datetime.strptime(i["StateTransitionTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp(), i["PrivateIpAddress"]


def health(s):
    return {h["Target"]["Id"]: h["TargetHealth"]["State"]
            for h in s.request("GET", "/v1/target-groups/web/health")["TargetHealthDescriptions"]}


def first_healthy(s, want, limit_s=30):
    """Polls target health until every id `want()` returns is healthy; {id: first time it was seen healthy}."""
    seen = {}
    deadline = time.time() + limit_s
    while True:
        now = time.time()
        for iid, state in health(s).items():
            if state == "healthy":
                seen.setdefault(iid, now)
        ids = want()
        if ids and all(i in seen for i in ids):
            return {i: seen[i] for i in ids}
        assert now < deadline, f"targets {ids} not all healthy after {limit_s}s: {health(s)}"
        time.sleep(0.05)


def target_group_and_lb(s):
    s.request("POST", "/v1/target-groups", {"Name": "web", "Port": 80, "HealthCheckPath": "/healthz",
                                            "HealthCheckIntervalSeconds": 1, "HealthCheckTimeoutSeconds": 1,
                                            "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2})
    s.request("PATCH", "/v1/target-groups/web", {"Attributes": {"deregistration_delay.timeout_seconds": "0"}})
    s.request("POST", "/v1/load-balancers", {"Name": "front"})
    s.request("POST", "/v1/load-balancers/front/listeners", {"Port": s.port + 520, "TargetGroup": "web"})


class Record:
    """Per target: how long from running to healthy, and which addresses came round again."""

    def __init__(self):
        self.delays, self.holders, self.reused = [], {}, set()

    def held(self, iid, ip):
        if self.holders.get(ip, iid) != iid:
            self.reused.add(ip)
        self.holders[ip] = iid

    def launched(self, s, ids):
        for iid in ids:
            self.held(iid, running_time(s, iid)[1])

    def healthy(self, s, when, round_no):
        for iid, seen in when.items():
            running, ip = running_time(s, iid)
            self.delays.append((round(seen - running, 3), round_no, iid, ip, ip in self.reused))
        late = [d for d in self.delays if d[0] > HEALTHY_WITHIN_S]
        assert not late, f"targets healthy later than {HEALTHY_WITHIN_S}s after running (s, round, instance, " \
                         f"address, reused): {late}"

    def check(self, min_reused):
        print("running -> healthy (s, round, instance, address, reused):", *self.delays, sep="\n  ")
        assert len(self.reused) >= min_reused, f"only {sorted(self.reused)} were reused: the test proved little"


def run(s, n):
    return [i["InstanceId"] for i in s.run("demo-web", count=n)]


def burn_addresses(s, n):
    """Launches and terminates `n` instances, so that the subnets' allocation comes round sooner."""
    launched = s.run("demo-web", count=n)
    ids = [i["InstanceId"] for i in launched]
    for i in ids:
        s.action(i, "terminate", wait=False)
    deadline = time.time() + 60
    while any(i["State"]["Name"] != "terminated" for i in s.instances() if i["InstanceId"] in ids):
        assert time.time() < deadline, "burnt instances not terminated after 60s"
        time.sleep(0.2)
    return {i["InstanceId"]: i["PrivateIpAddress"] for i in launched}


def targets(ids):
    return {"Targets": [{"Id": i} for i in ids]}


def test_reused_addresses_are_healthy_at_once(small_vpc_stratus):
    """The reproduction: 3 registered and healthy, deregistered and terminated; 3 more (they take the pool's
    namespaces, the refills take the freed addresses); 3 more registered."""
    s = small_vpc_stratus
    target_group_and_lb(s)
    rec = Record()
    for iid, ip in burn_addresses(s, 21).items():
        rec.held(iid, ip)
    for round_no in range(5):
        first = run(s, 3)
        rec.launched(s, first)
        s.request("POST", "/v1/target-groups/web/register", targets(first))
        rec.healthy(s, first_healthy(s, lambda: first), round_no)
        s.request("POST", "/v1/target-groups/web/deregister", targets(first))
        for i in first:
            s.action(i, "terminate")
        middle = run(s, 3)
        rec.launched(s, middle)
        last = run(s, 3)
        rec.launched(s, last)
        s.request("POST", "/v1/target-groups/web/register", targets(last))
        rec.healthy(s, first_healthy(s, lambda: last), round_no)
        s.request("POST", "/v1/target-groups/web/deregister", targets(last))
        for i in middle + last:
            s.action(i, "terminate")
    rec.check(min_reused=9)


def test_recreated_auto_scaling_group_is_healthy_at_once(small_vpc_stratus):
    """An auto scaling group of 3 behind the target group, force-deleted and re-created at once, round after
    round: the new group's instances take the addresses the old ones are giving up."""
    s = small_vpc_stratus
    target_group_and_lb(s)
    s.request("POST", "/v1/launch-templates", {"LaunchTemplateName": "web-lt", "LaunchTemplateData": {
        "ImageId": "demo-web", "InstanceType": "t3.micro"}})
    rec = Record()
    for iid, ip in burn_addresses(s, 27).items():
        rec.held(iid, ip)
    for round_no in range(9):
        name = f"web-{round_no}"
        s.request("POST", "/v1/auto-scaling-groups", {
            "AutoScalingGroupName": name, "LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": "$Default"},
            "MinSize": 3, "MaxSize": 3, "DesiredCapacity": 3, "TargetGroupARNs": ["web"],
            "HealthCheckType": "ELB", "HealthCheckGracePeriod": 5})

        def members():
            g = s.request("GET", f"/v1/auto-scaling-groups/{name}")["AutoScalingGroup"]
            ids = [i["InstanceId"] for i in g["Instances"]]
            return ids if len(ids) == 3 else []
        when = first_healthy(s, members)
        rec.launched(s, when)
        rec.healthy(s, when, round_no)
        s.request("DELETE", f"/v1/auto-scaling-groups/{name}?force=true")
    deadline = time.time() + 60
    while s.request("GET", "/v1/auto-scaling-groups")["AutoScalingGroups"]:
        assert time.time() < deadline, "groups not deleted after 60s"
        time.sleep(0.2)
    rec.check(min_reused=6)
