// TLS termination end to end: a real stratus-lb process with https and tls listeners, certificates (ECDSA P-256)
// made with the openssl command at test time, curl and an OpenSSL client in the test, in-process backends.
#include <gtest/gtest.h>

#include "tls_test_util.h"

namespace stratus::lb {
namespace {

using namespace testing;

class LbTlsTest : public LbFixture {
 protected:
  void SetUp() override {
    LbFixture::SetUp();
    dir_ = lb_->dir();
  }
  void TearDown() override {
    LbFixture::TearDown();
    // Keys never reach the log, whatever happened.
    EXPECT_EQ(lb_->log().find("PRIVATE KEY"), std::string::npos);
  }

  // An https listener on port_ in front of `backend` with these certificates (the first is the default).
  LbConfig HttpsConfig(int backend, const std::vector<CertificateConfig>& certs, uint64_t version = 1) {
    LbConfig c = SimpleConfig(port_, {backend}, version);
    c.listeners[0].protocol = Protocol::kHttps;
    for (const auto& cert : certs) {
      c.certificates.push_back(cert);
      c.listeners[0].certificates.push_back(cert.name);
    }
    return c;
  }
  std::string Curl(const std::string& host, const std::string& cacert, const std::string& extra = "") {
    std::string p = std::to_string(port_);
    return Shell("curl -sS --max-time 10 --cacert " + cacert + " --resolve " + host + ":" + p + ":127.0.0.1 " + extra +
               " -D - https://" + host + ":" + p + "/ 2>&1");
  }
  std::string dir_;
};

TEST_F(LbTlsTest, SniPicksTheCertificateAndTheTargetSeesHttps) {
  Backend a("a");
  CertificateConfig def = MakeCert(dir_, "default", "default.test");
  CertificateConfig ca = MakeCert(dir_, "site-a", "a.test");
  CertificateConfig cb = MakeCert(dir_, "site-b", "b.test");
  ApplyAndWaitHealthy(HttpsConfig(a.port(), {def, ca, cb}));
  // curl verifies each name against only that name's certificate: a wrong choice fails verification.
  std::string out = Curl("a.test", dir_ + "/site-a.pem");
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Seen-Proto: https"), std::string::npos) << out;
  EXPECT_NE(out.find("hello from a"), std::string::npos) << out;
  out = Curl("b.test", dir_ + "/site-b.pem");
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  out = Curl("a.test", dir_ + "/site-b.pem");
  EXPECT_EQ(out.find("HTTP/1.1 200"), std::string::npos) << out;  // the check above means something
  // An unknown name and no SNI at all get the default certificate.
  EXPECT_EQ(TlsClient(port_, Opt().Sni("c.test")).peer_cn(), "default.test");
  EXPECT_EQ(TlsClient(port_, Opt()).peer_cn(), "default.test");
  EXPECT_EQ(TlsClient(port_, Opt().Sni("B.TEST")).peer_cn(), "b.test");
  TlsClient client(port_, Opt().Sni("a.test"));
  HttpResponse r = client.Get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["x-seen-proto"], "https");
  EXPECT_EQ(r.headers["x-seen-version"], "HTTP/1.1");
  EXPECT_EQ(ListenerMetric("TLSHandshakeCount"), 6);
  EXPECT_EQ(ListenerMetric("ClientTLSNegotiationErrorCount"), 1);  // curl refused the certificate
}

TEST_F(LbTlsTest, SecurityPoliciesSetProtocolsAndCiphers) {
  Backend a("a");
  LbConfig c = HttpsConfig(a.port(), {MakeCert(dir_, "default", "default.test")});
  c.listeners[0].ssl_policy = "ELBSecurityPolicy-TLS13-1-3-2021-06";
  ApplyAndWaitHealthy(c);
  EXPECT_FALSE(TlsClient(port_, Opt().Max(TLS1_2_VERSION)).ok());
  EXPECT_EQ(TlsClient(port_, Opt()).version(), "TLSv1.3");
  EXPECT_TRUE(WaitFor([&] { return ListenerMetric("ClientTLSNegotiationErrorCount") == 1; }));

  c.version = 2;
  c.listeners[0].ssl_policy = "ELBSecurityPolicy-2016-08";
  ASSERT_TRUE(ctl_->Apply(c).ok());
  EXPECT_FALSE(TlsClient(port_, Opt().Min(TLS1_3_VERSION)).ok());
  TlsClient tls12(port_, Opt());
  EXPECT_EQ(tls12.version(), "TLSv1.2");
  EXPECT_EQ(tls12.cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");  // the server's order wins

  c.version = 3;
  c.listeners[0].ssl_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06";
  ASSERT_TRUE(ctl_->Apply(c).ok());
  EXPECT_EQ(TlsClient(port_, Opt()).version(), "TLSv1.3");
  EXPECT_EQ(TlsClient(port_, Opt().Max(TLS1_2_VERSION)).version(), "TLSv1.2");
  EXPECT_FALSE(TlsClient(port_, Opt().Max(TLS1_1_VERSION)).ok());
}

TEST_F(LbTlsTest, SessionTicketsResumeAcrossCertificateChangesUntilTheirKeysRotateOut) {
  Backend a("a");
  LbConfig c = HttpsConfig(a.port(), {MakeCert(dir_, "default", "default.test")});
  c.settings.ticket_key_rotation_ms = 400;
  ApplyAndWaitHealthy(c);
  for (int max : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SSL_SESSION* sess;
    {
      TlsClient first(port_, Opt().Max(max));
      ASSERT_EQ(first.Get("/").status, 200);
      EXPECT_FALSE(first.resumed());
      sess = first.session();
    }
    {
      TlsClient again(port_, Opt().Max(max).Session(sess));
      ASSERT_EQ(again.Get("/").status, 200);
      EXPECT_TRUE(again.resumed()) << max;
    }
    SSL_SESSION_free(sess);
  }
  // A new certificate (a new configuration generation) keeps the ticket keys.
  SSL_SESSION* sess;
  {
    TlsClient first(port_, Opt());
    ASSERT_EQ(first.Get("/").status, 200);
    sess = first.session();
  }
  c.version = 2;
  c.certificates[0] = MakeCert(dir_, "default", "default.test");
  ASSERT_TRUE(ctl_->Apply(c).ok());
  {
    TlsClient again(port_, Opt().Session(sess));
    ASSERT_EQ(again.Get("/").status, 200);
    EXPECT_TRUE(again.resumed());
  }
  // Two rotation periods later the key that sealed the ticket is gone: a full handshake.
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  {
    TlsClient late(port_, Opt().Session(sess));
    ASSERT_EQ(late.Get("/").status, 200);
    EXPECT_FALSE(late.resumed());
  }
  SSL_SESSION_free(sess);
}

TEST_F(LbTlsTest, CertificateRotationUnderLoadFailsNoRequest) {
  Backend a("a");
  LbConfig c = HttpsConfig(a.port(), {MakeCert(dir_, "default", "default.test")});
  ApplyAndWaitHealthy(c);
  TlsClient held(port_, Opt());
  ASSERT_EQ(held.Get("/").status, 200);
  std::string old_cert = held.peer_fingerprint();
  std::vector<CertificateConfig> next;
  for (int i = 0; i < 3; ++i) next.push_back(MakeCert(dir_, "default", "default.test"));
  std::string wrk_out;
  std::thread wrk([&] {
    wrk_out = Shell("wrk -t1 -c8 -d3s https://127.0.0.1:" + std::to_string(port_) + "/ 2>&1");
  });
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    c.version++;
    c.certificates[0] = next[static_cast<size_t>(i)];
    ASSERT_TRUE(ctl_->Apply(c).ok());
  }
  wrk.join();
  EXPECT_NE(wrk_out.find("requests in"), std::string::npos) << wrk_out;
  EXPECT_EQ(wrk_out.find("Socket errors"), std::string::npos) << wrk_out;
  EXPECT_EQ(wrk_out.find("Non-2xx"), std::string::npos) << wrk_out;
  // The connection made before the changes still works; new ones get the newest certificate.
  EXPECT_EQ(held.Get("/").status, 200);
  TlsClient fresh(port_, Opt());
  EXPECT_NE(fresh.peer_fingerprint(), old_cert);
  EXPECT_EQ(fresh.Get("/").status, 200);
}

TEST_F(LbTlsTest, HandshakeFloodAndStalledHandshakesDoNotStarveEstablishedClients) {
  Backend a("a");
  LbConfig c = HttpsConfig(a.port(), {MakeCert(dir_, "default", "default.test")});
  c.settings.handshake_timeout_ms = 500;
  ApplyAndWaitHealthy(c);
  TlsClient established(port_, Opt());
  ASSERT_EQ(established.Get("/").status, 200);
  // Stalled handshakes: connected, a partial ClientHello, then nothing.
  std::vector<int> stalled;
  for (int i = 0; i < 20; ++i) {
    int fd = ConnectTo(port_, 5000);
    ASSERT_GE(fd, 0);
    SendAll(fd, std::string("\x16\x03\x01\x02\x00", 5));
    stalled.push_back(fd);
  }
  // The flood: threads doing full handshakes as fast as they can, plus garbage hellos.
  std::atomic<bool> stop{false};
  std::atomic<int> handshakes{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 3; ++t) {
    flood.emplace_back([&] {
      while (!stop.load()) {
        if (TlsClient(port_, Opt()).ok()) handshakes++;
        int fd = ConnectTo(port_, 2000);
        if (fd >= 0) {
          SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");  // not TLS
          close(fd);
        }
      }
    });
  }
  int served = 0;
  for (int i = 0; i < 100; ++i) {
    HttpResponse r = established.Get("/");
    if (r.status == 200) served++;
  }
  stop = true;
  for (auto& t : flood) t.join();
  EXPECT_EQ(served, 100);
  EXPECT_GT(handshakes.load(), 0);
  for (int fd : stalled) {
    char buf[16];
    EXPECT_EQ(recv(fd, buf, sizeof buf, 0), 0);  // closed by the handshake timeout (5 s receive timeout: -1)
    close(fd);
  }
  EXPECT_GE(ListenerMetric("ClientTLSNegotiationErrorCount"), 20);
}

TEST_F(LbTlsTest, TlsListenerTerminatesAndCopiesBytes) {
  Backend a("a");
  LbConfig c = SimpleConfig(port_, {a.port()});
  c.target_groups[0].protocol = Protocol::kTcp;
  c.target_groups[0].health_check.protocol = Protocol::kTcp;
  c.listeners[0].protocol = Protocol::kTls;
  c.certificates.push_back(MakeCert(dir_, "default", "default.test"));
  c.listeners[0].certificates = {"default"};
  ApplyAndWaitHealthy(c);
  TlsClient client(port_, Opt());
  HttpResponse r = client.Get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello from a\n");
  EXPECT_EQ(r.headers["x-seen-proto"], "");  // a byte stream: nothing added
  EXPECT_EQ(client.Get("/big?bytes=300000").body.size(), 300000u);
}

TEST_F(LbTlsTest, ABadCertificateIsRefusedAndChangesNothing) {
  Backend a("a");
  CertificateConfig good = MakeCert(dir_, "default", "default.test");
  ApplyAndWaitHealthy(HttpsConfig(a.port(), {good}));
  CertificateConfig other = MakeCert(dir_, "other", "other.test");
  CertificateConfig mismatched = good;
  mismatched.private_key = other.private_key;
  Status st = ctl_->Apply(HttpsConfig(a.port(), {mismatched}, 2));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("certificate default: the private key does not match the certificate"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(st.message().find("PRIVATE"), std::string::npos);
  CertificateConfig garbage = good;
  garbage.certificate = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  st = ctl_->Apply(HttpsConfig(a.port(), {garbage}, 3));
  EXPECT_NE(st.message().find("certificate default: the certificate is not valid PEM"), std::string::npos)
      << st.message();
  TlsClient client(port_, Opt());
  EXPECT_EQ(client.Get("/").status, 200);
  auto status = ctl_->GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->version, 1u);
}

}  // namespace
}  // namespace stratus::lb
