# Two commands matter: `make chat` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: chat test eval clean

$(BIN)/psychoed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(BIN)/psychoed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

chat: $(BIN)/psychoed
	$(BIN)/psychoed

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest
	$(BIN)/python -m bot eval

eval: $(BIN)/psychoed
	$(BIN)/python -m bot eval

clean:
	rm -rf $(VENV) build dist *.egg-info
