// stratus: the command line for people, a thin client of stratusd's REST API (docs/cli.md).
#include "cli/app.h"

int main(int argc, char** argv) { return stratus::cli::RunCli(argc, argv, stratus::cli::CliEnv{}); }
