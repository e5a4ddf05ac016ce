# planocr: `make run` serves on embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: help lint typecheck run test test-fast proto proto-check buf-check eval train bench bench-engines clean

help:
	@echo "make run            create $(VENV), install, serve on embedded defaults (127.0.0.1:50051)"
	@echo "make test           create $(VENV) with test extras, bring up what the tests need, run pytest"
	@echo "make proto          regenerate the Python stubs from protos/"
	@echo "make bench          run the benchmarks and write docs/benchmarks.md"
	@echo "make eval DIR=...   sheet-index accuracy on a folder with truth.json"
	@echo "make train          fit the title-block ranker on generated sheets and ../shared/eval-real"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,vision,rapidocr,bench]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/planocr serve

proto: $(VENV)/.installed-test
	$(PY) tools/gen_protos.py

proto-check: $(VENV)/.installed-test
	$(PY) tools/gen_protos.py --check

buf-check: proto-check
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code protos
	$(PY) tools/buf_breaking.py  # against HEAD~1; BUF_BREAKING_AGAINST=origin/main for a branch

lint: $(VENV)/.installed-test typecheck
	$(BIN)/ruff check service client tests testkit tools bench examples
	$(BIN)/lint-imports

# mypy cannot follow the editable install's import hook (planocr is service/, planocr.client is
# client/), so it checks a tree of links laid out as the installed package: paths read planocr/...
typecheck: $(VENV)/.installed-test
	rm -rf build/typecheck && mkdir -p build/typecheck/planocr
	ln -s $(CURDIR)/service/* build/typecheck/planocr/
	ln -s $(CURDIR)/client build/typecheck/planocr/client
	cd build/typecheck && MYPYPATH=. $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml \
		--cache-dir $(CURDIR)/build/mypy-cache -p planocr

test: $(VENV)/.installed-test buf-check lint
	bash tools/ensure-postgres.sh
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -x -q tests/unit tests/servicer

# Pages/s and peak memory of each engine on a fixed generated set.
bench-engines: $(VENV)/.installed-test
	$(PY) bench/engines.py $(BENCH_ENGINES_ARGS)

EVAL_SET ?= build/eval-set
EVAL_COUNT ?= 200

# make eval DIR=folder-with-truth.json; without DIR, a generated set of $(EVAL_COUNT) sheets.
eval: $(VENV)/.installed-test
	@if [ -z "$(DIR)" ] && [ ! -f $(EVAL_SET)/truth.json ]; then \
		$(PY) -m testkit.sheets --out $(EVAL_SET) --count $(EVAL_COUNT) --seed 1; fi
	$(PY) tools/eval.py $(or $(DIR),$(EVAL_SET)) $(EVAL_ARGS)

# make train: fit service/titleblock/ranker.json on a generated set and, when present, the real sheets
# (engine answers are cached in build/eval-cache); TRAIN_ARGS="--check" fits and reports only.
train: $(VENV)/.installed-test
	$(PY) tools/train.py $(TRAIN_ARGS)

# make bench: every benchmark in bench/, results in bench/results/, the report in docs/benchmarks.md.
# The peer tools it compares with are installed when missing (as root); BENCH_ARGS="overhead" runs one.
bench: $(VENV)/.installed-test
	bash tools/ensure-postgres.sh
	bash bench/ensure-tools.sh
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
