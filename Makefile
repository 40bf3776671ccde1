# The two commands a new user needs:
#   make demo   installs what is missing, builds, runs the main job on a synthetic log
#   make test   builds and runs every test
BUILD ?= build
JOBS ?= 2
SEXTANT = $(BUILD)/sextant

.PHONY: all setup build demo test test-unit format format-check bench clean

all: build

setup:
	bash scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	$(SEXTANT) simulate --out demo-out/synthetic_events.csv --users 2000 --days 120 --seed 42
	$(SEXTANT) run demo-out/synthetic_events.csv --out demo-out --budget 60
	@echo "Open demo-out/report.html in a browser (summary: demo-out/summary.json)."

test: build
	cd $(BUILD) && ctest --output-on-failure -j1

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror

bench: build
	bash scripts/setup.sh --bench
	bash bench/run.sh $(BUILD)
	bash bench/recommend.sh $(BUILD)
	bash bench/predict.sh $(BUILD)

clean:
	rm -rf $(BUILD)
