"""Volumes: a filesystem of their own that outlives an instance, attached to running instances without a restart,
with its size enforced, grown online, refused attaches changing nothing, and no loop device, mount or file left."""
import json
import os
import subprocess
import time

import pytest

from stratus_harness import ApiError, host_leftovers


def init_pid(s, iid):
    out = subprocess.run(["runc", "--root", f"/run/{s.name}/runc", "state", iid], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)["pid"]


def inside(s, iid, script, check=True):
    """Runs a shell script inside the instance (its mount and pid namespaces, its busybox sh)."""
    r = subprocess.run(["nsenter", "-t", str(init_pid(s, iid)), "-m", "-p", "sh", "-c", script], capture_output=True,
                       text=True, timeout=120)
    if check:
        assert r.returncode == 0, (script, r.stdout, r.stderr)
    return r


def loop_devices(s):
    """Loop devices of this daemon's volumes (the volume pool's own is not one)."""
    out = subprocess.run(["losetup", "-l", "-n", "-O", "NAME,BACK-FILE"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if s.state_dir in l and "volume-pool" not in l]


def volume_files(s):
    """The volume files in the volume pool, which is mounted in the daemon's mount namespace only."""
    r = s.in_mount_ns("ls", os.path.join(s.state_dir, "volumes"))
    return sorted(f for f in r.stdout.split() if f.endswith(".img")) if r.returncode == 0 else []


def volume_file_size(s, vid):
    r = s.in_mount_ns("stat", "-c", "%s", os.path.join(s.state_dir, "volumes", vid + ".img"))
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


def subnet_in(s, zone):
    return next(sn["SubnetId"] for sn in s.request("GET", "/v1/subnets")["Subnets"] if sn["AvailabilityZone"] == zone)


def create(s, size=1, zone=None):
    body = {"Size": size}
    if zone:
        body["AvailabilityZone"] = zone
    return s.request("POST", "/v1/volumes", body)["Volume"]


def attach(s, vid, iid, device):
    return s.request("POST", f"/v1/volumes/{vid}/attach", {"InstanceId": iid, "Device": device})["Volume"]


def detach(s, vid, force=False):
    return s.request("POST", f"/v1/volumes/{vid}/detach", {"Force": force})["Volume"]


def volume(s, vid):
    return s.request("GET", f"/v1/volumes/{vid}")["Volume"]


def expect_refused(code, fn, *args):
    with pytest.raises(ApiError) as e:
        fn(*args)
    assert e.value.code == code, e.value


def test_data_moves_with_the_volume_between_running_instances(stratus):
    zone = stratus.request("GET", "/v1/subnets")["Subnets"][0]["AvailabilityZone"]
    other_zone = stratus.request("GET", "/v1/subnets")["Subnets"][1]["AvailabilityZone"]
    a, b = stratus.run("busybox", count=2, SubnetId=subnet_in(stratus, zone))
    [far] = stratus.run("busybox", SubnetId=subnet_in(stratus, other_zone))
    a, b, far = a["InstanceId"], b["InstanceId"], far["InstanceId"]
    vid = stratus.cli("volume", "create", "--size", "1", "--zone", zone, "-o", "json").stdout
    vid = json.loads(vid)["Volume"]["VolumeId"]
    assert volume(stratus, vid)["State"] == "available"

    att = attach(stratus, vid, a, "/dev/sdf")
    assert att["State"] == "in-use" and att["Attachments"][0]["State"] == "attached"
    # Mounted inside A at once, as its own XFS filesystem of the volume's size; A was not restarted.
    mounts = inside(stratus, a, "cat /proc/mounts").stdout
    assert any(l.split()[1] == "/mnt/sdf" and l.split()[2] == "xfs" for l in mounts.splitlines()), mounts
    size_kib = int(inside(stratus, a, "df -k /mnt/sdf | tail -1").stdout.split()[1])
    assert 900 * 1024 < size_kib <= 1024 * 1024
    inside(stratus, a, "echo written-in-A > /mnt/sdf/hello && sync")
    md = stratus.in_instance_netns(a, "curl", "-s", "-m", "5", "http://169.254.169.254/latest/meta-data/block-device-mapping/ebs1")
    assert md.stdout == "sdf"
    # The host's mount table never holds the volume.
    with open("/proc/mounts") as f:
        assert not [l for l in f if "/mnt/sdf" in l]

    # Refusals change nothing: in use, deleting it, another zone, a device A already uses.
    before = volume(stratus, vid)
    expect_refused("VolumeInUse", attach, stratus, vid, b, "/dev/sdf")
    expect_refused("VolumeInUse", stratus.request, "DELETE", f"/v1/volumes/{vid}")
    far_vol = create(stratus, zone=zone)["VolumeId"]
    expect_refused("InvalidVolume.ZoneMismatch", attach, stratus, far_vol, far, "/dev/sdf")
    expect_refused("InvalidParameterValue", attach, stratus, far_vol, a, "/dev/sdf")
    expect_refused("InvalidParameterValue", attach, stratus, far_vol, a, "/dev/sda")
    assert volume(stratus, vid) == before
    assert volume(stratus, far_vol)["State"] == "available"
    assert inside(stratus, a, "cat /mnt/sdf/hello").stdout == "written-in-A\n"

    # Busy: a process in A works in the volume; detach refuses (and changes nothing) until it is gone. nsenter
    # without -p execs the shell, which execs sleep: the Popen's pid is the sleeping process itself.
    busy = subprocess.Popen(["nsenter", "-t", str(init_pid(stratus, a)), "-m", "sh", "-c", "cd /mnt/sdf && exec sleep 60"])
    try:
        deadline = time.time() + 10
        while not os.path.exists(f"/proc/{busy.pid}/cwd") or "/mnt/sdf" not in os.readlink(f"/proc/{busy.pid}/cwd"):
            assert time.time() < deadline
            time.sleep(0.05)
        expect_refused("VolumeInUse", detach, stratus, vid)
        assert volume(stratus, vid) == before
    finally:
        busy.kill()
        busy.wait()
    detached = detach(stratus, vid)
    assert detached["State"] == "available"
    assert inside(stratus, a, "test -e /mnt/sdf/hello", check=False).returncode != 0
    assert loop_devices(stratus) == []

    attach(stratus, vid, b, "/dev/xvdg")
    assert inside(stratus, b, "cat /mnt/xvdg/hello").stdout == "written-in-A\n"
    detach(stratus, vid)
    for v in (vid, far_vol):
        stratus.request("DELETE", f"/v1/volumes/{v}")
    assert volume_files(stratus) == []
    assert loop_devices(stratus) == []


def test_a_full_volume_says_enospc_inside(stratus):
    [i] = stratus.run("busybox")
    iid = i["InstanceId"]
    vid = create(stratus)["VolumeId"]
    other = create(stratus)["VolumeId"]
    attach(stratus, vid, iid, "/dev/sdf")
    attach(stratus, other, iid, "/dev/sdg")
    inside(stratus, iid, "echo keep > /mnt/sdg/keep && sync")
    r = inside(stratus, iid, "dd if=/dev/zero of=/mnt/sdf/fill bs=1M count=2048 2>&1; sync", check=False)
    assert "No space left on device" in r.stdout + r.stderr, r
    # Nothing else was harmed: the instance's root, the other volume, and the file on the host has its size.
    inside(stratus, iid, "echo fine > /root/after && cat /mnt/sdg/keep")
    assert inside(stratus, iid, "cat /mnt/sdg/keep").stdout == "keep\n"
    assert volume_file_size(stratus, vid) == 1024 ** 3


def test_a_volume_grows_online(stratus):
    [i] = stratus.run("busybox")
    iid = i["InstanceId"]
    vid = create(stratus)["VolumeId"]
    attach(stratus, vid, iid, "/dev/sdf")
    before = int(inside(stratus, iid, "df -k /mnt/sdf | tail -1").stdout.split()[1])
    mod = stratus.request("PATCH", f"/v1/volumes/{vid}", {"Size": 2})
    assert mod["Volume"]["Size"] == 2 and mod["VolumeModification"]["ModificationState"] == "completed"
    after = int(inside(stratus, iid, "df -k /mnt/sdf | tail -1").stdout.split()[1])
    assert after > before + 900 * 1024, (before, after)
    assert volume_file_size(stratus, vid) == 2 * 1024 ** 3
    inside(stratus, iid, "dd if=/dev/zero of=/mnt/sdf/more bs=1M count=200 && sync")
    # Shrinking is refused and changes nothing.
    expect_refused("InvalidParameterValue", stratus.request, "PATCH", f"/v1/volumes/{vid}", {"Size": 1})
    assert volume(stratus, vid)["Size"] == 2


def test_volumes_follow_their_instance_through_stop_start_and_terminate(stratus):
    [i] = stratus.run("busybox")
    iid = i["InstanceId"]
    vid = create(stratus)["VolumeId"]
    attach(stratus, vid, iid, "/dev/sdf")
    inside(stratus, iid, "echo before-stop > /mnt/sdf/f")
    assert stratus.action(iid, "stop")["State"]["Name"] == "stopped"
    assert loop_devices(stratus) == []  # the instance's namespace went, and with it the mount and the loop device
    assert volume(stratus, vid)["Attachments"][0]["State"] == "attached"
    assert stratus.action(iid, "start")["State"]["Name"] == "running"
    deadline = time.time() + 20
    while inside(stratus, iid, "cat /mnt/sdf/f", check=False).stdout != "before-stop\n" and time.time() < deadline:
        time.sleep(0.2)
    assert inside(stratus, iid, "cat /mnt/sdf/f").stdout == "before-stop\n"
    stratus.action(iid, "terminate")
    deadline = time.time() + 20
    while volume(stratus, vid)["State"] != "available" and time.time() < deadline:
        time.sleep(0.2)
    assert volume(stratus, vid)["State"] == "available"
    assert loop_devices(stratus) == []


def test_create_attach_detach_delete_cycles_leave_nothing_behind(stratus):
    [i] = stratus.run("busybox")
    iid = i["InstanceId"]
    for n in range(200):
        vid = create(stratus)["VolumeId"]
        attach(stratus, vid, iid, "/dev/sdf")
        if n % 50 == 0:
            inside(stratus, iid, f"echo {n} > /mnt/sdf/n && cat /mnt/sdf/n")
        detach(stratus, vid)
        stratus.request("DELETE", f"/v1/volumes/{vid}")
    assert stratus.request("GET", "/v1/volumes")["Volumes"] == []
    assert volume_files(stratus) == []
    assert loop_devices(stratus) == []
    assert "/mnt/sdf" not in inside(stratus, iid, "cat /proc/mounts").stdout
    stratus.action(iid, "terminate")
    # The kernel destroys a deleted namespace (and the veth in it) asynchronously: allow it a moment.
    deadline = time.time() + 15
    while host_leftovers(stratus) and time.time() < deadline:
        time.sleep(0.2)
    assert host_leftovers(stratus) == []
