"""Upgrades: a newer stratusd takes over a running installation. The store of the previous release (a fixture)
opens; instances keep running untouched; stratus-lb is replaced by the new one under load (listening sockets
handed over) with no failed request; an older stratusd refuses a newer store; a migration killed half-way
leaves a store that opens.

The installation runs from a copy of the binaries in a directory of its own, and the upgrade replaces those
files by rename as dpkg does (the running processes keep the old, now deleted, files). This build is the only
one at hand, so the "new" binaries are the same code as the "old": what is tested is the take-over itself."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

from stratus_harness import BIN, Stratus, http_get, wrk

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "store-schema-1.json")
PROGRAMS = ("stratusd", "stratus-lb", "stratus-init", "stratus-demo-web", "stratus-console-relay")


def write_fixture_store(s):
    """The previous release's store, with this test's installation name and VPC."""
    with open(FIXTURE) as f:
        fx = json.load(f)
    net = s.cidr.rsplit(".", 2)[0]

    def fill(v):
        return json.dumps(v).replace("@NAME@", s.name).replace("@NET@", net).encode()

    db = sqlite3.connect(os.path.join(s.state_dir, "stratus.db"))
    for ddl in fx["ddl"]:
        db.execute(ddl)
    db.execute("INSERT INTO meta (name, value) VALUES ('revision', ?)", (fx["revision"],))
    db.executemany("INSERT INTO kv (key, value, revision) VALUES (?, ?, ?)",
                   [(k, fill(v), rev) for k, v, rev in fx["kv"]])
    db.execute(f"PRAGMA user_version={fx['user_version']}")
    db.execute(f"PRAGMA application_id={fx['application_id']}")
    db.commit()
    db.close()
    return fx


def install_programs(dest):
    """Copies the programs into `dest` through a temporary name and a rename, as dpkg replaces files."""
    os.makedirs(dest, exist_ok=True)
    for p in PROGRAMS:
        shutil.copy2(os.path.join(BIN, p), os.path.join(dest, p + ".new"))
        os.replace(os.path.join(dest, p + ".new"), os.path.join(dest, p))


def instance_pids(s):
    """Instance id -> the pid of its init process, as runc reports them for daemon `s`."""
    out = subprocess.run(["runc", "--root", f"/run/{s.name}/runc", "list", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return {c["id"]: c["pid"] for c in json.loads(out or "[]") or [] if c["status"] == "running"}


def lb_pid(s):
    with open(os.path.join(s.state_dir, "lb.sock.pid")) as f:
        return int(f.read())


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_upgrade_under_load_fails_no_request_and_leaves_instances_alone(tmp_path):
    s = Stratus("upgrade")
    s.bin_dir = str(tmp_path / "lib")
    install_programs(s.bin_dir)
    try:
        fx = write_fixture_store(s)
        s.start()
        vpc = s.request("GET", "/v1/vpcs")["Vpcs"][0]
        assert vpc["VpcId"] == fx["kv"][1][1]["VpcId"], vpc  # the old store's records are read as they are

        instances = s.run("demo-web", count=2)
        ids = {i["InstanceId"] for i in instances}
        s.request("POST", "/v1/target-groups", {"Name": "web", "Port": 80, "HealthCheckPath": "/healthz",
                                                "HealthCheckIntervalSeconds": 1, "HealthCheckTimeoutSeconds": 1,
                                                "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2})
        s.request("POST", "/v1/load-balancers", {"Name": "front"})
        port = s.port + 500
        s.request("POST", "/v1/load-balancers/front/listeners", {"Port": port, "TargetGroup": "web"})
        s.request("POST", "/v1/target-groups/web/register", {"Targets": [{"Id": i} for i in ids]})
        deadline = time.time() + 30
        while True:
            health = s.request("GET", "/v1/target-groups/web/health")["TargetHealthDescriptions"]
            if len(health) == 2 and all(h["TargetHealth"]["State"] == "healthy" for h in health):
                break
            assert time.time() < deadline, health
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/"
        assert http_get(url)[0] == 200
        pids_before = instance_pids(s)
        assert set(pids_before) == ids, pids_before
        old_lb = lb_pid(s)

        result = {}
        load = threading.Thread(target=lambda: result.update(zip(("requests", "non2xx", "errors", "out"),
                                                                 wrk(url, seconds=8))))
        load.start()
        time.sleep(2)
        upgrade_started = time.time()
        s.stop()  # systemctl stop: stratusd only (KillMode=process)
        install_programs(s.bin_dir)  # the package's new files
        s.start()
        deadline = time.time() + 30
        while lb_pid(s) == old_lb or alive(old_lb):
            assert time.time() < deadline, f"stratus-lb not replaced:\n{s.log()}"
            time.sleep(0.1)
        upgrade_s = time.time() - upgrade_started
        load.join()
        print(f"\nupgrade under load: {result['requests']} requests, {result['non2xx']} non-2xx, "
              f"{result['errors']} socket errors; stratusd and stratus-lb replaced in {upgrade_s:.1f} s")
        assert result["non2xx"] == 0 and result["errors"] == 0 and result["requests"] > 100, result["out"]

        # The new stratus-lb is the new file; the old one drained and exited.
        new_lb = lb_pid(s)
        assert os.path.samefile(f"/proc/{new_lb}/exe", os.path.join(s.bin_dir, "stratus-lb"))
        assert not alive(old_lb)
        # Instances: the same processes, still running, still serving through the new load balancer.
        assert instance_pids(s) == pids_before
        assert {i["InstanceId"] for i in s.instances() if i["State"]["Name"] == "running"} == ids
        seen = {http_get(url)[1].split()[-1] for _ in range(8)}
        assert seen == ids, seen
        # The new stratusd drives the new stratus-lb: a deregistration takes effect.
        gone = sorted(ids)[0]
        s.request("POST", "/v1/target-groups/web/deregister", {"Targets": [{"Id": gone}]})
        deadline = time.time() + 30
        while gone in {http_get(url)[1].split()[-1] for _ in range(4)}:
            assert time.time() < deadline, "deregistration after the upgrade never took effect"
            time.sleep(0.2)
    finally:
        s.uninstall()


def test_an_older_stratusd_refuses_a_newer_store_and_leaves_it_as_it_is():
    s = Stratus("newer-store")
    try:
        write_fixture_store(s)
        db_path = os.path.join(s.state_dir, "stratus.db")
        db = sqlite3.connect(db_path)
        db.execute("PRAGMA user_version=99")  # what a later release's migrations leave
        db.commit()
        before = db.execute("SELECT key, value, revision FROM kv ORDER BY key").fetchall()
        db.close()
        r = subprocess.run(s.args(), capture_output=True, text=True, timeout=60)
        assert r.returncode == 3, (r.returncode, r.stderr)
        assert "schema version 99, newer than this stratusd supports" in r.stderr, r.stderr
        db = sqlite3.connect(db_path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == 99
        assert db.execute("SELECT key, value, revision FROM kv ORDER BY key").fetchall() == before
        db.close()
    finally:
        # the refused stratusd had already pinned its mount namespace (the pin outlives a daemon by design)
        subprocess.run(["umount", s.mount_ns], check=False, capture_output=True)
        shutil.rmtree(s.state_dir, ignore_errors=True)


def test_a_migration_killed_half_way_leaves_a_store_that_opens():
    """stratusd migrates in one transaction (BEGIN IMMEDIATE .. COMMIT). A process killed in the middle of the same
    kind of transaction - new table written, version bumped, no commit - leaves the previous version, which opens."""
    s = Stratus("killed-migration")
    try:
        write_fixture_store(s)
        db_path = os.path.join(s.state_dir, "stratus.db")
        db = sqlite3.connect(db_path)
        db.execute("PRAGMA journal_mode=WAL")  # as stratusd keeps the file
        db.close()
        half = subprocess.Popen(["sqlite3", db_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        half.stdin.write("BEGIN IMMEDIATE;\nCREATE TABLE later (x BLOB);\n"
                         "INSERT INTO later VALUES (zeroblob(1000000));\nPRAGMA user_version=2;\n"
                         "SELECT 'written';\n")
        half.stdin.flush()
        assert half.stdout.readline().strip() == "written"
        half.send_signal(signal.SIGKILL)
        half.wait()
        s.start()
        assert s.request("GET", "/v1/vpcs")["Vpcs"][0]["CidrBlock"] == s.cidr
        s.stop()
        db = sqlite3.connect(db_path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'later'").fetchone()[0] == 0
        db.close()
    finally:
        s.uninstall()
