# Targets a newcomer uses. Each installs what it needs first.
#   make demo        two organisations privately match their indicator lists over TLS
#   make test        the test suite through ctest; builds the tests only, no benchmark,
#                    and runs a representative subset of the slow backend variants
#   make test-full   the same with every backend variant whole
#   make fuzz-smoke  each libFuzzer target for a few seconds from its seeds (clang, build-fuzz/)
#   make bench       the benchmarks (time and bytes per party)
#   make install     the binary, a systemd unit and the docs under PREFIX (default /usr/local)
#   make deb         a Debian package of the same build (CPack)
BUILD ?= build
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 10
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local

.PHONY: all deps configure build build-tests test test-full fuzz-smoke demo bench install deb clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# What ctest runs and nothing more (tests/CMakeLists.txt: liaison_test_targets).
build-tests: configure
	@cmake --build $(BUILD) -j $(JOBS) --target liaison_test_targets

test: build-tests
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE backend_full

test-full: build-tests
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE backend_subset

fuzz-smoke: deps
	@JOBS=$(JOBS) bash scripts/fuzz-smoke.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target liaison
	@bash scripts/demo.sh $(BUILD)

bench: build
	@bash scripts/bench.sh $(BUILD)

install: configure
	@cmake --build $(BUILD) -j $(JOBS) --target liaison
	@cmake --install $(BUILD) --prefix $(PREFIX)

deb: configure
	@cmake --build $(BUILD) -j $(JOBS) --target liaison
	@cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
