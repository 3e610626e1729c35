"""The chat app: `python app.py [--host 127.0.0.1] [--port 7860] [--index-dir DIR]`.

Opens the index (building it from the bundled corpus/ on first start), then serves the Gradio chat at `/`
and the HTTP API at `/api/...` (see rag/http.py). Settings come from `RAG_*` variables and the flags.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rag.process import configure_process

configure_process()  # before gradio and the models load: offline, no analytics

from rag import Index, IndexNotFoundError, IndexOutdatedError, RagError, Settings  # noqa: E402
from rag.embed import Embedder  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus"


def open_index(settings: Settings, embedder: Embedder | None = None) -> Index:
    """The index in `settings.index_dir`, built from the bundled corpus if there is none yet, upgraded
    if an older version wrote it."""
    idx = Index(settings, embedder=embedder)
    try:
        idx.store
    except IndexNotFoundError:
        print(f"rag: no index in {settings.index_dir} yet: building it from {CORPUS} ...", file=sys.stderr, flush=True)
        report = idx.update([CORPUS], on_skip=lambda s: print(f"rag: warning: skipped {s.path}: {s.reason}", file=sys.stderr))
        print(f"rag: indexed {report.documents_total} documents ({report.chunks_total} chunks)", file=sys.stderr)
    except IndexOutdatedError:
        print(f"rag: upgrading the index in {settings.index_dir} to this version (nothing is embedded again) ...",
              file=sys.stderr, flush=True)
        idx.update()
    return idx


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Serve the chat app and the HTTP API.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--index-dir", type=Path, help="index folder (default: $RAG_INDEX_DIR, else index/)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    try:
        settings = Settings.load(index_dir=args.index_dir)
        with ThreadPoolExecutor(1) as pool:
            opening = pool.submit(open_index, settings)
            from rag.http import build_app  # imports gradio while the model loads: a faster cold start
            import gradio  # noqa: F401
            idx = opening.result()
        app = build_app(idx, settings)
        # The question encoder loads (or is exported, once per machine) while the server starts.
        threading.Thread(target=idx.embedder.prepare_queries, daemon=True).start()
    except RagError as e:
        print(f"rag: error: {e}", file=sys.stderr)
        return 2
    import uvicorn

    stats = idx.stats()
    print(f"rag: {stats['documents']} documents; ready in {time.perf_counter() - t0:.1f} s at "
          f"http://{args.host}:{args.port}/ (API: /api/ask, /api/search, /docs)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
