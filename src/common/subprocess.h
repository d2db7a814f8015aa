// Running helper programs (runc, CNI plugins, nft, ip): argv in, exit code and output back.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace stratus {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;     // captured stdout
  std::string err;     // captured stderr
};

struct RunOptions {
  std::string stdin_data;                         // written to the child's stdin, then closed
  std::map<std::string, std::string> env;         // when non-empty, the child's whole environment
  std::chrono::milliseconds timeout{30000};       // killed (SIGKILL) after this
  std::string stdout_file;                        // when set, stdout goes (appended) to this file instead
  bool stderr_to_stdout_file = false;             // with stdout_file: stderr goes there too
};

// Runs argv[0] (looked up in PATH) and waits for it. Returns an error only when the program could
// not be started or timed out; a non-zero exit is reported in ProcessResult::exit_code.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const RunOptions& options = {});

// RunProcess, and an error naming the command and its stderr unless it exited 0.
Result<ProcessResult> RunChecked(const std::vector<std::string>& argv, const RunOptions& options = {});

// "runc --root /x create id" — for messages and logs.
std::string JoinArgv(const std::vector<std::string>& argv);

}  // namespace stratus
