# The two quick-start commands: `make run` (set up, then the main job) and `make test` (set up, then the tests).
CORPUS ?= ../shared/corpus
DATA_DIR ?= data
VENV ?= .venv
UI_PORT ?= 8501
API_PORT ?= 8000

.PHONY: run test setup setup-dev lint

run: setup
	$(VENV)/bin/jarida ingest $(CORPUS)/pdf $(CORPUS)/articles --data-dir $(DATA_DIR)
	$(VENV)/bin/jarida index --data-dir $(DATA_DIR)
	$(VENV)/bin/jarida ui --data-dir $(DATA_DIR) --port $(UI_PORT) --api-port $(API_PORT)

test: setup-dev lint
	$(VENV)/bin/python -m pytest -q

setup:
	scripts/setup.sh

setup-dev:
	scripts/setup.sh --dev

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
