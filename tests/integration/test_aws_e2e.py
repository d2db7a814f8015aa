"""The aws CLI and boto3, both client generations on the machine, drive a real stratusd
unchanged (AWS_SHARED_CREDENTIALS_FILE=$STATE/credentials --profile stratus --endpoint-url ... --region local).

Generations: Debian's /usr/bin/aws 2.9 with /usr/bin/python3's boto3 1.26, and the machine python's aws CLI 1.45
with its boto3 1.43 (skipped when absent). A daemon without the CloudWatch services answers UnsupportedOperation;
the CloudWatch part is then skipped with that message."""
import json
import os
import stat
import subprocess
import time
import urllib.request

import pytest

from stratus_harness import Stratus

HERE = os.path.dirname(__file__)
PYENV_PY = "/root/.pyenv/versions/3.11.7/bin/python3"
GENERATIONS = {
    "debian": {"aws": "/usr/bin/aws", "python": "/usr/bin/python3"},
    "pyenv": {"aws": "/root/.pyenv/shims/aws", "python": PYENV_PY},
}


@pytest.fixture(scope="module")
def daemon():
    s = Stratus("aws")
    try:
        s.start()
        yield s
    finally:
        s.uninstall()


def creds_path(s):
    return os.path.join(s.state_dir, "credentials")


def aws(s, gen, *args, check=True, timeout=300):
    env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=creds_path(s), AWS_PAGER="", AWS_CONFIG_FILE="/dev/null")
    env.pop("AWS_ACCESS_KEY_ID", None)
    env.pop("AWS_SECRET_ACCESS_KEY", None)
    cmd = [GENERATIONS[gen]["aws"], "--profile", "stratus", "--endpoint-url", s.endpoint, "--region", "local",
           "--output", "json", *args]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} exited {r.returncode}: {r.stderr}\n{s.log()}")
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else r


def have(gen):
    g = GENERATIONS[gen]
    if not (os.path.exists(g["aws"]) and os.path.exists(g["python"])):
        return False
    return subprocess.run([g["python"], "-c", "import boto3"], capture_output=True).returncode == 0


def test_credentials_file(daemon):
    path = creds_path(daemon)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600
    text = open(path).read()
    assert "[stratus]" in text
    key = [l.split("=", 1)[1].strip() for l in text.splitlines() if l.startswith("aws_access_key_id")][0]
    assert key.startswith("AKIA") and len(key) == 20


