# Two entry points that do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# CPU build of torch that lies on this machine's disk; GPU users install their own torch first (see README).
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=

.PHONY: demo ablation-demo leaderboard-demo test bench peer lint clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mmrl demo

ablation-demo: $(STAMP)
	$(BIN)/mmrl ablate --config experiments/ablation-tiers.yaml

leaderboard-demo: $(STAMP)
	$(BIN)/mmrl leaderboard-demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench --benchmark-enable --benchmark-columns=mean,ops,rounds

peer: $(STAMP)
	$(BIN)/python tests/peer/math_verify_suite.py

lint: $(STAMP)
	$(BIN)/ruff check harness rewards tasks experiments reports tests

clean:
	rm -rf $(VENV) .pytest_cache .mmrl-cache
