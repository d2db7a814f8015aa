// Fakes for CLI tests without a server: a Transport that records requests and answers from a
// script, and a fixed environment.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <memory>
#include <vector>

#include "cli/api_client.h"
#include "cli/config.h"

namespace stratus::cli {

// What a FakeTransport saw; shared with the test, which outlives the transport's owner.
struct FakeTransportLog {
  std::vector<ApiRequest> requests;
  std::deque<Result<ApiResponse>> replies;  // popped in order; {200, "{}"} when empty
  Endpoint endpoint;                        // as given to the factory
  HttpOptions options;
};

class FakeTransport : public Transport {
 public:
  explicit FakeTransport(std::shared_ptr<FakeTransportLog> log) : log_(std::move(log)) {}

  Result<ApiResponse> Send(const ApiRequest& request) override {
    log_->requests.push_back(request);
    if (log_->replies.empty()) return ApiResponse{200, "{}"};
    Result<ApiResponse> reply = log_->replies.front();
    log_->replies.pop_front();
    return reply;
  }

 private:
  std::shared_ptr<FakeTransportLog> log_;
};

// ConfigSources over a fixed environment and system token file.
inline ConfigSources FakeEnv(std::map<std::string, std::string> vars,
                             std::string system_token_file) {
  ConfigSources s;
  s.getenv = [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  s.system_token_file = std::move(system_token_file);
  return s;
}

}  // namespace stratus::cli
