"""Rerank: an optional second stage that rescores the best fused passages with a cross-encoder.

Off by default: `settings.reranker` is empty, and no cross-encoder ships in a package that loads
offline. Set it (`RAG_RERANKER`) to a sentence-transformers CrossEncoder name or path to turn it
on; any object with `score(query, texts)` plugs into `retrieve.search` the same way. The reranker
reorders the top `rerank_depth` passages after fusion and near-duplicate folding; each passage
keeps its fused `score`, its `rank` is its new place. Training or caching rerankers is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .errors import ModelError
from .types import Passage


class Reranker(Protocol):
    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """One relevance score per text, higher is better."""
        ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder, loaded once."""

    def __init__(self, model: str, *, device: str = "cpu") -> None:
        try:
            from sentence_transformers import CrossEncoder

            self.model = CrossEncoder(model, device=device)
        except Exception as e:  # missing files, no network for a hub name, a model of another kind
            raise ModelError(f"cannot load the reranker {model!r} ({type(e).__name__}); set RAG_RERANKER to a "
                             "local cross-encoder folder, or unset it to rank without one") from None

    def score(self, query: str, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.asarray(self.model.predict([(query, t) for t in texts]), dtype=np.float32)


def rerank(reranker: Reranker, query: str, passages: list[Passage], vectors: np.ndarray,
           k: int) -> tuple[list[Passage], np.ndarray]:
    """The top `k` of `passages` in the reranker's order, with their vectors (same order)."""
    if not passages:
        return passages, vectors
    scores = np.asarray(reranker.score(query, [p.text for p in passages]), dtype=np.float32)
    order = [int(i) for i in np.argsort(-scores, kind="stable")[:k]]
    return [replace(passages[j], rank=r) for r, j in enumerate(order, 1)], vectors[order]
