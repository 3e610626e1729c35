"""The library changes only what it owns: no environment variables, no global log handlers or filters,
no torch thread count, no files outside its own folders."""

from __future__ import annotations

import logging
import os
import tempfile

from rag import Settings
from rag.chunk import get_encoding
from rag.embed import Embedder


def test_tiktoken_encodings_come_from_memory_and_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where tiktoken's own cache would go
    get_encoding.cache_clear()
    enc = get_encoding("cl100k_base")
    assert enc.encode("hello world") == [15339, 1917]  # cl100k_base's ids, as tiktoken documents them
    assert enc.decode(enc.encode("Soleimani’s killing")) == "Soleimani’s killing"
    assert get_encoding("o200k_base").n_vocab == 200019
    assert list(tmp_path.iterdir()) == []


def test_loading_a_model_and_exporting_its_question_graph_change_nothing_process_wide(tmp_path):
    import torch

    env = dict(os.environ)
    root = logging.getLogger()
    handlers, filters, level = list(root.handlers), list(root.filters), root.level
    threads = torch.get_num_threads()
    s = Settings.load()
    e = Embedder(s.model, query_encoder="onnx-int8", cache_dir=tmp_path / "cache")
    assert e.prepare_queries() == "onnx-int8"  # exported now, in a process of its own
    assert list((tmp_path / "cache" / "onnx").glob("*/onnx-int8.onnx"))
    e.encode_query("Who initiated the phone call?")
    e.encode(["A passage about the phone call."])
    changed = {k for k in set(os.environ) | set(env) if os.environ.get(k) != env.get(k)}
    # torch's compiler names its own cache folder when transformers imports it: torch's doing, not ours
    assert changed - {"TORCHINDUCTOR_CACHE_DIR"} == set(), changed
    assert (list(root.handlers), list(root.filters), root.level) == (handlers, filters, level)
    assert torch.get_num_threads() == threads
