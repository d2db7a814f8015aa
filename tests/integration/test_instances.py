"""Instances launched from an image, bootstrapped, reachable, stopped, started,
surviving a control-plane crash, and leaving nothing behind."""
import base64
import json
import os
import subprocess
import time

import pytest

from stratus_harness import BIN, ApiError, Stratus, host_leftovers, http_get, wait_http

USER_DATA = b"""#!/bin/sh
echo "user data says hello"
mkdir -p /var/lib/app
echo "bootstrapped $(hostname)" > /var/lib/app/marker
"""


def b64(data):
    return base64.b64encode(data).decode()


def pool_namespaces(s):
    """The namespaces daemon `s` keeps connected ahead of demand (--netns-pool)."""
    out = s.ip("netns", "list").stdout
    return sorted(l.split()[0] for l in out.splitlines() if l.startswith(s.name + "-pool-"))


def wait_for_pool(s, count, deadline_s=20):
    """Waits until daemon `s` has `count` pooled namespaces, each with its veth and lease (host_leftovers reports a
    pool entry that is not whole)."""
    def incomplete():
        return [l for l in host_leftovers(s) if "-pool-" in l]

    end = time.time() + deadline_s
    while (len(pool_namespaces(s)) != count or incomplete()) and time.time() < end:
        time.sleep(0.1)
    assert len(pool_namespaces(s)) == count and incomplete() == [], (pool_namespaces(s), incomplete())
    return pool_namespaces(s)



def test_three_demo_web_instances_are_bootstrapped_and_answer(stratus):
    instances = stratus.run("demo-web", count=3, UserData=b64(USER_DATA), Tags=[{"Key": "Name", "Value": "web"}])
    assert len(instances) == 3
    ips = set()
    for i in instances:
        assert i["State"]["Name"] == "running", i
        iid, ip = i["InstanceId"], i["PrivateIpAddress"]
        ips.add(ip)
        status, body = wait_http(f"http://{ip}/")
        assert status == 200 and iid in body
        # The user data ran inside the instance and wrote to its root volume.
        with open(os.path.join(stratus.root_volume(iid), "var/lib/app/marker")) as f:
            assert f.read().startswith("bootstrapped ip-")
        console = stratus.request("GET", f"/v1/instances/{iid}/console")["Output"]
        assert "user data says hello" in console
        # The metadata service answers with this instance's own data (the caller is its address).
        md = stratus.in_instance_netns(iid, "curl", "-s", "-m", "5", "http://169.254.169.254/latest/meta-data/instance-id")
        assert md.stdout == iid
        tag = stratus.in_instance_netns(iid, "curl", "-s", "-m", "5",
                                        "http://169.254.169.254/latest/meta-data/tags/instance/Name")
        assert tag.stdout == "web"
        ud = stratus.in_instance_netns(iid, "curl", "-s", "-m", "5", "http://169.254.169.254/latest/user-data")
        assert ud.stdout.encode() == USER_DATA
    assert len(ips) == 3
    by_tag = stratus.instances("tag:Name=web", "instance-state-name=running")
    assert {i["InstanceId"] for i in by_tag} == {i["InstanceId"] for i in instances}


def test_instances_cannot_reach_the_api(stratus):
    [i] = stratus.run("busybox")
    gw = i["PrivateIpAddress"].rsplit(".", 1)[0] + ".1"
    r = stratus.in_instance_netns(i["InstanceId"], "curl", "-s", "-m", "2", f"http://{gw}:{stratus.port}/v1/health")
    assert r.returncode != 0
    r = stratus.in_instance_netns(i["InstanceId"], "curl", "-s", "-m", "2", f"http://127.0.0.1:{stratus.port}/v1/health")
    assert r.returncode != 0


