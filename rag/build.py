"""Build: the update pipeline, from paths to a committed index (ingest -> chunk -> embed -> store).

Incremental: an article whose content hash is already stored is not touched; a changed article is
re-chunked and only chunks whose embedding input changed are embedded again (the others keep their
vectors); articles that disappeared from the indexed paths are deleted. Everything is committed at
the end, atomically, so an interrupted run leaves the index as it was.

Chunking and embedding run here, or on a Ray cluster (`settings.ray_address`, rag/distributed.py)
through the same functions (`chunk_for`, `embed_new`); either way this process reads the articles,
decides what changed (`changed_articles`) and is the one writer (`put_batch`), so both builds store
the same thing.
"""

from __future__ import annotations

import hashlib
import json
import queue
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, TextIO

import numpy as np
import numpy.typing as npt

from .chunk import chunk_article, get_encoding, sentence_spans
from .embed import Embedder, embed_input, embed_text
from .ingest import check_paths, read_articles
from .settings import Settings
from .manifest import manifest
from .sentvec import pack
from .writer import Writer, open_writer
from .types import Article, Chunk, IndexReport, Skipped

if TYPE_CHECKING:
    from tqdm import tqdm

    from .store import Lookup

EMBED_BATCH = 256  # chunks embedded per call: keeps memory flat and the progress bar moving


