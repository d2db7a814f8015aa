#include "elb/certificate_service.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>

#include "common/files.h"
#include "common/ids.h"
#include "common/log.h"

namespace stratus::elb {

using nlohmann::json;

namespace {

constexpr char kCertPrefix[] = "acm/certificates/";

Status Invalid(const std::string& message) { return InvalidArgument(message).WithErrorCode("ValidationException"); }
Status NotFoundError(const std::string& what) {
  return NotFound("certificate " + what + " does not exist").WithErrorCode("ResourceNotFoundException");
}

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

BioPtr MemBio(const std::string& s) { return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size()))); }

// All certificates of a PEM text, in order.
std::vector<X509Ptr> ReadCertificates(const std::string& pem) {
  std::vector<X509Ptr> out;
  BioPtr bio = MemBio(pem);
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  return out;
}

std::string NameEntry(X509_NAME* name, int nid) {
  int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0) return "";
  ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), n);
  OPENSSL_free(utf8);
  return out;
}

std::string OneLineName(X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n);
}

double EpochOf(const ASN1_TIME* t) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<double>(timegm(&tm));
}

std::string SerialOf(X509* x) {
  const ASN1_INTEGER* s = X509_get0_serialNumber(x);
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < s->length; i++) {
    if (!out.empty()) out += ':';
    out += hex[s->data[i] >> 4];
    out += hex[s->data[i] & 15];
  }
  return out;
}

std::string KeyAlgorithmOf(EVP_PKEY* key) {
  int bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) return "RSA_" + std::to_string(bits);
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[64] = {0};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len);
    std::string g(group);
    if (g == "prime256v1" || g == "P-256") return "EC_prime256v1";
    if (g == "secp384r1" || g == "P-384") return "EC_secp384r1";
    if (g == "secp521r1" || g == "P-521") return "EC_secp521r1";
    return "EC_" + g;
  }
  return "";
}

// ACM spells signature algorithms like SHA256WITHRSA and SHA256WITHECDSA.
std::string SignatureAlgorithmOf(X509* x) {
  int md = 0, pk = 0;
  if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk)) return "";
  std::string digest = OBJ_nid2sn(md);
  std::transform(digest.begin(), digest.end(), digest.begin(), ::toupper);
  std::string key = pk == NID_rsaEncryption ? "RSA" : pk == NID_X9_62_id_ecPublicKey ? "ECDSA" : OBJ_nid2sn(pk);
  return digest + "WITH" + key;
}

std::vector<std::string> DnsNames(X509* x) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != GEN_DNS) continue;
    const ASN1_IA5STRING* s = n->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(s->data), s->length);
  }
  GENERAL_NAMES_free(names);
  return out;
}

json InfoToJson(const CertificateInfo& i) {
  return {{"DomainName", i.domain_name}, {"SubjectAlternativeNames", i.subject_alternative_names},
          {"Serial", i.serial},          {"Subject", i.subject},
          {"Issuer", i.issuer},          {"NotBefore", i.not_before},
          {"NotAfter", i.not_after},     {"KeyAlgorithm", i.key_algorithm},
          {"SignatureAlgorithm", i.signature_algorithm}};
}

CertificateInfo InfoFromJson(const json& j) {
  CertificateInfo i;
  i.domain_name = j.value("DomainName", "");
  i.subject_alternative_names = j.value("SubjectAlternativeNames", std::vector<std::string>{});
  i.serial = j.value("Serial", "");
  i.subject = j.value("Subject", "");
  i.issuer = j.value("Issuer", "");
  i.not_before = j.value("NotBefore", 0.0);
  i.not_after = j.value("NotAfter", 0.0);
  i.key_algorithm = j.value("KeyAlgorithm", "");
  i.signature_algorithm = j.value("SignatureAlgorithm", "");
  return i;
}

