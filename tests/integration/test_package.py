"""The installation: `make install` layout, the systemd unit (systemd-analyze verify), the stratusd config
file, and the Debian package installed into a fresh Debian 12 root (mmdebstrap, chroot, no services)."""
import os
import shutil
import subprocess
import tempfile
import time

from stratus_harness import BIN, BUILD

# Debian packages downloaded once are kept here, so that the fresh root and the package's dependencies
# cost a download only on the first run of a machine.
APT_CACHE = "/var/cache/stratus-tests/debian12-root"


def install_tree(prefix):
    subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], check=True, capture_output=True, timeout=300)


def test_systemd_unit_verifies():
    with tempfile.TemporaryDirectory(prefix="stratus-unit-") as tmp:
        prefix = os.path.join(tmp, "usr")
        install_tree(prefix)
        unit = os.path.join(prefix, "lib/systemd/system/stratusd.service")
        text = open(unit).read()
        assert f"ExecStart={prefix}/sbin/stratusd --config {prefix}/etc/stratus/stratusd.conf" in text
        for line in ("Type=notify", "KillMode=process", "Restart=on-failure", "LimitNOFILE="):
            assert line in text
        # The Documentation= man pages are checked too: they are the installed ones.
        # (where man-db is missing, Documentation= cannot be checked: verify the rest)
        man = [] if shutil.which("man") else ["--man=no"]
        r = subprocess.run(["systemd-analyze", "verify", *man, unit], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, MANPATH=os.path.join(prefix, "share/man")))
        assert r.returncode == 0, r.stdout + r.stderr
        for f in ("bin/stratus", "sbin/stratusd", "lib/stratus/stratus-lb", "lib/stratus/stratus-init",
                  "share/man/man1/stratus.1", "share/man/man8/stratusd.8", "share/bash-completion/completions/stratus",
                  "share/doc/stratus/operations.md", "etc/stratus/stratusd.conf"):
            assert os.path.exists(os.path.join(prefix, f)), f


def stratusd(*args, config_text=None):
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
        if config_text is not None:
            conf.write(config_text)
            conf.flush()
            args = ("--config", conf.name) + args
        r = subprocess.run([os.path.join(BIN, "stratusd"), *args], capture_output=True, text=True, timeout=30)
        return r, conf.name


def test_config_file_sets_every_flag_and_the_command_line_wins():
    r, _ = stratusd("--print-config", "--listen", "127.0.0.1:7700",
                    config_text="# settings\nlisten = 127.0.0.1:9999\nname = conf\nrequire-imds-tokens = true\n")
    assert r.returncode == 0, r.stderr
    settings = dict(line.split(" = ", 1) for line in r.stdout.splitlines())
    assert settings["listen"] == "127.0.0.1:7700"
    assert settings["name"] == "conf"
    assert settings["require-imds-tokens"] == "true"
    # The shipped file names every setting stratusd has.
    shipped = open(os.path.join(os.path.dirname(__file__), "../../packaging/stratusd.conf")).read()
    for key in settings:
        assert f"# {key} = " in shipped, key


def test_malformed_config_is_refused_with_file_line_and_key():
    for text, line, key in (("name = a\nmax-count = lots\n", 2, "max-count"),
                            ("\n\nno-such-flag = 1\n", 3, "no-such-flag"),
                            ("netns-pool = 1000\n", 1, "netns-pool")):
        r, path = stratusd("--print-config", config_text=text)
        assert r.returncode == 2, r.stdout
        assert f"{path}:{line}: key {key}:" in r.stderr, r.stderr
    r, _ = stratusd("--config", "/nonexistent/stratusd.conf")
    assert r.returncode == 2 and "/nonexistent/stratusd.conf" in r.stderr


