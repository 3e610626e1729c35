"""Dense: the FAISS index of chunk vectors (chunk id = FAISS id), chosen by size, and searching it.

Below `EXACT_LIMIT` chunks the index is flat (exact search, float32); above, IVF with float16 vectors
(recall@10 against exact >= 0.98 on the benchmark, half the memory: 1M chunks in ~0.8 GiB), retrained
when it has grown 4x since it was trained. Both keep incremental adds and deletes. It leaves out where
the file lives (rag/layout.py) and the lexical side (rag/lexical.py).
"""

from __future__ import annotations

import numpy as np

EXACT_LIMIT = 10_000  # chunks; exact search stays under ~10 ms up to here on 2 cores, IVF above


def search(index, qvec: np.ndarray, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores) of the top `n` chunks by inner product with `qvec` (dim,), optionally only among `allowed`."""
    import faiss

    if index.ntotal == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    n = min(n, index.ntotal)
    q = qvec.reshape(1, -1).astype(np.float32)
    params = None
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=np.int64)
        if isinstance(index, faiss.IndexIVF):
            if len(allowed) <= EXACT_LIMIT:  # few enough to score exactly; IVF probes might miss them
                scores = vectors(index, allowed) @ q[0]
                top = np.argsort(-scores, kind="stable")[:n]
                return allowed[top], scores[top]
            params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(allowed), nprobe=index.nprobe)
        else:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
    scores, ids = index.search(q, n, params=params)
    keep = ids[0] >= 0
    return ids[0][keep], scores[0][keep]


def vectors(index, ids) -> np.ndarray:
    """(len(ids), dim) float32, the stored vectors of these chunks."""
    if len(ids) == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_batch(np.asarray(ids, dtype=np.int64))


def empty(dim: int):
    """An empty flat index of `dim` dimensions, the start of every build."""
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def dense_index_for(vectors: np.ndarray, ids: np.ndarray, *, exact_limit: int = EXACT_LIMIT):
    """A FAISS index of (n, dim) float32 `vectors` under int64 `ids`: flat (exact) below `exact_limit`,
    else IVF over float16 vectors with about sqrt(n) lists."""
    import faiss

    n, dim = vectors.shape
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if n < exact_limit:
        index = empty(dim)
    else:
        nlist = max(16, int(np.sqrt(n)))
        index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        # 64 points per list trains k-means well enough; more only costs build time
        sample = np.random.default_rng(0).choice(n, size=min(n, 64 * nlist), replace=False)
        index.train(vectors[np.sort(sample)])
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
        # measured (benchmarks/perf.py): recall@10 >= 0.98 from 1/16 of the lists, a few ms at 1M
        index.nprobe = max(16, nlist // 16)
    index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
    return index


def wrong_size(index, exact_limit: int) -> bool:
    """The index type no longer suits its size: flat past the limit, IVF far below it or 4x past
    the size it was trained for (its lists would grow long and slow)."""
    import faiss

    n = index.ntotal
    if isinstance(index, faiss.IndexIVF):
        return n < exact_limit // 2 or n > 4 * index.nlist**2
    return n >= exact_limit


def all_vectors(index) -> tuple[np.ndarray, np.ndarray]:
    """(vectors (n, dim) float32, ids (n,) int64) held by a flat or IVF index."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        inv = index.invlists
        ids = np.concatenate([np.zeros(0, dtype=np.int64)] + [
            faiss.rev_swig_ptr(inv.get_ids(i), inv.list_size(i)).copy()
            for i in range(index.nlist) if inv.list_size(i)
        ])
    else:
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    if len(ids) == 0:
        return np.zeros((0, index.d), dtype=np.float32), ids
    return index.reconstruct_batch(ids), ids
