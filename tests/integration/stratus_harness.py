"""A real stratusd in a temporary state dir, with its own name, port, VPC CIDR, bridges and nft table,
for integration tests and benchmarks. uninstall() removes everything it made."""
import itertools
import json
import re
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BUILD = os.environ.get("STRATUS_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
BIN = os.path.join(BUILD, "bin")
_counter = itertools.count()


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Stratus:
    """One stratusd under test. Each gets a distinct name, port and VPC so several can run at once."""

    def __init__(self, tag, extra_args=(), vpc_prefix=16):
        n = next(_counter)
        # Names, ports and CIDRs unique per process and fixture: 10.100.0.0/16 .. 10.199.0.0/16, ports 28000..28199,
        # clear of the ranges unit tests use (10.230+, 10.248+, 10.251).
        slot = (os.getpid() * 7 + n) % 100
        self.name = f"sti{slot}"
        self.port = 28000 + 2 * slot
        self.cidr = f"10.{100 + slot}.0.0/{vpc_prefix}"  # the daemon's three subnets are 4 bits longer
        self.state_dir = tempfile.mkdtemp(prefix=f"stratus-it-{tag}-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(self.state_dir, "stratusd.log")
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.bin_dir = BIN  # where stratusd (and the stratus-lb, stratus-init beside it) are: an upgrade test switches

    def args(self):
        return [os.path.join(self.bin_dir, "stratusd"), "--state-dir", self.state_dir, "--name", self.name,
                "--listen", f"127.0.0.1:{self.port}", "--vpc-cidr", self.cidr] + self.extra_args

    def start(self, timeout=20):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=log, stderr=log)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"stratusd exited {self.proc.returncode}:\n{self.log()}")
            try:
                self.request("GET", "/v1/health")
                return self
            except (OSError, ApiError):
                time.sleep(0.05)
        raise RuntimeError(f"stratusd did not become ready:\n{self.log()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def uninstall(self):
        self.stop()
        subprocess.run(self.args()[:1] + ["--state-dir", self.state_dir, "--name", self.name, "--vpc-cidr", self.cidr,
                                          "--uninstall"], check=False, capture_output=True, timeout=120)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-8000:]
        except OSError:
            return ""

    @property
    def token(self):
        with open(os.path.join(self.state_dir, "api-token")) as f:
            return f.read().strip()

    def request(self, method, path, body=None, timeout=150):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if path != "/v1/health":
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            payload = json.loads(e.read() or b"{}")
            err = payload.get("Error", {})
            raise ApiError(e.code, err.get("Code"), err.get("Message")) from None

    def cli(self, *args, check=True, timeout=150):
        env = dict(os.environ, STRATUS_ENDPOINT=self.endpoint, STRATUS_TOKEN=self.token)
        r = subprocess.run([os.path.join(BIN, "stratus"), *args], env=env, capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"stratus {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r

    def run(self, image="demo-web", count=1, wait=True, **fields):
        body = {"ImageId": image, "Count": count, "Wait": wait, **fields}
        return self.request("POST", "/v1/instances", body)["Instances"]

    def instances(self, *filters):
        q = "&".join("filter=" + urllib.request.quote(f, safe="") for f in filters)
        return self.request("GET", "/v1/instances" + ("?" + q if q else ""))["Instances"]

    def action(self, instance_id, verb, wait=True, **fields):
        return self.request("POST", f"/v1/instances/{instance_id}/{verb}", {"Wait": wait, **fields})["Instance"]

    def netns(self, instance_id):
        return f"{self.name}-{instance_id}"

    @property
    def mount_ns(self):
        """Where the daemon pins its mount namespace, the one its named network namespaces live in."""
        return os.path.join(self.state_dir, "mntns")

    def in_mount_ns(self, *argv, timeout=10):
        """Runs a host program in the daemon's mount namespace while that exists (`nsenter --mount=STATE_DIR/mntns`),
        else on the host: mounts the daemon makes (and must see) live there, not in the host's table."""
        with open("/proc/self/mountinfo") as f:
            pinned = any(l.split()[4] == self.mount_ns for l in f)
        enter = ["nsenter", f"--mount={self.mount_ns}"] if pinned else []
        return subprocess.run(enter + list(argv), capture_output=True, text=True, timeout=timeout)

    def ip(self, *args, timeout=10):
        """`ip ARGS` where the daemon's named network namespaces are (its mount namespace)."""
        return self.in_mount_ns("ip", *args, timeout=timeout)

    def in_instance_netns(self, instance_id, *argv, timeout=10):
        """Runs a host program inside the instance's network namespace (its source address is the instance's)."""
        return self.ip("netns", "exec", self.netns(instance_id), *argv, timeout=timeout)

    def root_volume(self, instance_id):
        return os.path.join(self.state_dir, "instances", instance_id, "root", "upper")


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode(errors="replace")


def host_leftovers(s):
    """What the host still holds for instances of daemon `s`: netns, veths, mounts, cgroups, IPAM leases, processes.

    The daemon's namespace pool (`--netns-pool`) is not a leftover, but only as it should be: each namespace
    <name>-pool-<hex> has exactly one veth on the daemon's bridges (its peer in that namespace) and one lease whose
    owner is its container id pool-<hex>. Anything else - a pool veth or lease without its namespace, a namespace
    without its veth or lease, any instance namespace, veth or lease - is reported."""
    name = s.name
    left = []
    netns = [l.split()[0] for l in s.ip("netns", "list").stdout.splitlines() if l.strip()]
    pool = {n for n in netns if n.startswith(name + "-pool-")}
    left += [n for n in netns if n.startswith(name + "-") and n not in pool]
    links = s.ip("-o", "link").stdout  # there, a veth names its peer's namespace
    # Instance veths sit on this daemon's bridges; the bridges themselves stay while the daemon runs.
    pool_veths = {}
    for l in links.splitlines():
        if f"master {name}br" not in l:
            continue
        veth = l.split(": ")[1].split("@")[0]
        peer = m.group(1) if (m := re.search(r" link-netns (\S+)", l)) else None
        if peer in pool:
            pool_veths[peer] = pool_veths.get(peer, 0) + 1
        else:
            left.append(veth)
    with open("/proc/mounts") as f:  # the daemon's pin of its mount namespace stays while it is installed
        left += [l.split()[1] for l in f if s.state_dir in l.split()[1] and l.split()[1] != s.mount_ns]

    def owner(lease):  # host-local's lease file: the container id, then the interface
        try:
            with open(lease, errors="replace") as f:
                return f.readline().strip()
        except OSError:  # released meanwhile
            return ""

    ipam = os.path.join(s.state_dir, "net")
    pool_leases = {}
    for root, _, files in os.walk(ipam):
        for f in files:
            if not f[0].isdigit():
                continue
            path = os.path.join(root, f)
            ns = f"{name}-{owner(path)}"
            if ns in pool:
                pool_leases[ns] = pool_leases.get(ns, 0) + 1
            else:
                left.append(path)
    for n in pool:
        if pool_veths.get(n, 0) != 1 or pool_leases.get(n, 0) != 1:
            left.append(f"{n} (pool namespace with {pool_veths.get(n, 0)} veths, {pool_leases.get(n, 0)} leases)")
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    left += [l for l in ps.splitlines() if "stratus-init" in l and s.state_dir in l]
    for ctl in os.listdir("/sys/fs/cgroup"):
        p = os.path.join("/sys/fs/cgroup", ctl, name)
        if os.path.isdir(p):
            left += [p + "/" + d for d in os.listdir(p) if d.startswith("i-")]
    return left


def wait_http(url, deadline_s=15):
    """GET `url`, retrying connection errors until `deadline_s` has passed (an instance still booting)."""
    end = time.time() + deadline_s
    while True:
        try:
            return http_get(url)
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.05)


def wrk(url, seconds, connections=8, threads=1):
    """A bounded wrk run; returns (requests, non-2xx responses, socket errors, wrk's output)."""
    r = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", url],
                       capture_output=True, text=True, timeout=seconds + 30)
    out = r.stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errors = sum(int(x) for x in m.groups()) if (
        m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)) else 0
    return requests, non2xx, errors, out
