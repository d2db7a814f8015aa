"""Running an installation for months: backups taken while it runs, restore and reconcile, a restore of another
installation refused unless forced, `stratus admin df`, and an instance's console capped on disk."""
import base64
import json
import os
import sqlite3
import subprocess
import threading
import time

from stratus_harness import ApiError, Stratus


def store_keys(path, prefix):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {k[len(prefix):] for (k,) in db.execute("SELECT key FROM kv WHERE key >= ? AND key < ?",
                                                         (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)))}
    finally:
        db.close()


def runc_pids(s):
    out = subprocess.run(["runc", "--root", f"/run/{s.name}/runc", "list", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return {c["id"]: c["pid"] for c in json.loads(out or "[]") or [] if c["status"] == "running"}


def admin_restore(s, backup, *extra, name=None):
    return s.cli("admin", "restore", backup, "--config", "/nonexistent", "--state-dir", s.state_dir,
                 "--name", name or s.name, *extra, check=False)


def test_backup_while_launching_then_restore_reconciles_to_the_backed_up_instances(stratus, tmp_path):
    s = stratus
    first = {i["InstanceId"] for i in s.run("demo-web", count=2)}
    backup = str(tmp_path / "stratus.backup")
    launched = {}
    launching = threading.Thread(target=lambda: launched.update(
        ids={i["InstanceId"] for i in s.run("demo-web", count=2)}))
    launching.start()
    r = s.cli("admin", "backup", backup)  # while the two launch
    launching.join()
    assert f"backed up installation {s.name}" in r.stdout, r.stdout
    in_backup = store_keys(backup, "instances/")
    assert first <= in_backup <= first | launched["ids"], (first, in_backup, launched)
    # The copy is a self-contained SQLite file (no -wal beside it) that passes its integrity check.
    db = sqlite3.connect(backup)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    after_backup = launched["ids"] - in_backup

    # A launch after the backup, then the store is lost.
    later = {i["InstanceId"] for i in s.run("demo-web", count=1)}
    pids = runc_pids(s)
    refused = admin_restore(s, backup)
    assert refused.returncode == 1 and "stop it first" in refused.stderr, refused.stderr  # stratusd runs
    s.stop()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(os.path.join(s.state_dir, "stratus.db" + suffix)):
            os.remove(os.path.join(s.state_dir, "stratus.db" + suffix))
    r = admin_restore(s, backup)
    assert r.returncode == 0, r.stderr
    assert f"{len(in_backup)} instance(s)" in r.stdout, r.stdout
    s.start()

    # Reconciled: exactly the backed-up instances; those already running were not touched; those launched after
    # the backup no longer run on the host.
    listed = {i["InstanceId"] for i in s.instances() if i["State"]["Name"] != "terminated"}
    assert listed == in_backup, (listed, in_backup)
    for i in first:
        assert runc_pids(s).get(i) == pids[i], i
    gone = later | after_backup
    assert not gone & set(runc_pids(s)), (gone, runc_pids(s))


def test_a_backup_of_another_installation_is_refused_unless_forced(stratus, tmp_path):
    s = stratus
    backup = str(tmp_path / "mine.backup")
    s.cli("admin", "backup", backup)
    s.stop()
    db = os.path.join(s.state_dir, "stratus.db")
    with open(db, "rb") as f:
        before = f.read()
    r = admin_restore(s, backup, name="other")
    assert r.returncode == 1, r.stdout
    assert f"is of the installation named {s.name}, not other" in r.stderr and "--force" in r.stderr, r.stderr
    with open(db, "rb") as f:
        assert f.read() == before  # nothing changed
    assert not os.path.exists(db + ".restoring") and not os.path.exists(db + ".before-restore")
    r = admin_restore(s, backup, "--force", name="other")
    assert r.returncode == 0, r.stderr
    restored = sqlite3.connect(db)
    (name,) = restored.execute("SELECT value FROM kv WHERE key = 'installation'").fetchone()
    restored.close()
    assert b'"other"' in bytes(name)
    assert os.path.exists(db + ".before-restore")
    # Not a backup at all.
    junk = str(tmp_path / "junk")
    with open(junk, "w") as f:
        f.write("not a database\n" * 100)
    r = admin_restore(s, junk, name="other")
    assert r.returncode == 1 and "not a SQLite database" in r.stderr, r.stderr
    # Put the installation's own store back for the fixture's uninstall.
    assert admin_restore(s, backup, "--force").returncode == 0


def test_admin_df_shows_what_uses_the_state_dir(stratus):
    stratus.run("demo-web")
    r = stratus.cli("admin", "df")
    lines = {l.split()[0]: l for l in r.stdout.splitlines()}
    for kind in ("store", "images", "instances", "metrics", "logs", "other", "total"):
        assert kind in lines, r.stdout
    usage = {u["Kind"]: u["Bytes"] for u in stratus.request("GET", "/v1/admin/df")["Usage"]}
    assert usage["store"] > 0 and usage["images"] > 0 and usage["instances"] > 0, usage


def test_an_instance_printing_100_mib_keeps_at_most_the_cap_on_disk():
    cap = 256 * 1024
    s = Stratus("console-cap", extra_args=["--console-log-cap", str(cap)])
    try:
        s.start()
        script = b"#!/bin/sh\nhead -c 104857600 /dev/zero | tr '\\0' x\necho\necho console-done\n"
        [i] = s.run("busybox", UserData=base64.b64encode(script).decode())
        log = os.path.join(s.state_dir, "instances", i["InstanceId"], "console.log")
        deadline = time.time() + 180
        while "console-done" not in s.request("GET", f"/v1/instances/{i['InstanceId']}/console").get("Output", ""):
            assert time.time() < deadline, "the 100 MiB never went through"
            time.sleep(0.5)
        on_disk = sum(os.path.getsize(p) for p in (log, log + ".1") if os.path.exists(p))
        print(f"\nconsole: 100 MiB printed, {on_disk} bytes on disk (cap {cap})")
        assert 0 < on_disk <= cap, on_disk
        output = s.request("GET", f"/v1/instances/{i['InstanceId']}/console")["Output"]
        assert len(output) <= 64 * 1024 and "console-done" in output[-200:], output[-200:]
        assert os.path.exists(log + ".1")  # rotated, not truncated in place
    finally:
        s.uninstall()