def test_metadata_tokens_required():
    s = Stratus("imdsv2", ["--require-imds-tokens"])
    try:
        s.start()
        [i] = s.run("busybox")
        iid = i["InstanceId"]
        url = "http://169.254.169.254/latest/meta-data/instance-id"
        r = s.in_instance_netns(iid, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", url)
        assert r.stdout == "401"
        token = s.in_instance_netns(iid, "curl", "-s", "-m", "5", "-X", "PUT", "-H",
                                    "X-aws-ec2-metadata-token-ttl-seconds: 60", "http://169.254.169.254/latest/api/token")
        assert token.stdout
        r = s.in_instance_netns(iid, "curl", "-s", "-m", "5", "-H", f"X-aws-ec2-metadata-token: {token.stdout}", url)
        assert r.stdout == iid
    finally:
        s.uninstall()


def memory_limit(stratus, iid):
    for path in (f"/sys/fs/cgroup/memory/{stratus.name}/{iid}/memory.limit_in_bytes",
                 f"/sys/fs/cgroup/{stratus.name}/{iid}/memory.max"):
        if os.path.exists(path):
            with open(path) as f:
                return int(f.read())
    raise AssertionError("no memory cgroup for " + iid)


def test_stop_start_keeps_root_volume_and_modify_changes_limits(stratus):
    [i] = stratus.run("busybox", InstanceType="t3.nano",
                      UserData=b64(b"#!/bin/sh\necho once >> /root/runs\n"))
    iid = i["InstanceId"]
    assert memory_limit(stratus, iid) == 512 * 1024 * 1024
    with pytest.raises(ApiError) as e:
        stratus.request("PATCH", f"/v1/instances/{iid}", {"InstanceType": "t3.small"})
    assert e.value.status == 409 and e.value.code == "IncorrectInstanceState"
    assert stratus.action(iid, "stop")["State"]["Name"] == "stopped"
    stratus.request("PATCH", f"/v1/instances/{iid}", {"InstanceType": "t3.small"})
    started = stratus.action(iid, "start")
    assert started["State"]["Name"] == "running"
    assert started["InstanceType"] == "t3.small"
    assert started["PrivateIpAddress"] == i["PrivateIpAddress"]
    assert memory_limit(stratus, iid) == 2048 * 1024 * 1024
    # The root volume survived, and user data ran once per instance, not once per boot.
    with open(os.path.join(stratus.root_volume(iid), "root/runs")) as f:
        assert f.read() == "once\n"


def test_sysctls_are_applied_and_non_namespaced_ones_refused(stratus):
    [i] = stratus.run("busybox", Sysctls={"net.core.somaxconn": "4096"})
    r = stratus.in_instance_netns(i["InstanceId"], "cat", "/proc/sys/net/core/somaxconn")
    assert r.stdout.strip() == "4096"
    before = len(stratus.instances())
    with pytest.raises(ApiError) as e:
        stratus.run("busybox", Sysctls={"kernel.panic": "1"})
    assert e.value.status == 400 and "not namespaced" in e.value.message
    assert len(stratus.instances()) == before


def test_kill9_restart_keeps_instances_and_ips(stratus):
    instances = stratus.run("demo-web", count=2)
    before = {i["InstanceId"]: i["PrivateIpAddress"] for i in instances}
    stale_pool = wait_for_pool(stratus, 3)  # the default --netns-pool 1, on each of the three subnets
    stratus.kill9()
    for iid, ip in before.items():
        assert wait_http(f"http://{ip}/")[0] == 200  # instances run without the control plane
    stratus.start()
    after = {i["InstanceId"]: (i["PrivateIpAddress"], i["State"]["Name"]) for i in stratus.instances()}
    assert after == {iid: (ip, "running") for iid, ip in before.items()}
    for iid, ip in before.items():
        status, body = wait_http(f"http://{ip}/")
        assert status == 200 and iid in body
    # The pool the killed daemon left is replaced, not added to.
    assert not set(wait_for_pool(stratus, 3)) & set(stale_pool)
    # And the restarted daemon still controls them.
    for iid in before:
        assert stratus.action(iid, "terminate")["State"]["Name"] == "terminated"
    deadline = time.time() + 15
    while host_leftovers(stratus) and time.time() < deadline:
        time.sleep(0.2)
    assert host_leftovers(stratus) == []


def test_sigterm_keeps_instances_and_empties_the_pool(stratus):
    [i] = stratus.run("demo-web")
    iid, ip = i["InstanceId"], i["PrivateIpAddress"]
    wait_for_pool(stratus, 3)
    stratus.stop()
    # A stopped daemon holds no address it does not need: the pool goes, the instance stays.
    assert pool_namespaces(stratus) == []
    assert host_leftovers(stratus) != []  # the instance's netns, veth, lease, cgroups...
    assert wait_http(f"http://{ip}/")[0] == 200
    stratus.start()
    wait_for_pool(stratus, 3)
    [again] = stratus.instances()
    assert (again["InstanceId"], again["PrivateIpAddress"], again["State"]["Name"]) == (iid, ip, "running")


def test_uninstall_removes_instances_and_the_pool_a_killed_daemon_left(stratus):
    stratus.run("busybox", count=2)
    wait_for_pool(stratus, 3)
    stratus.kill9()
    r = subprocess.run(stratus.args()[:1] + ["--state-dir", stratus.state_dir, "--name", stratus.name,
                                             "--vpc-cidr", stratus.cidr, "--uninstall"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert host_leftovers(stratus) == []
    assert pool_namespaces(stratus) == []
    assert not [l for l in open("/proc/1/mountinfo") if stratus.state_dir in l], "the daemon's pin is removed"
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f"{stratus.name}br" not in links
    assert not os.path.exists(os.path.join(stratus.state_dir, "net", "ipam"))


def test_netns_pool_flag():
    for bad in ("-1", "65", "two"):
        r = subprocess.run([os.path.join(BIN, "stratusd"), "--netns-pool", bad, "--state-dir", "/nonexistent"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and "--netns-pool" in r.stderr, (bad, r.returncode, r.stderr)
    s = Stratus("nopool", ["--netns-pool", "0"])
    try:
        s.start()
        [i] = s.run("busybox")
        assert i["State"]["Name"] == "running"
        assert pool_namespaces(s) == []
        s.action(i["InstanceId"], "terminate")
    finally:
        s.uninstall()
    s = Stratus("pool2", ["--netns-pool", "2"])
    try:
        s.start()
        wait_for_pool(s, 6)
        launched = s.run("busybox", count=4)
        assert all(i["State"]["Name"] == "running" for i in launched)
        wait_for_pool(s, 6)  # refilled; the instances' namespaces are not pool entries
        assert len({i["PrivateIpAddress"] for i in launched}) == 4
    finally:
        s.uninstall()


def test_launch_terminate_cycles_leave_nothing_behind(stratus):
    cycles = int(os.environ.get("STRATUS_LEAK_CYCLES", "200"))
    batch = 20
    done = 0
    while done < cycles:
        n = min(batch, cycles - done)
        launched = stratus.run("busybox", count=n)
        assert all(i["State"]["Name"] == "running" for i in launched)
        for i in launched:
            stratus.action(i["InstanceId"], "terminate", wait=False)
        for i in launched:
            assert stratus.action(i["InstanceId"], "terminate")["State"]["Name"] == "terminated"
        done += n
    # The kernel destroys a deleted namespace (and the veth in it) asynchronously: allow it a moment.
    deadline = time.time() + 15
    while host_leftovers(stratus) and time.time() < deadline:
        time.sleep(0.2)
    assert host_leftovers(stratus) == []
    assert len(pool_namespaces(stratus)) == 3, "the check ran with the namespace pool on"


def test_launches_leave_the_host_mount_table_alone(stratus):
    """Instance roots are mounted in mount namespaces of their own and named network namespaces live in the
    daemon's mount namespace (docs/runtime.md): the host's table (that of its init process) does not grow as
    instances launch or terminate - the daemon's one pin is all it holds - and every container starts from the
    same small namespace, so launch cost does not grow with the instances already running. Other programs on the
    host mount things meanwhile: only mounts of this daemon (its state dir, its namespaces' names) are counted."""
    def host_mounts():
        with open("/proc/1/mountinfo") as f:
            lines = f.read().splitlines()
        return [l for l in lines if stratus.state_dir in l or f"/netns/{stratus.name}-" in l]

    def daemon_netns():
        return [n for n in stratus.ip("netns", "list").stdout.split() if n.startswith(stratus.name + "-i-")]

    def container_mounts(iid):
        state = subprocess.run(["runc", "--root", f"/run/{stratus.name}/runc", "state", iid], capture_output=True,
                               text=True, check=True).stdout
        pid = json.loads(state)["pid"]
        with open(f"/proc/{pid}/mountinfo") as f:
            return len(f.read().splitlines())

    [first] = stratus.run("busybox")
    before = host_mounts()
    assert [l.split()[4] for l in before] == [stratus.mount_ns], before
    launched = stratus.run("busybox", count=20)
    assert all(i["State"]["Name"] == "running" for i in launched)
    assert host_mounts() == before, "instance mounts showed up on the host"
    assert len(daemon_netns()) == 21, "the instances' namespaces are named in the daemon's mount namespace"
    assert {container_mounts(i["InstanceId"]) for i in launched} == {container_mounts(first["InstanceId"])}
    for i in launched + [first]:
        stratus.action(i["InstanceId"], "terminate", wait=False)
    for i in launched + [first]:
        assert stratus.action(i["InstanceId"], "terminate")["State"]["Name"] == "terminated"
    assert host_mounts() == before
    assert daemon_netns() == []


def test_bad_input_is_refused_and_changes_nothing(stratus):
    [i] = stratus.run("busybox")
    before = stratus.instances()
    cases = [
        ({"ImageId": "ami-00000000000000000"}, 404, "InvalidAMIID.NotFound", "does not exist"),
        ({"ImageId": "no-such-image"}, 404, "InvalidAMIID.NotFound", "no-such-image"),
        ({"ImageId": "busybox", "InstanceType": "z9.huge"}, 400, "InvalidParameterValue", "z9.huge"),
        ({"ImageId": "busybox", "Count": 1000}, 400, "InstanceLimitExceeded", "limit"),
        ({"ImageId": "busybox", "Count": 0}, 400, "InvalidParameterValue", "count"),
        ({"ImageId": "busybox", "UserData": b64(b"x" * (16 * 1024 + 1))}, 400, "InvalidParameterValue", "16 KiB"),
        ({"ImageId": "busybox", "UserData": "not base64!"}, 400, "InvalidParameterValue", "base64"),
        ({"ImageId": "busybox", "Count": "three"}, 400, "InvalidParameterValue", "Count"),
        ({}, 400, "MissingParameter", "ImageId"),
    ]
    for body, status, code, words in cases:
        with pytest.raises(ApiError) as e:
            stratus.request("POST", "/v1/instances", body)
        assert (e.value.status, e.value.code) == (status, code), body
        assert words.lower() in e.value.message.lower(), e.value.message
    with pytest.raises(ApiError) as e:
        stratus.request("GET", "/v1/instances/i-0123456789abcdef0")
    assert e.value.status == 404 and e.value.code == "InvalidInstanceID.NotFound"
    # A malformed body.
    import urllib.request
    req = urllib.request.Request(stratus.endpoint + "/v1/instances", data=b"{not json", method="POST")
    req.add_header("Authorization", "Bearer " + stratus.token)
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("malformed body accepted")
    except urllib.error.HTTPError as err:
        assert err.code == 400
    # Stopping a terminated instance.
    stratus.action(i["InstanceId"], "terminate")
    with pytest.raises(ApiError) as e:
        stratus.action(i["InstanceId"], "stop")
    assert e.value.status == 409 and e.value.code == "IncorrectInstanceState" and "terminated" in e.value.message
    # The CLI prints the API's words and exits non-zero.
    r = stratus.cli("run", "no-such-image", check=False)
    assert r.returncode == 1 and "image no-such-image does not exist" in r.stderr
    r = stratus.cli("instance", "stop", i["InstanceId"], check=False)
    assert r.returncode == 1 and "terminated" in r.stderr
    r = stratus.cli("run", "busybox", "--type", "z9.huge", check=False)
    assert r.returncode == 1 and "z9.huge" in r.stderr
    after = stratus.instances()
    assert [x["InstanceId"] for x in after] == [x["InstanceId"] for x in before]
    assert len(after) == len(before)
