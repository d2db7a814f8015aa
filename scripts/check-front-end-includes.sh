#!/usr/bin/env bash
# The two front ends only translate and never lean on each other: no file under src/aws includes a header
# of src/api, and none under src/api includes one of src/aws. Shared pieces belong in the services or in
# common/. Usage: check-front-end-includes.sh [SRC_DIR]; --self-test plants a crossing include in a
# scratch tree and expects the check to report it (run by ctest, so a check that stopped seeing
# includes fails).
set -euo pipefail

check() {
  local src=$1 found=0 hits
  # "api/x.h" from aws, "aws/x.h" from api; also ../api/ style relative paths.
  if hits=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](\.\./)?api/' "$src/aws" 2>/dev/null); then
    echo "src/aws includes src/api:"; echo "$hits"; found=1
  fi
  if hits=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](\.\./)?aws/' "$src/api" 2>/dev/null); then
    echo "src/api includes src/aws:"; echo "$hits"; found=1
  fi
  return $found
}

if [ "${1:-}" = "--self-test" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/aws" "$scratch/api"
  echo '#include "common/status.h"' >"$scratch/aws/ok.cc"
  echo '#include "aws/errors.h"' >"$scratch/aws/self.cc"
  check "$scratch" >/dev/null || { echo "self-test: a clean tree was refused"; exit 1; }
  echo '  #include "api/rest_api.h"' >"$scratch/aws/bad.cc"
  if check "$scratch" >/dev/null; then echo "self-test: aws -> api include not reported"; exit 1; fi
  rm "$scratch/aws/bad.cc"
  echo '#include "aws/handler.h"' >"$scratch/api/bad.cc"
  if check "$scratch" >/dev/null; then echo "self-test: api -> aws include not reported"; exit 1; fi
  echo "front-end include check: self-test passed"
  exit 0
fi

src=${1:-$(cd "$(dirname "$0")/.." && pwd)/src}
check "$src"
echo "front-end include check: no include between src/aws and src/api"
