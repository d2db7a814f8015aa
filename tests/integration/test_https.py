"""HTTPS at the load balancer through the AWS APIs: certificates imported with boto3 (ACM), the aws CLI and
`stratus cert`, an HTTPS listener with two certificates chosen by SNI (curl --resolve --cacert), listener
certificates added and removed, a certificate in use refused deletion, keys never returned and kept 0600, an
import that survives a stratusd kill -9, and redirect / fixed-response / weighted forward rules made with boto3.
Targets are small HTTP servers on loopback started by the test (ip targets): no instances needed."""
import http.server
import json
import os
import socket
import ssl
import stat
import subprocess
import tempfile
import threading

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from stratus_harness import Stratus  # noqa: E402

AWS_CLIS = ["/usr/bin/aws", "/root/.pyenv/shims/aws"]


class Backend:
    """An HTTP server on loopback that answers with its name, the path and the X-Forwarded-Proto it saw."""

    def __init__(self, name):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                body = json.dumps({"backend": outer.name, "path": self.path,
                                   "proto": self.headers.get("X-Forwarded-Proto", ""),
                                   "version": self.request_version}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.name = name
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def make_cert(directory, name):
    crt, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:" + name, "-keyout", key,
                    "-out", crt], check=True, capture_output=True, timeout=60)
    return crt, key


def read(path):
    with open(path) as f:
        return f.read()


@pytest.fixture(scope="module")
def env():
    s = Stratus("https")
    backends = [Backend("blue"), Backend("green")]
    certs = tempfile.mkdtemp(prefix="stratus-it-certs-")
    try:
        s.start()
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(s.state_dir, "credentials")
        yield s, backends, certs
    finally:
        for b in backends:
            b.stop()
        s.uninstall()
        subprocess.run(["rm", "-rf", certs], check=False)


def clients(s):
    session = boto3.Session(profile_name="stratus", region_name="local")
    cfg = Config(retries={"max_attempts": 1})
    return (session.client("acm", endpoint_url=s.endpoint, config=cfg),
            session.client("elbv2", endpoint_url=s.endpoint, config=cfg))


