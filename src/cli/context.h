// CliContext: what every command needs — the global options, the API client, the output streams
// — and the few shapes a command takes (list, show, act on each id), each printing a table for
// people or the API's JSON for scripts.
//
// Commands build ApiRequests with cli/requests.h and hand them to one of these; that is all a
// command file does.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/config.h"
#include "cli/table.h"
#include "common/status.h"

namespace stratus::cli {

// Process exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the API refused, or stratusd could not be reached
inline constexpr int kExitUsage = 2;    // the command line is wrong

// The options every command accepts.
struct GlobalOptions {
  std::string endpoint;          // "" = DefaultEndpoint()
  std::string token;             // "" = DefaultToken()
  std::string output = "table";  // "table" or "json"
  int timeout_seconds = 600;     // how long to wait for a response
};

using TransportFactory = std::function<TransportPtr(const Endpoint&, const HttpOptions&)>;

// The outside world of one CLI run; tests replace parts of it.
struct CliEnv {
  std::ostream* out = nullptr;  // nullptr = std::cout
  std::ostream* err = nullptr;  // nullptr = std::cerr
  ConfigSources config = ConfigSources::FromProcess();
  TransportFactory transport_factory = NewHttpTransport;
  std::function<Clock::time_point()> clock = [] { return Clock::now(); };
};

class CliContext {
 public:
  explicit CliContext(CliEnv env);

  GlobalOptions& options() { return options_; }
  std::ostream& out() { return *out_; }
  std::ostream& err() { return *err_; }
  Clock::time_point now() const { return env_.clock(); }
  bool json_output() const { return options_.output == "json"; }

  // Resolves the endpoint and token from the global options and the environment and makes the
  // API client (no connection is made yet). Returns InvalidArgument for a malformed endpoint.
  Status Connect();

  // Sends `request` to stratusd; Connect() must have succeeded.
  Result<Json> Call(const ApiRequest& request);

  // Prints "error: <message>" on stderr; returns kExitUsage or kExitFailure.
  int UsageError(const Status& status);
  int Failure(const Status& status);

  // Prints `value` as indented JSON.
  void PrintJson(const Json& value);

  // Sends a list request; prints the array under `key` as a table, or the whole response.
  int List(const Result<ApiRequest>& request, const std::string& key, const Columns& columns);

  // Sends each request (one per id given) and prints each response's object — the member `key`
  // when the response has it, else the response itself — as details (blocks separated by a blank
  // line) or as JSON (an array when more than one id was given). Stops at nothing: a failed id is
  // reported and the others still go; returns kExitFailure if any failed.
  int ShowEach(const std::vector<ApiRequest>& requests, const std::string& key,
               const Columns& details);

  // Like ShowEach, but the objects are printed as one table (for actions like stop).
  int ActOnEach(const std::vector<ApiRequest>& requests, const std::string& key,
                const Columns& columns);

  // Sends each request; prints nothing in table mode (the command worked when it says nothing),
  // the responses in JSON mode. For tag and untag.
  int SendEach(const std::vector<ApiRequest>& requests);

  // Sends a request that creates objects and prints, in table mode, the `id_pointer` field
  // ("/InstanceId") of every object in the response's array `key`, one per line; in JSON mode
  // the response.
  int Create(const Result<ApiRequest>& request, const std::string& key,
             const std::string& id_pointer);

  // Sends `request` and prints the response's string member `field` exactly as it is (table
  // mode) or the response (JSON mode). For console output.
  int ShowText(const ApiRequest& request, const std::string& field);

  // The action the command line selected, run after parsing.
  void SetAction(std::function<int()> action) { action_ = std::move(action); }
  const std::function<int()>& action() const { return action_; }

 private:
  // Sends every request; collects the unwrapped objects and the raw responses of those that
  // worked, reports the others. Returns false when any failed.
  bool CallEach(const std::vector<ApiRequest>& requests, const std::string& key,
                Json& objects, Json& responses);

  // In JSON mode: the one response as it came when one id was asked for, else an array.
  void PrintResponses(size_t asked, const Json& responses);

  CliEnv env_;
  std::ostream* out_;
  std::ostream* err_;
  GlobalOptions options_;
  std::unique_ptr<ApiClient> client_;
  std::function<int()> action_;
};

}  // namespace stratus::cli
