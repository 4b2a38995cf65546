# The two commands the README promises: `make run` (set-up + main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SAMPLE ?= ../shared/corpus/seeds

.PHONY: setup run test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: setup
	$(VENV)/bin/rag ingest $(SAMPLE)
	$(VENV)/bin/rag stats

test: setup
	$(VENV)/bin/ruff check rag tests eval
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check rag tests eval
	$(VENV)/bin/ruff format --check rag tests eval

bench: setup
	$(PY) eval/bench_ingest.py

clean:
	rm -rf $(VENV) index/chroma index/bm25 index/catalog.sqlite*
