#include "api/rest_certificates.h"

#include <chrono>

#include "api/request_json.h"
#include "api/rest_api.h"

namespace stratus {

using nlohmann::json;

namespace {

double Now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

}  // namespace

void MountCertificateRoutes(httplib::Server& server, elb::CertificateService* s) {
  // Import, or re-import in place when CertificateArn names an existing certificate. PEM text in JSON strings.
  server.Post("/v1/certificates", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = JsonObjectBody(req, "ValidationException");
    if (!body.ok()) return ReplyJson(res, body.status());
    std::string cert, key, chain, arn;
    Status st = ReadJsonField(*body, "Certificate", cert, "ValidationException");
    if (st.ok()) st = ReadJsonField(*body, "PrivateKey", key, "ValidationException");
    if (st.ok()) st = ReadJsonField(*body, "CertificateChain", chain, "ValidationException");
    if (st.ok()) st = ReadJsonField(*body, "CertificateArn", arn, "ValidationException");
    if (!st.ok()) return ReplyJson(res, st);
    auto tags = TagsFromJson(body->value("Tags", json::array()));
    if (!tags.ok()) return ReplyJson(res, tags.status().WithErrorCode("ValidationException"));
    auto c = s->Import(cert, key, chain, *tags, arn);
    if (!c.ok()) return ReplyJson(res, c.status());
    ReplyJson(res, elb::ToJson(*c, Now()));
  });
  server.Get("/v1/certificates", [s](const httplib::Request&, httplib::Response& res) {
    json a = json::array();
    for (const auto& c : s->List()) a.push_back(elb::ToJson(c, Now()));
    ReplyJson(res, json{{"Certificates", a}});
  });
  // A certificate by its id (the ARN's last part, as `stratus cert list` shows it) or its ARN.
  server.Get(R"(/v1/certificates/(.+))", [s](const httplib::Request& req, httplib::Response& res) {
    auto c = s->Describe(req.matches[1].str());
    if (!c.ok()) return ReplyJson(res, c.status());
    json j = elb::ToJson(*c, Now());
    j["Certificate"] = c->certificate_pem;
    if (!c->chain_pem.empty()) j["CertificateChain"] = c->chain_pem;
    ReplyJson(res, j);
  });
  server.Delete(R"(/v1/certificates/(.+))", [s](const httplib::Request& req, httplib::Response& res) {
    ReplyStatus(res, s->Delete(req.matches[1].str()));
  });
}

}  // namespace stratus
