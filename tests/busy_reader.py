"""A helper process for the concurrency test: asks an index questions in a loop while others write to it.

Usage: `python busy_reader.py INDEX_DIR`. Prints `{"ready": true}` once the index is open, then queries
until stdin is closed, and prints one JSON summary: how many queries, which generations it answered
from, and every failure (an exception, a short result list, a citation that is not in its passage).
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

QUERIES = ["Quds Force members", "phone call between Putin and Macron", "parliament vote to expel troops",
           "Where was Soleimani killed?", "oil prices after the strike"]


def main(index_dir: str) -> None:
    from rag import Index, Settings

    idx = Index(Settings.load(index_dir=Path(index_dir)))
    idx.stats()
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    print(json.dumps({"ready": True}), flush=True)
    n, generations, failures = 0, set(), []
    while not stop.is_set():
        q = QUERIES[n % len(QUERIES)]
        n += 1
        try:
            passages = idx.search(q, k=5)
            if len(passages) != 5:
                failures.append(f"{q!r}: {len(passages)} passages, expected 5")
            answer = idx.ask(q)
            for c in answer.citations:
                if c.text not in c.passage:
                    failures.append(f"{q!r}: citation {c.n} is not in its passage")
            generations.add(idx.store.generation)
        except Exception as e:  # every failure is reported, none stops the loop
            failures.append(f"{q!r}: {type(e).__name__}: {e}")
    print(json.dumps({"queries": n, "generations": sorted(generations), "failures": failures[:20]}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
