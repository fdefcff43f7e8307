# The front door. Every target that builds first makes sure the machine has
# what eddy needs (scripts/setup installs only what is missing).
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all setup configure build install test check demo demo-embedded bench lint format clean

all: build

setup:
	@bash scripts/setup

$(BUILD)/build.ninja:
	cmake --preset $(PRESET)

configure: setup $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# eddy and eddy-executor into $(PREFIX)/bin when PREFIX is given, else into
# the configured CMAKE_INSTALL_PREFIX.
install: build
	cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX))

# Every test: unit, integration, e2e, sdk, chaos.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The fast loop: unit tests only.
check: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit $(CTEST_ARGS)

# The ad-tech job on a local cluster (eddy up, deploy, then deploy, scale and
# kill while it runs; eddy down), about 30 seconds.
demo: build
	@bash scripts/demo $(BUILD)

# The same job in one process on the embedded runtime, about 20 seconds.
demo-embedded: build
	$(BUILD)/examples/adtech/adtech_demo --seconds 20

bench: build
	@bash scripts/bench $(BUILD)

lint: configure
	@bash scripts/lint $(BUILD)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
