"""Lexical: the BM25 index, an inverted index in one file per generation, read by memory map.

Postings are grouped by term and sorted by chunk id within a term, each with the term's count in the
chunk. A term is known by a 64-bit hash of its `terms.terms` string: the strings are never needed at
query time, and a sorted array of hashes is found by binary search without loading anything. A query
reads only its own terms' postings; scores add up in an array indexed by chunk id. The most common
query terms (the most postings, the least weight) are left out of finding candidates once the rarer
ones have brought `CANDIDATE_POSTINGS` postings, and are then scored on those candidates only. Scores
for given chunks (the dense retriever's candidates) are exact: a binary search per query term.

An update writes the next generation's file from the previous one: the deleted chunks' postings are
dropped and the new chunks' postings inserted at the end of their terms' runs (SQLite gives a new
chunk an id above every kept one), in a few vectorised passes; nothing is tokenised again.

BM25 as SQLite's FTS5 computes it: k1 1.2, b 0.75, idf log((N - df + 0.5) / (df + 0.5)) floored at
1e-6, a chunk's length counted in terms. Not here: phrase or proximity queries, field weights.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

MAGIC = b"RAGLEX01"
HEADER_BYTES = 4096
BM25_K1, BM25_B = 1.2, 0.75
# Postings the rarer query terms may bring as candidates before the common ones are left to rescoring:
# about 2 ms of work on 2 cores, whatever the corpus size.
CANDIDATE_POSTINGS = 300_000
FLUSH_CHUNKS = 50_000  # an update's pending chunks (~1 KiB each) are merged in at this count
ABSENT = np.uint32(0xFFFFFFFF)  # in `lens`: no chunk has this id


@lru_cache(maxsize=1 << 18)
def term_hash(term: str) -> int:
    """The 64-bit key of a term in the index."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


