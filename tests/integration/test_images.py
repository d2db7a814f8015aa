"""Golden images built from recipes, captured from instances, exported and imported
as OCI image layouts; bad input. Each test gets the shared `stratus` fixture (conftest.py).
Run: STRATUS_BUILD=build-img python3 -m pytest tests/integration/test_images.py
The debian + nginx example is marked slow (mmdebstrap: 20 s to 2 minutes cold, by the machine and the mirror);
`make test` runs it too."""
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from stratus_harness import ApiError, http_get, wait_http

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="stimg-ctx-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


BUSYBOX_RECIPE = """# a busybox web server
base busybox
description test web
file site/index.html /srv/www/index.html mode=0644
file site/secret.txt /srv/www/secret.txt mode=0600 owner=nobody:nogroup
run mkdir -p /etc/web && echo built > /srv/www/built.txt
env GREETING=hello
run echo "$GREETING from $(hostname)" > /srv/www/greeting.txt
service web restart=always httpd -f -p 80 -h /srv/www
port 80
healthcheck http 80 /index.html
"""


def write_context(d, recipe=BUSYBOX_RECIPE):
    os.makedirs(os.path.join(d, "site"), exist_ok=True)
    with open(os.path.join(d, "site", "index.html"), "w") as f:
        f.write("<h1>golden</h1>\n")
    with open(os.path.join(d, "site", "secret.txt"), "w") as f:
        f.write("s3cret\n")
    path = os.path.join(d, "web.recipe")
    with open(path, "w") as f:
        f.write(recipe)
    return path



def build(stratus, recipe_path, *extra, check=True):
    return stratus.cli("image", "build", recipe_path, *extra, check=check, timeout=900)


def image(stratus, ident):
    return stratus.request("GET", f"/v1/images/{ident}")


def test_build_launch_serve_and_cached_rebuild(stratus, workdir):
    recipe = write_context(workdir)
    r = build(stratus, recipe, "--name", "web", "--tag", "team=a")
    ami = r.stdout.strip()
    assert ami.startswith("ami-"), r.stdout + r.stderr
    assert "[5/5]" in r.stderr and "built " + ami in r.stderr, r.stderr
    img = image(stratus, ami)
    assert img["Name"] == "web" and img["Ports"] == [80] and img["Description"] == "test web"
    assert img["Services"][0]["Command"] == ["httpd", "-f", "-p", "80", "-h", "/srv/www"]
    assert img["HealthCheck"]["Path"] == "/index.html"
    assert {"Key": "team", "Value": "a"} in img["Tags"]
    busybox = image(stratus, "busybox")
    assert img["Layers"][: len(busybox["Layers"])] == busybox["Layers"]  # base layers shared, not copied
    assert len(img["Layers"]) == len(busybox["Layers"]) + 4

    inst = stratus.run(ami)[0]
    assert inst["State"]["Name"] == "running", inst
    ip = inst["PrivateIpAddress"]
    assert wait_http(f"http://{ip}/index.html") == (200, "<h1>golden</h1>\n")
    assert wait_http(f"http://{ip}/built.txt")[1] == "built\n"
    assert wait_http(f"http://{ip}/greeting.txt")[1] == "hello from build\n"
    # file modes and owners from the recipe
    upper_probe = subprocess.run(["stat", "-c", "%a %U", os.path.join(
        stratus.state_dir, "layers", "sha256", img["Layers"][len(busybox["Layers"]) + 1][7:], "srv/www/secret.txt")],
        capture_output=True, text=True)
    assert upper_probe.stdout.strip() == "600 nobody", upper_probe

    # A rebuild of the unchanged recipe is all cache hits and finds the same image.
    again = build(stratus, recipe, "--name", "web")
    assert again.stdout.strip() == ami
    assert "5/5 steps cached" in again.stderr, again.stderr
    assert "running" not in again.stderr
    # Another name: a new image with exactly the same layers (stored once).
    other = build(stratus, recipe, "--name", "web2").stdout.strip()
    assert other != ami and image(stratus, other)["Layers"] == img["Layers"]
    # A changed file rebuilds from that step on only.
    with open(os.path.join(workdir, "site", "secret.txt"), "w") as f:
        f.write("changed\n")
    changed = build(stratus, recipe, "--name", "web3")
    assert "[2/5] file site/index.html" in changed.stderr and "cached" in changed.stderr.split("[3/5]")[0]
    assert "[3/5] file site/secret.txt" in changed.stderr and "2/5 steps cached" in changed.stderr, changed.stderr