def test_deb_installs_into_fresh_debian12_and_purges_cleanly():
    with tempfile.TemporaryDirectory(prefix="stratus-deb-") as tmp:
        t0 = time.monotonic()
        r = subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", tmp],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        debs = [f for f in os.listdir(tmp) if f.startswith("stratus_") and f.endswith(".deb")]
        assert len(debs) == 1, os.listdir(tmp)
        deb = os.path.join(tmp, debs[0])
        print(f"make deb: {debs[0]}, {os.path.getsize(deb) / 1e6:.1f} MB, {time.monotonic() - t0:.1f} s")
        os.makedirs(APT_CACHE, exist_ok=True)
        # Every step runs inside mmdebstrap's hooks, in a chroot of the new root where no service starts.
        check = ("set -e; r=\"$1\"; "
                 "t0=$(date +%s%N); "
                 "chroot \"$r\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
                 "/tmp/stratus.deb >/dev/null; "
                 "echo PACKAGE-INSTALL-MS $(( ($(date +%s%N) - t0) / 1000000 )); "
                 "echo PACKAGE-INSTALLED-KIB $(chroot \"$r\" dpkg-query -W -f='${Installed-Size}' stratus); "
                 "echo STRATUSD-VERSION $(chroot \"$r\" stratusd --version); "
                 "chroot \"$r\" stratus --version >/dev/null; "
                 "test -f \"$r/lib/systemd/system/stratusd.service\"; test -f \"$r/etc/stratus/stratusd.conf\"; "
                 "chroot \"$r\" sh -c 'command -v runc && test -x /usr/lib/cni/bridge && command -v nft' >/dev/null; "
                 "chroot \"$r\" dpkg --purge stratus >/dev/null; "
                 "if chroot \"$r\" dpkg -s stratus >/dev/null 2>&1; then echo LEFT-package; fi; "
                 "for p in /etc/stratus /usr/sbin/stratusd /usr/lib/stratus /var/lib/stratus /var/lib/stratus-purge "
                 "/lib/systemd/system/stratusd.service; do if [ -e \"$r$p\" ]; then echo LEFT $p; fi; done; "
                 "echo PURGED")
        t1 = time.monotonic()
        r = subprocess.run(
            ["mmdebstrap", "--variant=apt", "--mode=root", "--format=null", "--skip=essential/unlink",
             f"--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives",
             f"--setup-hook=sync-in {APT_CACHE} /var/cache/apt/archives/",
             f"--customize-hook=copy-in {deb} /tmp",
             f"--customize-hook=mv \"$1\"/tmp/{debs[0]} \"$1\"/tmp/stratus.deb",
             f"--customize-hook={check}",
             f"--customize-hook=sync-out /var/cache/apt/archives {APT_CACHE}",
             "bookworm", "/dev/null"],
            capture_output=True, text=True, timeout=900)
        elapsed = time.monotonic() - t1
        out = r.stdout + r.stderr
        assert r.returncode == 0, out[-4000:]
        figures = {line.split()[0]: line.split(maxsplit=1)[1] for line in out.splitlines()
                   if line.startswith(("PACKAGE-", "STRATUSD-VERSION"))}
        print(f"fresh Debian 12 root + package install + purge: {elapsed:.1f} s; apt install of the package and its "
              f"dependencies: {int(figures['PACKAGE-INSTALL-MS']) / 1000:.1f} s; installed size "
              f"{int(figures['PACKAGE-INSTALLED-KIB']) / 1024:.1f} MiB")
        assert figures["STRATUSD-VERSION"].strip() != ""
        left = [line for line in out.splitlines() if line.startswith("LEFT")]
        assert not left, left
        assert any(line == "PURGED" for line in out.splitlines()), out[-2000:]


def test_missing_runtime_is_refused_at_start():
    with tempfile.TemporaryDirectory(prefix="stratus-noruntime-") as tmp:
        r = subprocess.run([os.path.join(BIN, "stratusd"), "--state-dir", tmp, "--name", "stnort", "--runtime", "runsc",
                            "--listen", "127.0.0.1:1"], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PATH=tmp))
        assert r.returncode == 1
        assert "runsc is not installed" in r.stderr and "apt install runsc" in r.stderr, r.stderr
        assert os.listdir(tmp) == []  # refused before anything was created


def doctor(*args, path=None):
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([os.path.join(BIN, "stratus"), "doctor", "--config", "/nonexistent", "--listen",
                           "127.0.0.1:28990", *args], capture_output=True, text=True, timeout=60, env=env)


def test_doctor_passes_on_this_host():
    r = doctor("--vpc-cidr", "10.199.0.0/16")
    assert r.returncode == 0, r.stdout + r.stderr
    for what in ("cgroups", "overlayfs", "nftables", "network namespaces", "OCI runtime", "CNI plugins", "API port",
                 "IP forwarding", "address ranges"):
        assert f"  {what}: " in r.stdout, what
    assert "this host can run Stratus" in r.stdout


def test_doctor_reports_a_missing_runc_with_the_fix():
    with tempfile.TemporaryDirectory(prefix="stratus-doctor-") as tmp:
        for tool in ("nft", "ip"):  # everything else doctor runs, but not runc
            os.symlink(subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip(),
                       os.path.join(tmp, tool))
        r = doctor("--vpc-cidr", "10.199.0.0/16", path=tmp)
    assert r.returncode == 1, r.stdout
    assert "FAIL  OCI runtime: runc is not in PATH" in r.stdout
    assert "fix: apt install runc" in r.stdout
    assert "1 problem(s) to fix" in r.stdout
