// The whole `stratus` command: argv in, exit code out.
#pragma once

#include "cli/context.h"

namespace stratus::cli {

// Parses argv (argv[0] is the program name), runs the selected command against stratusd and
// returns the exit code: 0 success, 1 when the API refused or could not be reached (after
// "error: <message>" on stderr), 2 on a bad command line (CLI11's message on stderr).
int RunCli(int argc, const char* const* argv, CliEnv env);

}  // namespace stratus::cli