def test_tags_delete_in_use_and_prune(stratus, workdir):
    recipe = write_context(workdir)
    ami = build(stratus, recipe, "--name", "web").stdout.strip()
    stratus.cli("image", "tag", ami, "env=prod", "owner=me")
    assert {"Key": "env", "Value": "prod"} in image(stratus, ami)["Tags"]
    stratus.cli("image", "untag", ami, "env")
    assert [t["Key"] for t in image(stratus, ami)["Tags"]] == ["owner"]
    inst = stratus.run(ami)[0]
    r = stratus.cli("image", "delete", ami, check=False)
    assert r.returncode == 1 and "is used by 1 instance(s): " + inst["InstanceId"] in r.stderr, r.stderr
    r = stratus.cli("image", "delete", "busybox", check=False)
    assert r.returncode == 1 and "built in" in r.stderr
    stratus.action(inst["InstanceId"], "terminate")
    layers_before = set(os.listdir(os.path.join(stratus.state_dir, "layers", "sha256")))
    stratus.cli("image", "delete", ami)
    with pytest.raises(ApiError):
        image(stratus, ami)
    out = stratus.cli("image", "prune").stdout
    assert "removed 4 layer(s)" in out, out
    layers_after = set(os.listdir(os.path.join(stratus.state_dir, "layers", "sha256")))
    assert layers_after < layers_before
    for l in image(stratus, "demo-web")["Layers"] + image(stratus, "busybox")["Layers"]:
        assert l[7:] in layers_after
    # the built-in images still launch after a prune
    assert stratus.run("demo-web")[0]["State"]["Name"] == "running"


def test_create_image_from_running_instance(stratus):
    inst = stratus.run("demo-web")[0]
    iid = inst["InstanceId"]
    marker = os.path.join(stratus.root_volume(iid), "srv", "state.txt")
    # Written from inside the instance through its overlay (the host sees it in the root volume).
    pid = json.loads(subprocess.run(["runc", "--root", f"/run/{stratus.name}/runc", "state", iid],
                                    capture_output=True, text=True, check=True).stdout)["pid"]
    subprocess.run(["nsenter", "-t", str(pid), "-m", "-p", "sh", "-c",
                    "mkdir -p /srv && echo captured > /srv/state.txt && rm /etc/hosts"], check=True)
    assert os.path.exists(marker)
    ami = stratus.cli("image", "create", iid, "--name", "captured").stdout.strip()
    assert ami.startswith("ami-")
    img = image(stratus, ami)
    assert img["Layers"][:-1] == image(stratus, "demo-web")["Layers"]
    assert stratus.request("GET", f"/v1/instances/{iid}")["State"]["Name"] == "running"  # never rebooted
    new = stratus.run(ami)[0]
    assert new["State"]["Name"] == "running"
    upper_files = os.path.join(stratus.state_dir, "layers", "sha256", img["Layers"][-1][7:])
    with open(os.path.join(upper_files, "srv", "state.txt")) as f:
        assert f.read() == "captured\n"
    pid2 = json.loads(subprocess.run(["runc", "--root", f"/run/{stratus.name}/runc", "state", new["InstanceId"]],
                                     capture_output=True, text=True, check=True).stdout)["pid"]
    seen = subprocess.run(["nsenter", "-t", str(pid2), "-m", "-p", "sh", "-c",
                           "cat /srv/state.txt; test -e /etc/hosts && echo hosts-present || echo hosts-deleted"],
                          capture_output=True, text=True)
    assert seen.stdout == "captured\nhosts-deleted\n", seen
    # the new instance serves like its parent
    assert wait_http(f"http://{new['PrivateIpAddress']}/healthz")[0] == 200
    # stopped instances work too
    stratus.action(iid, "stop")
    ami2 = stratus.cli("image", "create", iid, "--name", "captured-stopped").stdout.strip()
    assert image(stratus, ami2)["Layers"][-1] == img["Layers"][-1]  # same content, same layer
    r = stratus.cli("image", "create", "i-0000000000000000f", "--name", "nope", check=False)
    assert r.returncode == 1


