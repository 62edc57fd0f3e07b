# The two commands a newcomer runs: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 60

.PHONY: all deps build build-asan build-tsan fuzz test run infra-up infra-down bench format clean

all: build

deps:  ## install the Debian packages in deploy/debian-packages.txt that are missing
	@tools/dev/deps.sh

build: deps  ## configure and compile everything, warnings as errors
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DPAYMENTS_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

build-asan:  ## the same with AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/
	@$(MAKE) build BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_FLAGS=-DPAYMENTS_SANITIZE=ON

build-tsan:  ## the same with ThreadSanitizer, in build-tsan/ (run a tier from there: cd build-tsan && ctest -L ...)
	@$(MAKE) build BUILD_DIR=build-tsan BUILD_TYPE=RelWithDebInfo CMAKE_FLAGS=-DPAYMENTS_TSAN=ON

fuzz: deps  ## libFuzzer targets (clang, ASan + UBSan, build-fuzz/), each run FUZZ_SECONDS (60) over its corpus
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tools/dev/fuzz.sh

infra-up: build  ## start (or reuse) Kafka and MariaDB, create topics, database, account, apply migrations
	@tools/dev/infra.sh up

infra-down:  ## stop the Kafka and MariaDB this project started
	@tools/dev/infra.sh down

test: build  ## every test tier against real Kafka and MariaDB
	@tools/dev/test.sh

run: build  ## infrastructure, then the API and one worker in the foreground; Ctrl-C stops all it started
	@tools/dev/run.sh

bench: build  ## throughput and latency of the real stack on this machine; results in $(BUILD_DIR)/bench/
	@BENCH_BUILD_DIR=$(BUILD_DIR) tools/dev/bench.sh

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
