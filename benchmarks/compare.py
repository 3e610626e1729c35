"""Side by side: our index against a LlamaIndex and a LangChain FAISS pipeline, same model, same articles.

    pip install -e '.[bench]'        # in a separate venv: LlamaIndex and LangChain pull many packages
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=. python benchmarks/compare.py --cnndm 25 --rounds 3

Each pipeline chunks with its own splitter set to our budget (160 tokens, 40 overlap), embeds with the
packaged all-MiniLM-L6-v2 and answers the same queries (top 5, dense only for the others: neither
has BM25 in its default FAISS pipeline). Each pipeline's model is loaded once; then each round builds
all three in turn (the order rotating by one each round), so a change in the shared machine's load hits
all three alike, and the build times reported are medians over `--rounds`, wall and CPU (the process's
CPU time, all threads: less moved by other work on a shared machine). Search latencies are taken
on each pipeline's last build. Writes `benchmarks/results/compare.json`. Not part of the tests.
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
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from perf import cnndm_records, latencies, loaded_embedder, queries_for, say, write_jsonl  # noqa: E402

from rag import Index, Settings  # noqa: E402
from rag.embed import resolve_model  # noqa: E402

# A pipeline's setup loads its model and returns its build: round number -> (chunks, search function).
Build = Callable[[int], tuple[int, Callable[[str], object]]]


def ours(records, work: Path) -> Build:
    data = work / "articles.jsonl"
    write_jsonl(data, records)
    s = Settings.load(env={})
    embedder = loaded_embedder(s)  # loaded here, like the others' models at construction

    def build(round_no: int) -> tuple[int, Callable[[str], object]]:
        idx = Index(s.replace(index_dir=work / f"ours-{round_no}"), embedder=embedder)  # a fresh folder each round
        rep = idx.update([data], rebuild=True)
        return rep.chunks_total, idx.search
    return build


def llamaindex(records, model: str) -> Build:
    import faiss
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.faiss import FaissVectorStore

    emb = HuggingFaceEmbedding(model_name=model, device="cpu")

    def build(round_no: int) -> tuple[int, Callable[[str], object]]:
        docs = [Document(text=r["text"], doc_id=r["id"]) for r in records]
        store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(384))
        index = VectorStoreIndex.from_documents(
            docs, storage_context=StorageContext.from_defaults(vector_store=store), embed_model=emb,
            transformations=[SentenceSplitter(chunk_size=160, chunk_overlap=40)],
        )
        return store.client.ntotal, index.as_retriever(similarity_top_k=5).retrieve
    return build


def langchain(records, model: str) -> Build:
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from rag.chunk import get_encoding

    emb = HuggingFaceEmbeddings(model_name=model, model_kwargs={"device": "cpu"}, encode_kwargs={"normalize_embeddings": True})
    # What `from_tiktoken_encoder` counts, on the packaged cl100k_base: tiktoken's own loader would download
    # it (it only worked before because LlamaIndex, run first, had left it in tiktoken's in-process cache).
    enc = get_encoding("cl100k_base")

    def build(round_no: int) -> tuple[int, Callable[[str], object]]:
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=160, chunk_overlap=40,
            length_function=lambda t: len(enc.encode(t, allowed_special=set(), disallowed_special="all")))
        docs = splitter.split_documents([Document(page_content=r["text"], metadata={"id": r["id"]}) for r in records])
        db = FAISS.from_documents(docs, emb)
        return db.index.ntotal, lambda q: db.similarity_search(q, k=5)
    return build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cnndm", type=int, default=40)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3, help="builds per pipeline, interleaved; medians are reported")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "compare.json")
    args = ap.parse_args()
    records = random.Random(2).sample(cnndm_records(), args.cnndm)
    queries = queries_for(records, args.queries)
    model = resolve_model("sentence-transformers/all-MiniLM-L6-v2")
    res: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S"),
                 "command": "python benchmarks/compare.py " + " ".join(sys.argv[1:]),
                 "articles": len(records), "queries": len(queries), "rounds": args.rounds,
                 "load_average_at_start": round(os.getloadavg()[0], 2)}
    names = ["ours", "llamaindex", "langchain"]
    with tempfile.TemporaryDirectory(prefix="rag-compare-") as tmp:
        setups = {"ours": lambda: ours(records, Path(tmp)), "llamaindex": lambda: llamaindex(records, model),
                  "langchain": lambda: langchain(records, model)}
        builds: dict[str, Build] = {}
        for name in names:
            t = time.perf_counter()
            builds[name] = setups[name]()
            res[name] = {"model_load_s": round(time.perf_counter() - t, 2), "build_s_all": [], "build_cpu_s_all": []}
        last: dict[str, tuple[int, Callable[[str], object]]] = {}
        for r in range(args.rounds):
            for name in names[r % 3:] + names[:r % 3]:
                t, cpu = time.perf_counter(), time.process_time()
                last[name] = builds[name](r)
                res[name]["build_s_all"].append(round(time.perf_counter() - t, 2))
                res[name]["build_cpu_s_all"].append(round(time.process_time() - cpu, 2))
            say(f"round {r + 1}: " + ", ".join(f"{n} {res[n]['build_s_all'][-1]:.2f}s" for n in names))
        for name in names:
            chunks, search = last[name]
            res[name].update(build_s=round(statistics.median(res[name]["build_s_all"]), 2),
                             build_cpu_s=round(statistics.median(res[name]["build_cpu_s_all"]), 2),
                             chunks=chunks, search=latencies(search, queries))
    res["load_average_at_end"] = round(os.getloadavg()[0], 2)
    res["langchain"]["splitter"] = "tiktoken cl100k_base 160/40"
    for name in ("llamaindex", "langchain"):
        r = res[name]
        r["build_s_ratio_to_ours"] = round(r["build_s"] / res["ours"]["build_s"], 2)
        r["build_cpu_s_ratio_to_ours"] = round(r["build_cpu_s"] / res["ours"]["build_cpu_s"], 2)
        r["chunks_per_s_ratio_to_ours"] = round(
            (r["chunks"] / r["build_s"]) / (res["ours"]["chunks"] / res["ours"]["build_s"]), 2)
        r["search_p50_ratio_to_ours"] = round(r["search"]["p50_ms"] / res["ours"]["search"]["p50_ms"], 2)
    for name in names:
        r = res[name]
        say(f"[{name}] {r['chunks']} chunks, build median {r['build_s']} s of {r['build_s_all']} "
            f"({r['chunks'] / r['build_s']:.1f} chunks/s), CPU {r['build_cpu_s']} s, search p50 {r['search']['p50_ms']} ms "
            f"p95 {r['search']['p95_ms']} ms, model load {r['model_load_s']} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
