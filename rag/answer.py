"""Answer: an extractive answer, built from the retrieved sentences themselves, with citations.

Every sentence of the retrieved passages is scored against the question: the cosine of its vector
with the question's, mixed with how much of the question's weight (IDF of its terms) it contains.
The best sentence comes first; a few more follow when they score close to it. A sentence that says
the same as one already chosen (another outlet's copy) is not repeated: its source is cited beside
the first, `[1][3]`. Each citation is the exact sentence span in its article.

The evidence is the best sentence's score, less a penalty for the share of the question's words
that appear nowhere in the index ("funeral" in a corpus that never mentions one). When the
evidence is weak, or the question names a person, place or number the corpus never mentions, the
answer says the articles don't hold it (`grounded=False`, no citations) rather than quoting the
nearest sentence. LLM answers live in `llm.py`.
"""

from __future__ import annotations

import re

import numpy as np

from .embed import Embedder
from .evidence import SentenceCache, cite, sentence_scores, sentence_vectors, sentences_of, unseen_share
from .settings import Settings
from .store import Store
from .terms import terms
from .types import Answer, Citation, Hits

NOT_FOUND = "The indexed articles don't answer this question."
SAME_FACT = 0.88  # cosine above which two sentences state the same fact
SAME_FACT_SHARED = 0.75  # ... or above which they do when they also share a run of five words
SAME_FACT_FLOOR = 0.6  # ... while another outlet's copy of a chosen fact is cited down to this share of it
CLOSE_TO_BEST = 0.9  # a further sentence joins the answer when it scores this close to the best (0.85 cited off-topic sentences)
UNSEEN_PENALTY = 0.3  # evidence lost when every word of the question is unknown to the index
TYPE_PENALTY = 0.1  # score lost by a sentence with no number (date) when the question asks for one

# Questions that ask for a number or a date, and the words that can answer them. A sentence without
# one may be on topic ("placed on a travel ban list") but cannot be the answer ("imposed in 2007").
_ASKS_NUMBER = re.compile(r"\bhow (many|much|large|big|old|long|far|high)\b|\bwhat (number|percentage|share|amount)\b", re.I)
_ASKS_DATE = re.compile(r"\bwhen\b|\b(what|which) (year|date|day|month|time)\b", re.I)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                     r"hundred|thousand|million|billion|dozens?|half|several|few)\b", re.I)
_DATE = re.compile(r"\d|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|"
                   r"june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|"
                   r"dec|yesterday|today|tomorrow|tonight|morning|evening|night|week|month|year|ago|earlier|later)\b", re.I)


def missing_names(question: str, store: Store) -> list[str]:
    """Names and numbers in the question that no indexed passage contains."""
    words = re.findall(r"\d+(?:[.,]\d+)+|[\w’'.-]+", question)  # "1,000" is one number, as in `terms`
    wanted = {}
    for i, w in enumerate(words):
        w = w.strip(".’'-")
        if not w:
            continue
        is_name = (w[0].isupper() and i > 0) or (w.isupper() and len(w) > 1)
        if w.isupper() and len(w) <= 3:
            continue  # short acronyms (UN, EU) are often written out: the unseen-words penalty weighs them
        if is_name or any(c.isdigit() for c in w):
            for t in terms(w):
                wanted.setdefault(t, w)
    if not wanted:
        return []
    df = store.doc_freqs(wanted)
    return [wanted[t] for t in wanted if df.get(t, 0) == 0]


def extractive_answer(question: str, hits: Hits, store: Store, embedder: Embedder, settings: Settings,
                      *, cache: SentenceCache | None = None) -> Answer:
    """The answer from the retrieved sentences, cited; or NOT_FOUND when they don't hold it."""
    passages = hits.passages
    if not passages:
        return Answer(question, NOT_FOUND, "extractive", False, "No passage in the index matches this question.")
    missing = missing_names(question, store)
    if missing:
        names = ", ".join(f"“{m}”" for m in missing[:3])
        return Answer(question, NOT_FOUND, "extractive", False, f"The indexed articles never mention {names}.",
                      passages=tuple(passages))
    sents = [s for s in sentences_of(passages) if len(s.text.split()) >= 4]
    if not sents:
        return Answer(question, NOT_FOUND, "extractive", False, "The matching passages hold no full sentences.",
                      passages=tuple(passages))
    vecs = sentence_vectors(sents, store, embedder, cache or SentenceCache())  # (n, dim)
    score = sentence_scores(hits.qvec, hits.qterms, sents, vecs, store) - TYPE_PENALTY * _type_mismatch(
        question, [s.text for s in sents])
    order = [int(i) for i in np.argsort(-score, kind="stable")]
    best = float(score[order[0]])
    evidence = best - UNSEEN_PENALTY * unseen_share(hits.qterms, store)
    if evidence < settings.ground_threshold:
        return Answer(question, NOT_FOUND, "extractive", False,
                      "The closest passages don't answer this question closely enough.", passages=tuple(passages),
                      evidence=evidence)

    chosen: list[list[int]] = []  # each: [sentence index, then same-fact sentences from other outlets]
    for i in order:
        if float(score[i]) < SAME_FACT_FLOOR * best:
            break
        same = next((g for g in chosen if _same_fact(sents[g[0]].text, sents[i].text, float(vecs[g[0]] @ vecs[i]))), None)
        if same is not None:
            if all(sents[j].passage.doc_id != sents[i].passage.doc_id for j in same):
                same.append(i)
            continue
        if float(score[i]) >= CLOSE_TO_BEST * best and len(chosen) < settings.max_answer_sentences:
            chosen.append([i])

    citations: list[Citation] = []
    parts = []
    for group in chosen:
        marks = []
        for i in group:
            s = sents[i]
            n = len(citations) + 1
            citations.append(cite(n, s))
            marks.append(f"[{n}]")
        parts.append(f"{sents[group[0]].text} {''.join(marks)}")
    return Answer(question, " ".join(parts), "extractive", True, "", tuple(citations), tuple(passages), evidence=evidence)


def _type_mismatch(question: str, texts: list[str]) -> np.ndarray:
    """1 for each text that lacks the kind of answer (a number, a date) the question asks for, else 0."""
    want = _NUMBER if _ASKS_NUMBER.search(question) else _DATE if _ASKS_DATE.search(question) else None
    if want is None:
        return np.zeros(len(texts), dtype=np.float32)
    return np.array([0.0 if want.search(t) else 1.0 for t in texts], dtype=np.float32)


def _same_fact(a: str, b: str, cos: float) -> bool:
    """Two sentences state one fact: near-identical meaning, or close meaning and shared wording
    (a quote or wire copy repeated by another outlet)."""
    if cos >= SAME_FACT:
        return True
    if cos < SAME_FACT_SHARED:
        return False
    return bool(_shingles(a) & _shingles(b))


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
