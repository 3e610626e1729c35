"""Query encoders side by side: torch float32, ONNX Runtime float32 and int8 (`RAG_QUERY_ENCODER`).

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=. python benchmarks/query_encoder.py \\
        --index-dir benchmarks/.cache/index-news-1000 --cold-start

For each encoder, in one process and in alternating rounds: `encode_query` p50/p95 on the 30 CNN/DM
queries of benchmarks/perf.py and on the seed questions (tests/data/seed_qa.jsonl), the cosine of its
vectors with torch float32, and `Index.search` p50/p95 on each `--index-dir` (passages there were
embedded in float32, whatever encodes the questions). `--cold-start` adds `rag search` in a fresh
process, median of 3. Retrieval quality is benchmarks/quality.py's `--query-encoders`. Not part of the
test run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from perf import cnndm_records, cold_start, latencies, queries_for  # noqa: E402

from rag import Index, Settings  # noqa: E402
from rag.embed import Embedder  # noqa: E402

ENCODERS = ("torch", "onnx", "onnx-int8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", type=Path, action="append", default=[], help="an index to search (repeatable)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    ap.add_argument("--cold-start", action="store_true", help="also time `rag search` in fresh processes")
    args = ap.parse_args(argv)
    settings = Settings.load()
    cnn = queries_for(cnndm_records(), 30)
    seed = [json.loads(line)["question"] for line in (HERE.parent / "tests" / "data" / "seed_qa.jsonl").read_text().splitlines()]
    embedders = {e: Embedder(settings.model, query_encoder=e, cache_dir=settings.cache_dir) for e in ENCODERS}
    exact = embedders["torch"].encode(cnn + seed)
    rows: dict[str, dict[str, list]] = {e: {} for e in ENCODERS}
    print(f"load average at start {os.getloadavg()[0]:.1f}", file=sys.stderr)
    for _ in range(args.rounds):
        for name, emb in embedders.items():
            r = rows[name]
            r.setdefault("encode, CNN/DM", []).append(latencies(emb.encode_query, cnn))
            r.setdefault("encode, seed", []).append(latencies(emb.encode_query, seed))
            for d in args.index_dir:
                idx = Index(settings.replace(index_dir=d), embedder=emb)
                r.setdefault(f"search, {d.name}", []).append(latencies(idx.search, cnn))
    print(f"load average at end {os.getloadavg()[0]:.1f}", file=sys.stderr)
    cols = list(rows["torch"])
    print("| query encoder | " + " | ".join(f"{c} p50 / p95 ms" for c in cols) + " | cosine to float32 min / median |")
    print("|---|" + "---|" * (len(cols) + 1))
    for name, emb in embedders.items():
        cos = (np.stack([emb.encode_query(q) for q in cnn + seed]) * exact).sum(1)
        cells = [f"{statistics.median(x['p50_ms'] for x in rows[name][c]):.1f} / "
                 f"{statistics.median(x['p95_ms'] for x in rows[name][c]):.1f}" for c in cols]
        print(f"| {name} | " + " | ".join(cells) + f" | {cos.min():.4f} / {np.median(cos):.4f} |")
    if args.cold_start and args.index_dir:
        for name in ENCODERS:
            os.environ["RAG_QUERY_ENCODER"] = name
            print(f"cold start of `rag search`, {name}, {args.index_dir[-1].name}: {cold_start(args.index_dir[-1], cnn[0])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
