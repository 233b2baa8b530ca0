# hcp: `make run` serves the demo on SQLite; `make test` runs every suite.
PY ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= full
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench schema migrations clean

$(STAMP): requirements.lock pyproject.toml
	@$(PY) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 13) else "hcp needs Python 3.11 or 3.12 (durable_rules does not build on %d.%d); set PY=" % v)'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/hcp serve --demo --history --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench --scale $(SCALE)

schema: install
	$(BIN)/python -m schema.export > schema.graphql

migrations: install
	$(BIN)/tortoise -c models.migration_config.TORTOISE_ORM makemigrations

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
