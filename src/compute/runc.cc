#include "compute/runc.h"

#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/subprocess.h"

namespace stratus {
namespace {

using nlohmann::json;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) i++;
  return s.substr(i);
}

// The last error line of a JSON runtime log ({"level":"error","msg":"...","time":"..."}).
std::string LastLoggedError(const std::string& log_path) {
  auto text = ReadFile(log_path);
  if (!text.ok()) return "";
  std::string last;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    json j = json::parse(text->begin() + static_cast<long>(pos), text->begin() + static_cast<long>(end), nullptr, false);
    if (j.is_object() && j.value("level", "") == "error" && j.contains("msg") && j["msg"].is_string()) {
      last = j["msg"].get<std::string>();
    }
    pos = end + 1;
  }
  return last;
}

OciContainerState StateFromJson(const json& j) {
  OciContainerState s;
  if (!j.is_object()) return s;
  if (j.contains("id") && j["id"].is_string()) s.id = j["id"];
  if (j.contains("status") && j["status"].is_string()) s.status = j["status"];
  if (j.contains("pid") && j["pid"].is_number_integer()) s.pid = j["pid"];
  if (j.contains("bundle") && j["bundle"].is_string()) s.bundle = j["bundle"];
  if (s.status == "stopped") s.pid = 0;
  return s;
}

}  // namespace

Status RuntimeError(const std::string& what, const std::string& message) {
  std::string m = Trim(message);
  std::string text = what + ": " + (m.empty() ? "failed without a message" : m);
  if (m.find("does not exist") != std::string::npos) return NotFound(text);
  if (m.find("already exists") != std::string::npos || m.find("id exists") != std::string::npos) {
    return AlreadyExists(text);
  }
  if (m.find("not running") != std::string::npos || m.find("stopped") != std::string::npos) {
    return FailedPrecondition(text);
  }
  return Internal(text);
}

// The absolute path of `binary` found in PATH (one lookup instead of one per call), or `binary`.
std::string ResolveInPath(const std::string& binary) {
  if (binary.find('/') != std::string::npos) return binary;
  const char* path = getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  for (size_t pos = 0; pos <= dirs.size();) {
    size_t end = dirs.find(':', pos);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(pos, end - pos) + "/" + binary;
    if (end > pos && access(candidate.c_str(), X_OK) == 0) return candidate;
    pos = end + 1;
  }
  return binary;
}

OciRuntimeCli::OciRuntimeCli(std::string binary, std::string root)
    : binary_(ResolveInPath(binary)), root_(std::move(root)) {}

std::vector<std::string> OciRuntimeCli::Argv(std::initializer_list<std::string> args) const {
  std::vector<std::string> argv = {binary_, "--root", root_};
  argv.insert(argv.end(), args);
  return argv;
}

Status OciRuntimeCli::Invoke(std::initializer_list<std::string> args, std::string* out) const {
  std::vector<std::string> argv = Argv(args);
  STRATUS_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(argv));
  if (r.exit_code != 0) {
    return RuntimeError(binary_.substr(binary_.rfind('/') + 1) + " " + *args.begin(), r.err.empty() ? r.out : r.err);
  }
  if (out != nullptr) *out = std::move(r.out);
  return Status::Ok();
}

Status OciRuntimeCli::Run(const std::string& id, const std::string& bundle, const std::string& console_log,
                          const std::string& pid_file) const {
  std::string log = bundle + "/runtime.log";
  std::vector<std::string> argv = {binary_, "--root", root_, "--log", log, "--log-format", "json",
                                   "run", "--detach", "--bundle", bundle, "--pid-file", pid_file, id};
  RunOptions opts;
  if (relay_.empty()) {
    opts.stdout_file = console_log;
    opts.stderr_to_stdout_file = true;
  } else {
    argv.insert(argv.begin(), {relay_, std::to_string(console_cap_), console_log});
  }
  STRATUS_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(argv, opts));
  if (r.exit_code == 0) return Status::Ok();
  std::string msg = LastLoggedError(log);
  if (msg.empty()) msg = "exited " + std::to_string(r.exit_code) + " (see " + console_log + ")";
  return RuntimeError("start instance " + id, msg);
}

Status OciRuntimeCli::Kill(const std::string& id, int signal, bool all) const {
  if (all) return Invoke({"kill", "--all", id, std::to_string(signal)}, nullptr);
  return Invoke({"kill", id, std::to_string(signal)}, nullptr);
}

Status OciRuntimeCli::Resume(const std::string& id) const { return Invoke({"resume", id}, nullptr); }

Status OciRuntimeCli::Delete(const std::string& id, bool force) const {
  Status st = force ? Invoke({"delete", "--force", id}, nullptr) : Invoke({"delete", id}, nullptr);
  if (st.code() == Code::kNotFound) return Status::Ok();
  return st;
}

Result<OciContainerState> OciRuntimeCli::State(const std::string& id) const {
  std::string out;
  STRATUS_RETURN_IF_ERROR(Invoke({"state", id}, &out));
  json j = json::parse(out, nullptr, false);
  if (!j.is_object()) return Internal(binary_ + " state " + id + ": unreadable output: " + out.substr(0, 200));
  return StateFromJson(j);
}

Result<std::vector<OciContainerState>> OciRuntimeCli::List() const {
  std::vector<OciContainerState> result;
  if (!PathExists(root_)) return result;  // nothing was ever started under this root
  std::string out;
  STRATUS_RETURN_IF_ERROR(Invoke({"list", "--format", "json"}, &out));
  json j = json::parse(out, nullptr, false);
  if (j.is_null() || (j.is_string() && Trim(j.get<std::string>()).empty())) return result;
  if (!j.is_array()) return Internal(binary_ + " list: unreadable output: " + out.substr(0, 200));
  for (const auto& c : j) result.push_back(StateFromJson(c));
  return result;
}

}  // namespace stratus
