#!/usr/bin/env python3
"""How fast a dead target is marked down: stratus-lb against HAProxy in the same run.

One HTTP backend on loopback is checked by both proxies with the same settings (GET /, every 1 s,
timeout 1 s, down after 2 failures, up after 2 passes, re-checked 200 ms after a failure: HAProxy's
`inter 1s fastinter 200ms fall 2 rise 2`). Each round kills the backend (SIGKILL) at a random phase of
the check interval and polls both every 5 ms until each says the target is down: stratus-lb through
its Prometheus endpoint (stratus_lb_healthy_host_count), HAProxy through its stats socket. Prints the
median and worst detection time of each and their ratio. Bounded: ROUNDS (7) rounds of at most 10 s.

    bench/console/health_detect.py BUILD_DIR
"""
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
ROUNDS = int(os.environ.get("ROUNDS", "7"))
BASE = int(os.environ.get("BENCH_PORT_BASE", "27300"))
BACKEND, LB_HTTP, LB_METRICS, HAP_HTTP = BASE + 1, BASE + 2, BASE + 3, BASE + 4

BACKEND_CODE = f"""
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
class S(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address): pass  # a check cut off by the kill is not news
S(("127.0.0.1", {BACKEND}), H).serve_forever()
"""


def lb_down():
    with urllib.request.urlopen(f"http://127.0.0.1:{LB_METRICS}/metrics", timeout=2) as r:
        for line in r.read().decode().splitlines():
            if line.startswith('stratus_lb_healthy_host_count{target_group="web"}'):
                return float(line.split()[-1]) == 0
    return False


def hap_down(sock_path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    s.sendall(b"show stat\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    lines = data.decode().splitlines()
    cols = lines[0].lstrip("# ").split(",")
    for l in lines[1:]:
        row = dict(zip(cols, l.split(",")))
        if row.get("pxname") == "bh" and row.get("svname") == "s1":
            return row["status"].startswith("DOWN")
    return False


def wait(what, fn, limit_s=15):
    deadline = time.time() + limit_s
    while time.time() < deadline:
        try:
            if fn():
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


def main():
    work = tempfile.mkdtemp(prefix="stratus-bench-health-")
    procs = []
    backend = None
    try:
        cfg = {"version": 1, "listeners": [{"name": "http", "bind": f"127.0.0.1:{LB_HTTP}", "protocol": "http",
                                             "default_target_group": "web"}],
               "target_groups": [{"name": "web", "protocol": "http", "port": BACKEND, "targets": [{"ip": "127.0.0.1"}],
                                  "health_check": {"path": "/", "interval_ms": 1000, "timeout_ms": 1000,
                                                   "healthy_threshold": 2, "unhealthy_threshold": 2}}]}
        with open(f"{work}/lb.json", "w") as f:
            json.dump(cfg, f)
        hap_sock = f"{work}/haproxy.sock"
        with open(f"{work}/haproxy.cfg", "w") as f:
            f.write(f"""global
  nbthread 1
  stats socket {hap_sock} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout check 1s
  timeout client 10s
  timeout server 10s
frontend fh
  bind 127.0.0.1:{HAP_HTTP}
  default_backend bh
backend bh
  option httpchk GET /
  server s1 127.0.0.1:{BACKEND} check inter 1s fastinter 200ms downinter 1s fall 2 rise 2
""")
        log = open(f"{work}/procs.log", "w")
        procs.append(subprocess.Popen([f"{BUILD}/bin/stratus-lb", "--config", f"{work}/lb.json", "--workers", "1",
                                       "--metrics-listen", f"127.0.0.1:{LB_METRICS}", "--log-level", "warn"],
                                      stdout=log, stderr=log))
        procs.append(subprocess.Popen(["haproxy", "-f", f"{work}/haproxy.cfg", "-q"], stdout=log, stderr=log))
        times = {"stratus-lb": [], "haproxy": []}
        for _ in range(ROUNDS):
            backend = subprocess.Popen([sys.executable, "-c", BACKEND_CODE])
            wait("both healthy", lambda: not lb_down() and not hap_down(hap_sock))
            time.sleep(random.uniform(0.5, 1.5))  # a random phase of the 1 s check interval
            backend.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            backend.wait()
            backend = None
            seen = {}
            while len(seen) < 2 and time.monotonic() - killed < 10:
                if "stratus-lb" not in seen and lb_down():
                    seen["stratus-lb"] = time.monotonic() - killed
                if "haproxy" not in seen and hap_down(hap_sock):
                    seen["haproxy"] = time.monotonic() - killed
                time.sleep(0.005)
            for k in times:
                times[k].append(seen.get(k, float("nan")) * 1000)
        out = {k: {"median_ms": round(statistics.median(v)), "max_ms": round(max(v)), "runs": [round(x) for x in v]}
               for k, v in times.items()}
        out["ratio_stratus_lb_vs_haproxy"] = round(out["stratus-lb"]["median_ms"] / out["haproxy"]["median_ms"], 2)
        print(f"dead target marked down (check every 1 s, fastinter 200 ms, fall 2), {ROUNDS} kills:")
        for k in ("stratus-lb", "haproxy"):
            print(f"  {k:11s} median {out[k]['median_ms']} ms, worst {out[k]['max_ms']} ms")
        print(f"  ratio stratus-lb / haproxy: {out['ratio_stratus_lb_vs_haproxy']}")
        print(json.dumps(out))
    finally:
        if backend:
            backend.kill()
            backend.wait()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
