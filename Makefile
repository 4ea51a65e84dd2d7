# Two entry points do all set-up on a fresh machine with Python 3.11:
#   make demo   installs nulearn and runs the main job (writes a report under reports/)
#   make test   installs nulearn with its test tools and runs lint, types and the test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test install system-deps lint typecheck bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# torch first: the CPU build 2.13.0 lies on these machines, and a range that it satisfies
# (declared in pyproject.toml) then pulls in nothing more.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# gcc/gfortran compile the generated model code in tests; PostgreSQL backs the multi-worker tuning test;
# headless Chromium opens the HTML reports.
system-deps:
	@bash scripts/install-system-deps.sh

demo: install
	$(BIN)/nulearn flavor reproduce --out reports/flavor

test: install system-deps
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

# Benchmarks by pillar (benchmarks/flavor, cosmo, detector), at the sizes of docs/performance.md:
# hours in all. Each script also takes --smoke (seconds; the test suite runs those).
bench: install
	@for b in benchmarks/*/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# User documentation (MkDocs, API reference from the docstrings); --strict turns every warning
# (a broken link, a page missing from the nav, a docstring the reference cannot parse) into an error.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d site

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site