def curl(*args):
    r = subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def served_certificate(port, sni):
    """The DER certificate the listener presents for `sni` (None: no SNI)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as tls:
            return tls.getpeercert(binary_form=True)


def der_of(pem_path):
    return ssl.PEM_cert_to_DER_cert(read(pem_path))


def ip_target_group(elbv2, name, backend):
    tg = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=backend.port, TargetType="ip",
                                   HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                   HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
    return tg


def wait_in_service(elbv2, tg, backend):
    """A target is health checked once a listener forwards to its group (before that it is unused, as on ELB)."""
    elbv2.get_waiter("target_in_service").wait(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": backend.port}],
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 30})


def test_https_listener_with_sni_certificates_through_boto3(env):
    s, (blue, _), certs = env
    acm, elbv2 = clients(s)
    a_crt, a_key = make_cert(certs, "a.test")
    b_crt, b_key = make_cert(certs, "b.test")
    responses = []

    a = acm.import_certificate(Certificate=read(a_crt).encode(), PrivateKey=read(a_key).encode(),
                               Tags=[{"Key": "site", "Value": "a"}])["CertificateArn"]
    b = acm.import_certificate(Certificate=read(b_crt).encode(), PrivateKey=read(b_key).encode())["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=a)["Certificate"]
    responses.append(detail)
    assert detail["DomainName"] == "a.test" and detail["Type"] == "IMPORTED" and detail["Status"] == "ISSUED"
    assert detail["KeyAlgorithm"] == "EC_prime256v1"
    assert detail["NotAfter"] > detail["NotBefore"]  # expiry is shown (datetimes)
    got = acm.get_certificate(CertificateArn=a)
    responses.append(got)
    assert got["Certificate"].strip() == read(a_crt).strip()
    listed = acm.list_certificates()["CertificateSummaryList"]
    responses.append(listed)
    assert {c["CertificateArn"] for c in listed} >= {a, b}
    assert acm.list_tags_for_certificate(CertificateArn=a)["Tags"] == [{"Key": "site", "Value": "a"}]

    # Refused imports: a key of another certificate, garbage; nothing is stored.
    with pytest.raises(ClientError) as e:
        acm.import_certificate(Certificate=read(a_crt).encode(), PrivateKey=read(b_key).encode())
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "does not match" in e.value.response["Error"]["Message"]
    assert len(acm.list_certificates()["CertificateSummaryList"]) == len(listed)

    tg = ip_target_group(elbv2, "blue", blue)
    lb = elbv2.create_load_balancer(Name="secure")["LoadBalancers"][0]["LoadBalancerArn"]
    port = s.port + 501
    with pytest.raises(ClientError) as e:
        elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=port, Certificates=[{"CertificateArn": a}],
                              SslPolicy="ELBSecurityPolicy-Nope", DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    assert e.value.response["Error"]["Code"] == "SSLPolicyNotFound"
    listener = elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=port,
                                     Certificates=[{"CertificateArn": a}], SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    assert listener["Protocol"] == "HTTPS" and listener["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listener["Certificates"] == [{"CertificateArn": a}]
    arn = listener["ListenerArn"]
    wait_in_service(elbv2, tg, blue)
    elbv2.add_listener_certificates(ListenerArn=arn, Certificates=[{"CertificateArn": b}])
    listed_certs = elbv2.describe_listener_certificates(ListenerArn=arn)["Certificates"]
    assert {(c["CertificateArn"], c["IsDefault"]) for c in listed_certs} == {(a, True), (b, False)}
    policies = elbv2.describe_ssl_policies(Names=["ELBSecurityPolicy-TLS13-1-3-2021-06"])["SslPolicies"]
    assert policies[0]["SslProtocols"] == ["TLSv1.3"]

    # curl with only that name's CA reaches the target over HTTPS, which sees X-Forwarded-Proto https.
    for name, ca in (("a.test", a_crt), ("b.test", b_crt)):
        rc, out, err = curl("--resolve", f"{name}:{port}:127.0.0.1", "--cacert", ca, f"https://{name}:{port}/hello")
        assert rc == 0, err + s.log()
        seen = json.loads(out)
        assert seen == {"backend": "blue", "path": "/hello", "proto": "https", "version": "HTTP/1.1"}
    rc, _, _ = curl("--resolve", f"a.test:{port}:127.0.0.1", "--cacert", b_crt, f"https://a.test:{port}/")
    assert rc != 0  # a.test's certificate is not signed by b's
    # An unknown name, and no name at all, get the default certificate.
    assert served_certificate(port, "other.test") == der_of(a_crt)
    assert served_certificate(port, None) == der_of(a_crt)
    assert served_certificate(port, "b.test") == der_of(b_crt)

    # In use: not deleted. DescribeCertificate names the load balancer.
    with pytest.raises(ClientError) as e:
        acm.delete_certificate(CertificateArn=b)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    assert acm.describe_certificate(CertificateArn=b)["Certificate"]["InUseBy"] == [lb]
    elbv2.remove_listener_certificates(ListenerArn=arn, Certificates=[{"CertificateArn": b}])
    acm.delete_certificate(CertificateArn=b)
    with pytest.raises(ClientError) as e:
        acm.describe_certificate(CertificateArn=b)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # No response carried a key; key files are 0600 in a 0700 directory.
    assert "PRIVATE KEY" not in json.dumps(responses, default=str)
    key_dir = os.path.join(s.state_dir, "certificates")
    assert stat.S_IMODE(os.stat(key_dir).st_mode) == 0o700
    keys = os.listdir(key_dir)
    assert len(keys) == 1 and stat.S_IMODE(os.stat(os.path.join(key_dir, keys[0])).st_mode) == 0o600
    assert "PRIVATE KEY" not in read(os.path.join(s.state_dir, "stratus-lb.log"))
    assert "PRIVATE KEY" not in read(s.log_path)

    # An acknowledged import survives kill -9 of stratusd; the listener keeps serving it after the restart.
    s.kill9()
    s.start()
    acm, elbv2 = clients(s)
    assert acm.describe_certificate(CertificateArn=a)["Certificate"]["DomainName"] == "a.test"
    rc, out, err = curl("--resolve", f"a.test:{port}:127.0.0.1", "--cacert", a_crt, f"https://a.test:{port}/again")
    assert rc == 0 and json.loads(out)["path"] == "/again", err


@pytest.mark.parametrize("cli", AWS_CLIS)
def test_aws_cli_imports_a_certificate_and_never_prints_the_key(env, cli):
    s, _, certs = env
    if not os.path.exists(cli):
        pytest.skip(f"{cli} not installed")
    name = "cli%d.test" % AWS_CLIS.index(cli)
    crt, key = make_cert(certs, name)
    base = [cli, "--profile", "stratus", "--endpoint-url", s.endpoint, "--region", "local", "--output", "json"]
    environment = dict(os.environ, AWS_PAGER="", AWS_CONFIG_FILE="/dev/null")

    def aws(*args):
        r = subprocess.run(base + list(args), env=environment, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "PRIVATE KEY" not in r.stdout + r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else {}

    arn = aws("acm", "import-certificate", "--certificate", "fileb://" + crt, "--private-key", "fileb://" + key)["CertificateArn"]
    assert aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]["DomainName"] == name
    assert aws("acm", "get-certificate", "--certificate-arn", arn)["Certificate"].strip() == read(crt).strip()


def test_stratus_cert_commands(env):
    s, _, certs = env
    crt, key = make_cert(certs, "cli.test")
    out = s.cli("cert", "import", "--cert", crt, "--key", key).stdout
    assert "cli.test" in out and "EC_prime256v1" in out and "PRIVATE KEY" not in out
    listed = json.loads(s.cli("-o", "json", "cert", "list").stdout)["Certificates"]
    cert = [c for c in listed if c["DomainName"] == "cli.test"][0]
    cert_id = cert["CertificateArn"].rsplit("/", 1)[1]
    shown = s.cli("cert", "show", cert_id).stdout
    assert "cli.test" in shown and "PRIVATE KEY" not in shown
    other_crt, other_key = make_cert(certs, "other.test")
    bad = s.cli("cert", "import", "--cert", crt, "--key", other_key, check=False)
    assert bad.returncode != 0 and "does not match" in bad.stderr
    s.cli("cert", "delete", cert_id)
    assert "cli.test" not in s.cli("cert", "list").stdout


def test_redirect_fixed_response_and_weighted_forward_rules_through_boto3(env):
    s, (blue, green), _ = env
    _, elbv2 = clients(s)
    blue_tg = ip_target_group(elbv2, "rules-blue", blue)
    green_tg = ip_target_group(elbv2, "rules-green", green)
    lb = elbv2.create_load_balancer(Name="rules")["LoadBalancers"][0]["LoadBalancerArn"]
    port = s.port + 502
    # The default action: HTTP to HTTPS, keeping host, path and query.
    listener = elbv2.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=port,
        DefaultActions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                                "StatusCode": "HTTP_301"}}])["Listeners"][0]
    arn = listener["ListenerArn"]
    elbv2.create_rule(ListenerArn=arn, Priority=10,
                      Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/maintenance"]}}],
                      Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                          "StatusCode": "503", "ContentType": "text/plain", "MessageBody": "back soon"}}])
    elbv2.create_rule(ListenerArn=arn, Priority=20,
                      Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/app/*"]}}],
                      Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                          {"TargetGroupArn": blue_tg, "Weight": 1}, {"TargetGroupArn": green_tg, "Weight": 1}]}}])
    with pytest.raises(ClientError) as e:  # a redirect that changes nothing would loop
        elbv2.create_rule(ListenerArn=arn, Priority=30,
                          Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/loop"]}}],
                          Actions=[{"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_302"}}])
    assert e.value.response["Error"]["Code"] == "ValidationError"
    wait_in_service(elbv2, blue_tg, blue)
    wait_in_service(elbv2, green_tg, green)
    rules = elbv2.describe_rules(ListenerArn=arn)["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "20", "default"]
    assert rules[0]["Actions"][0]["FixedResponseConfig"]["MessageBody"] == "back soon"
    weights = {g["TargetGroupArn"]: g["Weight"] for g in rules[1]["Actions"][0]["ForwardConfig"]["TargetGroups"]}
    assert weights == {blue_tg: 1, green_tg: 1}
    assert rules[2]["Actions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"

    base = f"http://127.0.0.1:{port}"
    rc, out, err = curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Host: shop.test",
                        base + "/cart?id=7")
    assert rc == 0, err
    assert out == "301 https://shop.test/cart?id=7"
    rc, out, _ = curl("-w", " %{http_code}", base + "/maintenance")
    assert out == "back soon 503"
    seen = set()
    for i in range(40):  # both groups get requests with equal weights (bounded: 40 tries)
        rc, out, err = curl(base + f"/app/{i}")
        assert rc == 0, err
        answer = json.loads(out)
        assert answer["path"] == f"/app/{i}" and answer["proto"] == "http"
        seen.add(answer["backend"])
        if seen == {"blue", "green"}:
            break
    assert seen == {"blue", "green"}