def test_unsigned_and_bearer_requests_are_refused(daemon):
    # An AWS call without a signature is refused with an AWS error and does nothing.
    req = urllib.request.Request(daemon.endpoint + "/", data=b"Action=DescribeInstances&Version=2016-11-15",
                                 method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code in (400, 401, 403)
    assert b"<Code>" in e.value.read()


@pytest.mark.parametrize("gen", ["debian", "pyenv"])
def test_cli_scenario(daemon, gen):
    if not have(gen):
        pytest.skip(f"{gen} aws CLI / boto3 not installed")
    s = daemon
    assert aws(s, gen, "ec2", "describe-regions")["Regions"][0]["RegionName"] == "local"
    vpc = aws(s, gen, "ec2", "describe-vpcs")["Vpcs"][0]["VpcId"]
    subnets = aws(s, gen, "ec2", "describe-subnets")["Subnets"]
    assert subnets and all(sn["VpcId"] == vpc for sn in subnets)
    assert aws(s, gen, "ec2", "describe-availability-zones")["AvailabilityZones"]
    t = aws(s, gen, "ec2", "describe-instance-types", "--instance-types", "t3.micro")["InstanceTypes"][0]
    assert t["VCpuInfo"]["DefaultVCpus"] == 2 and t["MemoryInfo"]["SizeInMiB"] == 1024
    image = aws(s, gen, "ec2", "describe-images", "--filters", "Name=name,Values=demo-web")["Images"][0]["ImageId"]

    # run-instances with user data and tags; wait running; describe with filters
    run = aws(s, gen, "ec2", "run-instances", "--image-id", image, "--instance-type", "t3.micro", "--count", "2",
              "--user-data", "#!/bin/sh\necho cli > /tmp/hello\n", "--tag-specifications",
              f"ResourceType=instance,Tags=[{{Key=app,Value=web-{gen}}}]")
    ids = [i["InstanceId"] for i in run["Instances"]]
    assert len(ids) == 2 and all(i["State"]["Name"] == "pending" for i in run["Instances"])
    aws(s, gen, "ec2", "wait", "instance-running", "--instance-ids", *ids)
    d = aws(s, gen, "ec2", "describe-instances", "--filters", f"Name=tag:app,Values=web-{gen}",
            "Name=instance-state-name,Values=running")
    found = [i for r in d["Reservations"] for i in r["Instances"]]
    assert sorted(i["InstanceId"] for i in found) == sorted(ids)
    assert all(i["PrivateIpAddress"] and i["Tags"] == [{"Key": "app", "Value": f"web-{gen}"}] for i in found)
    ip = found[0]["PrivateIpAddress"]
    by_ip = aws(s, gen, "ec2", "describe-instances", "--filters", f"Name=private-ip-address,Values={ip}")
    assert [i["InstanceId"] for r in by_ip["Reservations"] for i in r["Instances"]] == [found[0]["InstanceId"]]

    # target group + load balancer + listener, register, wait in service, curl through the LB
    tg = aws(s, gen, "elbv2", "create-target-group", "--name", f"tg-{gen}", "--protocol", "HTTP", "--port", "80",
             "--vpc-id", vpc, "--health-check-path", "/healthz", "--health-check-interval-seconds", "5",
             "--health-check-timeout-seconds", "2", "--healthy-threshold-count", "2")["TargetGroups"][0]
    tg_arn = tg["TargetGroupArn"]
    assert tg["HealthCheckPath"] == "/healthz" and tg["Port"] == 80
    lb = aws(s, gen, "elbv2", "create-load-balancer", "--name", f"lb-{gen}")["LoadBalancers"][0]
    port = s.port + (500 if gen == "debian" else 501)
    listener = aws(s, gen, "elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol",
                   "HTTP", "--port", str(port), "--default-actions",
                   f"Type=forward,TargetGroupArn={tg_arn}")["Listeners"][0]
    assert listener["Port"] == port
    aws(s, gen, "elbv2", "register-targets", "--target-group-arn", tg_arn, "--targets", *[f"Id={i}" for i in ids])
    aws(s, gen, "elbv2", "wait", "target-in-service", "--target-group-arn", tg_arn, "--targets",
        *[f"Id={i}" for i in ids])
    health = aws(s, gen, "elbv2", "describe-target-health", "--target-group-arn", tg_arn)
    assert {h["TargetHealth"]["State"] for h in health["TargetHealthDescriptions"]} == {"healthy"}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
        assert r.status == 200
    attrs = aws(s, gen, "elbv2", "modify-target-group-attributes", "--target-group-arn", tg_arn, "--attributes",
                "Key=deregistration_delay.timeout_seconds,Value=1")["Attributes"]
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "1"} in attrs

    # ASG from a launch template with target tracking
    lt = aws(s, gen, "ec2", "create-launch-template", "--launch-template-name", f"lt-{gen}", "--launch-template-data",
             json.dumps({"ImageId": image, "InstanceType": "t3.micro"}))["LaunchTemplate"]
    assert lt["LaunchTemplateId"].startswith("lt-") and lt["LatestVersionNumber"] == 1
    aws(s, gen, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", f"asg-{gen}",
        "--launch-template", f"LaunchTemplateName=lt-{gen}", "--min-size", "1", "--max-size", "3",
        "--desired-capacity", "1", "--target-group-arns", tg_arn)
    pol = aws(s, gen, "autoscaling", "put-scaling-policy", "--auto-scaling-group-name", f"asg-{gen}",
              "--policy-name", "cpu50", "--policy-type", "TargetTrackingScaling", "--target-tracking-configuration",
              json.dumps({"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                          "TargetValue": 50.0}))
    assert pol["PolicyARN"].startswith("arn:aws:autoscaling:")
    policies = aws(s, gen, "autoscaling", "describe-policies", "--auto-scaling-group-name", f"asg-{gen}")
    assert [p["PolicyName"] for p in policies["ScalingPolicies"]] == ["cpu50"]
    assert policies["ScalingPolicies"][0]["TargetTrackingConfiguration"]["TargetValue"] == 50.0
    deadline = time.time() + 120
    group = None
    while time.time() < deadline:
        group = aws(s, gen, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names",
                    f"asg-{gen}")["AutoScalingGroups"][0]
        if [i["LifecycleState"] for i in group["Instances"]] == ["InService"]:
            break
        time.sleep(1)
    assert group["DesiredCapacity"] == 1 and [i["LifecycleState"] for i in group["Instances"]] == ["InService"]
    acts = aws(s, gen, "autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", f"asg-{gen}")
    assert acts["Activities"]

    # CloudWatch: metrics and alarms (skipped while stratusd runs no metric store / alarm service)
    cw = aws(s, gen, "cloudwatch", "put-metric-data", "--namespace", f"E2E/{gen}", "--metric-name", "Load",
             "--value", "42", "--unit", "Count", check=False)
    cloudwatch_missing = not isinstance(cw, dict) and "UnsupportedOperation" in cw.stderr
    if not cloudwatch_missing:
        assert isinstance(cw, dict) or cw.returncode == 0, cw.stderr
        now = int(time.time())
        st = aws(s, gen, "cloudwatch", "get-metric-statistics", "--namespace", f"E2E/{gen}", "--metric-name", "Load",
                 "--start-time", str(now - 300), "--end-time", str(now + 60), "--period", "60", "--statistics",
                 "Sum", "SampleCount")
        assert sum(p["Sum"] for p in st["Datapoints"]) == 42.0
        # Target tracking created its alarms through the alarm service; describe-alarms lists them.
        alarms = {a["AlarmName"] for a in aws(s, gen, "cloudwatch", "describe-alarms")["MetricAlarms"]}
        assert pol.get("Alarms") and {a["AlarmName"] for a in pol["Alarms"]} <= alarms

    # teardown through the API: ASG, LB, TG, instances
    aws(s, gen, "autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", f"asg-{gen}",
        "--force-delete")
    aws(s, gen, "elbv2", "delete-load-balancer", "--load-balancer-arn", lb["LoadBalancerArn"])
    term = aws(s, gen, "ec2", "terminate-instances", "--instance-ids", *ids)["TerminatingInstances"]
    assert {t["PreviousState"]["Name"] for t in term} == {"running"}
    assert {t["CurrentState"]["Name"] for t in term} <= {"shutting-down", "terminated"}
    aws(s, gen, "ec2", "wait", "instance-terminated", "--instance-ids", *ids)
    bad = aws(s, gen, "ec2", "describe-instances", "--instance-ids", "i-0123456789abcdef0", check=False)
    assert not isinstance(bad, dict) and "InvalidInstanceID.NotFound" in bad.stderr
    if cloudwatch_missing:
        pytest.skip("CloudWatch part skipped: " + cw.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("gen", ["debian", "pyenv"])
def test_boto3_scenario(daemon, gen):
    if not have(gen):
        pytest.skip(f"{gen} boto3 not installed")
    r = subprocess.run([GENERATIONS[gen]["python"], os.path.join(HERE, "aws_boto3_scenario.py"), daemon.endpoint,
                        creds_path(daemon), gen], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr + "\n" + daemon.log()
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["idempotent"]
    assert len(out["described"]) == 1
    inst = out["described"][0]
    assert inst["state"] == "running" and inst["type"] == "t3.micro" and inst["ip"]
    assert inst["tags"] == {"gen": gen, "Name": "b"}
    assert inst["launch_time_type"] == "datetime"
    assert out["page_has_reservations"]
    assert out["tags_after_create"] == ["Name", "extra", "gen"]
    assert out["tags_after_delete"] == ["Name", "gen"]
    assert out["console_type"] == "str"
    assert out["image_state"] == "available"
    assert out["missing_error"] == ["InvalidInstanceID.NotFound", 400]
    assert out["bad_secret_error"] == ["AuthFailure", 401]
    assert out["bad_secret_elb_error"] == ["SignatureDoesNotMatch", 403]
    assert out["bad_secret_changed_nothing"]
    assert out["terminate"][0] == "running"
    if "metric_error" in out:
        assert out["metric_error"][0] == "UnsupportedOperation", out["metric_error"]
        pytest.skip("CloudWatch part skipped: " + out["metric_error"][1])
    points = out["metric_datapoints"]
    assert sum(p["SampleCount"] for p in points) == 3 and max(p["Maximum"] for p in points) == 30.0


def aws_error(r):
    """The AWS error code of a failed aws CLI call ("An error occurred (Code) when calling ...")."""
    assert not isinstance(r, dict), r
    text = r.stderr
    return text[text.index("(") + 1:text.index(")")] if "(" in text else text


@pytest.mark.parametrize("gen", ["debian", "pyenv"])
def test_vpc_story_cli(daemon, gen):
    """VPCs, subnets and security groups through the aws CLI: creation, AWS's refusals, rules by group, cleanup."""
    if not have(gen):
        pytest.skip(f"{gen} aws CLI not installed")
    s = daemon
    vpc = aws(s, gen, "ec2", "create-vpc", "--cidr-block", "10.77.0.0/16")["Vpc"]["VpcId"]
    twin = aws(s, gen, "ec2", "create-vpc", "--cidr-block", "10.77.0.0/16")["Vpc"]["VpcId"]  # overlap allowed
    assert aws_error(aws(s, gen, "ec2", "create-vpc", "--cidr-block", "10.0.0.0/8", check=False)) == "InvalidVpc.Range"
    subnet = aws(s, gen, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.77.1.0/24")["Subnet"]["SubnetId"]
    r = aws(s, gen, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.77.1.0/25", check=False)
    assert aws_error(r) == "InvalidSubnet.Conflict"
    aws(s, gen, "ec2", "modify-subnet-attribute", "--subnet-id", subnet, "--map-public-ip-on-launch")
    sn = aws(s, gen, "ec2", "describe-subnets", "--subnet-ids", subnet)["Subnets"][0]
    assert sn["MapPublicIpOnLaunch"] is True and sn["AvailableIpAddressCount"] == 251
    aws(s, gen, "ec2", "modify-vpc-attribute", "--vpc-id", vpc, "--enable-dns-hostnames", '{"Value": true}')
    attr = aws(s, gen, "ec2", "describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsHostnames")
    assert attr["EnableDnsHostnames"]["Value"] is True

    web = aws(s, gen, "ec2", "create-security-group", "--group-name", "web", "--description", "web tier",
              "--vpc-id", vpc)["GroupId"]
    db = aws(s, gen, "ec2", "create-security-group", "--group-name", "db", "--description", "database",
             "--vpc-id", vpc)["GroupId"]
    added = aws(s, gen, "ec2", "authorize-security-group-ingress", "--group-id", db, "--ip-permissions",
                f"IpProtocol=tcp,FromPort=5432,ToPort=5432,UserIdGroupPairs=[{{GroupId={web}}}]")
    rule = added["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    aws(s, gen, "ec2", "authorize-security-group-ingress", "--group-id", web, "--protocol", "tcp", "--port", "80",
        "--cidr", "0.0.0.0/0")
    r = aws(s, gen, "ec2", "authorize-security-group-ingress", "--group-id", web, "--protocol", "tcp", "--port", "80",
            "--cidr", "0.0.0.0/0", check=False)
    assert aws_error(r) == "InvalidPermission.Duplicate"
    g = aws(s, gen, "ec2", "describe-security-groups", "--group-ids", db)["SecurityGroups"][0]
    assert g["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == web
    assert g["IpPermissionsEgress"][0]["IpProtocol"] == "-1"
    rules = aws(s, gen, "ec2", "describe-security-group-rules", "--filters", f"Name=group-id,Values={db}")
    assert len(rules["SecurityGroupRules"]) == 2
    assert aws_error(aws(s, gen, "ec2", "delete-security-group", "--group-id", web, check=False)) == "DependencyViolation"
    assert aws_error(aws(s, gen, "ec2", "delete-vpc", "--vpc-id", vpc, check=False)) == "DependencyViolation"

    aws(s, gen, "ec2", "revoke-security-group-ingress", "--group-id", db, "--security-group-rule-ids", rule)
    for group in (web, db):
        aws(s, gen, "ec2", "delete-security-group", "--group-id", group)
    aws(s, gen, "ec2", "delete-subnet", "--subnet-id", subnet)
    for v in (vpc, twin):
        aws(s, gen, "ec2", "delete-vpc", "--vpc-id", v)
    assert aws_error(aws(s, gen, "ec2", "describe-vpcs", "--vpc-ids", vpc, check=False)) == "InvalidVpcID.NotFound"


BOTO3_VPC = r"""
import json, sys, boto3, botocore
endpoint, creds = sys.argv[1], sys.argv[2]
ec2 = boto3.Session(profile_name="stratus").client("ec2", endpoint_url=endpoint, region_name="local")
def code(f, **kw):
    try:
        f(**kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"
vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.78.0.0/28")["Subnet"]["SubnetId"]
out_of_range = code(ec2.create_subnet, VpcId=vpc, CidrBlock="10.79.0.0/24")
sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
perm = [{"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.78.0.0/16"}]}]
ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=perm)
group = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=perm)
revoked_again = code(ec2.revoke_security_group_egress, GroupId=sg, IpPermissions=perm)
bad_protocol = code(ec2.authorize_security_group_ingress, GroupId=sg,
                    IpPermissions=[{"IpProtocol": "gre", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
ec2.delete_security_group(GroupId=sg)
ec2.delete_subnet(SubnetId=subnet)
ec2.delete_vpc(VpcId=vpc)
print(json.dumps({"out_of_range": out_of_range, "egress": len(group["IpPermissionsEgress"]),
                  "revoked_again": revoked_again, "bad_protocol": bad_protocol,
                  "left": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["VpcId"] == vpc]}))
"""


@pytest.mark.parametrize("gen", ["debian", "pyenv"])
def test_vpc_story_boto3(daemon, gen):
    """The same objects through boto3: create, refuse with AWS's codes, delete; nothing left."""
    if not have(gen):
        pytest.skip(f"{gen} boto3 not installed")
    env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=creds_path(daemon), AWS_CONFIG_FILE="/dev/null")
    env.pop("AWS_ACCESS_KEY_ID", None)
    env.pop("AWS_SECRET_ACCESS_KEY", None)
    r = subprocess.run([GENERATIONS[gen]["python"], "-c", BOTO3_VPC, daemon.endpoint, creds_path(daemon)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr + "\n" + daemon.log()
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out == {"out_of_range": "InvalidSubnet.Range", "egress": 2, "revoked_again": "InvalidPermission.NotFound",
                   "bad_protocol": "InvalidParameterValue", "left": []}
