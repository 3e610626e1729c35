"""Plain data types that pass between the stages. All offsets are character offsets into
`Article.text` (the cleaned text), so `article.text[chunk.start:chunk.end] == chunk.text` and a
citation's `start:end` is the exact cited sentence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date as date_, timedelta
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class Removal:
    """A piece of the raw document that cleaning dropped, and the rule that dropped it."""

    rule: str
    text: str


@dataclass(frozen=True)
class Article:
    doc_id: str
    title: str
    text: str  # cleaned article text; every offset points into it
    source: str = ""  # the outlet's name when the input gives it ("BBC News"); never a file name
    url: str = ""
    date: str = ""  # publication date, ISO 8601 ("2020-01-03" or "2020-01-03T17:20:00+00:00"); "" when unknown
    origin: str = ""  # where it was read from: a file path, or "path#line" for JSON Lines
    removed: tuple[Removal, ...] = ()
    author: str = ""  # the byline's names, "" when unknown


@dataclass(frozen=True)
class IndexStats:
    """What an index holds and what it runs on (`rag stats --json`, `/api/health`)."""

    documents: int
    chunks: int
    generation: int
    model: str
    index_dir: str
    query_encoder: str  # "torch" after a fallback from ONNX (the log says why)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def record_origin(path: str, line: int) -> str:
    """The origin of a JSON Lines record: its file and line, "path#line".

    >>> record_origin("/news/a.jsonl", 3), origin_file("/news/a.jsonl#3"), origin_file("/news/b.txt")
    ('/news/a.jsonl#3', '/news/a.jsonl', '/news/b.txt')
    """
    return f"{path}#{line}"


def origin_file(origin: str) -> str:
    """The file an article was read from, given its origin (a path, or "path#line" for a record)."""
    path, sep, line = origin.rpartition("#")
    return path if sep and line.isdigit() else origin


def from_file(origin: str, path: str) -> bool:
    """True when `origin` is the file `path` itself or one of its records."""
    return origin_file(origin) == path


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    ord: int  # position of the chunk within its article
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ChunkRow:
    """A stored chunk with its article's metadata, as retrieval reads it."""

    id: int
    doc_id: str
    ord: int
    start: int
    end: int
    text: str
    title: str
    source: str
    url: str
    date: str
    author: str = ""


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article's metadata."""

    rank: int
    score: float
    doc_id: str
    title: str
    source: str
    chunk_id: int
    start: int
    end: int
    text: str
    url: str = ""
    date: str = ""
    dense_score: float = 0.0
    lexical_score: float = 0.0
    # Sources of near-copies of this passage (another outlet's repost, a lightly edited copy) folded into it
    also_in: tuple[str, ...] = ()
    author: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["score"] = round(self.score, 6)
        d["dense_score"] = round(self.dense_score, 6)
        d["lexical_score"] = round(self.lexical_score, 6)
        return d


@dataclass(frozen=True)
class Hits:
    """Retrieval results with what answering needs next: the query vector and the passage vectors."""

    passages: list[Passage]
    qvec: np.ndarray  # (dim,) float32
    vectors: np.ndarray  # (len(passages), dim) float32
    qterms: list[str]


@dataclass(frozen=True)
class Sentence:
    """One sentence of a retrieved passage; `text` is verbatim `article.text[start:end]`."""

    passage: Passage
    start: int  # offsets in the article
    end: int
    text: str


@dataclass(frozen=True)
class Citation:
    """One cited sentence: `text` is verbatim `article.text[start:end]`, inside `passage`."""

    n: int
    doc_id: str
    title: str
    source: str
    chunk_id: int
    start: int
    end: int
    text: str
    passage: str
    passage_start: int = 0
    passage_end: int = 0
    url: str = ""
    date: str = ""
    author: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ShortAnswer:
    """The exact short answer (a name, date, number, place) inside a cited sentence: `text` is verbatim
    `article.text[start:end]`, and lies inside citation number `citation`'s sentence."""

    text: str
    citation: int
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    mode: Literal["extractive", "llm"]
    grounded: bool
    notice: str = ""
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = field(default=(), compare=False)
    uncited: tuple[str, ...] = ()  # LLM answers: sentences of `answer` that cite no passage
    # The best sentence's score less the unseen-words penalty; compared with `ground_threshold`.
    evidence: float = field(default=0.0, compare=False)
    # Factoid questions: the exact span that answers, inside the first citation; None when not confident.
    short_answer: ShortAnswer | None = None
    # A piece of an answer still being written (LLM streaming): not yet checked against the passages.
    provisional: bool = field(default=False, compare=False)
    # The publication days searched, when a filter or the question's own dates ("on Jan. 3") limited them.
    dates: DateRange | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "mode": self.mode,
            "grounded": self.grounded,
            "notice": self.notice,
            "citations": [c.to_dict() for c in self.citations],
            "uncited": list(self.uncited),
            "short_answer": self.short_answer.to_dict() if self.short_answer else None,
            "dates": self.dates.to_dict() if self.dates else None,
        }


def search_result(query: str, passages: list[Passage] | tuple[Passage, ...]) -> dict[str, Any]:
    """The JSON object of `rag search --json`, `/api/search` and the app's `/search` endpoint."""
    return {"query": query, "passages": [p.to_dict() for p in passages]}


@dataclass(frozen=True)
class Skipped:
    """An input that was not indexed, and why."""

    path: str
    reason: str


@dataclass
class IndexReport:
    """What one `rag index` run did. `removed` counts documents, `cleaned` counts dropped boilerplate."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    documents_total: int = 0
    cleaned: dict[str, int] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skipped"] = [asdict(s) for s in self.skipped]
        return d


@dataclass(frozen=True)
class DateRange:
    """Publication days to keep, both ends included; None leaves that end open.

    >>> from datetime import date
    >>> r = DateRange(date(2020, 1, 3), date(2020, 1, 5))
    >>> r.bounds(), r.label(), DateRange(date(2020, 1, 3), date(2020, 1, 3)).label()
    (('2020-01-03', '2020-01-06'), '3-5 Jan 2020', '3 Jan 2020')
    """

    since: date_ | None = None
    until: date_ | None = None

    def __bool__(self) -> bool:
        return self.since is not None or self.until is not None

    def bounds(self) -> tuple[str | None, str | None]:
        """(lowest, past-the-end) ISO strings to compare stored ISO dates with: `lo <= date < hi`."""
        hi = (self.until + timedelta(days=1)).isoformat() if self.until else None
        return (self.since.isoformat() if self.since else None, hi)

    def holds(self, iso: str) -> bool:
        """True when the ISO date or datetime `iso` falls in the range ("" never does)."""
        lo, hi = self.bounds()
        return bool(iso) and (lo is None or iso >= lo) and (hi is None or iso < hi)

    def label(self) -> str:
        """The range as a reader says it: "3 Jan 2020", "3-5 Jan 2020", "since 3 Jan 2020"."""
        a, b = self.since, self.until
        if a and b:
            if a == b:
                return day_label(a)
            if (a.year, a.month) == (b.year, b.month):
                return f"{a.day}-{day_label(b)}"
            if a.year == b.year:
                return f"{a.day} {a:%b} - {day_label(b)}"
            return f"{day_label(a)} - {day_label(b)}"
        if a:
            return f"since {day_label(a)}"
        return f"until {day_label(b)}" if b else "any date"

    def to_dict(self) -> dict[str, str | None]:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


def day_label(d: date_) -> str:
    """ "3 Jan 2020": a day as the chat shows it."""
    return f"{d.day} {d:%b} {d.year}"
