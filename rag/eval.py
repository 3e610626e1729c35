"""Eval: how well the index finds the right articles and answers from them, on a QA set.

A QA set is JSON Lines, one question a line:
`{"question", "gold_doc_ids": [...], "answers"?: [...], "answerable"?: true}`.

Retrieval is scored per document, not per passage: a document's rank is the rank of its best
passage, and enough passages are retrieved to rank `k` distinct documents. Recall@n counts a
question as found when any gold document is in the top n (the usual "top-n accuracy" of QA
retrieval); MRR uses the first gold document; nDCG@k treats every gold document as relevant.
Answers are scored on the answer text (an expected string in it), on the citations (each must
quote a gold document) and on grounding (unanswerable questions should be declined, answerable
ones not). It leaves out graded relevance and any judgement of answer fluency.
"""

from __future__ import annotations

import json
import re
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .index import Index
from .question import analyse
from .errors import InputError
from .retrieve import search
from .types import Answer

RECALL_AT = (1, 5, 10)
MAX_PASSAGES = 100  # the retriever's own cap on passages per query


@dataclass(frozen=True)
class QACase:
    """One question of a QA set, with the line it came from."""

    line: int
    question: str
    gold_doc_ids: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    answerable: bool = True


@dataclass
class Report:
    """The figures of one eval run; every rate is 0..1 and `None` when no question measures it."""

    questions: int = 0
    answerable: int = 0
    unanswerable: int = 0
    k: int = 10
    recall: dict[str, float | None] = field(default_factory=dict)  # "@1", "@5", "@10"
    mrr: float | None = None
    ndcg: float | None = None
    answer_hit_rate: float | None = None
    # The expected text in the answer's first cited sentence: the answer's lead holds the answer.
    lead_hit_rate: float | None = None
    # Factoid questions with a short answer expected: its text equals an expected answer (normalised).
    short_answer_exact: float | None = None
    citation_precision: float | None = None
    abstention_rate: float | None = None
    over_abstention_rate: float | None = None
    # Quantiles (min, 10%, median, 90%, max) of the answers' evidence scores, by kind of question:
    # where `ground_threshold` sits between them decides abstention.
    evidence: dict[str, list[float]] = field(default_factory=dict)
    misses: list[dict[str, int | str]] = field(default_factory=list)  # the questions that went wrong, and how

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d[f"ndcg@{self.k}"] = d.pop("ndcg")
        return d