class Pending:
    """Postings of the chunks an update adds, before they are merged into a generation's file."""

    def __init__(self) -> None:
        self._chunks: dict[int, tuple[np.ndarray, np.ndarray, int]] = {}  # id -> (hashes, counts, length)

    def add(self, chunk_id: int, chunk_terms: Sequence[str]) -> None:
        counts = Counter(chunk_terms)
        h = np.fromiter((term_hash(t) for t in counts), dtype=np.uint64, count=len(counts))
        tf = np.fromiter((min(c, 65535) for c in counts.values()), dtype=np.uint16, count=len(counts))
        self._chunks[chunk_id] = (h, tf, len(chunk_terms))

    def discard(self, chunk_id: int) -> bool:
        """Forget a chunk added earlier in this update (True), or say it was not one (False)."""
        return self._chunks.pop(chunk_id, None) is not None

    def __len__(self) -> int:
        return len(self._chunks)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(hashes, chunk ids, counts) of every posting, and (chunk ids, lengths) of every chunk."""
        chunks = self._chunks
        if not chunks:
            return (np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.uint16),
                    np.zeros(0, np.int64), np.zeros(0, np.int64))
        ids = np.fromiter(chunks, dtype=np.int64, count=len(chunks))
        sizes = np.fromiter((len(h) for h, _, _ in chunks.values()), dtype=np.int64, count=len(chunks))
        return (np.concatenate([h for h, _, _ in chunks.values()]), np.repeat(ids, sizes),
                np.concatenate([tf for _, tf, _ in chunks.values()]), ids,
                np.fromiter((n for _, _, n in chunks.values()), dtype=np.int64, count=len(chunks)))


class Lexicon:
    """One generation's BM25 index: `vocab` (V,) uint64 sorted term hashes, `offsets` (V+1,) int64 into
    `ids` (P,) uint32 chunk ids and `tfs` (P,) uint16 counts, `lens` (max id + 1,) uint32 chunk lengths
    (`ABSENT` where no chunk has the id)."""

    def __init__(self, vocab: np.ndarray, offsets: np.ndarray, ids: np.ndarray, tfs: np.ndarray,
                 lens: np.ndarray) -> None:
        self.vocab, self.offsets, self.ids, self.tfs, self.lens = vocab, offsets, ids, tfs, lens
        present = lens != ABSENT
        self.n_chunks = int(present.sum())
        self.n_tokens = int(lens[present].sum(dtype=np.int64))
        self.avgdl = self.n_tokens / max(self.n_chunks, 1)

    @classmethod
    def empty(cls) -> Lexicon:
        return cls(np.zeros(0, np.uint64), np.zeros(1, np.int64), np.zeros(0, np.uint32), np.zeros(0, np.uint16),
                   np.zeros(0, np.uint32))

    # -- the file -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Map a file written by `save` (FileNotFoundError when it is missing; ValueError when it is not one)."""
        with open(path, "rb") as fh:
            head = fh.read(HEADER_BYTES)
        if not head.startswith(MAGIC):
            raise ValueError(f"{path} is not a lexical index file")
        layout = json.loads(head[len(MAGIC):].decode("ascii"))
        arrays = {}
        for name, (offset, dtype, length) in layout.items():
            # plain views of the map: slicing an np.memmap costs ~7 us of Python each time
            arrays[name] = (np.asarray(np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=(length,)))
                            if length else np.zeros(0, dtype=dtype))
        return cls(**arrays)

    def save(self, path: Path) -> None:
        """Write the arrays to a new file `path` (never one mapped by a reader: the caller writes a temporary
        file and renames it), fsynced."""
        arrays = {"vocab": self.vocab, "offsets": self.offsets, "ids": self.ids, "tfs": self.tfs, "lens": self.lens}
        layout, pos = {}, HEADER_BYTES
        for name, a in arrays.items():
            layout[name] = (pos, a.dtype.str, int(len(a)))
            pos += -(-a.nbytes // 64) * 64  # each array starts 64-byte aligned
        head = MAGIC + json.dumps(layout).encode("ascii")
        with open(path, "wb") as fh:
            fh.write(head.ljust(HEADER_BYTES, b" "))
            for name, a in arrays.items():
                fh.seek(layout[name][0])
                fh.write(np.ascontiguousarray(a).tobytes())
            fh.truncate(max(pos, HEADER_BYTES))
            fh.flush()
            os.fsync(fh.fileno())

    # -- reads ----------------------------------------------------------------------------------
    def _find(self, qterms: Iterable[str]) -> dict[str, int]:
        """Distinct query terms -> their row in `vocab`, or -1 when no chunk holds them."""
        uniq = list(dict.fromkeys(t for t in qterms if t))
        if not uniq or len(self.vocab) == 0:
            return {t: -1 for t in uniq}
        h = np.array([term_hash(t) for t in uniq], dtype=np.uint64)
        row = np.minimum(np.searchsorted(self.vocab, h), len(self.vocab) - 1)
        found = self.vocab[row] == h
        return {t: int(r) if f else -1 for t, r, f in zip(uniq, row, found)}

    def doc_freqs(self, qterms: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each term."""
        return {t: 0 if r < 0 else int(self.offsets[r + 1] - self.offsets[r]) for t, r in self._find(qterms).items()}

    def _weights(self, qterms: Iterable[str]) -> list[tuple[int, float, int]]:
        """(vocab row, idf, df) of each distinct query term some chunk holds, rarest first."""
        out = []
        for r in self._find(qterms).values():
            if r >= 0:
                df = int(self.offsets[r + 1] - self.offsets[r])
                out.append((r, max(math.log((self.n_chunks - df + 0.5) / (df + 0.5)), 1e-6), df))
        return sorted(out, key=lambda x: x[2])

    def _contribution(self, row: int, idf: float, pos: slice | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, BM25 term scores) of the postings at `pos` within term `row`'s run."""
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        ids = np.asarray(self.ids[a:b][pos], dtype=np.int64)
        tf = np.asarray(self.tfs[a:b][pos], dtype=np.float64)
        dl = self.lens[ids].astype(np.float64)
        return ids, idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * dl / self.avgdl))

    def search(self, qterms: Sequence[str], n: int, allowed: np.ndarray | None = None, *,
               budget: int = CANDIDATE_POSTINGS) -> list[tuple[int, float]]:
        """Top `n` (chunk id, BM25 score), best first, optionally only among `allowed` chunk ids; the
        rarest terms bring candidates until they have read `budget` postings."""
        weights = self._weights(qterms)
        if not weights or n <= 0:
            return []
        finders: list[tuple[int, float, int]] = []
        spent = 0
        for w in weights:
            if finders and spent + w[2] > budget:
                break
            finders.append(w)
            spent += w[2]
        acc = np.zeros(len(self.lens), dtype=np.float64)
        for row, idf, _ in finders:
            ids, s = self._contribution(row, idf, slice(None))
            acc[ids] += s  # a term's ids are distinct, so no two writes meet
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            keep = np.zeros(len(acc), dtype=bool)
            keep[allowed[(allowed >= 0) & (allowed < len(acc))]] = True
            acc[~keep] = 0.0
        cand = np.flatnonzero(acc > 0)  # through a bool array: 9x faster than on the floats at 1M chunks
        rest = weights[len(finders):]
        pool = n if not rest else 4 * n  # the common terms may still reorder the candidates
        if len(cand) > pool:
            cand = cand[np.argpartition(-acc[cand], pool - 1)[:pool]]
        scores = acc[cand]
        if rest:
            scores = scores + self._scores_of(rest, cand)
        top = np.lexsort((cand, -scores))[:n]
        return [(int(cand[i]), float(scores[i])) for i in top]

    def scores(self, qterms: Sequence[str], ids: Iterable[int]) -> dict[int, float]:
        """BM25 score of each given chunk that holds a query term."""
        ids = np.fromiter((int(i) for i in ids), dtype=np.int64)
        weights = self._weights(qterms)
        if not weights or len(ids) == 0:
            return {}
        s = self._scores_of(weights, ids)
        return {int(i): float(v) for i, v in zip(ids, s) if v > 0}

    def _scores_of(self, weights: list[tuple[int, float, int]], ids: np.ndarray) -> np.ndarray:
        out = np.zeros(len(ids), dtype=np.float64)
        for row, idf, _ in weights:
            a, b = int(self.offsets[row]), int(self.offsets[row + 1])
            run = self.ids[a:b]
            pos = np.minimum(np.searchsorted(run, ids), b - a - 1)
            hit = np.flatnonzero(run[pos] == ids)
            if len(hit):
                _, s = self._contribution(row, idf, pos[hit])
                out[hit] += s
        return out

    # -- the next generation --------------------------------------------------------------------
    def merged(self, deleted: Iterable[int], pending: Pending) -> Lexicon:
        """This index without its chunks `deleted` and with the `pending` ones, in memory."""
        deleted = np.unique(np.fromiter(deleted, dtype=np.int64))
        h, nids, ntf, len_ids, lens_new = pending.arrays()
        order = np.lexsort((nids, h))
        h, nids, ntf = h[order], nids[order], ntf[order]

        counts = np.diff(self.offsets)
        kids, ktf = self.ids, self.tfs
        if len(deleted) and len(kids):
            keep = ~np.isin(kids, deleted)
            gone = np.flatnonzero(~keep)
            counts = counts - np.bincount(np.searchsorted(self.offsets, gone, side="right") - 1,
                                          minlength=len(counts))
            kids, ktf = kids[keep], ktf[keep]
        if len(nids) and len(kids) and int(nids.min()) <= int(kids.max()):
            # Not the order SQLite gives ids in: sort everything (slower, same result).
            return _from_postings(np.concatenate([np.repeat(self.vocab, counts), h]),
                                  np.concatenate([kids.astype(np.int64), nids]), np.concatenate([ktf, ntf]),
                                  self._lens_after(deleted, len_ids, lens_new))
        kept_end = np.concatenate([[0], np.cumsum(counts)])
        at = kept_end[np.searchsorted(self.vocab, h, side="right")]  # after the kept run of the same term
        ids = np.insert(np.asarray(kids, dtype=np.uint32), at, nids.astype(np.uint32))
        tfs = np.insert(np.asarray(ktf), at, ntf)
        new_terms, new_counts = np.unique(h, return_counts=True)
        vocab = np.union1d(self.vocab, new_terms)
        total = np.zeros(len(vocab), dtype=np.int64)
        total[np.searchsorted(vocab, self.vocab)] += counts
        total[np.searchsorted(vocab, new_terms)] += new_counts
        used = total > 0
        return Lexicon(vocab[used], np.concatenate([[0], np.cumsum(total[used])]).astype(np.int64), ids, tfs,
                       self._lens_after(deleted, len_ids, lens_new))

    def _lens_after(self, deleted: np.ndarray, len_ids: np.ndarray, lens_new: np.ndarray) -> np.ndarray:
        top = max(len(self.lens), int(len_ids.max()) + 1 if len(len_ids) else 0)
        lens = np.full(top, ABSENT, dtype=np.uint32)
        lens[: len(self.lens)] = self.lens
        lens[deleted[deleted < len(self.lens)]] = ABSENT
        lens[len_ids] = np.minimum(lens_new, int(ABSENT) - 1)
        return lens