// The store record: everything but the key, which lives in its own 0600 file.
json RecordJson(const Certificate& c) {
  return {{"CertificateArn", c.arn},        {"Info", InfoToJson(c.info)}, {"Certificate", c.certificate_pem},
          {"CertificateChain", c.chain_pem}, {"ImportedAt", c.imported_at}, {"Tags", TagsToJson(c.tags)},
          {"KeyFile", c.key_file}};
}

Result<Certificate> RecordFromJson(const json& j) {
  try {
    Certificate c;
    c.arn = j.at("CertificateArn").get<std::string>();
    c.info = InfoFromJson(j.value("Info", json::object()));
    c.certificate_pem = j.at("Certificate").get<std::string>();
    c.chain_pem = j.value("CertificateChain", "");
    c.imported_at = j.value("ImportedAt", 0.0);
    STRATUS_ASSIGN_OR_RETURN(c.tags, TagsFromJson(j.value("Tags", json::array()), /*from_user=*/false));
    c.key_file = j.at("KeyFile").get<std::string>();
    return c;
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("bad certificate record: ") + e.what());
  }
}

std::string IdOf(const std::string& arn) { return arn.substr(arn.rfind('/') + 1); }

// A UUID-shaped id, as ACM's certificate ids are.
std::string NewCertificateId() {
  std::string h = RandomHex(32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace

json ToJson(const Certificate& c, double now) {
  json j = InfoToJson(c.info);
  j.update({{"CertificateArn", c.arn},
            {"ImportedAt", c.imported_at},
            {"Status", c.Status(now)},
            {"InUseBy", c.in_use_by},
            {"Type", "IMPORTED"},
            {"RenewalEligibility", "INELIGIBLE"},
            {"Tags", TagsToJson(c.tags)}});
  return j;
}

Result<CertificateInfo> InspectCertificate(const std::string& certificate_pem, const std::string& private_key_pem,
                                           const std::string& chain_pem, double now) {
  std::vector<X509Ptr> certs = ReadCertificates(certificate_pem);
  if (certs.size() != 1) return Invalid("Certificate must hold exactly one PEM certificate");
  X509* x = certs[0].get();
  BioPtr key_bio = MemBio(private_key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Invalid("PrivateKey is not an unencrypted PEM private key");
  if (X509_check_private_key(x, key.get()) != 1) return Invalid("the private key does not match the certificate");
  if (!chain_pem.empty() && ReadCertificates(chain_pem).empty()) {
    return Invalid("CertificateChain must hold PEM certificates");
  }
  CertificateInfo info;
  info.not_before = EpochOf(X509_get0_notBefore(x));
  info.not_after = EpochOf(X509_get0_notAfter(x));
  if (info.not_after < now) return Invalid("the certificate expired (NotAfter is in the past)");
  std::string cn = NameEntry(X509_get_subject_name(x), NID_commonName);
  info.subject_alternative_names = DnsNames(x);
  info.domain_name = !cn.empty() ? cn : info.subject_alternative_names.empty() ? "" : info.subject_alternative_names[0];
  if (info.domain_name.empty()) return Invalid("the certificate names no host (no CN and no DNS subject alternative name)");
  auto& sans = info.subject_alternative_names;
  if (std::find(sans.begin(), sans.end(), info.domain_name) == sans.end()) sans.insert(sans.begin(), info.domain_name);
  info.serial = SerialOf(x);
  info.subject = OneLineName(X509_get_subject_name(x));
  X509_NAME* issuer = X509_get_issuer_name(x);
  info.issuer = NameEntry(issuer, NID_organizationName);
  if (info.issuer.empty()) info.issuer = NameEntry(issuer, NID_commonName);
  info.key_algorithm = KeyAlgorithmOf(key.get());
  info.signature_algorithm = SignatureAlgorithmOf(x);
  return info;
}

CertificateService::CertificateService(Store* store, CertificateServiceOptions options)
    : store_(store), options_(std::move(options)) {}

void CertificateService::SetInUseCheck(std::function<std::vector<std::string>(const std::string&)> check) {
  in_use_ = std::move(check);
}

void CertificateService::SetChangeListener(std::function<void(const std::string&)> listener) {
  changed_ = std::move(listener);
}

Status CertificateService::Start() {
  STRATUS_RETURN_IF_ERROR(MakeDirs(options_.key_dir, 0700));
  chmod(options_.key_dir.c_str(), 0700);
  std::lock_guard lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(auto records, store_->List(kCertPrefix));
  std::set<std::string> named;
  for (const auto& kv : records) {
    auto c = RecordFromJson(json::parse(kv.value, nullptr, false));
    if (!c.ok()) return c.status().WithContext(kv.key);
    named.insert(c->key_file);
    certs_[c->arn] = std::move(*c);
  }
  // Key files of imports that crashed before their record was written (never acknowledged), and old keys of
  // re-imports: nothing names them.
  if (DIR* d = opendir(options_.key_dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == ".." || named.count(name)) continue;
      unlink((options_.key_dir + "/" + name).c_str());
    }
    closedir(d);
  }
  return Status::Ok();
}

Status CertificateService::Persist(const Certificate& c) {
  auto rev = store_->Put(kCertPrefix + c.arn, RecordJson(c).dump());
  return rev.ok() ? Status::Ok() : rev.status();
}

const Certificate* CertificateService::Find(const std::string& key) const {
  for (const auto& [arn, c] : certs_) {
    if (arn == key || IdOf(arn) == key) return &c;
  }
  return nullptr;
}

std::vector<std::string> CertificateService::InUseBy(const std::string& arn) const {
  return in_use_ ? in_use_(arn) : std::vector<std::string>{};
}

Result<Certificate> CertificateService::Import(const std::string& certificate_pem, const std::string& private_key_pem,
                                               const std::string& chain_pem, const std::vector<Tag>& tags,
                                               const std::string& arn) {
  STRATUS_ASSIGN_OR_RETURN(CertificateInfo info, InspectCertificate(certificate_pem, private_key_pem, chain_pem, Now()));
  if (!arn.empty() && !tags.empty()) return Invalid("tags cannot be given when re-importing a certificate");
  Certificate c;
  std::string old_key_file;
  {
    std::lock_guard lock(mu_);
    if (!arn.empty()) {
      const Certificate* existing = Find(arn);
      if (!existing) return NotFoundError(arn);
      c = *existing;
      old_key_file = c.key_file;
    } else {
      c.arn = "arn:aws:acm:" + options_.region + ":" + options_.account + ":certificate/" + NewCertificateId();
      c.tags = tags;
    }
    c.info = std::move(info);
    c.certificate_pem = certificate_pem;
    c.chain_pem = chain_pem;
    c.imported_at = Now();
    // A new file per import: a crash before the record is written leaves the old record with its old key intact.
    c.key_file = IdOf(c.arn) + "-" + RandomHex(8) + ".key";
    STRATUS_RETURN_IF_ERROR(WriteFileAtomic(options_.key_dir + "/" + c.key_file, private_key_pem, 0600));
    Status st = Persist(c);
    if (!st.ok()) {
      unlink((options_.key_dir + "/" + c.key_file).c_str());
      return st;
    }
    certs_[c.arn] = c;
  }
  if (!old_key_file.empty()) unlink((options_.key_dir + "/" + old_key_file).c_str());
  LogInfo(arn.empty() ? "certificate imported" : "certificate re-imported",
          {{"certificate", c.arn}, {"domain", c.info.domain_name}});
  if (!arn.empty() && changed_) changed_(c.arn);
  c.in_use_by = InUseBy(c.arn);
  return c;
}

Result<Certificate> CertificateService::Describe(const std::string& key) const {
  Certificate c;
  {
    std::lock_guard lock(mu_);
    const Certificate* found = Find(key);
    if (!found) return NotFoundError(key);
    c = *found;
  }
  c.in_use_by = InUseBy(c.arn);  // outside mu_: the check takes the load balancer service's lock
  return c;
}

std::vector<Certificate> CertificateService::List(const std::vector<std::string>& statuses) const {
  std::vector<Certificate> out;
  double now = Now();
  {
    std::lock_guard lock(mu_);
    for (const auto& [arn, c] : certs_) {
      if (statuses.empty() || std::find(statuses.begin(), statuses.end(), c.Status(now)) != statuses.end()) {
        out.push_back(c);
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Certificate& a, const Certificate& b) { return a.imported_at < b.imported_at; });
  for (auto& c : out) c.in_use_by = InUseBy(c.arn);
  return out;
}

Status CertificateService::Delete(const std::string& key) {
  std::string arn;
  {
    std::lock_guard lock(mu_);
    const Certificate* c = Find(key);
    if (!c) return NotFoundError(key);
    arn = c->arn;
  }
  // Checked without mu_ (the check takes the load balancer service's lock, which calls into this service while
  // holding it); a listener naming a certificate deleted in between is left out of the data plane and logged.
  std::vector<std::string> users = InUseBy(arn);
  if (!users.empty()) {
    return FailedPrecondition("certificate " + arn + " is in use by " + users[0]).WithErrorCode("ResourceInUseException");
  }
  std::string key_file;
  {
    std::lock_guard lock(mu_);
    auto it = certs_.find(arn);
    if (it == certs_.end()) return Status::Ok();
    key_file = it->second.key_file;
    STRATUS_RETURN_IF_ERROR(store_->Delete(kCertPrefix + arn));
    certs_.erase(it);
  }
  unlink((options_.key_dir + "/" + key_file).c_str());
  LogInfo("certificate deleted", {{"certificate", arn}});
  return Status::Ok();
}

Status CertificateService::AddTags(const std::string& key, const std::vector<Tag>& tags) {
  std::lock_guard lock(mu_);
  const Certificate* found = Find(key);
  if (!found) return NotFoundError(key);
  Certificate c = *found;
  for (const auto& t : tags) {
    auto it = std::find_if(c.tags.begin(), c.tags.end(), [&](const Tag& x) { return x.key == t.key; });
    if (it != c.tags.end()) it->value = t.value;
    else c.tags.push_back(t);
  }
  if (c.tags.size() > 50) return InvalidArgument("a certificate has at most 50 tags").WithErrorCode("TooManyTagsException");
  STRATUS_RETURN_IF_ERROR(Persist(c));
  certs_[c.arn] = std::move(c);
  return Status::Ok();
}

Status CertificateService::RemoveTags(const std::string& key, const std::vector<Tag>& tags) {
  std::lock_guard lock(mu_);
  const Certificate* found = Find(key);
  if (!found) return NotFoundError(key);
  Certificate c = *found;
  // A tag without a value removes the key whatever its value (as ACM does); with one, only that pair.
  std::erase_if(c.tags, [&](const Tag& x) {
    return std::any_of(tags.begin(), tags.end(), [&](const Tag& t) { return t.key == x.key && (t.value.empty() || t.value == x.value); });
  });
  STRATUS_RETURN_IF_ERROR(Persist(c));
  certs_[c.arn] = std::move(c);
  return Status::Ok();
}

Result<KeyMaterial> CertificateService::ReadKeyMaterial(const std::string& arn) const {
  KeyMaterial m;
  std::string path;
  {
    std::lock_guard lock(mu_);
    const Certificate* c = Find(arn);
    if (!c) return NotFoundError(arn);
    m.certificate_pem = c->certificate_pem;
    m.chain_pem = c->chain_pem;
    path = options_.key_dir + "/" + c->key_file;
  }
  auto key = ReadFile(path);
  if (!key.ok()) return Internal("cannot read the private key of " + arn + ": " + key.status().message());
  m.private_key_pem = std::move(*key);
  return m;
}

}  // namespace stratus::elb
