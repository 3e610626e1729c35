"""Timeline: how a story developed, from the key sentences of the passages that match it, day by day.

Each matching article gives its sentences that bear most on the story (at most `KEY_PER_ARTICLE`, the
lead counting a little more: a news lead says what happened); the same fact from several outlets is
one event citing each of them, dated by its earliest report. Events are grouped by publication day in
date order, the best few of each day; articles without a date are listed apart. Citations have the
shape and exact offsets of an answer's. It leaves out retrieval (rag/retrieve.py) and scoring
(rag/evidence.py), which it shares with answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from .answer import same_fact
from .embed import Embedder
from .evidence import SentenceCache, cite, sentence_scores, sentence_vectors, sentences_of
from .store import Store
from .types import Citation, DateRange, Hits, Sentence, day_label

TIMELINE_K = 40  # passages a timeline is built from, unless asked otherwise
PASSAGE_FLOOR = 0.5  # a passage's retrieval score, as a share of the best one's, for its sentences to count
KEY_PER_ARTICLE = 2  # sentences one article may give the timeline
KEY_FLOOR = 0.4  # a key sentence scores at least this share of the best one
LEAD_BONUS = 0.05  # score an article's first two sentences gain: a news lead says what happened
MIN_WORDS = 6  # shorter sentences are headings, datelines or fragments, not events
PER_DAY = 5  # events shown for one day, the best first
MAX_EVENTS = 30  # events in all


@dataclass(frozen=True)
class Event:
    """One fact of the story: its sentence, the outlets that reported it and a citation for each."""

    date: str  # ISO day of its earliest report, "" when no report has a date
    text: str
    sources: tuple[str, ...]
    citations: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date, "text": self.text, "sources": list(self.sources),
                "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True)
class Day:
    date: str  # ISO day
    label: str  # "3 Jan 2020"
    events: tuple[Event, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date, "label": self.label, "events": [e.to_dict() for e in self.events]}


@dataclass(frozen=True)
class Timeline:
    """The JSON of `rag timeline --json` and `POST /api/timeline`."""

    query: str
    days: tuple[Day, ...]
    undated: tuple[Event, ...]  # events from articles without a date
    notice: str = ""
    dates: DateRange | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "days": [d.to_dict() for d in self.days],
                "undated": [e.to_dict() for e in self.undated], "notice": self.notice,
                "dates": self.dates.to_dict() if self.dates else None}


def build_timeline(query: str, hits: Hits, store: Store, embedder: Embedder, *,
                   cache: SentenceCache | None = None, dates: DateRange | None = None) -> Timeline:
    """The timeline of the story `query` from its retrieved passages `hits`."""
    top = max((p.score for p in hits.passages), default=0.0)
    # passages retrieval itself ranks far below the best are about something else that shares a word
    kept = [p for p in hits.passages if p.score >= PASSAGE_FLOOR * top]
    sents = [s for s in sentences_of(kept) if len(s.text.split()) >= MIN_WORDS]
    if not sents:
        return Timeline(query, (), (), "No passage in the index matches this story.", dates)
    vecs = sentence_vectors(sents, store, embedder, cache or SentenceCache())
    score = sentence_scores(hits.qvec, hits.qterms, sents, vecs, store) + LEAD_BONUS * _leads(sents)
    best = float(score.max())
    taken: dict[str, int] = {}  # doc id -> sentences it gave
    groups: list[list[int]] = []  # each: an event's sentences, the best first, one per article
    for i in (int(j) for j in np.argsort(-score, kind="stable")):
        if float(score[i]) < KEY_FLOOR * best or len(groups) >= MAX_EVENTS:
            break
        s = sents[i]
        same = next((g for g in groups if same_fact(sents[g[0]].text, s.text, float(vecs[g[0]] @ vecs[i]))), None)
        if same is not None:  # another outlet's report of an event already in: cite it there
            if all(sents[j].passage.doc_id != s.passage.doc_id for j in same):
                same.append(i)
            continue
        if taken.get(s.passage.doc_id, 0) >= KEY_PER_ARTICLE:
            continue
        taken[s.passage.doc_id] = taken.get(s.passage.doc_id, 0) + 1
        groups.append([i])

    by_day: dict[str, list[list[int]]] = {}  # groups are in score order, so each day's list is too
    for g in groups:
        by_day.setdefault(min((_day(sents[j]) for j in g if _day(sents[j])), default=""), []).append(g)
    numbered = [0]  # citations are numbered in reading order: day by day, then the undated

    def event(day: str, g: list[int]) -> Event:
        cites = []
        for j in sorted(g, key=lambda j: (_day(sents[j]) or "9999", sents[j].passage.source)):
            numbered[0] += 1
            cites.append(cite(numbered[0], sents[j]))
        return Event(day, sents[g[0]].text, tuple(dict.fromkeys(c.source for c in cites if c.source)), tuple(cites))

    days = tuple(Day(d, day_label(date.fromisoformat(d)), tuple(event(d, g) for g in gs[:PER_DAY]))
                 for d, gs in sorted(by_day.items()) if d)
    undated = tuple(event("", g) for g in by_day.get("", []))
    notice = "" if days else "None of the matching articles has a publication date; their events are listed undated."
    return Timeline(query, days, undated, notice, dates)


def _day(s: Sentence) -> str:
    """The ISO publication day of a sentence's article, "" when unknown or not a date."""
    d = s.passage.date[:10]
    try:
        return date.fromisoformat(d).isoformat()
    except ValueError:
        return ""


def _leads(sents: list[Sentence]) -> np.ndarray:
    """1 for the first two sentences of an article (its lead), else 0."""
    seen: dict[str, int] = {}
    out = np.zeros(len(sents), dtype=np.float32)
    for i in sorted(range(len(sents)), key=lambda i: (sents[i].passage.doc_id, sents[i].start)):
        s = sents[i]
        if s.passage.start == 0:
            seen[s.passage.doc_id] = seen.get(s.passage.doc_id, 0) + 1
            out[i] = 1.0 if seen[s.passage.doc_id] <= 2 else 0.0
    return out