def test_oci_export_skopeo_umoci_import_keeps_digests(stratus, workdir):
    recipe = write_context(workdir)
    ami = build(stratus, recipe, "--name", "web").stdout.strip()
    layers = image(stratus, ami)["Layers"]
    out = os.path.join(workdir, "oci")
    stratus.cli("image", "export", ami, out)
    # skopeo reads it, copies it to another layout and to an oci-archive
    info = json.loads(subprocess.run(["skopeo", "inspect", f"oci:{out}:web"], capture_output=True, text=True,
                                     check=True).stdout)
    assert info["Layers"] == layers
    copied = os.path.join(workdir, "copied")
    subprocess.run(["skopeo", "copy", f"oci:{out}:web", f"oci:{copied}:web"], check=True, capture_output=True)
    archive = os.path.join(workdir, "web.tar")
    subprocess.run(["skopeo", "copy", f"oci:{copied}:web", f"oci-archive:{archive}:web"], check=True,
                   capture_output=True)
    # umoci unpacks it (whiteouts and all) into a runtime bundle
    bundle = os.path.join(workdir, "bundle")
    subprocess.run(["umoci", "unpack", "--image", f"{copied}:web", bundle], check=True, capture_output=True)
    with open(os.path.join(bundle, "rootfs", "srv", "www", "index.html")) as f:
        assert f.read() == "<h1>golden</h1>\n"
    # import both forms back: same layer digests
    for src, name in ((copied, "web-from-dir"), (archive, "web-from-tar")):
        new = stratus.cli("image", "import", src, "--name", name).stdout.strip()
        got = image(stratus, new)
        assert got["Layers"] == layers, (src, got["Layers"], layers)
        assert got["Services"] == image(stratus, ami)["Services"]
    # a umoci-modified image imports too (a new top layer)
    subprocess.run(["sh", "-c", f"echo extra > {bundle}/rootfs/srv/www/extra.txt && rm {bundle}/rootfs/srv/www/built.txt"],
                   check=True)
    subprocess.run(["umoci", "repack", "--image", f"{copied}:web2", bundle], check=True, capture_output=True)
    new = stratus.cli("image", "import", copied, "--ref", "web2", "--name", "umoci-web").stdout.strip()
    got = image(stratus, new)
    assert got["Layers"][: len(layers)] == layers and len(got["Layers"]) == len(layers) + 1
    inst = stratus.run(new)[0]
    ip = inst["PrivateIpAddress"]
    assert wait_http(f"http://{ip}/extra.txt")[1] == "extra\n"
    with pytest.raises(OSError):
        http_get(f"http://{ip}/built.txt")  # deleted by the umoci layer: a whiteout


def test_bad_input(stratus, workdir):
    def fails(recipe_text, *fragments, name="bad"):
        path = write_context(workdir, recipe_text)
        r = build(stratus, path, "--name", name, check=False)
        assert r.returncode != 0, r.stdout
        for f in fragments:
            assert f in r.stderr, r.stderr
        return r

    fails("base nosuchimage\n", "line 1: base image nosuchimage does not exist")
    fails("base busybox\nrun true\nbogus x\n", "line 3: unknown directive \"bogus\"")
    fails("base busybox\nfile missing.txt /x\n", "line 2: file missing.txt is not in the build context")
    fails("base busybox\nrun echo first\nrun echo some output; echo more >&2; exit 3\n",
          "line 3: run echo some output; echo more >&2; exit 3) failed with exit code 3", "some output", "more")
    fails("base busybox\nfile site/index.html /x owner=nosuchuser\n", "user nosuchuser is not in the image's /etc/passwd")
    names = [i["Name"] for i in stratus.request("GET", "/v1/images")["Images"]]
    assert "bad" not in names  # no half-built image registered
    # no build instance, mount or scratch dir left behind
    assert os.listdir(os.path.join(stratus.state_dir, "instances")) == []
    assert os.listdir(os.path.join(stratus.state_dir, "layers", "tmp")) == []
    # build mounts live in the daemon's mount namespace; the host holds only its pin
    mounts = [l.split()[1] for l in stratus.in_mount_ns("cat", "/proc/self/mounts").stdout.splitlines()]
    mounts += [l.split()[1] for l in open("/proc/self/mounts")]
    assert not [m for m in mounts if m.startswith(stratus.state_dir) and m != stratus.mount_ns], mounts
    # bad OCI input
    r = stratus.cli("image", "import", os.path.join(workdir, "nothing-here"), check=False)
    assert r.returncode == 1 and "does not exist" in r.stderr
    os.makedirs(os.path.join(workdir, "notoci"))
    r = stratus.cli("image", "import", os.path.join(workdir, "notoci"), check=False)
    assert r.returncode == 1 and "index.json" in r.stderr


