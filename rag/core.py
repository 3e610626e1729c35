"""The library's one entry point: `Index` ties the stages together for every face.

    >>> idx = Index.open(Settings.load(index_dir="index"))    # doctest: +SKIP
    >>> idx.search("Who initiated the phone call?", k=3)       # doctest: +SKIP
    >>> idx.ask("Who initiated the phone call?").answer        # doctest: +SKIP

The CLI, the HTTP API and the Gradio app call these methods and nothing below them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .answer import NOT_FOUND, SentenceCache, extractive_answer
from .embed import Embedder
from .errors import IndexNotFoundError
from .index import update_index
from .rerank import CrossEncoderReranker, Reranker
from .retrieve import clean_query, search
from .settings import Settings
from .store import Store
from .types import Answer, IndexReport, Passage, Skipped


class Index:
    """An index folder with its embedding model loaded: search it, ask it, add to it."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.model, device=settings.device, batch_size=settings.batch_size)
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
        if self._store is None:
            store = Store(self.settings.index_dir)
            store.check_model(self.settings.model, self.embedder.dim)
            self._store = store
        return self._store

    def refresh(self) -> None:
        """Pick up changes another process committed."""
        if self._store is not None:
            self._store.refresh()

    def update(self, paths: Iterable[Path] = (), *, rebuild: bool = False,
               on_skip: Callable[[Skipped], None] | None = None) -> IndexReport:
        """Index new and changed articles under `paths` (default: the paths indexed before)."""
        with self._write_lock:
            report = update_index(paths, self.settings, self.embedder, rebuild=rebuild, on_skip=on_skip)
            if self._store is not None:
                self._store.refresh()
            return report

    def search(self, query: str, k: int | None = None, *, sources: Sequence[str] = (),
               doc_ids: Sequence[str] = ()) -> list[Passage]:
        """The best `k` passages for `query`, best first."""
        query = clean_query(query, max_chars=self.settings.max_question_chars, what="query")
        self.refresh()
        return search(self.store, self.embedder, query, self.settings, k=k, sources=sources, doc_ids=doc_ids,
                      reranker=self.reranker).passages

    def ask(self, question: str, k: int | None = None, *, sources: Sequence[str] = (),
            doc_ids: Sequence[str] = (), mode: str | None = None) -> Answer:
        """A cited answer to `question`, or an honest "not in the articles"."""
        *_, final = self.ask_stream(question, k, sources=sources, doc_ids=doc_ids, mode=mode)
        return final

    def ask_stream(self, question: str, k: int | None = None, *, sources: Sequence[str] = (),
                   doc_ids: Sequence[str] = (), mode: str | None = None,
                   history: Sequence[tuple[str, str]] = ()) -> Iterator[Answer]:
        """Partial answers as they are written (LLM mode), then the final validated one.

        Extractive answers come in one piece. `history` is the chat so far, as (user, assistant)
        pairs, for follow-up questions.
        """
        question = clean_query(question, max_chars=self.settings.max_question_chars)
        self.refresh()
        store = self.store
        hits = search(store, self.embedder, question, self.settings, k=k, sources=sources, doc_ids=doc_ids,
                      reranker=self.reranker)
        yield extractive_answer(question, hits, store, self.embedder, self.settings, cache=self._cache)

    def sources(self) -> list[tuple[str, int]]:
        """(source, number of documents) in the index."""
        self.refresh()
        return self.store.sources()

    def stats(self) -> dict:
        self.refresh()
        s = self.store
        return {"documents": s.count_documents(), "chunks": s.count_chunks(), "generation": s.generation,
                "model": s.manifest.get("model"), "index_dir": str(self.settings.index_dir)}


__all__ = ["Index", "NOT_FOUND"]
