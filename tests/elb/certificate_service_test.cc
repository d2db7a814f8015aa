// CertificateService and the HTTPS side of LoadBalancerService behind a FakeDataPlane: imports with their checks,
// key files and their modes, durability across a restart, listener certificates, in-use refusal, rotation, and
// listener actions reaching the data plane's snapshot. No root, no stratus-lb.
#include "elb/certificate_service.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>

#include "../compute/fake_instance_host.h"
#include "../compute/test_stores.h"
#include "common/files.h"
#include "daemon/service_rules.h"
#include "elb/load_balancer_service.h"
#include "fake_data_plane.h"

namespace stratus::elb {
namespace {

struct Pem {
  std::string cert, key;
};

// A self-signed ECDSA P-256 certificate for `name`, valid from now+from_days to now+to_days.
Pem MakeCert(const std::string& name, long from_days = 0, long to_days = 2) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
  X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400 - 60);
  X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400);
  X509_set_pubkey(x, key);
  X509_NAME* n = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, n);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  std::string san = "DNS:" + name + ",DNS:www." + name;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, key, EVP_sha256());
  auto pem = [](auto write) {
    BIO* b = BIO_new(BIO_s_mem());
    write(b);
    char* data = nullptr;
    long len = BIO_get_mem_data(b, &data);
    std::string out(data, len);
    BIO_free(b);
    return out;
  };
  Pem out{pem([&](BIO* b) { PEM_write_bio_X509(b, x); }),
          pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); })};
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

int ModeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : -1;
}

class CertificateServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InstanceServiceOptions io;
    io.subnet_ids = {"subnet-a"};
    instances_ = std::make_unique<InstanceService>(stores_.store.get(), stores_.images.get(), &host_, io);
    ASSERT_TRUE(instances_->Recover().ok());
    StartServices();
  }
  void StartServices() {
    lbs_.reset();
    certs_.reset();
    certs_ = std::make_unique<CertificateService>(stores_.store.get(), CertificateServiceOptions{"local", "000000000000", KeyDir()});
    lbs_ = std::make_unique<LoadBalancerService>(stores_.store.get(), instances_.get(), &data_plane_, LoadBalancerServiceOptions{});
    ConnectCertificates(certs_.get(), lbs_.get());
    ASSERT_TRUE(certs_->Start().ok());
    ASSERT_TRUE(lbs_->Start().ok());
  }
  void TearDown() override {
    lbs_.reset();
    certs_.reset();
    instances_.reset();
  }
  std::string KeyDir() const { return stores_.Path("certificates"); }
  std::vector<std::string> KeyFiles() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(KeyDir())) out.push_back(e.path().string());
    return out;
  }
  Certificate Import(const Pem& p) {
    auto c = certs_->Import(p.cert, p.key, "", {{"team", "web"}});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : Certificate{};
  }
  // An application load balancer "front" with an HTTP target group "web".
  void Front() {
    TargetGroup tg;
    tg.name = "web";
    ASSERT_TRUE(lbs_->CreateTargetGroup(tg).ok());
    tg.name = "canary";
    ASSERT_TRUE(lbs_->CreateTargetGroup(tg).ok());
    ASSERT_TRUE(lbs_->CreateLoadBalancer("front", "application", {}).ok());
  }
  Result<Listener> Https(int port, std::vector<std::string> certs, std::string policy = "") {
    ListenerSpec spec;
    spec.port = port;
    spec.protocol = "HTTPS";
    spec.default_target_group = "web";
    spec.certificates = std::move(certs);
    spec.ssl_policy = std::move(policy);
    return lbs_->CreateListener("front", spec);
  }
  // Waits (bounded) until the data plane runs a configuration `pred` accepts.
  bool AppliedSoon(const std::function<bool(const lb::LbConfig&)>& pred) {
    for (int i = 0; i < 100; i++) {
      if (pred(data_plane_.Applied())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  TestStores stores_{"cert-service-test"};
  FakeInstanceHost host_;
  std::unique_ptr<InstanceService> instances_;
  FakeDataPlane data_plane_;
  std::unique_ptr<CertificateService> certs_;
  std::unique_ptr<LoadBalancerService> lbs_;
};

TEST_F(CertificateServiceTest, ImportReadsTheCertificateAndKeepsTheKeyInA0600File) {
  Pem p = MakeCert("a.test");
  Certificate c = Import(p);
  EXPECT_EQ(c.arn.rfind("arn:aws:acm:local:000000000000:certificate/", 0), 0u) << c.arn;
  EXPECT_EQ(c.info.domain_name, "a.test");
  EXPECT_EQ(c.info.subject_alternative_names, (std::vector<std::string>{"a.test", "www.a.test"}));
  EXPECT_EQ(c.info.key_algorithm, "EC_prime256v1");
  EXPECT_EQ(c.info.signature_algorithm, "SHA256WITHECDSA");
  EXPECT_EQ(c.info.serial, "10:92");
  EXPECT_GT(c.info.not_after, c.info.not_before);
  EXPECT_EQ(c.Status(c.imported_at), "ISSUED");
  EXPECT_EQ(ModeOf(KeyDir()), 0700);
  ASSERT_EQ(KeyFiles().size(), 1u);
  EXPECT_EQ(ModeOf(KeyFiles()[0]), 0600);
  EXPECT_EQ(*ReadFile(KeyFiles()[0]), p.key);
  // Nothing a front end serializes holds the key.
  std::string shown = ToJson(*certs_->Describe(c.arn), 0).dump();
  EXPECT_EQ(shown.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(shown.find(p.key.substr(40, 40)), std::string::npos);
  // By id as well as by ARN.
  EXPECT_EQ(certs_->Describe(c.arn.substr(c.arn.rfind('/') + 1))->arn, c.arn);
}

TEST_F(CertificateServiceTest, BadImportsAreRefusedAndChangeNothing) {
  Pem a = MakeCert("a.test"), b = MakeCert("b.test");
  struct Case {
    std::string cert, key, chain, what;
  } cases[] = {
      {a.cert, b.key, "", "does not match"},
      {a.cert, "not a key", "", "PrivateKey"},
      {"garbage", a.key, "", "exactly one"},
      {a.cert + b.cert, a.key, "", "exactly one"},
      {a.cert, a.key, "garbage", "CertificateChain"},
  };
  for (const auto& c : cases) {
    auto r = certs_->Import(c.cert, c.key, c.chain, {});
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().error_code(), "ValidationException");
    EXPECT_NE(r.status().message().find(c.what), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find("BEGIN"), std::string::npos);  // never quotes PEM text
  }
  Pem expired = MakeCert("old.test", -10, -1);
  auto r = certs_->Import(expired.cert, expired.key, "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expired"), std::string::npos);
  EXPECT_TRUE(certs_->List().empty());
  EXPECT_TRUE(KeyFiles().empty());
}

TEST_F(CertificateServiceTest, ImportsSurviveARestartAndUnnamedKeyFilesAreRemoved) {
  Pem p = MakeCert("a.test");
  Certificate c = Import(p);
  // A key file whose import never wrote its record (a crash in between): nobody acknowledged it.
  ASSERT_TRUE(WriteFileAtomic(KeyDir() + "/orphan-0000.key", "x", 0600).ok());
  StartServices();
  auto again = certs_->Describe(c.arn);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->tags, (std::vector<Tag>{{"team", "web"}}));
  auto material = certs_->ReadKeyMaterial(c.arn);
  ASSERT_TRUE(material.ok());
  EXPECT_EQ(material->private_key_pem, p.key);
  EXPECT_EQ(KeyFiles().size(), 1u);
}

