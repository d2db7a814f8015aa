// Recipe: how an image is built (docs/images.md has the format and examples).
//
// A line-oriented text: one directive per line, '#' comments, a trailing '\' continues a line.
//   base busybox | scratch | debian [SUITE] | IMAGE-ID-OR-NAME
//   packages PKG...                      (debian bases; installed by mmdebstrap into the base layer)
//   file SRC DEST [mode=0644] [owner=USER:GROUP]
//   run SHELL-COMMAND
//   env KEY=VALUE
//   service NAME [restart=always|on-failure|never] COMMAND ARGS...
//   port N
//   healthcheck http PORT [PATH [MATCHER]] | healthcheck tcp PORT
//   sysctl KEY=VALUE
//   description TEXT
// file and run are build steps: each becomes one layer. The others set the image's config.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "image/image.h"

namespace stratus {

enum class BaseKind { kScratch, kBusybox, kDebian, kImage };

enum class StepKind { kFile, kRun };

struct RecipeStep {
  StepKind kind = StepKind::kRun;
  int line = 0;               // where it is in the recipe, for messages
  std::string text;           // the directive as written (continuations joined), for progress and cache keys
  std::string command;        // run: the shell command
  std::vector<std::string> env;  // run: "K=V" of the env lines above it
  std::string source;         // file: path in the build context (relative)
  std::string destination;    // file: absolute path in the image
  int mode = -1;              // file: -1 keeps the source's permission bits
  std::string owner;          // file: "USER:GROUP", "UID:GID" or "" (root)
};

struct Recipe {
  BaseKind base = BaseKind::kScratch;
  std::string base_ref;  // debian: the suite ("" = the host's); image: its id or name
  int base_line = 0;
  std::vector<std::string> packages;  // sorted, unique
  std::vector<RecipeStep> steps;
  ImageConfig config;
  std::string description;
};

// Parses recipe text. InvalidArgument "line N: ..." for the first error: an unknown directive, a
// missing or repeated base, a bad port/mode/owner/sysctl/restart policy, packages without a debian
// base or after a step, a file source that leaves the context ("..", absolute), and so on.
Result<Recipe> ParseRecipe(std::string_view text);

// Splits `s` into words as a POSIX shell would for simple cases: blanks separate, '...' and "..."
// quote, backslash escapes. InvalidArgument on an unterminated quote.
Result<std::vector<std::string>> SplitWords(std::string_view s);

}  // namespace stratus