def load_qa(path: Path) -> list[QACase]:
    """The QA set in `path`; an InputError naming every bad line (by number) when any is bad."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such QA file; give a .jsonl file with one question a line") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read it as UTF-8 text ({e}); give a .jsonl QA file") from None
    cases, bad = [], []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            cases.append(_case(n, json.loads(line)))
        except (ValueError, TypeError) as e:
            bad.append(f"line {n}: {e}")
    if bad:
        more = f" (and {len(bad) - 3} more bad lines)" if len(bad) > 3 else ""
        raise InputError(f"{path}: {'; '.join(bad[:3])}{more}; each line must be "
                         '{"question", "gold_doc_ids": [...], "answers"?: [...], "answerable"?: false}')
    if not cases:
        raise InputError(f"{path}: holds no questions; add one JSON object a line")
    return cases


def _case(n: int, rec: object) -> QACase:
    if not isinstance(rec, dict):
        raise ValueError("not a JSON object")
    q = rec.get("question")
    if not isinstance(q, str) or not q.strip():
        raise ValueError('"question" must be non-empty text')
    answerable = rec.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ValueError('"answerable" must be true or false')
    gold, answers = rec.get("gold_doc_ids", []), rec.get("answers", [])
    for name, v in (("gold_doc_ids", gold), ("answers", answers)):
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise ValueError(f'"{name}" must be a list of non-empty strings')
    if answerable and not gold:
        raise ValueError('an answerable question needs "gold_doc_ids"')
    return QACase(n, q, tuple(gold), tuple(answers), answerable)


def rank_documents(idx: Index, question: str, k: int) -> list[str]:
    """The top `k` distinct documents for `question`, each ranked by its best passage."""
    docs: list[str] = []
    n = min(MAX_PASSAGES, 3 * k)
    while True:
        passages = search(idx.store, idx.embedder, question, idx.settings, k=n, reranker=idx.reranker).passages
        docs = list(dict.fromkeys(p.doc_id for p in passages))
        if len(docs) >= k or len(passages) < n or n == MAX_PASSAGES:
            return docs[:k]
        n = min(MAX_PASSAGES, 2 * n)


def ndcg(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """Binary-relevance nDCG@k.

    >>> round(ndcg(["a", "g"], {"g"}, 10), 4)
    0.6309
    """
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in gold)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal if ideal else 0.0


def evaluate(idx: Index, cases: Sequence[QACase], *, k: int = 10, answers: bool = True,
             on_case: Callable[[], None] | None = None) -> Report:
    """Retrieval and answer figures for `cases` on `idx`; `answers=False` scores retrieval only."""
    if not 1 <= k <= MAX_PASSAGES:
        raise InputError(f"k is {k}; rank 1 to {MAX_PASSAGES} documents")
    _check_gold_indexed(idx, cases)
    rep = Report(questions=len(cases), answerable=sum(c.answerable for c in cases), k=k)
    rep.unanswerable = rep.questions - rep.answerable
    hits = {n: 0 for n in RECALL_AT}
    rr = gains = 0.0
    ranked_n = 0
    answer_hits = answer_n = cited_ok = cited_n = declined = over = lead_hits = short_hits = short_n = 0
    gold_texts: dict[str, str] = {}
    evidence: dict[str, list[float]] = {"answerable": [], "unanswerable": []}
    for case in cases:
        gold = set(case.gold_doc_ids)
        if case.answerable:
            ranked = rank_documents(idx, case.question, k)
            ranks = [i for i, d in enumerate(ranked, 1) if d in gold]
            ranked_n += 1
            for n in RECALL_AT:
                hits[n] += bool(ranks and ranks[0] <= n)
            rr += 1 / ranks[0] if ranks else 0.0
            gains += ndcg(ranked, gold, k)
            if not ranks:
                rep.misses.append({"line": case.line, "question": case.question, "miss": f"no gold document in top {k}"})
        if answers and (case.answers or not case.answerable):
            a = idx.ask(case.question)
            evidence["answerable" if case.answerable else "unanswerable"].append(a.evidence)
            if not case.answerable:
                declined += not a.grounded
                if a.grounded:
                    rep.misses.append({"line": case.line, "question": case.question, "miss": "answered an unanswerable question",
                                       "answer": a.answer})
            else:
                over += not a.grounded
                ok = a.grounded and any(x.lower() in a.answer.lower() for x in case.answers)
                answer_hits += ok
                answer_n += 1
                lead = a.citations[0].text.lower() if a.grounded and a.citations else ""
                lead_hits += any(x.lower() in lead for x in case.answers)
                if analyse(case.question).factoid:
                    short_n += 1
                    short_hits += a.short_answer is not None and any(
                        _normal(a.short_answer.text) == _normal(x) for x in case.answers)
                good = _gold_citations(idx, a, gold, gold_texts)
                cited_ok += good
                cited_n += len(a.citations)
                if not ok:
                    rep.misses.append({"line": case.line, "question": case.question,
                                       "miss": "answer lacks the expected text" if a.grounded else "declined an answerable question",
                                       "answer": a.answer, **({} if a.grounded else {"notice": a.notice})})
        if on_case:
            on_case()
    if ranked_n:
        rep.recall = {f"@{n}": hits[n] / ranked_n for n in RECALL_AT if n <= k}
        rep.mrr, rep.ndcg = rr / ranked_n, gains / ranked_n
    if answers:
        rep.answer_hit_rate = answer_hits / answer_n if answer_n else None
        rep.lead_hit_rate = lead_hits / answer_n if answer_n else None
        rep.short_answer_exact = short_hits / short_n if short_n else None
        rep.citation_precision = cited_ok / cited_n if cited_n else None
        rep.over_abstention_rate = over / answer_n if answer_n else None
        rep.abstention_rate = declined / rep.unanswerable if rep.unanswerable else None
        rep.evidence = {kind: quantiles(v) for kind, v in evidence.items() if v}
    return rep


def _normal(text: str) -> str:
    """`text` compared loosely: lower case, no punctuation, no leading article.

    >>> _normal("The French leader."), _normal("20,000")
    ('french leader', '20000')
    """
    t = re.sub(r"[^\w\s]", "", text.lower())
    return " ".join(re.sub(r"^(the|a|an)\s+", "", t.strip()).split())


def quantiles(values: Sequence[float]) -> list[float]:
    """Min, 10th percentile, median, 90th percentile and max (nearest rank), rounded.

    >>> quantiles([0.1, 0.2, 0.3, 0.4, 0.5])
    [0.1, 0.1, 0.3, 0.5, 0.5]
    """
    v = sorted(values)
    return [round(v[min(len(v) - 1, int(q * len(v)))], 3) for q in (0, 0.1, 0.5, 0.9)] + [round(v[-1], 3)]


def _gold_citations(idx: Index, a: Answer, gold: set[str], texts: dict[str, str]) -> int:
    """How many citations quote a gold document (the same wire copy in another outlet counts)."""
    good = 0
    for c in a.citations:
        if c.doc_id in gold:
            good += 1
            continue
        for d in gold:
            if d not in texts:
                doc = idx.store.document(d)
                texts[d] = doc.text if doc else ""
            if c.text in texts[d]:
                good += 1
                break
    return good


def _check_gold_indexed(idx: Index, cases: Sequence[QACase]) -> None:
    """A gold id the index lacks would count as a miss forever: stop and say so instead."""
    for case in cases:
        if case.gold_doc_ids and not any(idx.store.document(d) for d in case.gold_doc_ids):
            raise InputError(f"line {case.line}: none of its gold documents ({', '.join(case.gold_doc_ids[:3])}) "
                             f"is in the index at {idx.settings.index_dir}; index them or fix the ids")


def format_table(rep: Report) -> str:
    """The report as a small table for people."""
    def pct(x: float | None) -> str:
        return "—" if x is None else f"{100 * x:.1f}%"

    rows = [(f"Recall{n}", pct(v)) for n, v in rep.recall.items()]
    rows += [("MRR", "—" if rep.mrr is None else f"{rep.mrr:.3f}"),
             (f"nDCG@{rep.k}", "—" if rep.ndcg is None else f"{rep.ndcg:.3f}"),
             ("answer hit rate", pct(rep.answer_hit_rate)),
             ("lead-sentence hit", pct(rep.lead_hit_rate)),
             ("short answer exact match", pct(rep.short_answer_exact)),
             ("citation precision", pct(rep.citation_precision)),
             ("abstention (unanswerable)", pct(rep.abstention_rate)),
             ("over-abstention (answerable)", pct(rep.over_abstention_rate))]
    width = max(len(r[0]) for r in rows)
    lines = [f"{rep.questions} questions ({rep.answerable} answerable, {rep.unanswerable} unanswerable)"]
    lines += [f"{name:<{width}}  {value:>7}" for name, value in rows]
    for kind, q in rep.evidence.items():
        lines.append(f"evidence, {kind} (min/10%/median/90%/max): {' / '.join(f'{x:.2f}' for x in q)}")
    for m in rep.misses:
        lines.append(f"miss, line {m['line']}: {m['miss']}: {m['question']}")
    return "\n".join(lines)