def article_hash(article: Article) -> str:
    fields = [article.title, article.text, article.source, article.url, article.date]
    # an author joins the hash only when known, so that articles without one keep the hash they had
    blob = json.dumps(fields + [article.author] if article.author else fields, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def update_index(
    paths: Iterable[Path],
    settings: Settings,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
    remote: Remote | None = None,
) -> IndexReport:
    """Bring the index in `settings.index_dir` up to date with the articles under `paths`.

    With no paths, the paths indexed before are read again. `remote` chunks and embeds the changed
    articles elsewhere (`settings.ray_address` picks rag/distributed.py's Ray cluster); this process
    still reads the articles, keeps what is unchanged, and writes and commits everything itself.
    """
    paths = [p.absolute() for p in check_paths([Path(p) for p in paths])]
    if remote is None and settings.ray_address:
        from .distributed import RayBuild  # ray is imported on this path only

        remote = RayBuild(settings)
    report = IndexReport()
    cleaned: Counter[str] = Counter()
    with open_writer(settings, manifest(settings, embedder), rebuild=rebuild) as w:
        if not paths:
            paths = check_paths([Path(r) for r in sorted(w.roots)])
        progress = _Progress(tty=sys.stderr.isatty())
        seen: set[str] = set()
        if remote is None:
            _build_here(paths, settings, embedder, w, seen, cleaned, report, progress, on_skip)
        else:
            _build_remote(remote, paths, settings, w, seen, cleaned, report, progress, on_skip)
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


def upgrade_index(settings: Settings, embedder: Embedder, *,
                  on_skip: Callable[[Skipped], None] | None = None) -> IndexReport:
    """Bring an index an older version wrote up to this one, embedding nothing. An older format is
    upgraded by an update that reads the indexed paths again (`update_index`); an index only its
    lexical terms date has its lexical file rebuilt from the stored chunk texts, reading no article,
    so it upgrades even when the folders it was built from have moved."""
    with open_writer(settings, manifest(settings, embedder)) as w:
        if not w.reads_articles:
            report = IndexReport(unchanged=w.count_documents(), chunks_total=w.count_chunks(),
                                 documents_total=w.count_documents())
            w.commit()
            return report
    return update_index((), settings, embedder, on_skip=on_skip)


@dataclass(frozen=True)
class Changed:
    """An added or changed article, as read and cleaned, with what the index holds of it: the work
    that goes to be chunked and embedded (unchanged articles never get this far)."""

    article: Article
    hash: str
    old: dict[str, int]  # embedding-input hash -> chunk id already in the index, for reuse


@dataclass(frozen=True)
class Pending:
    """A changed article, chunked, waiting for its vectors."""

    article: Article
    hash: str
    chunks: list[Chunk]
    hashes: list[str]  # embedding-input hash per chunk
    old: dict[str, int]  # embedding-input hash -> chunk id already in the index, for reuse


@dataclass(frozen=True)
class Embedded:
    """A chunked article with vectors for its new chunks: what `put_batch` writes. Chunks whose
    hash is in `old` keep their stored vectors, filled in by the writer."""

    article: Article
    hash: str
    chunks: list[Chunk]
    hashes: list[str]
    old: dict[str, int]
    vectors: npt.NDArray[np.float32]  # (len(chunks), dim); zero rows for chunks in `old`
    sentences: list[tuple[bytes, bytes, bytes] | None]  # packed per chunk (`sentvec.pack`); None for those in `old`
    embedded: int  # chunks embedded for this article


# Chunks and embeds batches of changed articles somewhere else; yields lists of results in the
# order of the work it was given, so the writer assigns the ids a local build would.
Remote = Callable[[Iterable[Changed]], Iterator[list[Embedded]]]


def changed_articles(paths: list[Path], settings: Settings, lookup: Lookup, seen: set[str],
                     cleaned: Counter[str], report: IndexReport) -> Iterator[Changed | Skipped]:
    """Read and clean the articles under `paths`; yield the new and changed ones (and what was
    skipped), counting the unchanged ones in `report`."""
    for item in read_articles(paths, max_file_bytes=settings.max_file_bytes):
        if isinstance(item, Skipped):
            yield item
            continue
        if item.doc_id in seen:
            yield Skipped(item.origin, f"document id {item.doc_id!r} was already read from another file; rename one")
            continue
        seen.add(item.doc_id)
        cleaned.update(r.rule for r in item.removed)
        h = article_hash(item)
        old_hash = lookup.doc_hash(item.doc_id)
        if old_hash == h:
            report.unchanged += 1
            continue
        if old_hash is None:
            report.added += 1
        else:
            report.updated += 1
        yield Changed(item, h, lookup.chunk_hashes(item.doc_id) if old_hash is not None else {})


def chunk_for(item: Changed, settings: Settings, embedder: Embedder) -> Pending:
    """Chunk one changed article with the settings' budget and the model's own limit."""
    enc = get_encoding(settings.encoding)

    def count_tokens(s: str) -> int:
        return len(enc.encode(s, disallowed_special=()))

    def fits(t: str) -> bool:
        return embedder.fits(embed_text(item.article.title, t))  # the model's real input

    chunks = chunk_article(item.article, chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap,
                           count_tokens=count_tokens, fits=fits)
    hashes = [hashlib.sha1(embed_input(item.article, c).encode()).hexdigest() for c in chunks]
    return Pending(item.article, item.hash, chunks, hashes, item.old)


def embed_new(batch: Sequence[Pending], embedder: Embedder) -> list[Embedded]:
    """Embed the chunks of a batch whose embedding input is not stored yet, with their sentences in the
    same pass; the others are left for `put_batch` to fill from the index."""
    texts, spans, own, where = [], [], [], []
    for pi, p in enumerate(batch):
        for ci, (ch, h) in enumerate(zip(p.chunks, p.hashes)):
            if h not in p.old:
                text = embed_input(p.article, ch)
                shift = len(text) - len(ch.text)  # the title in front
                texts.append(text)
                own.append(sentence_spans(ch.text))
                spans.append([(a + shift, b + shift) for a, b in own[-1]])
                where.append((pi, ci))
    fresh, sent_vecs = embedder.encode_spans(texts, spans)
    slot = {pos: i for i, pos in enumerate(where)}
    out = []
    for pi, p in enumerate(batch):
        vecs = np.zeros((len(p.chunks), embedder.dim), dtype=np.float32)
        packed: list[tuple[bytes, bytes, bytes] | None] = [None] * len(p.chunks)
        n = 0
        for ci in range(len(p.chunks)):
            j = slot.get((pi, ci))
            if j is None:
                continue
            vecs[ci] = fresh[j]
            ok = ~np.isnan(sent_vecs[j][:, 0])  # sentences past the model's limit: embedded when asked
            packed[ci] = pack([a for (a, _), keep in zip(own[j], ok) if keep], sent_vecs[j][ok])
            n += 1
        out.append(Embedded(p.article, p.hash, p.chunks, p.hashes, p.old, vecs, packed, n))
    return out


def put_batch(batch: Sequence[Embedded], w: Writer, report: IndexReport) -> int:
    """Write a batch, with the stored vectors of the chunks that were not embedded again; returns how
    many chunks were embedded."""
    n = 0
    for e in batch:
        vecs, packed = e.vectors.copy(), list(e.sentences)
        reuse = [(ci, e.old[hh]) for ci, hh in enumerate(e.hashes) if hh in e.old]
        if reuse:
            vecs[[ci for ci, _ in reuse]] = w.reconstruct([cid for _, cid in reuse])
            blobs = w.sentence_blobs([cid for _, cid in reuse])
            for ci, cid in reuse:
                packed[ci] = blobs.get(cid)
        w.put(e.article, e.hash, e.chunks, e.hashes, vecs, packed)
        n += e.embedded
    report.chunks_embedded += n
    return n


# What the reader thread hands the embedding one, in order: skips and batches, then "done" or an "error".
_Message = (tuple[Literal["skip"], Skipped] | tuple[Literal["batch"], list[Pending]]
            | tuple[Literal["done"], None] | tuple[Literal["error"], BaseException])


def _build_here(paths: list[Path], settings: Settings, embedder: Embedder, w: Writer, seen: set[str],
                cleaned: Counter[str], report: IndexReport, progress: _Progress,
                on_skip: Callable[[Skipped], None] | None) -> None:
    """Chunk and embed in this process and write as batches come."""
    # Reading, cleaning and chunking run in a thread while this one embeds the previous batch
    # (torch releases the GIL), so the build takes about as long as the embedding alone.
    batches: queue.Queue[_Message] = queue.Queue(maxsize=2)
    stop = threading.Event()
    reader = threading.Thread(
        target=_read_batches, daemon=True,
        args=(paths, settings, embedder, w.lookup(), batches, stop, seen, cleaned, report),
    )
    reader.start()
    try:
        while True:
            msg = batches.get()  # (kind, item)
            if msg[0] == "done":
                break
            if msg[0] == "error":
                raise msg[1]
            if msg[0] == "skip":
                _skip(msg[1], report, on_skip)
                continue
            progress.add(put_batch(embed_new(msg[1], embedder), w, report))
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting on a full queue
            try:
                batches.get_nowait()
            except queue.Empty:
                reader.join(0.05)


def _build_remote(remote: Remote, paths: list[Path], settings: Settings, w: Writer, seen: set[str],
                  cleaned: Counter[str], report: IndexReport, progress: _Progress,
                  on_skip: Callable[[Skipped], None] | None) -> None:
    """Read here, send the changed articles to `remote`, write what comes back, in order."""
    lookup = w.lookup()

    def work() -> Iterator[Changed]:
        for item in changed_articles(paths, settings, lookup, seen, cleaned, report):
            if isinstance(item, Skipped):
                _skip(item, report, on_skip)
            else:
                yield item

    try:
        for batch in remote(work()):
            progress.add(put_batch(batch, w, report))
    finally:
        lookup.close()


def _skip(s: Skipped, report: IndexReport, on_skip: Callable[[Skipped], None] | None) -> None:
    report.skipped.append(s)
    if on_skip:
        on_skip(s)


def _read_batches(paths: list[Path], settings: Settings, embedder: Embedder, lookup: Lookup, out: queue.Queue[_Message],
                  stop: threading.Event, seen: set[str], cleaned: Counter[str], report: IndexReport) -> None:
    """Read, clean and chunk the articles that changed; put batches of about EMBED_BATCH chunks on `out`."""
    try:
        pending: list[Pending] = []
        n_chunks = 0
        for item in changed_articles(paths, settings, lookup, seen, cleaned, report):
            if stop.is_set():
                return
            if isinstance(item, Skipped):
                out.put(("skip", item))
                continue
            pending.append(chunk_for(item, settings, embedder))
            n_chunks += len(pending[-1].chunks)
            if n_chunks >= EMBED_BATCH:
                out.put(("batch", pending))
                pending, n_chunks = [], 0
        if pending:
            out.put(("batch", pending))
        out.put(("done", None))
    except BaseException as e:  # hand it to the main thread, which raises it
        out.put(("error", e))
    finally:
        lookup.close()


class _Progress:
    """A running count of embedded chunks on stderr: a tqdm bar on a terminal; otherwise (a log, a pipe,
    `make run` under another program) plain lines, at most one every `every` seconds, and a last one
    when the run embedded anything."""

    every = 5.0  # seconds between two plain lines

    def __init__(self, *, tty: bool, stream: TextIO | None = None, clock: Callable[[], float] | None = None) -> None:
        from time import monotonic

        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock or monotonic
        self.bar: tqdm[NoReturn] | None = None
        self.n = 0
        self.start = self.last = self.clock()
        if tty:
            from tqdm import tqdm

            self.bar = tqdm(desc="embedding chunks", unit="chunk", file=self.stream, leave=False)

    def add(self, n: int) -> None:
        self.n += n
        if self.bar is not None:
            self.bar.update(n)
        elif n and self.clock() - self.last >= self.every:
            self.last = self.clock()
            self._line(self.last - self.start, final=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.n:
            self._line(self.clock() - self.start, final=True)

    def _line(self, elapsed: float, *, final: bool) -> None:
        took = f" in {elapsed:.1f} s" if final else ""
        rate = self.n / max(elapsed, 1e-9)
        print(f"rag: embedded {self.n:,} chunks{took} ({rate:.1f} chunks/s)", file=self.stream, flush=True)
