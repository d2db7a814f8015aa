// CertificateService: the certificates (with their private keys) that HTTPS and TLS listeners present, managed as
// ACM manages imported certificates. Every front end (ACM awsJson, REST, CLI) goes through it.
//
// Durability and secrecy: a private key is written to its own file KEY_DIR/<id>-<random>.key, mode 0600 in a 0700
// directory, with fsync and rename, before the certificate record (PEMs without the key) is written to the Store;
// only then is the import acknowledged. A crash in between leaves a key file no record names, which Start()
// removes. No call returns a key: only KeyMaterial() reads one, for the snapshot that the load balancer service
// sends to stratus-lb over its control socket.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tags.h"
#include "store/store.h"

namespace stratus::elb {

// What is read from a certificate's PEM (ACM's CertificateDetail fields).
struct CertificateInfo {
  std::string domain_name;                 // the subject CN, else the first DNS SAN
  std::vector<std::string> subject_alternative_names;  // DNS SANs (the CN first when it is not among them)
  std::string serial;                      // "0a:1b:..." as ACM prints it
  std::string subject;                     // "CN=a.test,O=..."
  std::string issuer;                      // the issuer's O, else CN
  double not_before = 0;                   // epoch seconds
  double not_after = 0;
  std::string key_algorithm;               // RSA_2048 | EC_prime256v1 | ... (ACM's KeyAlgorithm)
  std::string signature_algorithm;         // SHA256WITHRSA | SHA256WITHECDSA | ...
};

struct Certificate {
  std::string arn;
  CertificateInfo info;
  std::string certificate_pem;
  std::string chain_pem;
  double imported_at = 0;  // epoch seconds of the last import
  std::vector<Tag> tags;
  std::string key_file;    // file name in the key directory (never leaves stratusd)
  // Filled by Describe/List from the in-use check, not stored: the load balancers that use it.
  std::vector<std::string> in_use_by;

  // ISSUED, or EXPIRED once NotAfter has passed (imported certificates are never renewed).
  std::string Status(double now) const { return now > info.not_after ? "EXPIRED" : "ISSUED"; }
};

// A certificate as ACM's CertificateDetail (no PEMs, no key), for every front end; Status as of `now`.
nlohmann::json ToJson(const Certificate& c, double now);

// A certificate with its key, for the data plane only.
struct KeyMaterial {
  std::string certificate_pem;
  std::string private_key_pem;
  std::string chain_pem;
};

// Reads `certificate_pem` (exactly one certificate), checks that `private_key_pem` is its key and that `chain_pem`
// (optional) holds certificates, and that it has not expired at `now`. Errors (ValidationException) never quote
// the key.
Result<CertificateInfo> InspectCertificate(const std::string& certificate_pem, const std::string& private_key_pem,
                                           const std::string& chain_pem, double now);

struct CertificateServiceOptions {
  std::string region = "local";
  std::string account = "000000000000";
  std::string key_dir;  // STATE/certificates
};

class CertificateService {
 public:
  // `store` must outlive the service.
  CertificateService(Store* store, CertificateServiceOptions options);

  // Loads the records, creates the key directory (0700) and removes key files no record names.
  Status Start();

  // The load balancers using a certificate (ARN), for DescribeCertificate's InUseBy and DeleteCertificate's check.
  void SetInUseCheck(std::function<std::vector<std::string>(const std::string& arn)> check);
  // Called after a re-import replaced a certificate in place, with its ARN (the listeners using it rotate).
  void SetChangeListener(std::function<void(const std::string& arn)> listener);

  // Imports a certificate, or re-imports one in place when `arn` names an existing certificate (its ARN, tags and
  // listeners stay; new connections get the new certificate). `tags` are not allowed on a re-import (as on ACM).
  Result<Certificate> Import(const std::string& certificate_pem, const std::string& private_key_pem,
                             const std::string& chain_pem, const std::vector<Tag>& tags, const std::string& arn = "");
  // By ARN or by its id (the last part of the ARN). ResourceNotFoundException when unknown.
  Result<Certificate> Describe(const std::string& arn_or_id) const;
  // All certificates, oldest import first; `statuses` (ISSUED, EXPIRED) filters when not empty.
  std::vector<Certificate> List(const std::vector<std::string>& statuses = {}) const;
  // ResourceInUseException while a listener uses it.
  Status Delete(const std::string& arn_or_id);
  Status AddTags(const std::string& arn_or_id, const std::vector<Tag>& tags);
  Status RemoveTags(const std::string& arn_or_id, const std::vector<Tag>& tags);

  // The PEMs and the private key of a certificate, for the stratus-lb snapshot only.
  Result<KeyMaterial> ReadKeyMaterial(const std::string& arn) const;

 private:
  const Certificate* Find(const std::string& arn_or_id) const;  // requires mu_
  Status Persist(const Certificate& c);                         // requires mu_
  std::vector<std::string> InUseBy(const std::string& arn) const;

  Store* store_;
  CertificateServiceOptions options_;
  std::function<std::vector<std::string>(const std::string&)> in_use_;  // set before Start
  std::function<void(const std::string&)> changed_;                    // set before Start
  mutable std::mutex mu_;
  std::map<std::string, Certificate> certs_;  // by ARN; GUARDED_BY(mu_)
};

}  // namespace stratus::elb
