# Stratus: the two commands a user needs are `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
PYTEST = /usr/bin/python3 -m pytest
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps build test test-slow unit-test integration-test demo fuzz bench clean install deb

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

# Installs under $(DESTDIR)$(PREFIX) (docs/operations.md): binaries, systemd unit, config, man pages, docs.
install: build
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

# The Debian package, $(BUILD)/stratus_VERSION_ARCH.deb (prefix /usr): `apt install ./stratus_*.deb`.
deb: build
	cd $(BUILD) && cpack -G DEB

demo: build
	scripts/demo.sh $(BUILD)

bench: build
	@for b in bench/*/run; do echo "== $$b"; $$b $(BUILD) || exit 1; done

clean:
	rm -rf $(BUILD)
