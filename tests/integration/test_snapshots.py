"""Snapshots and volumes made from them, through boto3 and the aws CLI: a file written in instance A is in a snapshot
taken while A runs, moves with the volume to B, and is in a new volume made from the snapshot in C at once (a
reflink clone: nothing to hydrate); the waiters volume_available, volume_in_use and snapshot_completed; AWS's
refusal codes; and kill -9 of stratusd in the middle of attaches and snapshots leaves every volume and snapshot in
a state the API reports truthfully."""
import json
import os
import subprocess
import threading
import time

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from test_volumes import inside, loop_devices, volume_files  # noqa: E402

AWS = "/usr/bin/aws"


def ec2_client(s):
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(s.state_dir, "credentials")
    session = boto3.Session(profile_name="stratus", region_name="local")
    return session.client("ec2", endpoint_url=s.endpoint, config=Config(retries={"max_attempts": 1}))


def aws(s, *args):
    env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=os.path.join(s.state_dir, "credentials"), AWS_PAGER="",
               AWS_CONFIG_FILE="/dev/null")
    r = subprocess.run([AWS, "--profile", "stratus", "--endpoint-url", s.endpoint, "--region", "local", "--output",
                        "json", *args], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (args, r.stderr)
    return json.loads(r.stdout) if r.stdout.strip() else {}


def fast(_waiter):
    return {"WaiterConfig": {"Delay": 1, "MaxAttempts": 60}}


def refused(code, fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    assert e.value.response["Error"]["Code"] == code, e.value.response


def snapshot_files(s):
    r = s.in_mount_ns("ls", os.path.join(s.state_dir, "volumes", "snapshots"))
    return sorted(r.stdout.split()) if r.returncode == 0 else []


def test_a_snapshot_story_through_boto3_and_the_aws_cli(stratus):
    ec2 = ec2_client(stratus)
    zone = stratus.request("GET", "/v1/subnets")["Subnets"][0]
    a, b, c = [i["InstanceId"] for i in stratus.run("busybox", count=3, SubnetId=zone["SubnetId"])]
    zone = zone["AvailabilityZone"]

    vid = aws(stratus, "ec2", "create-volume", "--size", "1", "--availability-zone", zone)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[vid], **fast("volume_available"))
    ec2.attach_volume(VolumeId=vid, InstanceId=a, Device="/dev/sdf")
    ec2.get_waiter("volume_in_use").wait(VolumeIds=[vid], **fast("volume_in_use"))
    inside(stratus, a, "echo written-in-A > /mnt/sdf/hello && sync")

    snap = aws(stratus, "ec2", "create-snapshot", "--volume-id", vid, "--description", "with hello",
               "--tag-specifications", "ResourceType=snapshot,Tags=[{Key=step,Value=one}]")
    sid = snap["SnapshotId"]
    assert snap["VolumeId"] == vid and snap["VolumeSize"] == 1
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], **fast("snapshot_completed"))
    aws(stratus, "ec2", "wait", "snapshot-completed", "--snapshot-ids", sid)
    [desc] = ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "volume-id", "Values": [vid]}])["Snapshots"]
    assert desc["State"] == "completed" and desc["Progress"] == "100%" and desc["Description"] == "with hello"
    assert desc["Tags"] == [{"Key": "step", "Value": "one"}]
    # Written after the snapshot: in the volume, not in the snapshot.
    inside(stratus, a, "echo after > /mnt/sdf/later && sync")

    # The volume moves to B with its data.
    ec2.detach_volume(VolumeId=vid)
    ec2.get_waiter("volume_available").wait(VolumeIds=[vid], **fast("volume_available"))
    ec2.attach_volume(VolumeId=vid, InstanceId=b, Device="/dev/sdg")
    ec2.get_waiter("volume_in_use").wait(VolumeIds=[vid], **fast("volume_in_use"))
    assert inside(stratus, b, "cat /mnt/sdg/hello").stdout == "written-in-A\n"

    # A volume from the snapshot, larger than it, in C: usable at once, with the snapshot's data only.
    restored = ec2.create_volume(SnapshotId=sid, AvailabilityZone=zone, Size=2)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[restored], **fast("volume_available"))
    [rv] = ec2.describe_volumes(VolumeIds=[restored])["Volumes"]
    assert rv["SnapshotId"] == sid and rv["Size"] == 2
    aws(stratus, "ec2", "attach-volume", "--volume-id", restored, "--instance-id", c, "--device", "/dev/xvdf")
    aws(stratus, "ec2", "wait", "volume-in-use", "--volume-ids", restored)
    assert inside(stratus, c, "cat /mnt/xvdf/hello").stdout == "written-in-A\n"
    assert inside(stratus, c, "test -e /mnt/xvdf/later", check=False).returncode != 0
    # Its filesystem has the volume's size, not the snapshot's.
    assert int(inside(stratus, c, "df -k /mnt/xvdf | tail -1").stdout.split()[1]) > 1800 * 1024
    # Clones are independent: C's writes are not in B's volume, and the other way round.
    inside(stratus, c, "echo only-in-C > /mnt/xvdf/c && sync")
    assert inside(stratus, b, "test -e /mnt/sdg/c", check=False).returncode != 0
    assert inside(stratus, b, "cat /mnt/sdg/later").stdout == "after\n"

    # A copy, then deleting the source while a volume made from it is in use: nothing of that volume is lost.
    copy = ec2.copy_snapshot(SourceSnapshotId=sid, SourceRegion="local", Description="copy")["SnapshotId"]
    ec2.delete_snapshot(SnapshotId=sid)
    refused("InvalidSnapshot.NotFound", ec2.describe_snapshots, SnapshotIds=[sid])
    assert inside(stratus, c, "cat /mnt/xvdf/hello /mnt/xvdf/c").stdout == "written-in-A\nonly-in-C\n"
    from_copy = ec2.create_volume(SnapshotId=copy, AvailabilityZone=zone)["VolumeId"]
    assert ec2.describe_volumes(VolumeIds=[from_copy])["Volumes"][0]["Size"] == 1

    # Refusals in AWS's codes, changing nothing.
    refused("InvalidVolume.NotFound", ec2.create_snapshot, VolumeId="vol-0123456789abcdef0")
    refused("InvalidSnapshot.NotFound", ec2.delete_snapshot, SnapshotId="snap-0123456789abcdef0")
    refused("InvalidSnapshot.NotFound", ec2.create_volume, SnapshotId="snap-0123456789abcdef0", AvailabilityZone=zone)
    assert [s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]] == [copy]

    # Everything goes, and nothing is left in the pool.
    for v, i in ((vid, b), (restored, c)):
        ec2.detach_volume(VolumeId=v, InstanceId=i)
    for v in (vid, restored, from_copy):
        ec2.get_waiter("volume_available").wait(VolumeIds=[v], **fast("volume_available"))
        ec2.delete_volume(VolumeId=v)
    ec2.delete_snapshot(SnapshotId=copy)
    assert volume_files(stratus) == [] and snapshot_files(stratus) == []
    assert loop_devices(stratus) == []


