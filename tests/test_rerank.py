"""The optional rerank stage: off by default, pluggable, and it only reorders what retrieval found."""

import numpy as np
import pytest

from rag import Index, ModelError
from rag.retrieve import search


class MentionsReranker:
    """A plain reranker: passages that mention a word score higher (a stand-in for a cross-encoder)."""

    def __init__(self, word: str) -> None:
        self.word = word

    def score(self, query, texts):
        return np.array([float(self.word in t) for t in texts], dtype=np.float32)


def test_reranking_is_off_by_default(seed_index):
    assert seed_index.settings.reranker == "" and seed_index.reranker is None


def test_a_plugged_in_reranker_reorders_the_top_passages(seed_index):
    s, q = seed_index.settings, "How did Russia react to the killing of Soleimani?"
    plain = search(seed_index.store, seed_index.embedder, q, s, k=3)
    hits = search(seed_index.store, seed_index.embedder, q, s, k=3, reranker=MentionsReranker("Lavrov"))
    assert "Lavrov" not in plain.passages[0].text and "Lavrov" in hits.passages[0].text
    assert [p.rank for p in hits.passages] == [1, 2, 3] and hits.vectors.shape == (3, seed_index.embedder.dim)
    for p, v in zip(hits.passages, hits.vectors):
        assert np.allclose(v, seed_index.store.vectors([p.chunk_id])[0])  # vectors stay with their passage
        assert seed_index.store.document(p.doc_id).text[p.start:p.end] == p.text


def test_a_reranker_that_cannot_load_is_a_clear_error(seed_index, embedder):
    idx = Index(seed_index.settings.replace(reranker="/nonexistent/cross-encoder"), embedder=embedder)
    with pytest.raises(ModelError, match="RAG_RERANKER"):
        idx.search("Where was Soleimani killed?")
