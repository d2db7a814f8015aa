// stratus cert import|list|show|delete: the certificates HTTPS and TLS listeners present (ACM's imported
// certificates). The private key is read from a file and sent once; nothing prints it back.
#include <ctime>
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"
#include "common/files.h"

namespace stratus::cli {

namespace {

// Epoch seconds as "2027-01-31 12:00 UTC" (the expiry column).
std::string Date(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) return "";
  time_t t = static_cast<time_t>(j[key].get<double>());
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// The id part of an ARN (the REST path takes ids: ARNs hold '/').
std::string IdPart(const std::string& id_or_arn) { return id_or_arn.substr(id_or_arn.rfind('/') + 1); }

std::string IdOf(const Json& j) {
  std::string arn = FieldText(j, "CertificateArn");
  return arn.substr(arn.rfind('/') + 1);
}

Columns CertColumns() {
  return {{"ID", IdOf},
          {"DOMAIN", [](const Json& j) { return FieldText(j, "DomainName"); }},
          {"KEY", [](const Json& j) { return FieldText(j, "KeyAlgorithm"); }},
          {"STATUS", [](const Json& j) { return FieldText(j, "Status"); }},
          {"EXPIRES", [](const Json& j) { return Date(j, "NotAfter"); }},
          {"IN USE", [](const Json& j) { return j.value("InUseBy", Json::array()).empty() ? "no" : "yes"; }}};
}

Columns CertDetails() {
  Columns c = CertColumns();
  c.push_back({"ARN", [](const Json& j) { return FieldText(j, "CertificateArn"); }});
  c.push_back({"NAMES", [](const Json& j) { return FieldText(j, "SubjectAlternativeNames"); }});
  c.push_back({"SUBJECT", [](const Json& j) { return FieldText(j, "Subject"); }});
  c.push_back({"ISSUER", [](const Json& j) { return FieldText(j, "Issuer"); }});
  c.push_back({"SERIAL", [](const Json& j) { return FieldText(j, "Serial"); }});
  c.push_back({"NOT BEFORE", [](const Json& j) { return Date(j, "NotBefore"); }});
  c.push_back({"IMPORTED", [](const Json& j) { return Date(j, "ImportedAt"); }});
  c.push_back({"USED BY", [](const Json& j) { return FieldText(j, "InUseBy"); }});
  return c;
}

}  // namespace

void RegisterCertCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* cert = AddNoun(root, "cert", "Certificates for HTTPS and TLS listeners (ACM imported certificates)");

  struct ImportArgs {
    std::string cert, key, chain, reimport;
    std::vector<std::string> tags;
  };
  auto a = std::make_shared<ImportArgs>();
  CLI::App* import = cert->add_subcommand("import", "Import a PEM certificate with its private key");
  import->add_option("--cert", a->cert, "PEM file with the certificate")->required()->check(CLI::ExistingFile);
  import->add_option("--key", a->key, "PEM file with its unencrypted private key")->required()->check(CLI::ExistingFile);
  import->add_option("--chain", a->chain, "PEM file with the intermediate certificates")->check(CLI::ExistingFile);
  import->add_option("--replace", a->reimport,
                     "ID or ARN of a certificate to replace in place (listeners using it switch to the new one)");
  import->add_option("--tag", a->tags, "KEY=VALUE tag; repeatable")->check(KeyValueValidator());
  OnSelected(import, ctx, [&ctx, a]() -> int {
    Json body = Json::object();
    for (auto [member, path] : {std::pair{"Certificate", a->cert}, {"PrivateKey", a->key}, {"CertificateChain", a->chain}}) {
      if (path.empty()) continue;
      auto text = ReadFile(path);
      if (!text.ok()) return ctx.UsageError(InvalidArgument(std::string(member) + ": " + text.status().message()));
      body[member] = *text;
    }
    if (!a->reimport.empty()) body["CertificateArn"] = a->reimport;
    Json tags = Json::array();
    for (const auto& t : a->tags) {
      auto kv = ParseKeyValue(t, "--tag");
      if (!kv.ok()) return ctx.UsageError(kv.status());
      tags.push_back({{"Key", kv->key}, {"Value", kv->value}});
    }
    if (!tags.empty()) body["Tags"] = tags;
    return ctx.ShowEach({MakeRequest("POST", "/v1/certificates", body)}, "", CertDetails());
  });

  CLI::App* list = cert->add_subcommand("list", "List certificates with their expiry");
  OnSelected(list, ctx, [&ctx] { return ctx.List(MakeRequest("GET", "/v1/certificates"), "Certificates", CertColumns()); });

  AddShowEach(cert, ctx,
              {"show", "Show certificates (never their keys)", "ID", "ids or ARNs",
               [](const std::string& id) { return MakeRequest("GET", "/v1/certificates/" + IdPart(id)); }},
              "", CertDetails);
  AddSendEach(cert, ctx,
              {"delete", "Delete certificates no listener uses", "ID", "ids or ARNs",
               [](const std::string& id) { return MakeRequest("DELETE", "/v1/certificates/" + IdPart(id)); }});
}

}  // namespace stratus::cli
