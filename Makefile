# Two commands matter: `make chat` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The source documents, when this checkout sits beside the shared folder: lint checks nothing is copied.
# Once lint-reviewed.yaml records the lint warnings people have accepted, any other warning fails `make test`.
SOURCES := $(wildcard ../shared/seeds)

.PHONY: chat test eval serve bench clean

# compileall: start-up reads bytecode even where Python is told not to write it.
# pip -qq: errors only. A machine's own package-mirror settings make pip warn about folders it lacks, on every
# install; they are not this project's, and make test should print only warnings somebody must look at.
$(BIN)/psychoed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e .
	$(BIN)/python -m compileall -q bot >/dev/null
	touch $@

$(VENV)/.test-installed: $(BIN)/psychoed
	$(BIN)/python -m pip install -qq -e '.[test]'
	touch $@

chat: $(BIN)/psychoed
	$(BIN)/psychoed

test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest
	$(BIN)/psychoed eval
	$(BIN)/psychoed eval --safety
	$(BIN)/psychoed test --require-full-coverage
	$(BIN)/psychoed lint $(if $(SOURCES),--sources $(SOURCES)) $(if $(wildcard lint-reviewed.yaml),--strict)

eval: $(BIN)/psychoed
	$(BIN)/psychoed eval
	$(BIN)/psychoed eval --safety

serve: $(BIN)/psychoed
	$(BIN)/psychoed serve

bench: $(BIN)/psychoed
	$(BIN)/psychoed bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
