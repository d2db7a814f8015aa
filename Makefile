# Stratus: the two commands a user needs are `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
PYTEST = /usr/bin/python3 -m pytest

.PHONY: all deps build test test-slow unit-test integration-test demo fuzz bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@scripts/build-console.sh $(BUILD)

# Every test: unit tests (CTest/GoogleTest), bounded fuzz runs, then integration tests against real daemons.
test: build
	scripts/run-tests.sh $(BUILD)

# Only the minutes-long tests (the debian + nginx image build; `make test` runs them too).
test-slow: build
	STRATUS_BUILD=$(abspath $(BUILD)) $(PYTEST) -v -p no:cacheprovider -m slow tests/integration

unit-test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

integration-test: build
	STRATUS_BUILD=$(abspath $(BUILD)) $(PYTEST) -v tests/integration

demo: build
	scripts/demo.sh $(BUILD)

bench: build
	@for b in bench/*/run; do echo "== $$b"; $$b $(BUILD) || exit 1; done

clean:
	rm -rf $(BUILD)