def test_full_disk_during_commit_leaves_no_layer(stratus, workdir):
    """A tiny tmpfs as the layer store's scratch area: the commit fails cleanly and the store stays usable."""
    recipe = write_context(workdir, "base busybox\nrun dd if=/dev/zero of=/big bs=1M count=20\n")
    tmp = os.path.join(stratus.state_dir, "layers", "tmp")
    # mounted where the daemon sees it: its own mount namespace (a mount on the host after it started is not there)
    mounted = stratus.in_mount_ns("mount", "-t", "tmpfs", "-o", "size=4m", "stimg-full", tmp)
    assert mounted.returncode == 0, mounted.stderr
    try:
        # the build instance's upper dir is on the state dir's disk; the copy into the 4 MiB scratch fails
        os.makedirs(os.path.join(workdir, "sub"), exist_ok=True)
        with open(os.path.join(workdir, "site", "big.bin"), "wb") as f:
            f.write(os.urandom(8 << 20))
        big = write_context(workdir, "base busybox\nfile site/big.bin /big.bin\n")
        with open(os.path.join(workdir, "site", "big.bin"), "wb") as f:
            f.write(os.urandom(8 << 20))
        r = build(stratus, big, "--name", "full", check=False)
        assert r.returncode != 0 and ("No space left" in r.stderr or "copy" in r.stderr), r.stderr
        assert stratus.in_mount_ns("ls", "-A", tmp).stdout == ""
    finally:
        stratus.in_mount_ns("umount", tmp)
    names = [i["Name"] for i in stratus.request("GET", "/v1/images")["Images"]]
    assert "full" not in names
    for l in os.listdir(os.path.join(stratus.state_dir, "layers", "sha256")):
        assert subprocess.run(["tar", "-C", os.path.join(stratus.state_dir, "layers", "sha256", l), "-cf", "/dev/null",
                               "."]).returncode == 0
    # still usable: the same recipe builds once there is room
    assert build(stratus, big, "--name", "full").stdout.startswith("ami-")
    assert build(stratus, recipe, "--name", "dd").stdout.startswith("ami-")


@pytest.mark.slow
def test_debian_nginx_example_builds_and_serves(stratus):
    t0 = time.time()
    r = build(stratus, os.path.join(EXAMPLES, "nginx-static", "nginx-static.recipe"), "--name", "nginx-static")
    cold = time.time() - t0
    ami = r.stdout.strip()
    t0 = time.time()
    again = build(stratus, os.path.join(EXAMPLES, "nginx-static", "nginx-static.recipe"), "--name", "nginx-static")
    cached = time.time() - t0
    assert again.stdout.strip() == ami and "steps cached" in again.stderr
    print(f"debian+nginx example: cold build {cold:.1f} s, cached rebuild {cached:.2f} s")
    inst = stratus.run(ami)[0]
    assert inst["State"]["Name"] == "running", inst
    status, body = wait_http(f"http://{inst['PrivateIpAddress']}/", deadline_s=30)
    assert status == 200 and "Stratus" in body
    assert wait_http(f"http://{inst['PrivateIpAddress']}/healthz", deadline_s=30)[0] == 200
