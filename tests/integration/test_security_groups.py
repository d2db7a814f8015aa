"""Security groups enforced on the instances' traffic (docs/network.md): the three-tier matrix, a revoke that stops
new connections at once, groups changed on a running instance, a crash between a rule's store write and its
nftables transaction, and what a terminate leaves. Traffic only between the daemon's instances' namespaces."""
import json
import re
import signal
import subprocess

import pytest

from conftest import ApiError, Stratus

WEB, DB = 80, 5432

# Listens on both ports in the instance's namespace until killed; accepts and closes.
SERVER = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in (80, 5432):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64); sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select(timeout=60):
        c, _ = key.fileobj.accept(); c.close()
"""

# Connects to every (ip, port) of argv[1] at once; prints {"ip:port": true|false}. A dropped SYN never answers:
# 1.5 s is ample between namespaces of one host, an allowed connection completes at once.
PROBE = r"""
import json, socket, sys, threading
out = {}
def probe(ip, port):
    try:
        socket.create_connection((ip, port), timeout=1.5).close(); out[f"{ip}:{port}"] = True
    except OSError:
        out[f"{ip}:{port}"] = False
ts = [threading.Thread(target=probe, args=(ip, port)) for ip, port in json.loads(sys.argv[1])]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps(out))
"""


def group(s, name, ingress=()):
    g = s.request("POST", "/v1/security-groups", {"GroupName": name, "Description": name})["GroupId"]
    if ingress:
        s.request("POST", f"/v1/security-groups/{g}/authorize", {"IpPermissions": list(ingress)})
    return g


def tcp_from_group(port, group_id):
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": group_id}]}


def tcp_from_anywhere(port):
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def in_netns_argv(s, iid, *argv):
    return ["nsenter", f"--mount={s.mount_ns}", "ip", "netns", "exec", s.netns(iid), *argv]


class Servers:
    """A listener on both ports in each instance's namespace; stopped by PID."""

    def __init__(self, s, iids):
        self.procs = []
        try:
            for iid in iids:
                p = subprocess.Popen(in_netns_argv(s, iid, "python3", "-c", SERVER), stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
                self.procs.append(p)
                assert p.stdout.readline().strip() == "ready"
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait(10)


def reach(s, iid, targets):
    r = s.in_instance_netns(iid, "python3", "-c", PROBE, json.dumps(targets), timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def matrix(s, inst):
    """{(from, to, port): connected} for every ordered pair of the roles and both ports."""
    out = {}
    for src, iid in inst.items():
        targets = [(i["PrivateIpAddress"], port) for dst, i in inst_records(s, inst).items() if dst != src
                   for port in (WEB, DB)]
        got = reach(s, iid, targets)
        for dst, i in inst_records(s, inst).items():
            if dst == src:
                continue
            for port in (WEB, DB):
                out[(src, dst, port)] = got[f"{i['PrivateIpAddress']}:{port}"]
    return out


_records = {}


def inst_records(s, inst):
    key = tuple(sorted(inst.values()))
    if key not in _records:
        _records[key] = {role: s.request("GET", f"/v1/instances/{iid}") for role, iid in inst.items()}
    return _records[key]


def table(s):
    r = subprocess.run(["nft", "list", "table", "inet", f"{s.name}-sg"], capture_output=True, text=True, timeout=10)
    return r.stdout if r.returncode == 0 else None


def three_tiers(s):
    web = group(s, "web", [tcp_from_anywhere(WEB)])
    db = group(s, "db", [tcp_from_group(DB, web)])
    client = group(s, "client")
    inst = {}
    for role, g in (("web", web), ("db", db), ("client", client)):
        [i] = s.run("busybox", SecurityGroupIds=[g])
        assert [x["GroupId"] for x in i["SecurityGroups"]] == [g]
        inst[role] = i["InstanceId"]
    return {"web": web, "db": db, "client": client}, inst


def expected(src, dst, port, db_admits=("web",)):
    return (dst == "web" and port == WEB) or (dst == "db" and port == DB and src in db_admits)


def test_matrix_revoke_and_groups_of_a_running_instance(stratus):
    s = stratus
    groups, inst = three_tiers(s)
    servers = Servers(s, inst.values())
    try:
        got = matrix(s, inst)
        want = {k: expected(*k) for k in got}
        assert got == want
        # The client joins the web group on the fly (PATCH = ModifyInstanceAttribute Groups): db admits it now.
        s.request("PATCH", f"/v1/instances/{inst['client']}", {"SecurityGroupIds": [groups["client"], groups["web"]]})
        db_ip = inst_records(s, inst)["db"]["PrivateIpAddress"]
        assert reach(s, inst["client"], [(db_ip, DB)]) == {f"{db_ip}:{DB}": True}
        s.request("PATCH", f"/v1/instances/{inst['client']}", {"SecurityGroupIds": [groups["client"]]})
        assert reach(s, inst["client"], [(db_ip, DB)]) == {f"{db_ip}:{DB}": False}
        # Revoking db's rule stops web's new connections at once: the answer comes after the kernel has it.
        s.request("POST", f"/v1/security-groups/{groups['db']}/revoke",
                  {"IpPermissions": [tcp_from_group(DB, groups["web"])]})
        assert reach(s, inst["web"], [(db_ip, DB)]) == {f"{db_ip}:{DB}": False}
        # Web's own rule is untouched.
        web_ip = inst_records(s, inst)["web"]["PrivateIpAddress"]
        assert reach(s, inst["client"], [(web_ip, WEB)]) == {f"{web_ip}:{WEB}": True}
    finally:
        servers.stop()
    # Terminating an instance takes its address out of every set and map, and its chains.
    ip = inst_records(s, inst)["web"]["PrivateIpAddress"]
    has = lambda text, word: re.search(rf"(?<![\w.]){re.escape(word)}(?![\w.])", text) is not None  # noqa: E731
    assert has(table(s), ip) and has(table(s), inst["web"])
    s.action(inst["web"], "terminate")
    after = table(s)
    assert not has(after, ip) and inst["web"] not in after


def test_rule_written_but_not_applied_is_applied_by_the_restart():
    """A crash between a rule's store write and its nft transaction: the restarted daemon's table matches the store."""
    s = Stratus("sgcrash")
    servers = None
    try:
        s.start()
        groups, inst = three_tiers(s)
        servers = Servers(s, inst.values())
        db_ip = inst_records(s, inst)["db"]["PrivateIpAddress"]
        assert reach(s, inst["client"], [(db_ip, DB)]) == {f"{db_ip}:{DB}": False}
        before = table(s)
        s.request("POST", f"/v1/security-groups/{groups['db']}/authorize", {"IpPermissions": [tcp_from_group(DB, groups["client"])]})
        assert reach(s, inst["client"], [(db_ip, DB)]) == {f"{db_ip}:{DB}": True}
        s.kill9()
        # What the kernel would hold had the daemon died after the store write and before nft: the old table.
        subprocess.run(["nft", "-f", "-"], input=f"delete table inet {s.name}-sg\n{before}", text=True, check=True,
                       timeout=10)
        assert reach(s, inst["client"], [(db_ip, DB)]) == {f"{db_ip}:{DB}": False}
        s.start()
        assert reach(s, inst["client"], [(db_ip, DB)]) == {f"{db_ip}:{DB}": True}
        assert f"@m-{groups['client']} tcp dport {DB} accept" in table(s)
    finally:
        if servers:
            servers.stop()
        s.uninstall()
    assert table(s) is None  # uninstall removes the table


def test_bad_groups_are_refused_and_change_nothing(stratus):
    s = stratus
    web = group(s, "web", [tcp_from_anywhere(WEB)])
    [i] = s.run("busybox", SecurityGroupIds=[web])
    before = table(s)
    for body, code in (({"SecurityGroupIds": ["sg-00000000000000bad"]}, "InvalidGroup.NotFound"),
                       ({"SecurityGroupIds": [web] + [group(s, f"g{n}") for n in range(5)]},
                        "SecurityGroupsPerInterfaceLimitExceeded"),
                       ({"SecurityGroupIds": []}, "MissingParameter")):
        with pytest.raises(ApiError) as e:
            s.request("PATCH", f"/v1/instances/{i['InstanceId']}", body)
        assert e.value.code == code
    with pytest.raises(ApiError) as e:
        s.request("POST", f"/v1/security-groups/{web}/authorize", {"IpPermissions": [tcp_from_anywhere(WEB)]})
    assert e.value.code == "InvalidPermission.Duplicate"
    with pytest.raises(ApiError) as e:
        s.run("busybox", SecurityGroupIds=["sg-00000000000000bad"])
    assert e.value.code == "InvalidGroup.NotFound"
    # Only the five empty groups' chains were added; the instance's interface and rules are as they were.
    after = table(s)
    assert [l for l in after.splitlines() if web in l or i["InstanceId"] in l] == \
           [l for l in before.splitlines() if web in l or i["InstanceId"] in l]
    assert s.request("GET", f"/v1/instances/{i['InstanceId']}")["SecurityGroups"] == [{"GroupId": web}]
