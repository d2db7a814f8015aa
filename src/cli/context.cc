#include "cli/context.h"

#include <iostream>

namespace stratus::cli {

namespace {

// The object a response carries: response[key] when present, else the response itself.
Json Unwrap(const Json& response, const std::string& key) {
  if (!key.empty() && response.is_object() && response.contains(key)) return response[key];
  return response;
}

}  // namespace

CliContext::CliContext(CliEnv env)
    : env_(std::move(env)),
      out_(env_.out != nullptr ? env_.out : &std::cout),
      err_(env_.err != nullptr ? env_.err : &std::cerr) {}

Status CliContext::Connect() {
  std::string url = options_.endpoint.empty() ? DefaultEndpoint(env_.config) : options_.endpoint;
  STRATUS_ASSIGN_OR_RETURN(Endpoint endpoint, ParseEndpoint(url));
  HttpOptions http;
  http.token = options_.token.empty() ? DefaultToken(env_.config) : options_.token;
  http.read_timeout = std::chrono::seconds(options_.timeout_seconds);
  client_ = std::make_unique<ApiClient>(env_.transport_factory(endpoint, http));
  return Status::Ok();
}

Result<Json> CliContext::Call(const ApiRequest& request) {
  STRATUS_CHECK(client_ != nullptr, "CliContext::Call before Connect");
  return client_->Call(request);
}

int CliContext::UsageError(const Status& status) {
  err() << "error: " << status.message() << "\n";
  return kExitUsage;
}

int CliContext::Failure(const Status& status) {
  err() << "error: " << status.message() << "\n";
  return kExitFailure;
}

void CliContext::PrintJson(const Json& value) { out() << value.dump(2) << "\n"; }

int CliContext::List(const Result<ApiRequest>& request, const std::string& key,
                     const Columns& columns) {
  if (!request.ok()) return UsageError(request.status());
  Result<Json> response = Call(*request);
  if (!response.ok()) return Failure(response.status());
  if (json_output()) {
    PrintJson(*response);
  } else {
    out() << RenderTable(Unwrap(*response, key), columns);
  }
  return kExitOk;
}

bool CliContext::CallEach(const std::vector<ApiRequest>& requests, const std::string& key,
                          Json& objects, Json& responses) {
  bool all_ok = true;
  objects = Json::array();
  responses = Json::array();
  for (const ApiRequest& request : requests) {
    Result<Json> response = Call(request);
    if (!response.ok()) {
      Failure(response.status());
      all_ok = false;
      continue;
    }
    Json object = Unwrap(*response, key);
    if (object.is_object() && !object.empty()) objects.push_back(std::move(object));
    responses.push_back(std::move(response).value());
  }
  return all_ok;
}

void CliContext::PrintResponses(size_t asked, const Json& responses) {
  if (asked == 1 && responses.size() == 1) {
    PrintJson(responses[0]);
  } else if (!responses.empty()) {
    PrintJson(responses);
  }
}

int CliContext::ShowEach(const std::vector<ApiRequest>& requests, const std::string& key,
                         const Columns& details) {
  Json objects, responses;
  bool all_ok = CallEach(requests, key, objects, responses);
  if (json_output()) {
    PrintResponses(requests.size(), responses);
  } else {
    for (size_t i = 0; i < objects.size(); ++i) {
      if (i > 0) out() << "\n";
      out() << RenderDetails(objects[i], details);
    }
  }
  return all_ok ? kExitOk : kExitFailure;
}

int CliContext::ActOnEach(const std::vector<ApiRequest>& requests, const std::string& key,
                          const Columns& columns) {
  Json objects, responses;
  bool all_ok = CallEach(requests, key, objects, responses);
  if (json_output()) {
    PrintResponses(requests.size(), responses);
  } else if (!objects.empty()) {
    out() << RenderTable(objects, columns);
  }
  return all_ok ? kExitOk : kExitFailure;
}

int CliContext::SendEach(const std::vector<ApiRequest>& requests) {
  Json objects, responses;
  bool all_ok = CallEach(requests, "", objects, responses);
  if (json_output()) PrintResponses(requests.size(), responses);
  return all_ok ? kExitOk : kExitFailure;
}

int CliContext::Create(const Result<ApiRequest>& request, const std::string& key,
                       const std::string& id_pointer) {
  if (!request.ok()) return UsageError(request.status());
  Result<Json> response = Call(*request);
  if (!response.ok()) return Failure(response.status());
  if (json_output()) {
    PrintJson(*response);
    return kExitOk;
  }
  const Json items = Unwrap(*response, key);
  if (items.is_array()) {
    for (const Json& item : items) out() << Field(id_pointer)(item) << "\n";
  }
  return kExitOk;
}

int CliContext::ShowText(const ApiRequest& request, const std::string& field) {
  Result<Json> response = Call(request);
  if (!response.ok()) return Failure(response.status());
  if (json_output()) {
    PrintJson(*response);
  } else if (response->is_object() && response->contains(field) && (*response)[field].is_string()) {
    out() << (*response)[field].get<std::string>();
  }
  return kExitOk;
}

}  // namespace stratus::cli
