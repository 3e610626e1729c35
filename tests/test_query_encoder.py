"""Questions on ONNX Runtime (int8 by default): close to the float32 torch vectors, the same top passage
on the seed questions, and torch whenever the ONNX graph can't be had. Passages on ONNX Runtime
(float32, fused): the torch vectors, sentence vectors included, a fused graph only where it matches
torch, and torch whenever the graph can't be had."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from rag import Index, Settings, SettingsError
from rag.embed import Embedder, embed_text

from conftest import DATA, ROOT

CASES = [json.loads(line) for line in (DATA / "seed_qa.jsonl").read_text().splitlines()]
QUESTIONS = [c["question"] for c in CASES]
# Measured on the 48 seed questions and 30 CNN/DailyMail summaries: int8 against float32 cosine
# min 0.9918, median 0.9945 (README, "Query encoder"); the bound leaves a little room.
MIN_COSINE = 0.985


@pytest.fixture(scope="module")
def torch_embedder(model_cache) -> Embedder:
    s = Settings.load()
    return Embedder(s.model, query_encoder="torch", passage_encoder="torch", cache_dir=s.cache_dir)


def test_default_question_vectors_are_int8_onnx_and_close_to_float32(embedder):
    fast = np.stack([embedder.encode_query(q) for q in QUESTIONS])
    assert embedder.query_encoder == "onnx-int8"  # not silently fallen back to torch
    exact = embedder.encode(QUESTIONS)
    cos = (fast * exact).sum(1)
    assert fast.dtype == np.float32 and np.allclose(np.linalg.norm(fast, axis=1), 1, atol=1e-5)
    assert cos.min() >= MIN_COSINE, (cos.min(), QUESTIONS[int(cos.argmin())])


def test_float32_onnx_gives_the_torch_vectors(model_cache, embedder):
    onnx = Embedder(embedder.name, query_encoder="onnx", cache_dir=model_cache)
    q = QUESTIONS[0]
    assert float(onnx.encode_query(q) @ embedder.encode([q])[0]) > 0.9999
    assert onnx.query_encoder == "onnx"


def test_same_top_passage_and_abstentions_on_the_seed_questions(seed_index, torch_embedder):
    exact = Index(seed_index.settings, embedder=torch_embedder)
    answerable = [c["question"] for c in CASES if c["answerable"]]
    differ = [q for q in answerable if seed_index.search(q, k=1)[0].chunk_id != exact.search(q, k=1)[0].chunk_id]
    assert seed_index.embedder.query_encoder == "onnx-int8" and torch_embedder.query_encoder == "torch"
    assert differ == []
    # Unanswerable ones have no right passage to agree on, but both must decide alike to answer or not.
    grounded = [(seed_index.ask(q).grounded, exact.ask(q).grounded) for q in QUESTIONS]
    assert [q for q, (a, b) in zip(QUESTIONS, grounded) if a != b] == []


def _assert_falls_back_to_torch(e: Embedder, torch_embedder: Embedder, caplog) -> None:
    q = QUESTIONS[1]
    v = e.encode_query(q)
    assert e.query_encoder == "torch"
    assert float(v @ torch_embedder.encode_query(q)) > 0.9999
    assert "questions are encoded with torch" in caplog.text


def test_unwritable_cache_falls_back_to_torch(tmp_path, torch_embedder, caplog):
    (tmp_path / "a-file").write_text("")  # a folder can't be made below a file, even by root
    e = Embedder(torch_embedder.name, cache_dir=tmp_path / "a-file" / "cache")
    _assert_falls_back_to_torch(e, torch_embedder, caplog)


def test_broken_cached_graph_falls_back_to_torch(tmp_path, model_cache, embedder, torch_embedder, caplog):
    embedder.encode_query("warm")  # the session's graph exists
    shutil.copytree(model_cache, tmp_path / "cache")
    graphs = list((tmp_path / "cache").rglob("onnx-int8.onnx"))
    assert graphs
    for g in graphs:
        g.write_bytes(b"not an onnx graph")
    _assert_falls_back_to_torch(Embedder(embedder.name, cache_dir=tmp_path / "cache"), torch_embedder, caplog)


def test_missing_onnxruntime_falls_back_to_torch(tmp_path, monkeypatch, torch_embedder, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` raises ImportError
    _assert_falls_back_to_torch(Embedder(torch_embedder.name, cache_dir=tmp_path), torch_embedder, caplog)


def test_unknown_query_encoder_is_a_settings_error():
    with pytest.raises(SettingsError, match="RAG_QUERY_ENCODER"):
        Settings.load(env={"RAG_QUERY_ENCODER": "onnx-int4"})


def test_search_with_a_cached_graph_never_imports_torch(seed_index, model_cache, tmp_path):
    seed_index.embedder.encode_query("warm")  # the graph is in the session's cache
    code = ("import sys; from rag import Index, Settings; "
            f"idx = Index(Settings.load(index_dir={str(seed_index.settings.index_dir)!r})); "
            "print(idx.search('Where was Soleimani killed?', k=1)[0].doc_id, 'torch' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), "RAG_CACHE_DIR": str(model_cache), "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    doc, torch_loaded = r.stdout.split()
    assert doc == seed_index.search("Where was Soleimani killed?", k=1)[0].doc_id
    assert torch_loaded == "False", r.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written to the home folder (ONNX Runtime's telemetry id)


def test_prepare_queries_exports_the_graph_before_the_first_question(tmp_path, embedder):
    e = Embedder(embedder.name, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.onnx"))
    assert e.prepare_queries() == "onnx-int8"
    assert [g.name for g in (tmp_path / "cache").rglob("*.onnx")] == ["onnx-int8.onnx"]
    q = QUESTIONS[2]
    assert float(e.encode_query(q) @ embedder.encode_query(q)) > 0.9999  # the same graph as the session's


def _passages(seed_index) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """The seed index's chunk texts as the model sees them, and each one's sentence spans."""
    store = seed_index.store
    rows = store.chunk_rows(list(range(store.count_chunks())))
    texts = [embed_text(r.title, r.text) for r in rows.values()]
    spans = [[(0, len(t) // 2), (len(t) // 2, len(t))] for t in texts]
    return texts, spans


def test_onnx_passages_give_the_torch_vectors(seed_index, model_cache, torch_embedder):
    texts, spans = _passages(seed_index)
    onnx = Embedder(torch_embedder.name, passage_encoder="onnx", cache_dir=model_cache)
    fast, fast_sent = onnx.encode_spans(texts, spans)
    assert onnx.passage_encoder == "onnx" and torch_embedder.passage_encoder == "torch"
    exact, exact_sent = torch_embedder.encode_spans(texts, spans)
    assert len(texts) >= 10 and fast.dtype == np.float32
    assert np.abs(fast - exact).max() < 1e-5
    assert max(float(np.abs(a - b).max()) for a, b in zip(fast_sent, exact_sent)) < 1e-5
    assert np.abs(onnx.encode(texts) - fast).max() < 1e-6  # encode and encode_spans agree
    import onnx as onnx_lib

    graph = next(model_cache.rglob("onnx-fused.onnx"))  # what the passages ran on: the fused graph
    ops = [n.op_type for n in onnx_lib.load(str(graph), load_external_data=False).graph.node]
    assert ops.count("Attention") == 6 and "SkipLayerNormalization" in ops


def test_a_fused_graph_that_does_not_match_torch_is_not_used(tmp_path, torch_embedder):
    """The check at export: fusions whose output differs from the model's are dropped for the plain
    graph. Here the torch model is changed after its graph was exported, so they can't match."""
    import onnx as onnx_lib
    import torch

    from rag.backends import _fuse, export, load_transformer

    path = torch_embedder.backend.path
    plain = tmp_path / "plain.onnx"
    export(path, "onnx", plain)
    model = load_transformer(path, attention="eager")
    with torch.no_grad():
        model.encoder.layer[0].output.dense.weight.mul_(1.5)
    _fuse(model, plain, tmp_path / "fused.onnx")
    ops = [n.op_type for n in onnx_lib.load(str(tmp_path / "fused.onnx")).graph.node]
    assert "Attention" not in ops and "MatMul" in ops  # the plain graph, unfused


def test_passages_fall_back_to_torch_when_the_graph_cannot_be_had(tmp_path, torch_embedder, caplog):
    (tmp_path / "a-file").write_text("")
    e = Embedder(torch_embedder.name, query_encoder="torch", passage_encoder="onnx", cache_dir=tmp_path / "a-file" / "cache")
    texts = ["The ferry left Bergen at noon.", "Soleimani was killed in Baghdad."]
    assert np.abs(e.encode(texts) - torch_embedder.encode(texts)).max() < 1e-6
    assert e.passage_encoder == "torch" and "passages are encoded with torch" in caplog.text


def test_unknown_passage_encoder_is_a_settings_error():
    with pytest.raises(SettingsError, match="RAG_PASSAGE_ENCODER"):
        Settings.load(env={"RAG_PASSAGE_ENCODER": "onnx-int8"})