def settled(s):
    """Every volume and snapshot in a state that is final and true to the host."""
    volumes = s.request("GET", "/v1/volumes")["Volumes"]
    snapshots = s.request("GET", "/v1/snapshots")["Snapshots"]
    files = volume_files(s)
    for v in volumes:
        assert v["State"] in ("available", "in-use"), v
        assert v["VolumeId"] + ".img" in files, (v, files)
        for att in v["Attachments"]:
            assert att["State"] == "attached", v
    assert sorted(v["VolumeId"] + ".img" for v in volumes) == files
    assert all(sn["State"] == "completed" for sn in snapshots), snapshots
    assert sorted(sn["SnapshotId"] + ".img" for sn in snapshots) == snapshot_files(s)
    return volumes, snapshots


def test_kill_9_in_the_middle_of_attaches_and_snapshots(stratus):
    [i] = stratus.run("busybox")
    iid = i["InstanceId"]
    vid = stratus.request("POST", "/v1/volumes", {"Size": 1})["Volume"]["VolumeId"]
    # kill -9 at growing delays after the call went out: early ones land before or during the call, later ones
    # after it. Whatever the moment, the restarted daemon reports each volume and snapshot as it is on the host.
    for n, delay in enumerate((0.0, 0.01, 0.03, 0.08, 0.2)):
        attached = any(v["Attachments"] for v in stratus.request("GET", "/v1/volumes")["Volumes"])
        if attached:
            call = ("POST", f"/v1/volumes/{vid}/detach", {})
        else:
            call = ("POST", f"/v1/volumes/{vid}/attach", {"InstanceId": iid, "Device": "/dev/sdf"})
        snap_call = ("POST", "/v1/snapshots", {"VolumeId": vid, "Description": f"crash {n}"})
        for method, path, body in (call, snap_call):
            t = threading.Thread(target=_ignore, args=(stratus.request, method, path, body), kwargs={"timeout": 20})
            t.start()
            time.sleep(delay)
            stratus.kill9()
            t.join()
            stratus.start()
            volumes, _ = settled(stratus)
            [v] = volumes
            mounted = "/mnt/sdf" in inside(stratus, iid, "cat /proc/mounts").stdout
            assert mounted == (v["State"] == "in-use"), (v, mounted)
    # The volume still works wherever it ended up: attached, then written and read back.
    v = stratus.request("GET", f"/v1/volumes/{vid}")["Volume"]
    if v["State"] == "available":
        stratus.request("POST", f"/v1/volumes/{vid}/attach", {"InstanceId": iid, "Device": "/dev/sdf"})
    inside(stratus, iid, "echo fine > /mnt/sdf/f && sync && cat /mnt/sdf/f")
    # A volume from any snapshot that survived is whole.
    for sn in stratus.request("GET", "/v1/snapshots")["Snapshots"]:
        r = stratus.request("POST", "/v1/volumes", {"SnapshotId": sn["SnapshotId"]})["Volume"]
        assert r["State"] == "available"
        stratus.request("DELETE", f"/v1/volumes/{r['VolumeId']}")


def _ignore(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception:  # the daemon died under the call: what it did is what the restart must report
        pass
