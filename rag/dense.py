"""Dense: the FAISS index of chunk vectors (chunk id = FAISS id), chosen by size, and searching it.

Below `EXACT_LIMIT` chunks the index is flat (exact search, float32); above, IVF with float16 vectors
(recall@10 against exact >= 0.98 on the benchmark, half the memory: 1M chunks in ~0.8 GiB), retrained
when it has grown 4x since it was trained. Both keep incremental adds and deletes. It leaves out where
the file lives (rag/layout.py) and the lexical side (rag/lexical.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import faiss

EXACT_LIMIT = 10_000  # chunks; exact search stays under ~10 ms up to here on 2 cores, IVF above


def search(index: faiss.Index, qvec: np.ndarray, n: int, allowed: np.ndarray | None = None
           ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """(ids, scores) of the top `n` chunks by inner product with `qvec` (dim,), optionally only among `allowed`."""
    import faiss

    if index.ntotal == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    n = min(n, index.ntotal)
    q = qvec.reshape(1, -1).astype(np.float32)
    params: faiss.SearchParameters | None = None
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=np.int64)
        if isinstance(index, faiss.IndexIVF):
            if len(allowed) <= EXACT_LIMIT:  # few enough to score exactly; IVF probes might miss them
                scores = vectors(index, allowed) @ q[0]
                top = np.argsort(-scores, kind="stable")[:n]
                return allowed[top], scores[top]
            # faiss's stubs leave out the keyword arguments its Python wrapper accepts
            params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(allowed), nprobe=index.nprobe)  # type: ignore[call-arg]
        else:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))  # type: ignore[call-arg]
    scores, ids = index.search(q, n, params=params)
    keep = ids[0] >= 0
    return ids[0][keep], scores[0][keep]


def vectors(index: faiss.Index, ids: Sequence[int] | npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """(len(ids), dim) float32, the stored vectors of these chunks."""
    if len(ids) == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_batch(np.asarray(ids, dtype=np.int64))


def empty(dim: int) -> faiss.IndexIDMap2:
    """An empty flat index of `dim` dimensions, the start of every build."""
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def dense_index_for(vectors: np.ndarray, ids: np.ndarray, *, exact_limit: int = EXACT_LIMIT) -> faiss.Index:
    """A FAISS index of (n, dim) float32 `vectors` under int64 `ids`: flat (exact) below `exact_limit`,
    else IVF over float16 vectors with about sqrt(n) lists."""
    import faiss

    n, dim = vectors.shape
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index: faiss.Index
    if n < exact_limit:
        index = empty(dim)
    else:
        nlist = max(16, int(np.sqrt(n)))
        ivf = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        # 64 points per list trains k-means well enough; more only costs build time
        sample = np.random.default_rng(0).choice(n, size=min(n, 64 * nlist), replace=False)
        ivf.train(vectors[np.sort(sample)])
        # reconstruct and remove by id (DirectMap is missing from faiss's stubs)
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        # measured (benchmarks/perf.py): recall@10 >= 0.98 from 1/16 of the lists, a few ms at 1M
        ivf.nprobe = max(16, nlist // 16)
        index = ivf
    index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
    return index


def wrong_size(index: faiss.Index, exact_limit: int) -> bool:
    """The index type no longer suits its size: flat past the limit, IVF far below it or 4x past
    the size it was trained for (its lists would grow long and slow)."""
    import faiss

    n = index.ntotal
    if isinstance(index, faiss.IndexIVF):
        return n < exact_limit // 2 or n > 4 * index.nlist**2
    return n >= exact_limit


def all_vectors(index: faiss.Index) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """(vectors (n, dim) float32, ids (n,) int64) held by a flat or IVF index."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        inv = cast("faiss.InvertedLists", index.invlists)  # an IVF index always has its lists
        ids = np.concatenate([np.zeros(0, dtype=np.int64)] + [
            faiss.rev_swig_ptr(inv.get_ids(i), inv.list_size(i)).copy()
            for i in range(index.nlist) if inv.list_size(i)
        ])
    else:
        ids = faiss.vector_to_array(cast("faiss.IndexIDMap", index).id_map).astype(np.int64)  # flat: empty()'s IDMap2
    if len(ids) == 0:
        return np.zeros((0, index.d), dtype=np.float32), ids
    return index.reconstruct_batch(ids), ids
