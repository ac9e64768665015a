# Cairn — two entry points: `make demo` and `make test`. Both install what they need first.
SWIFT ?= swift
PYTHON ?= python3
SYSTEM_PACKAGES := libopenblas-dev libpng-dev libjpeg-dev

.PHONY: demo test deps deps-system deps-python build-release bench fixtures

## Installs missing Debian packages (apt-get update first, only when something is missing).
deps-system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update && apt-get install -y $$missing; fi

## Installs torch (CPU) and safetensors for the interop tests, when missing.
deps-python:
	@$(PYTHON) -c "import torch, safetensors" 2>/dev/null || $(PYTHON) -m pip install -q 'torch==2.13.0+cpu' safetensors

deps: deps-system deps-python

build-release: deps-system
	$(SWIFT) build -c release --product cairn

## Builds in release and runs the built-in demo on data it generates.
demo: build-release
	$$($(SWIFT) build -c release --show-bin-path)/cairn demo

## Runs every test (unit, PyTorch-fixture parity, interop with real torch).
test: deps
	$(SWIFT) test

## Cairn's benchmarks next to PyTorch, in one run (about 10 min on 2 cores): train, infer, io,
## data, resume, scaling, memory and dd; writes the ratio and scaling tables to docs/benchmarks.md,
## the numbers to docs/benchmarks.json and plots of the sweeps to docs/bench/*.png (matplotlib).
bench: build-release deps-python
	@$(PYTHON) -c "import matplotlib" 2>/dev/null || $(PYTHON) -m pip install -q matplotlib
	$$($(SWIFT) build -c release --show-bin-path)/cairn bench report --out docs/benchmarks.md \
	  --baseline ../shared/bench/torch_baseline.py --script scripts/torch_bench.py

## Regenerates the committed PyTorch fixtures.
fixtures: deps-python
	$(PYTHON) scripts/make_fixtures.py