TEST_F(CertificateServiceTest, HttpsListenersCarryTheirCertificatesToTheDataPlane) {
  Front();
  Certificate a = Import(MakeCert("a.test")), b = Import(MakeCert("b.test"));
  EXPECT_EQ(Https(8443, {}).status().error_code(), "ValidationError");  // a certificate is required
  EXPECT_EQ(Https(8443, {"arn:aws:acm:local:000000000000:certificate/nope"}).status().error_code(), "CertificateNotFound");
  EXPECT_EQ(Https(8443, {a.arn}, "ELBSecurityPolicy-Nope").status().error_code(), "SSLPolicyNotFound");
  auto l = Https(8443, {a.arn}, "ELBSecurityPolicy-TLS13-1-2-2021-06");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->ssl_policy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
  ASSERT_TRUE(lbs_->AddListenerCertificates(l->arn, {b.arn}).ok());
  EXPECT_EQ(*lbs_->DescribeListenerCertificates(l->arn), (std::vector<std::string>{a.arn, b.arn}));
  ASSERT_TRUE(AppliedSoon([&](const lb::LbConfig& c) {
    return c.listeners.size() == 1 && c.listeners[0].certificates.size() == 2 && c.certificates.size() == 2;
  }));
  lb::LbConfig applied = data_plane_.Applied();
  EXPECT_EQ(applied.listeners[0].protocol, lb::Protocol::kHttps);
  EXPECT_EQ(applied.listeners[0].ssl_policy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
  EXPECT_EQ(applied.FindCertificate(a.arn)->private_key, certs_->ReadKeyMaterial(a.arn)->private_key_pem);

  // In use: not deleted, and DescribeCertificate says by whom.
  EXPECT_EQ(certs_->Describe(b.arn)->in_use_by, (std::vector<std::string>{l->load_balancer_arn}));
  EXPECT_EQ(certs_->Delete(b.arn).error_code(), "ResourceInUseException");
  EXPECT_EQ(lbs_->RemoveListenerCertificates(l->arn, {a.arn}).error_code(), "OperationNotPermitted");  // the default
  ASSERT_TRUE(lbs_->RemoveListenerCertificates(l->arn, {b.arn}).ok());
  EXPECT_TRUE(certs_->Describe(b.arn)->in_use_by.empty());
  EXPECT_TRUE(certs_->Delete(b.arn).ok());
  EXPECT_EQ(certs_->Describe(b.arn).status().error_code(), "ResourceNotFoundException");

  // A re-import replaces the certificate in place; the data plane gets it, and the old key file goes.
  Pem rotated = MakeCert("a.test");
  ASSERT_TRUE(certs_->Import(rotated.cert, rotated.key, "", {}, a.arn).ok());
  ASSERT_TRUE(AppliedSoon([&](const lb::LbConfig& c) {
    return c.FindCertificate(a.arn) && c.FindCertificate(a.arn)->certificate == rotated.cert;
  }));
  EXPECT_EQ(KeyFiles().size(), 1u);
  // ModifyListener replaces the default certificate.
  Certificate c = Import(MakeCert("c.test"));
  ListenerChange change;
  change.default_certificate = c.arn;
  ASSERT_TRUE(lbs_->ModifyListener(l->arn, change).ok());
  EXPECT_EQ(*lbs_->DescribeListenerCertificates(l->arn), (std::vector<std::string>{c.arn}));
  EXPECT_TRUE(certs_->Delete(a.arn).ok());
}

TEST_F(CertificateServiceTest, RedirectFixedResponseAndWeightedForwardReachTheDataPlane) {
  Front();
  auto l = lbs_->CreateListener("front", 8080, "HTTP", "web");
  ASSERT_TRUE(l.ok());
  Action redirect;
  redirect.type = "redirect";
  redirect.protocol = "HTTPS";
  redirect.port = "443";
  redirect.status_code = "HTTP_301";
  ASSERT_TRUE(lbs_->CreateRule(l->arn, 1, {{"path-pattern", {"/old/*"}, "", {}}}, redirect).ok());
  Action fixed;
  fixed.type = "fixed-response";
  fixed.status_code = "503";
  fixed.message_body = "down";
  ASSERT_TRUE(lbs_->CreateRule(l->arn, 2, {{"http-header", {"yes"}, "X-Maintenance", {}}}, fixed).ok());
  Action weighted;
  weighted.target_groups = {{"web", 3}, {"canary", 1}};
  ASSERT_TRUE(lbs_->CreateRule(l->arn, 3, {{"query-string", {}, "", {{"v", "2"}}}}, weighted).ok());
  // Refused: a redirect to itself, a bad status, an unknown group, a condition without values.
  Action loop;
  loop.type = "redirect";
  loop.status_code = "HTTP_302";
  EXPECT_EQ(lbs_->CreateRule(l->arn, 4, {{"path-pattern", {"/x"}, "", {}}}, loop).status().error_code(), "ValidationError");
  fixed.status_code = "700";
  EXPECT_FALSE(lbs_->CreateRule(l->arn, 4, {{"path-pattern", {"/x"}, "", {}}}, fixed).ok());
  weighted.target_groups = {{"nope", 1}};
  EXPECT_EQ(lbs_->CreateRule(l->arn, 4, {{"path-pattern", {"/x"}, "", {}}}, weighted).status().error_code(), "TargetGroupNotFound");
  EXPECT_FALSE(lbs_->CreateRule(l->arn, 4, {{"source-ip", {}, "", {}}}, redirect).ok());

  ASSERT_TRUE(AppliedSoon([](const lb::LbConfig& c) { return c.listeners.size() == 1 && c.listeners[0].rules.size() == 3; }));
  const auto rules = data_plane_.Applied().listeners[0].rules;
  EXPECT_EQ(rules[0].action.type, lb::ActionType::kRedirect);
  EXPECT_EQ(rules[0].action.protocol, "HTTPS");
  EXPECT_EQ(rules[0].action.port, "443");
  EXPECT_EQ(rules[0].action.status_code, 301);
  EXPECT_EQ(rules[0].paths, (std::vector<std::string>{"/old/*"}));
  EXPECT_EQ(rules[1].action.type, lb::ActionType::kFixedResponse);
  EXPECT_EQ(rules[1].action.status_code, 503);
  EXPECT_EQ(rules[1].action.message_body, "down");
  ASSERT_EQ(rules[1].http_headers.size(), 1u);
  EXPECT_EQ(rules[1].http_headers[0].name, "X-Maintenance");
  ASSERT_EQ(rules[2].action.target_groups.size(), 2u);
  EXPECT_EQ(rules[2].action.target_groups[0].target_group, "web");
  EXPECT_EQ(rules[2].action.target_groups[0].weight, 3);
  ASSERT_EQ(rules[2].query_strings.size(), 1u);
  EXPECT_EQ(rules[2].query_strings[0].value, "2");
  // The rules and their actions survive a restart (the store record round-trips).
  StartServices();
  auto described = lbs_->DescribeRules(l->arn);
  ASSERT_TRUE(described.ok());
  ASSERT_EQ(described->size(), 4u);
  EXPECT_EQ((*described)[0].first.action.type, "redirect");
  EXPECT_EQ((*described)[2].first.action.target_groups.size(), 2u);
  EXPECT_EQ((*described)[2].first.conditions[0].query[0].second, "2");
  // The canary group is in use through the weighted rule.
  EXPECT_EQ(lbs_->DeleteTargetGroup("canary").error_code(), "ResourceInUse");
}

}  // namespace
}  // namespace stratus::elb
