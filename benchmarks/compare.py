"""Side by side: our index against a LlamaIndex and a LangChain FAISS pipeline, same model, same articles.

    pip install -e '.[bench]'        # in a separate venv: LlamaIndex and LangChain pull many packages
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=. python benchmarks/compare.py --cnndm 40

Each pipeline chunks with its own splitter set to our budget (160 tokens, 40 overlap), embeds with the
packaged all-MiniLM-L6-v2 and answers the same queries (top 5, dense only for the others: neither
has BM25 in its default FAISS pipeline). Writes `benchmarks/results/compare.json`. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from perf import cnndm_records, latencies, loaded_embedder, queries_for, say, write_jsonl  # noqa: E402

from rag import Index, Settings  # noqa: E402
from rag.embed import resolve_model  # noqa: E402


def ours(records, queries, work: Path) -> dict:
    data = work / "articles.jsonl"
    write_jsonl(data, records)
    s = Settings.load(env={}, index_dir=work / "ours")
    t = time.perf_counter()
    idx = Index(s, embedder=loaded_embedder(s))  # loaded here, like the others' models at construction
    load = time.perf_counter() - t
    t = time.perf_counter()
    rep = idx.update([data], rebuild=True)
    return {"model_load_s": round(load, 2), "build_s": round(time.perf_counter() - t, 2), "chunks": rep.chunks_total,
            "search": latencies(lambda q: idx.search(q), queries)}


def llamaindex(records, queries, model: str) -> dict:
    import faiss
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.faiss import FaissVectorStore

    t = time.perf_counter()
    emb = HuggingFaceEmbedding(model_name=model, device="cpu")
    load = time.perf_counter() - t
    t = time.perf_counter()
    docs = [Document(text=r["text"], doc_id=r["id"]) for r in records]
    store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(384))
    index = VectorStoreIndex.from_documents(
        docs, storage_context=StorageContext.from_defaults(vector_store=store), embed_model=emb,
        transformations=[SentenceSplitter(chunk_size=160, chunk_overlap=40)],
    )
    build = time.perf_counter() - t
    retriever = index.as_retriever(similarity_top_k=5)
    return {"model_load_s": round(load, 2), "build_s": round(build, 2), "chunks": store.client.ntotal,
            "search": latencies(lambda q: retriever.retrieve(q), queries)}


def langchain(records, queries, model: str) -> dict:
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t = time.perf_counter()
    emb = HuggingFaceEmbeddings(model_name=model, model_kwargs={"device": "cpu"}, encode_kwargs={"normalize_embeddings": True})
    load = time.perf_counter() - t
    t = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base", chunk_size=160, chunk_overlap=40) if _tiktoken_ok() else \
        RecursiveCharacterTextSplitter(chunk_size=700, chunk_overlap=175)
    docs = splitter.split_documents([Document(page_content=r["text"], metadata={"id": r["id"]}) for r in records])
    db = FAISS.from_documents(docs, emb)
    build = time.perf_counter() - t
    return {"model_load_s": round(load, 2), "build_s": round(build, 2), "chunks": db.index.ntotal,
            "splitter": "tiktoken 160/40" if _tiktoken_ok() else "700/175 characters",
            "search": latencies(lambda q: db.similarity_search(q, k=5), queries)}


def _tiktoken_ok() -> bool:
    try:
        from rag.chunk import get_encoding

        get_encoding("cl100k_base")  # fills tiktoken's cache from the packaged file, no download
        return True
    except Exception:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cnndm", type=int, default=40)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "compare.json")
    args = ap.parse_args()
    records = random.Random(2).sample(cnndm_records(), args.cnndm)
    queries = queries_for(records, args.queries)
    model = resolve_model("sentence-transformers/all-MiniLM-L6-v2")
    res = {"articles": len(records), "queries": len(queries)}
    with tempfile.TemporaryDirectory(prefix="rag-compare-") as tmp:
        res["ours"] = ours(records, queries, Path(tmp))
    res["llamaindex"] = llamaindex(records, queries, model)
    res["langchain"] = langchain(records, queries, model)
    for name in ("llamaindex", "langchain"):
        r = res[name]
        r["build_s_ratio_to_ours"] = round(r["build_s"] / res["ours"]["build_s"], 2)
        r["chunks_per_s_ratio_to_ours"] = round(
            (r["chunks"] / r["build_s"]) / (res["ours"]["chunks"] / res["ours"]["build_s"]), 2)
        r["search_p50_ratio_to_ours"] = round(r["search"]["p50_ms"] / res["ours"]["search"]["p50_ms"], 2)
    for name in ("ours", "llamaindex", "langchain"):
        r = res[name]
        say(f"[{name}] {r['chunks']} chunks, build {r['build_s']} s ({r['chunks'] / r['build_s']:.1f} chunks/s), "
            f"search p50 {r['search']['p50_ms']} ms p95 {r['search']['p95_ms']} ms, model load {r['model_load_s']} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
