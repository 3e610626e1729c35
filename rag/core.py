"""The library's one entry point: `Index` ties the stages together for every face.

    >>> idx = Index.open(Settings.load(index_dir="index"))    # doctest: +SKIP
    >>> idx.search("Who initiated the phone call?", k=3)       # doctest: +SKIP
    >>> idx.ask("Who initiated the phone call?").answer        # doctest: +SKIP

The CLI, the HTTP API and the Gradio app call these methods and nothing below them.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .answer import NOT_FOUND, SentenceCache, extractive_answer
from .embed import Embedder
from .errors import IndexNotFoundError
from .followup import standalone_question
from .index import update_index
from .ingest import read_articles, too_large, unsupported
from .llm import fallback_answer, llm_answer
from .rerank import CrossEncoderReranker, Reranker
from .retrieve import clean_query, search
from .settings import Settings
from .store import Store
from .types import Answer, IndexReport, Passage, Skipped


class Index:
    """An index folder with its embedding model loaded: search it, ask it, add to it."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.model, device=settings.device, batch_size=settings.batch_size,
                                             query_encoder=settings.query_encoder, cache_dir=settings.cache_dir)
        self._store: Store | None = None
        self._write_lock = threading.Lock()
        self._cache = SentenceCache()
        self._reranker: Reranker | None = None

    @property
    def reranker(self) -> Reranker | None:
        """The optional rerank stage (`settings.reranker`), loaded on first use; None when off."""
        if self._reranker is None and self.settings.reranker:
            self._reranker = CrossEncoderReranker(self.settings.reranker, device=self.settings.device)
        return self._reranker

    @classmethod
    def open(cls, settings: Settings | None = None, *, embedder: Embedder | None = None,
             build_from: Sequence[Path] = ()) -> "Index":
        """Open the index in `settings.index_dir`; build it from `build_from` if there is none yet."""
        settings = settings or Settings.load()
        idx = cls(settings, embedder=embedder)
        try:
            idx.store
        except IndexNotFoundError:
            if not build_from:
                raise
            idx.update(build_from)
        return idx

    @property
    def store(self) -> Store:
        """The current generation of the index (opened lazily, refreshed when a writer commits)."""
        store = self._store
        if store is None:
            store = self._store = self._open_store()
        return store

    def _open_store(self) -> Store:
        store = Store(self.settings.index_dir)
        store.check_model(self.settings.model, self.embedder.dim)
        return store

    def refresh(self) -> None:
        """Pick up changes another process committed."""
        current = self._store
        if current is not None and current.changed():
            # A new view, not a change to the old one: queries running in other threads finish on the
            # generation they started with (the old view closes when the last of them drops it). One
            # assignment, so no thread ever sees the index missing.
            self._store = self._open_store()

    def update(self, paths: Iterable[Path] = (), *, rebuild: bool = False,
               on_skip: Callable[[Skipped], None] | None = None) -> IndexReport:
        """Index new and changed articles under `paths` (default: the paths indexed before)."""
        with self._write_lock:
            report = update_index(paths, self.settings, self.embedder, rebuild=rebuild, on_skip=on_skip)
            self.refresh()
            return report

    def add_files(self, files: Sequence[tuple[str, Path]], *,
                  on_skip: Callable[[Skipped], None] | None = None) -> IndexReport:
        """Copy uploaded files, given as (name, path), into the index's uploads folder and index them.

        Names are sanitized so that none can write outside that folder. Only the new files are indexed,
        so nothing else is touched; a file whose name is taken by different content is kept under a new
        name, and a file whose document ids are already indexed from elsewhere is refused (skipped).
        """
        uploads = (self.settings.index_dir / "uploads").absolute()
        uploads.mkdir(parents=True, exist_ok=True)
        skipped: list[Skipped] = []
        kept: list[Path] = []
        for name, src in files:
            skip = self._copy_upload(name, Path(src), uploads, kept)
            if skip is not None:
                skipped.append(skip)
                if on_skip:
                    on_skip(skip)
        report = self.update(kept, on_skip=on_skip) if kept else IndexReport(documents_total=self._count())
        report.skipped[:0] = skipped
        return report

    def _copy_upload(self, name: str, src: Path, uploads: Path, kept: list[Path]) -> Skipped | None:
        safe = upload_name(name)
        # The same checks as indexing, before anything is copied (an upload of any type has the size limit).
        why = unsupported(Path(safe).suffix) or too_large(src.stat().st_size, self.settings.max_file_bytes)
        if why is not None:
            return Skipped(name, why)
        data = src.read_bytes()
        stem, suffix = Path(safe).stem, Path(safe).suffix
        dest, n = uploads / safe, 1
        while dest.exists() and dest.read_bytes() != data:  # never overwrite an earlier upload
            n += 1
            dest = uploads / f"{stem}-{n}{suffix}"
        fresh = not dest.exists()
        if fresh:
            dest.write_bytes(data)
        clash = self._taken_ids(dest)
        if clash:
            if fresh:
                dest.unlink()
            return Skipped(name, clash)
        kept.append(dest)
        return None

    def _taken_ids(self, path: Path) -> str:
        """Why `path` may not be indexed: one of its document ids already comes from another file."""
        try:
            store = self.store
        except IndexNotFoundError:
            return ""
        for item in read_articles([path], max_file_bytes=self.settings.max_file_bytes):
            if isinstance(item, Skipped):
                continue
            doc = store.document(item.doc_id)
            if doc and doc["origin"] != str(path) and not doc["origin"].startswith(f"{path}#"):
                return (f"document id {item.doc_id!r} is already in the index (from {Path(doc['origin'].split('#')[0]).name}); "
                        "rename the file or the record id and upload it again")
        return ""

    def _count(self) -> int:
        try:
            return self.store.count_documents()
        except IndexNotFoundError:
            return 0

    def search(self, query: str, k: int | None = None, *, sources: Sequence[str] = (),
               doc_ids: Sequence[str] = ()) -> list[Passage]:
        """The best `k` passages for `query`, best first."""
        query = clean_query(query, max_chars=self.settings.max_question_chars, what="query")
        self.refresh()
        return search(self.store, self.embedder, query, self.settings, k=k, sources=sources, doc_ids=doc_ids,
                      reranker=self.reranker).passages

    def ask(self, question: str, k: int | None = None, *, sources: Sequence[str] = (),
            doc_ids: Sequence[str] = (), mode: str | None = None,
            history: Sequence[tuple[str, str]] = ()) -> Answer:
        """A cited answer to `question`, or an honest "not in the articles"."""
        *_, final = self._answers(question, k, sources=sources, doc_ids=doc_ids, mode=mode, history=history,
                                  stream=False)
        return final

    def ask_stream(self, question: str, k: int | None = None, *, sources: Sequence[str] = (),
                   doc_ids: Sequence[str] = (), mode: str | None = None,
                   history: Sequence[tuple[str, str]] = ()) -> Iterator[Answer]:
        """Partial answers as they are written (LLM mode), then the final validated one.

        Extractive answers come in one piece. `history` is the chat so far, as (user, assistant)
        pairs, for follow-up questions.
        """
        return self._answers(question, k, sources=sources, doc_ids=doc_ids, mode=mode, history=history, stream=True)

    def _answers(self, question: str, k: int | None, *, sources: Sequence[str], doc_ids: Sequence[str],
                 mode: str | None, history: Sequence[tuple[str, str]], stream: bool) -> Iterator[Answer]:
        question = clean_query(question, max_chars=self.settings.max_question_chars)
        settings = self.settings.replace(answer_mode=mode)
        self.refresh()
        store = self.store
        question, fault = standalone_question(question, history, settings)
        hits = search(store, self.embedder, question, settings, k=k, sources=sources, doc_ids=doc_ids,
                      reranker=self.reranker)
        extractive = extractive_answer(question, hits, store, self.embedder, settings, cache=self._cache)
        # No LLM call when there is none, or when retrieval found nothing that answers the question.
        if not settings.llm_enabled or not extractive.grounded:
            yield extractive
        elif fault is not None:  # the rewrite already found the server failing: don't wait on it twice
            yield fallback_answer(extractive, str(fault))
        else:
            yield from llm_answer(question, hits.passages, extractive, store, self.embedder, settings,
                                  cache=self._cache, stream=stream)

    def sources(self) -> list[tuple[str, int]]:
        """(source, number of documents) in the index."""
        self.refresh()
        return self.store.sources()

    def stats(self) -> dict:
        self.refresh()
        s = self.store
        return {"documents": s.count_documents(), "chunks": s.count_chunks(), "generation": s.generation,
                "model": s.manifest.get("model"), "index_dir": str(self.settings.index_dir),
                # "torch" after a fallback from ONNX (the log says why)
                "query_encoder": self.embedder.query_encoder}


def upload_name(name: str) -> str:
    r"""A file name safe to create inside the uploads folder: no folders, no leading dots, plain characters.

    >>> upload_name("../../etc/passwd.txt"), upload_name("C:\\x\\My news.md"), upload_name("..")
    ('passwd.txt', 'My_news.md', 'upload')
    """
    base = re.split(r"[/\\]", name)[-1]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip("._-")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:100] or "upload"
    return f"{stem}.{suffix[:10]}" if suffix else stem


__all__ = ["Index", "NOT_FOUND", "upload_name"]
