# The two commands: `make run` (the app on the bundled corpus) and `make test`. Each sets up what it needs.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export GRADIO_ANALYTICS_ENABLED=False
export TOKENIZERS_PARALLELISM=false
# pip on these machines lists every local index it looks in; keep its output to what matters.
PIP_QUIET := 2>&1 | { grep -v -e "is ignored: it is neither" || true; }

.PHONY: run test install browser clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0 $(PIP_QUIET)
	$(PY) -m pip install -q -e '.[test]' $(PIP_QUIET)
	$(PY) -c "import rag, faiss, sentence_transformers, gradio, onnxruntime, onnx"
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) app.py $(ARGS)

# Debian's Chromium for the browser test (needs root, as on CI); skipped quietly when present.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || echo "warning: chromium not installed; browser tests will be skipped"

test: install browser
	$(PY) -m pytest -q $(ARGS)

clean:
	rm -rf $(VENV) index/CURRENT index/store-* index/manifest.json index/.lock
