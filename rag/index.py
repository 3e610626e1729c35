"""Index: the update pipeline, from paths to a committed index (ingest -> chunk -> embed -> store).

Incremental: an article whose content hash is already stored is not touched; a changed article is
re-chunked and only chunks whose embedding input changed are embedded again (the others keep their
vectors); articles that disappeared from the indexed paths are deleted. Everything is committed at
the end, atomically, so an interrupted run leaves the index as it was.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .chunk import chunk_article, get_encoding
from .embed import Embedder
from .ingest import check_paths, read_articles
from .settings import Settings
from .store import FORMAT_VERSION, Writer
from .terms import TERMS_VERSION
from .types import Article, Chunk, IndexReport, Skipped

EMBED_BATCH = 256  # chunks embedded per call: keeps memory flat and the progress bar moving


def manifest(settings: Settings, embedder: Embedder) -> dict:
    """What an index is built with; opening it with anything else is refused."""
    return {
        "format_version": FORMAT_VERSION,
        "model": settings.model,
        "dim": embedder.dim,
        "max_tokens": embedder.max_tokens,
        "encoding": settings.encoding,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "terms_version": TERMS_VERSION,
        "embed_input": "title+chunk",
    }


def embed_input(article: Article, chunk: Chunk) -> str:
    """The text the model sees for a chunk: the headline gives a passage its context."""
    if article.title and not chunk.text.startswith(article.title):
        return f"{article.title}\n{chunk.text}"
    return chunk.text


def article_hash(article: Article) -> str:
    blob = json.dumps([article.title, article.text, article.source, article.url, article.date], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def update_index(
    paths: Iterable[Path],
    settings: Settings,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
) -> IndexReport:
    """Bring the index in `settings.index_dir` up to date with the articles under `paths`.

    With no paths, the paths indexed before are read again.
    """
    paths = [p.absolute() for p in check_paths([Path(p) for p in paths])]
    enc = get_encoding(settings.encoding)
    count_tokens = lambda s: len(enc.encode(s, disallowed_special=()))  # noqa: E731
    report = IndexReport()
    cleaned: Counter[str] = Counter()
    with Writer.open(settings.index_dir, manifest(settings, embedder), rebuild=rebuild) as w:
        if not paths:
            paths = check_paths([Path(r) for r in sorted(w.roots)])
        seen: set[str] = set()
        pending: list[tuple[Article, str, list[Chunk], list[str], dict[str, int], bool]] = []
        pending_chunks = 0
        progress = _Progress(enabled=sys.stderr.isatty())

        def flush() -> None:
            nonlocal pending_chunks
            texts, where = [], []
            for pi, (art, _h, chunks, hashes, old, _new) in enumerate(pending):
                for ci, (ch, h) in enumerate(zip(chunks, hashes)):
                    if h not in old:
                        texts.append(embed_input(art, ch))
                        where.append((pi, ci))
            fresh = embedder.encode(texts, progress=False) if texts else None
            progress.add(len(texts))
            report.chunks_embedded += len(texts)
            slot = {pos: i for i, pos in enumerate(where)}
            for pi, (art, h, chunks, hashes, old, _new) in enumerate(pending):
                vecs = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
                reuse = [(ci, old[hh]) for ci, hh in enumerate(hashes) if hh in old]
                if reuse:
                    vecs[[ci for ci, _ in reuse]] = w.reconstruct([cid for _, cid in reuse])
                for ci in range(len(chunks)):
                    if (pi, ci) in slot:
                        vecs[ci] = fresh[slot[(pi, ci)]]
                w.put(art, h, chunks, hashes, vecs)
            pending.clear()
            pending_chunks = 0

        for item in read_articles(paths, max_file_bytes=settings.max_file_bytes):
            if isinstance(item, Skipped):
                report.skipped.append(item)
                if on_skip:
                    on_skip(item)
                continue
            if item.doc_id in seen:
                skip = Skipped(item.origin, f"document id {item.doc_id!r} was already read from another file; rename one")
                report.skipped.append(skip)
                if on_skip:
                    on_skip(skip)
                continue
            seen.add(item.doc_id)
            cleaned.update(r.rule for r in item.removed)
            h = article_hash(item)
            old_hash = w.doc_hash(item.doc_id)
            if old_hash == h:
                report.unchanged += 1
                continue
            if old_hash is None:
                report.added += 1
            else:
                report.updated += 1
            chunks = chunk_article(
                item,
                chunk_tokens=settings.chunk_tokens,
                chunk_overlap=settings.chunk_overlap,
                count_tokens=count_tokens,
                fits=lambda t, a=item: embedder.fits(f"{a.title}\n{t}" if a.title else t),
            )
            hashes = [hashlib.sha1(embed_input(item, c).encode()).hexdigest() for c in chunks]
            old = w.chunk_hashes(item.doc_id) if old_hash is not None else {}
            pending.append((item, h, chunks, hashes, old, old_hash is None))
            pending_chunks += len(chunks)
            if pending_chunks >= EMBED_BATCH:
                flush()
        flush()
        for doc_id in sorted(set(w.docs_from(paths)) - seen):
            w.delete(doc_id)
            report.removed += 1
        w.set_roots(paths)
        report.chunks_total = w.count_chunks()
        report.documents_total = w.count_documents()
        w.commit()
        progress.close()
    report.cleaned = dict(sorted(cleaned.items()))
    return report


class _Progress:
    """A running count of embedded chunks on stderr (a terminal only)."""

    def __init__(self, *, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(desc="embedding chunks", unit="chunk", file=sys.stderr, leave=False)

    def add(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
