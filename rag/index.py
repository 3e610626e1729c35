"""The library's one entry point: `Index` ties the stages together for every face.

    >>> idx = Index.open(Settings.load(index_dir="index"))    # doctest: +SKIP
    >>> idx.search("Who initiated the phone call?", k=3)       # doctest: +SKIP
    >>> idx.ask("Who initiated the phone call?").answer        # doctest: +SKIP

The CLI, the HTTP API and the Gradio app call these methods and nothing below them.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import date
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from .answer import NOT_FOUND, extractive_answer
from .evidence import SentenceCache
from .embed import Embedder, resolve_device
from .errors import IndexNotFoundError, IndexOutdatedError, LLMError
from .followup import standalone_question
from .build import update_index, upgrade_index
from .llm import fallback_answer, llm_answer
from .rerank import CrossEncoderReranker, Reranker
from .question import clean_query, named_outlets
from .retrieve import search
from .settings import Settings, check_range
from .store import Store
from .types import Answer, DateRange, Hits, IndexReport, IndexStats, Passage, Skipped, day_label
from .timeline import TIMELINE_K, Timeline, build_timeline
from .when import Named, event_range, mentions, named_dates, named_event, scoped
from .uploads import copy_upload, received_file

EVENT_K = 10  # passages searched to date an event a question names ("before the strike")
EVENT_MATCH = 0.8  # ... of which those scoring this share of the best one report it
EVENT_WORDS = 0.5  # an answer from outside an event's dates names at least this share of its words


class Index:
    """An index folder with its embedding model loaded: search it, ask it, add to it."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder.from_settings(settings)
        self._store: Store | None = None
        self._write_lock = threading.Lock()
        self._cache = SentenceCache()
        self._reranker: Reranker | None = None

    @property
    def reranker(self) -> Reranker | None:
        """The optional rerank stage (`settings.reranker`), loaded on first use; None when off."""
        if self._reranker is None and self.settings.reranker:
            self._reranker = CrossEncoderReranker(self.settings.reranker, device=resolve_device(self.settings.device))
        return self._reranker

    @classmethod
    def open(cls, settings: Settings | None = None, *, embedder: Embedder | None = None,
             build_from: Sequence[Path] = (), warm: bool = False, log: Callable[[str], None] | None = None,
             on_skip: Callable[[Skipped], None] | None = None) -> Index:
        """Open the index in `settings.index_dir`: build it from `build_from` when there is none yet,
        upgrade it in place (nothing embedded again) when an older version wrote it.

        `warm` readies the question encoder in a background thread, so the first question doesn't wait
        for it; `log` hears what is being done (a build or an upgrade takes a while).
        """
        settings = settings or Settings.load()
        idx = cls(settings, embedder=embedder)
        say = log or (lambda _msg: None)
        try:
            _ = idx.store  # opening the store is the check: it raises when there is no index yet
        except IndexNotFoundError:
            if not build_from:
                raise
            say(f"no index in {settings.index_dir} yet: building it from {', '.join(map(str, build_from))} ...")
            report = idx.update(build_from, on_skip=on_skip)
            say(f"indexed {report.documents_total} documents ({report.chunks_total} chunks)")
        except IndexOutdatedError:
            say(f"upgrading the index in {settings.index_dir} to this version (nothing is embedded again) ...")
            with idx._write_lock:
                upgrade_index(settings, idx.embedder, on_skip=on_skip)
                idx.refresh()
        if warm:
            threading.Thread(target=idx.embedder.prepare_queries, daemon=True, name="rag-warm").start()
        return idx

    @property
    def store(self) -> Store:
        """The current generation of the index (opened lazily, refreshed when a writer commits)."""
        store = self._store
        if store is None:
            store = self._store = self._open_store()
        return store

    def _open_store(self) -> Store:
        if self.settings.store:  # RAG_STORE=milvus://...
            from .milvus import open_store

            store: Store = open_store(self.settings.store)
        else:
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
        if report.chunks_embedded:  # the passage model is loaded now: the question encoder's one-time export costs least here
            self.embedder.prepare_queries()
        return report

    def add_files(self, files: Sequence[tuple[str, str | Path]], *, received_in: str | Path | None = None,
                  on_skip: Callable[[Skipped], None] | None = None) -> IndexReport:
        """Copy uploaded files, given as (name, path), into the index's uploads folder and index them.

        With `received_in` (the folder a server's upload route writes to), a path that does not lie
        inside it is refused and never read: paths from a client must name a file that client uploaded.
        Names are sanitized so that none can write outside the uploads folder. Only the new files are
        indexed, so nothing else is touched; a file whose name is taken by different content is kept
        under a new name, and a file whose document ids are already indexed from elsewhere is refused.
        """
        uploads = (self.settings.index_dir / "uploads").absolute()
        skipped: list[Skipped] = []
        kept: list[Path] = []
        for name, src in files:
            why = received_file(str(src), received_in) if received_in is not None else None
            if why is None:
                uploads.mkdir(parents=True, exist_ok=True)
                got = copy_upload(name, Path(src), uploads, self._store_or_none(),
                                  max_file_bytes=self.settings.max_file_bytes)
            else:
                got = Skipped(name, why)
            if isinstance(got, Skipped):
                skipped.append(got)
                if on_skip:
                    on_skip(got)
            else:
                kept.append(got)
        report = self.update(kept, on_skip=on_skip) if kept else IndexReport(documents_total=self._count())
        report.skipped[:0] = skipped
        return report

    def _store_or_none(self) -> Store | None:
        try:
            return self.store
        except IndexNotFoundError:
            return None

    def _count(self) -> int:
        try:
            return self.store.count_documents()
        except IndexNotFoundError:
            return 0

    def search(self, query: str, k: int | None = None, *, sources: Sequence[str] = (),
               doc_ids: Sequence[str] = (), since: str | date | None = None,
               until: str | date | None = None) -> list[Passage]:
        """The best `k` passages for `query`, best first; `since` and `until` (days, ISO "2020-01-03",
        both included) keep articles published in that range."""
        query = clean_query(query, max_chars=self.settings.max_question_chars, what="query")
        dates = check_range(since, until)
        self.refresh()
        return search(self.store, self.embedder, query, self.settings, k=k, sources=sources, doc_ids=doc_ids,
                      dates=dates, reranker=self.reranker).passages

    def ask(self, question: str, k: int | None = None, *, sources: Sequence[str] = (),
            doc_ids: Sequence[str] = (), mode: str | None = None,
            history: Sequence[tuple[str, str] | Mapping[str, Any]] = (), since: str | date | None = None,
            until: str | date | None = None) -> Answer:
        """A cited answer to `question`, or an honest "not in the articles". Without `since`/`until`, a
        day, week or month the question names ("on Jan. 3") filters by date when the articles have dates."""
        *_, final = self._answers(question, k, sources=sources, doc_ids=doc_ids, mode=mode, history=history,
                                  stream=False, dates=check_range(since, until))
        return final

    def ask_stream(self, question: str, k: int | None = None, *, sources: Sequence[str] = (),
                   doc_ids: Sequence[str] = (), mode: str | None = None,
                   history: Sequence[tuple[str, str] | Mapping[str, Any]] = (), since: str | date | None = None,
                   until: str | date | None = None) -> Iterator[Answer]:
        """Partial answers as they are written (LLM mode), then the final validated one.

        Extractive answers come in one piece. `history` is the chat so far, for follow-up questions:
        (user, assistant) pairs or {"role", "content"} messages, the chat's own shape.
        """
        return self._answers(question, k, sources=sources, doc_ids=doc_ids, mode=mode, history=history, stream=True,
                             dates=check_range(since, until))

    def _answers(self, question: str, k: int | None, *, sources: Sequence[str], doc_ids: Sequence[str],
                 mode: str | None, history: Sequence[tuple[str, str] | Mapping[str, Any]], stream: bool,
                 dates: DateRange) -> Iterator[Answer]:
        question = clean_query(question, max_chars=self.settings.max_question_chars)
        settings = self.settings.replace(answer_mode=mode)
        self.refresh()
        store = self.store
        question, fault = standalone_question(question, history, settings)
        asked = question
        years = store.date_years()
        named = None if dates else named_dates(question, years)
        full = question  # with the words that named its dates
        if named is not None:  # "What did Russia say on Jan. 3?": what Russia said, in the articles of that day
            dates, question = named.dates, named.rest
        why = ""
        event = None if dates or named or not years else named_event(question)
        day = self._event_day(event.event, settings, sources) if event else None
        if event is not None and day is not None:  # "before the strike": before the first report of it
            dates = event_range(event, day)
            # what came after an event is often about it ("Who spoke out after the bombing?"): its words
            # stay; what came before can't mention it
            question = event.rest if event.relation == "before" else question
            named = Named(dates, question)
            why = f"{event.relation} {event.event}, first reported on {day_label(day)}"
        outlets: list[str] = []
        if not sources:  # "What did the BBC report about ...": the BBC's articles
            outlets, question = named_outlets(question, store.outlets())
            sources = outlets
            if outlets:
                full = named_outlets(full, outlets)[1]
        hits = search(store, self.embedder, question, settings, k=k, sources=sources, doc_ids=doc_ids,
                      dates=dates, reranker=self.reranker)
        first = extractive_answer(question, hits, store, self.embedder, settings, cache=self._cache)
        if named is not None and not first.grounded:
            # The dates were read from the question, and its articles of those days don't answer it: the
            # question's date is often the event's, reported on other days ("the June 2013 attack", "hours
            # before the attack"). The articles of every date answer it if they can, saying so.
            wider = search(store, self.embedder, full, settings, k=k, sources=sources, doc_ids=doc_ids,
                           reranker=self.reranker)
            other = extractive_answer(full, wider, store, self.embedder, settings, cache=self._cache)
            # ... only when the passage that answers names those dates (or that event) itself
            said = event.event if event is not None and day is not None else _removed(full, named.rest)
            if other.grounded and other.citations and mentions(other.citations[0].passage, said,
                                                               EVENT_WORDS if event is not None else 1.0):
                label = named.dates.label() + (f" ({why})" if why else "")
                note = f"No article {'from ' if named.dates.since and named.dates.until else ''}{label} answers this; " \
                    "this answer is from articles of other dates."
                answers = self._answers_from(full, wider, store, settings, fault, stream, extractive=other)
                for a in answers:
                    a = dataclasses.replace(a, question=asked, notice=f"{note} {a.notice}".strip())
                    yield scoped(a, None, outlets) if outlets else a
                return
        answers = self._answers_from(question, hits, store, settings, fault, stream, extractive=first)
        if named is not None or outlets:
            yield from (scoped(dataclasses.replace(a, question=asked, dates=dates or None),
                               named.dates if named else None, outlets, why) for a in answers)
        elif dates:
            yield from (dataclasses.replace(a, dates=dates) for a in answers)
        else:
            yield from answers

    def _event_day(self, event: str, settings: Settings, sources: Sequence[str]) -> date | None:
        """The day of the earliest dated article among those that match `event` best (within
        EVENT_MATCH of the best passage's score): the day the event was first reported."""
        hits = search(self.store, self.embedder, event, settings, k=EVENT_K, sources=sources)
        if not hits.passages:
            return None
        top = hits.passages[0].score
        days = [p.date[:10] for p in hits.passages if p.date and p.score >= EVENT_MATCH * top]
        try:
            return date.fromisoformat(min(days)) if days else None
        except ValueError:
            return None

    def _answers_from(self, question: str, hits: Hits, store: Store, settings: Settings, fault: LLMError | None,
                      stream: bool, *, extractive: Answer) -> Iterator[Answer]:
        """The answer to `question` from `hits`: the LLM's when one is set and `extractive` (the
        extractive answer from the same hits) is grounded, else `extractive`."""
        # No LLM call when there is none, or when retrieval found nothing that answers the question.
        if not settings.llm_enabled or not extractive.grounded:
            yield extractive
        elif fault is not None:  # the rewrite already found the server failing: don't wait on it twice
            yield fallback_answer(extractive, str(fault))
        else:
            yield from llm_answer(question, hits.passages, extractive, store, self.embedder, settings,
                                  cache=self._cache, stream=stream)

    def timeline(self, query: str, k: int | None = None, *, sources: Sequence[str] = (),
                 doc_ids: Sequence[str] = (), since: str | date | None = None,
                 until: str | date | None = None) -> Timeline:
        """How the story `query` developed: the key sentences of its best `k` passages (default 40),
        day by day, each fact once with every outlet that reported it."""
        query = clean_query(query, max_chars=self.settings.max_question_chars, what="query")
        dates = check_range(since, until)
        self.refresh()
        store = self.store
        hits = search(store, self.embedder, query, self.settings, k=TIMELINE_K if k is None else k, sources=sources,
                      doc_ids=doc_ids, dates=dates)
        return build_timeline(query, hits, store, self.embedder, cache=self._cache, dates=dates or None)

    def sources(self) -> list[tuple[str, int]]:
        """(source, number of documents) in the index."""
        self.refresh()
        return self.store.sources()

    def stats(self) -> IndexStats:
        """What the index holds and what it runs on."""
        self.refresh()
        s = self.store
        return IndexStats(documents=s.count_documents(), chunks=s.count_chunks(), generation=s.generation,
                          model=str(s.manifest.get("model", "")), index_dir=str(self.settings.index_dir),
                          query_encoder=self.embedder.query_encoder)


def _removed(question: str, rest: str) -> str:
    """The words of `question` that are not in `rest` (what `named_dates` took out: "on Feb. 3")."""
    kept = {w.strip(".,;:?!").lower() for w in rest.split()}
    return " ".join(w for w in question.split() if w.strip(".,;:?!").lower() not in kept)


__all__ = ["Index", "NOT_FOUND"]
