"""Retrieve: hybrid search, dense (FAISS) and lexical (BM25) fused, near-duplicates folded.

Each retriever brings its top `candidates`; every candidate then gets both scores (its stored
vector against the query, its BM25 score for the query terms, 0 when it holds none), each score
is min-max normalised over the candidates, and the two are mixed with `dense_weight`. Exact scores
for the whole candidate set, rather than ranks, keep a strong lexical match (a name, a number) from
being outvoted by rank position alone. A passage whose vector is almost the same as a better one's
(the same wire copy in two outlets) is dropped so the top k stays varied.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .embed import Embedder
from .rerank import Reranker, rerank
from .settings import Settings, check_k
from .store import Store
from .terms import terms
from .types import Hits, Passage


def search(
    store: Store,
    embedder: Embedder,
    query: str,
    settings: Settings,
    *,
    k: int | None = None,
    sources: Sequence[str] = (),
    doc_ids: Sequence[str] = (),
    reranker: Reranker | None = None,
) -> Hits:
    """The top `k` passages for `query`, best first (in the `reranker`'s order when one is given)."""
    k = settings.k if k is None else check_k(k)
    qvec = embedder.encode_query(query)
    qterms = terms(query)
    empty = Hits([], qvec, np.zeros((0, qvec.shape[0]), dtype=np.float32), qterms)
    allowed = None
    if sources or doc_ids:
        allowed = store.allowed_ids(sources=list(sources), doc_ids=list(doc_ids))
        if len(allowed) == 0:
            return empty
    n = max(settings.candidates, 4 * k)
    d_ids, _ = store.dense_search(qvec, n, allowed)
    lex = store.lexical_search(qterms, n, allowed)
    cand = list(dict.fromkeys([int(i) for i in d_ids] + [i for i, _ in lex]))
    if not cand:
        return empty
    vecs = store.vectors(cand)  # (c, dim)
    dense = vecs @ qvec  # (c,)
    lex_scores = dict(lex)
    missing = [i for i in cand if i not in lex_scores]
    if missing and lex:
        lex_scores.update(store.lexical_scores(qterms, missing))
    lexical = np.array([lex_scores.get(i, 0.0) for i in cand], dtype=np.float32)
    fused = settings.dense_weight * _minmax(dense) + (1 - settings.dense_weight) * _minmax(lexical)
    order = np.argsort(-fused, kind="stable")

    want = max(k, settings.rerank_depth) if reranker is not None else k
    chosen: list[int] = []
    for j in order:
        if chosen and float(np.max(vecs[chosen] @ vecs[j])) >= settings.dedupe_threshold:
            continue
        chosen.append(int(j))
        if len(chosen) == want:
            break
    rows = store.chunk_rows([cand[j] for j in chosen])
    passages, kept = [], []
    for j in chosen:
        row = rows.get(cand[j])
        if row is None:  # deleted by a writer since this generation was read
            continue
        kept.append(j)
        passages.append(
            Passage(
                rank=len(passages) + 1, score=float(fused[j]), doc_id=row.doc_id, title=row.title,
                source=row.source, chunk_id=row.id, start=row.start, end=row.end, text=row.text,
                url=row.url, date=row.date, dense_score=float(dense[j]), lexical_score=float(lexical[j]),
            )
        )
    if reranker is not None:
        passages, kept_vecs = rerank(reranker, query, passages, vecs[kept], k)
        return Hits(passages, qvec, kept_vecs, qterms)
    return Hits(passages, qvec, vecs[kept], qterms)


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)
