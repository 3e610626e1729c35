"""Retrieve: hybrid search, dense (FAISS) and lexical (BM25) fused, near-duplicates folded.

Each retriever brings its top `candidates`; every candidate then gets both scores (its stored
vector against the query, its BM25 score for the query terms, 0 when it holds none), each score
is min-max normalised over the candidates, and the two are mixed with `dense_weight`. Exact scores
for the whole candidate set, rather than ranks, keep a strong lexical match (a name, a number) from
being outvoted by rank position alone. A passage whose vector is almost the same as a better one's,
or that shares most of its five-word runs with it (the same wire copy in two outlets, a lightly edited
repost), is folded into it (`Passage.also_in` keeps its source), so the top k stays varied; when
copies fill the candidates, both retrievers are asked for more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .embed import Embedder
from .rerank import Reranker, rerank
from .settings import Settings, check_k
from .store import Store
from .terms import terms
from .types import ChunkRow, DateRange, Hits, Passage


MAX_DEPTH = 800  # candidates each retriever may bring when near-copies fill the first ones
FETCH = 32  # chunk rows read at a time while folding
NEAR_COPY_SHARE = 0.5  # share of five-word runs two passages hold in common to be copies of one another


class _Folded(NamedTuple):
    """What `_fused_and_folded` found; vectors and scores are indexed by position in `cand`."""

    cand: list[int]  # chunk ids
    vecs: npt.NDArray[np.float32]  # (c, dim)
    fused: npt.NDArray[np.floating[Any]]  # (c,)
    dense: npt.NDArray[np.floating[Any]]  # (c,)
    lexical: npt.NDArray[np.float32]  # (c,)
    chosen: list[int]  # positions of the passages kept, best first
    copies: dict[int, list[str]]  # chosen position -> the sources of the near-copies folded into it
    rows: dict[int, ChunkRow]  # chunk id -> row, for the candidates read
    full: bool  # a retriever gave all `n` it was asked for: there may be more


def search(
    store: Store,
    embedder: Embedder,
    query: str,
    settings: Settings,
    *,
    k: int | None = None,
    sources: Sequence[str] = (),
    doc_ids: Sequence[str] = (),
    dates: DateRange | None = None,
    reranker: Reranker | None = None,
) -> Hits:
    """The top `k` passages for `query`, best first (in the `reranker`'s order when one is given), only
    from the given sources and documents, published in `dates`, when those filters are given."""
    k = settings.k if k is None else check_k(k)
    qvec = embedder.encode_query(query)
    qterms = terms(query)
    empty = Hits([], qvec, np.zeros((0, qvec.shape[0]), dtype=np.float32), qterms)
    allowed = None
    if sources or doc_ids or dates:
        allowed = store.allowed_ids(sources=list(sources), doc_ids=list(doc_ids), dates=dates)
        if len(allowed) == 0:
            return empty
    n = max(settings.candidates, 4 * k)
    want = max(k, settings.rerank_depth) if reranker is not None else k
    while True:
        found = _fused_and_folded(store, qvec, qterms, n, allowed, settings, want)
        if found is None:
            return empty
        cand, vecs, fused, dense, lexical, chosen, copies, rows, full = found
        # Near-copies (a story reposted by many outlets) folded the pool down to fewer than wanted: look deeper.
        if len(chosen) >= want or not full or n >= MAX_DEPTH:
            break
        n *= 4
    passages: list[Passage] = []
    kept: list[int] = []
    for j in chosen:
        row = rows[cand[j]]
        kept.append(j)
        passages.append(
            Passage(
                rank=len(passages) + 1, score=float(fused[j]), doc_id=row.doc_id, title=row.title,
                source=row.source, chunk_id=row.id, start=row.start, end=row.end, text=row.text,
                url=row.url, date=row.date, dense_score=float(dense[j]), lexical_score=float(lexical[j]),
                also_in=tuple(copies[j]), author=row.author,
            )
        )
    if reranker is not None:
        passages, kept_vecs = rerank(reranker, query, passages, vecs[kept], k)
        return Hits(passages, qvec, kept_vecs, qterms)
    return Hits(passages, qvec, vecs[kept], qterms)


def _fused_and_folded(store: Store, qvec: np.ndarray, qterms: list[str], n: int, allowed: np.ndarray | None,
                      settings: Settings, want: int) -> _Folded | None:
    """Candidates from both retrievers (`n` each), fused, and the best `want` of them once near-copies
    are folded; None when there is no candidate. `full` says a retriever had more to give."""
    d_ids, _ = store.dense_search(qvec, n, allowed)
    lex = store.lexical_search(qterms, n, allowed)
    cand = list(dict.fromkeys([int(i) for i in d_ids] + [i for i, _ in lex]))
    if not cand:
        return None
    vecs = store.vectors(cand)  # (c, dim)
    dense = vecs @ qvec  # (c,)
    lex_scores = dict(lex)
    missing = [i for i in cand if i not in lex_scores]
    if missing and lex:
        lex_scores.update(store.lexical_scores(qterms, missing))
    lexical = np.array([lex_scores.get(i, 0.0) for i in cand], dtype=np.float32)
    fused = settings.dense_weight * _minmax(dense) + (1 - settings.dense_weight) * _minmax(lexical)
    order = [int(j) for j in np.argsort(-fused, kind="stable")]

    rows: dict[int, ChunkRow] = {}
    shingles: dict[int, set[int]] = {}
    chosen: list[int] = []
    copies: dict[int, list[str]] = {}  # chosen j -> the sources of the near-copies folded into it
    for pos, j in enumerate(order):
        if pos % FETCH == 0:  # rows a block at a time, as far as the loop goes
            rows.update(store.chunk_rows([cand[x] for x in order[pos:pos + FETCH]]))
        row = rows.get(cand[j])
        if row is None:  # deleted by a writer since this generation was read
            continue
        shingles[j] = _shingles(row.text)
        twin = next((c for c in chosen if float(vecs[c] @ vecs[j]) >= settings.dedupe_threshold
                     or _near_copy(shingles[c], shingles[j])), None)
        if twin is not None:  # the same passage again (a wire copy, a lightly edited repost)
            if row.source != rows[cand[twin]].source and row.source not in copies[twin]:
                copies[twin].append(row.source)
            continue
        chosen.append(j)
        copies[j] = []
        if len(chosen) == want:
            break
    full = len(d_ids) == n or len(lex) == n
    return _Folded(cand, vecs, fused, dense, lexical, chosen, copies, rows, full)


def _shingles(text: str, n: int = 5) -> set[int]:
    words = re.findall(r"\w+", text.lower())
    return {hash(tuple(words[i:i + n])) for i in range(max(len(words) - n + 1, 1))}


def _near_copy(a: set[int], b: set[int]) -> bool:
    """Two passages share most of their five-word runs: one is the other lightly edited."""
    return bool(a) and bool(b) and len(a & b) >= NEAR_COPY_SHARE * min(len(a), len(b))


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)
