// Around running programs: following a long command's output line by line (progress), finding a program in PATH.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/subprocess.h"

namespace stratus {

// RunProcess, also calling `on_line` with each complete line of stdout and of stderr as it arrives (without its
// newline; a last line without one at exit). The result still holds all of the output.
Result<ProcessResult> RunProcessWithLines(const std::vector<std::string>& argv, const RunOptions& options,
                                          const std::function<void(const std::string& line)>& on_line);

// The first executable `program` in $PATH (execvp's default path when PATH is unset), or "" when there is none.
std::string FindInPath(const std::string& program);

}  // namespace stratus
