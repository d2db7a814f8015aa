// ACM (acm, awsJson1_1) over CertificateService: imported certificates for HTTPS and TLS listeners. No operation
// returns a private key: ImportCertificate takes one, nothing gives one back.
#include <chrono>

#include "aws/handler.h"
#include "aws/handler_util.h"
#include "aws/shape_values.h"
#include "elb/certificate_service.h"

namespace stratus::aws {

namespace {

constexpr char kService[] = "acm";
using Output = StratusAwsHandler::Output;
using elb::Certificate;
using elb::CertificateService;

double Now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::string Blob(const json& in, const char* name) {
  if (!in.contains(name)) return "";
  return BlobBytes(in[name]).value_or("");
}

json Detail(const Certificate& c) {
  json j = elb::ToJson(c, Now());
  j.erase("Tags");  // ListTagsForCertificate's
  return DropEmpty(std::move(j));
}

json Summary(const Certificate& c) {
  const auto& i = c.info;
  return DropEmpty({{"CertificateArn", c.arn},
                    {"DomainName", i.domain_name},
                    {"SubjectAlternativeNameSummaries", i.subject_alternative_names},
                    {"HasAdditionalSubjectAlternativeNames", false},
                    {"Status", c.Status(Now())},
                    {"Type", "IMPORTED"},
                    {"KeyAlgorithm", i.key_algorithm},
                    {"InUse", !c.in_use_by.empty()},
                    {"RenewalEligibility", "INELIGIBLE"},
                    {"NotBefore", i.not_before},
                    {"NotAfter", i.not_after},
                    {"ImportedAt", c.imported_at}});
}

Output ImportCertificate(CertificateService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(c, svc.Import(Blob(in, "Certificate"), Blob(in, "PrivateKey"), Blob(in, "CertificateChain"),
                                     TagsOf(in.value("Tags", json::array())), Str(in, "CertificateArn")));
  return json{{"CertificateArn", c.arn}};
}

Output ListCertificates(CertificateService& svc, const json& in) {
  std::vector<std::string> key_types = StrList(in.value("Includes", json::object()), "keyTypes");
  std::vector<Certificate> all = svc.List(StrList(in, "CertificateStatuses"));
  if (!key_types.empty()) {
    std::erase_if(all, [&](const Certificate& c) {
      return std::find(key_types.begin(), key_types.end(), c.info.key_algorithm) == key_types.end();
    });
  }
  // NextToken is the index of the next certificate (certificates are listed in import order).
  size_t start = 0, max = static_cast<size_t>(OptInt(in, "MaxItems").value_or(1000));
  std::string token = Str(in, "NextToken");
  if (!token.empty()) {
    char* end = nullptr;
    unsigned long v = strtoul(token.c_str(), &end, 10);
    if (*end || v > all.size()) return AwsError{"InvalidArgsException", "NextToken is not valid", 400};
    start = v;
  }
  json list = json::array();
  for (size_t i = start; i < all.size() && i < start + max; i++) list.push_back(Summary(all[i]));
  json out = {{"CertificateSummaryList", list}};
  if (start + max < all.size()) out["NextToken"] = std::to_string(start + max);
  return out;
}

}  // namespace

void StratusAwsHandler::RegisterAcm() {
  ServiceOps<CertificateService> op(ops_, kService, s_.certificates, "certificate service");
  op("ImportCertificate", ImportCertificate);
  op("DescribeCertificate", [](CertificateService& svc, const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(c, svc.Describe(Str(in, "CertificateArn")));
    return json{{"Certificate", Detail(c)}};
  });
  op("ListCertificates", ListCertificates);
  op("GetCertificate", [](CertificateService& svc, const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(c, svc.Describe(Str(in, "CertificateArn")));
    json out = {{"Certificate", c.certificate_pem}};
    if (!c.chain_pem.empty()) out["CertificateChain"] = c.chain_pem;
    return out;
  });
  op("DeleteCertificate", [](CertificateService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.Delete(Str(in, "CertificateArn")));
    return json::object();
  });
  op("AddTagsToCertificate", [](CertificateService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.AddTags(Str(in, "CertificateArn"), TagsOf(in.value("Tags", json::array()))));
    return json::object();
  });
  op("RemoveTagsFromCertificate", [](CertificateService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.RemoveTags(Str(in, "CertificateArn"), TagsOf(in.value("Tags", json::array()))));
    return json::object();
  });
  op("ListTagsForCertificate", [](CertificateService& svc, const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(c, svc.Describe(Str(in, "CertificateArn")));
    return json{{"Tags", TagList(c.tags)}};
  });
}

}  // namespace stratus::aws
