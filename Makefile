# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv when missing and
# install exactly what requirements.lock says (versions and hashes), reinstalling only when the lock
# changed (the stamp file records the last install). `make lock` refreshes the lock from the ranges
# in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# The resolver that writes the lock, itself pinned so that a refresh means the same everywhere.
UV_VERSION := 0.13.9

.PHONY: demo test lint bench clean browser lock reference

$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Every runtime and test dependency at its exact version with hashes, for Python 3.11 and later on
# any platform; pip and setuptools too, since the install uses them.
lock:
	@test -x .lock-venv/bin/uv || { $(PYTHON) -m venv .lock-venv && .lock-venv/bin/python -m pip install --quiet uv==$(UV_VERSION); }
	printf 'pip\nsetuptools>=68\n' | .lock-venv/bin/uv pip compile pyproject.toml - --extra test \
	  --generate-hashes --universal --python-version 3.11 --no-header --quiet -o $(LOCK)

# docs/reference.md from the algorithm and builder registrations (a test checks it is current).
reference: $(STAMP)
	$(BIN)/python -m clinforge.reference > docs/reference.md

demo: $(STAMP)
	$(BIN)/clinforge demo --out out/demo

test: $(STAMP) browser
	$(BIN)/pytest

# The define.html test renders the page in headless Chromium (Debian's package); install it when
# missing and we may (root), else say how.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium for the define.html browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package (the define.html test needs it)"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .lock-venv out .pytest_cache
