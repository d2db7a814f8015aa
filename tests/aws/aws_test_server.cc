// aws_test_server: the AWS endpoint on 127.0.0.1 over a fake service layer, so tests can drive it with real
// boto3 / aws CLI clients and check the wire format end to end.
//
//   aws_test_server [--port N] [--access-key AK] [--secret SK] [--credentials FILE]
// --credentials also accepts the keys of FILE (created with a [stratus] profile when missing).
// prints "listening on <port>" once ready. Besides AWS calls it answers two control routes:
//   POST /__control/canned?service=ec2&operation=RunInstances  body {"output": {...}} or
//                                                               {"error": {"code", "message", "status"}}
//   GET  /__control/last   -> {"service", "operation", "input", "region", "protocol", "access_key_id"} of the last call
// Operations without a canned answer echo their decoded input as output (members the output shape lacks are
// dropped by the encoder).
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/httplib_adapter.h"

namespace {

using nlohmann::json;
using stratus::aws::AwsCallContext;
using stratus::aws::AwsError;

class FakeHandler : public stratus::aws::AwsHandler {
 public:
  std::variant<json, AwsError> Call(const std::string& service, const std::string& operation, const json& input,
                                    const AwsCallContext& ctx) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_ = {{"service", service},        {"operation", operation},   {"input", input},
             {"region", ctx.region},      {"protocol", ctx.protocol}, {"access_key_id", ctx.access_key_id},
             {"request_id", ctx.request_id}};
    auto it = canned_.find(service + "/" + operation);
    if (it == canned_.end()) return input;
    const json& answer = it->second;
    if (answer.contains("error")) {
      const json& e = answer["error"];
      return AwsError{e.value("code", "InternalFailure"), e.value("message", ""), e.value("status", 400)};
    }
    return answer.value("output", json::object());
  }

  void SetCanned(const std::string& key, json answer) {
    std::lock_guard<std::mutex> lock(mu_);
    canned_[key] = std::move(answer);
  }

  std::string Last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_.dump(-1, ' ', false, json::error_handler_t::replace);
  }

 private:
  std::mutex mu_;
  std::map<std::string, json> canned_;
  json last_ = json::object();
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string access_key = "AKIDSTRATUSTEST", secret = "stratus-test-secret", credentials;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--port") port = std::atoi(argv[i + 1]);
    else if (flag == "--access-key") access_key = argv[i + 1];
    else if (flag == "--secret") secret = argv[i + 1];
    else if (flag == "--credentials") credentials = argv[i + 1];
  }
  FakeHandler handler;
  std::vector<stratus::aws::AccessKey> keys = {{"test", access_key, secret}};
  if (!credentials.empty()) {
    auto loaded = stratus::aws::LoadOrCreateCredentials(credentials);
    if (!loaded.ok()) {
      std::fprintf(stderr, "aws_test_server: %s\n", loaded.status().ToString().c_str());
      return 1;
    }
    keys.insert(keys.end(), loaded->begin(), loaded->end());
  }
  auto lookup = stratus::aws::LookupFromKeys(keys);
  auto endpoint = stratus::aws::AwsEndpoint::Create(lookup, &handler, {});
  if (!endpoint.ok()) {
    std::fprintf(stderr, "aws_test_server: %s\n", endpoint.status().ToString().c_str());
    return 1;
  }
  stratus::aws::AwsEndpoint& ep = **endpoint;
  httplib::Server server;
  server.Post("/__control/canned", [&](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !req.has_param("service") || !req.has_param("operation")) {
      res.status = 400;
      return;
    }
    handler.SetCanned(req.get_param_value("service") + "/" + req.get_param_value("operation"), body);
    res.set_content("{}", "application/json");
  });
  server.Get("/__control/last", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(handler.Last(), "application/json");
  });
  stratus::aws::MountAwsRoutes(server, ep);
  int bound = port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    std::fprintf(stderr, "aws_test_server: cannot bind 127.0.0.1:%d\n", port);
    return 1;
  }
  std::printf("listening on %d\n", bound);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