def _from_postings(h: np.ndarray, ids: np.ndarray, tfs: np.ndarray, lens: np.ndarray) -> Lexicon:
    order = np.lexsort((ids, h))
    h, ids, tfs = h[order], ids[order], tfs[order]
    vocab, counts = np.unique(h, return_counts=True)
    return Lexicon(vocab, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), ids.astype(np.uint32),
                   tfs.astype(np.uint16), lens)


class Update:
    """The chunks one update deletes and adds, merged into `base` every `FLUSH_CHUNKS` added chunks so
    that a large build holds its postings once, compactly, rather than per chunk."""

    def __init__(self, base: Lexicon, *, flush: int = FLUSH_CHUNKS) -> None:
        self.base, self.flush = base, flush
        self.changed = False
        self._deleted: list[int] = []
        self._added = Pending()

    def delete(self, chunk_ids: Iterable[int]) -> None:
        for i in chunk_ids:
            self.changed = True
            # SQLite may hand an id out again within an update: then it is the new chunk's.
            if not self._added.discard(i):
                self._deleted.append(i)

    def add(self, chunk_id: int, chunk_terms: Sequence[str]) -> None:
        self.changed = True
        self._added.add(chunk_id, chunk_terms)
        if len(self._added) >= self.flush:
            self.base = self.result()
            self._deleted, self._added = [], Pending()

    def result(self) -> Lexicon:
        """The index after this update."""
        return self.base.merged(self._deleted, self._added) if self._deleted or len(self._added) else self.base


def build(rows: Iterable[tuple[int, Sequence[str]]]) -> Lexicon:
    """A whole index from (chunk id, terms) rows."""
    update = Update(Lexicon.empty())
    for cid, chunk_terms in rows:
        update.add(cid, chunk_terms)
    return update.result()
