"""The chat app: `python app.py [--host 127.0.0.1] [--port 7860] [--index-dir DIR]`.

Opens the index (building it from the bundled corpus/ on first start), then serves the Gradio chat at `/`
and the HTTP API at `/api/...` (see rag/http.py). Settings come from `RAG_*` variables and the flags.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rag.process import configure_process

configure_process()  # before gradio and the models load: offline, no analytics

from rag import Index, RagError, Settings  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus"


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
            opening = pool.submit(Index.open, settings, build_from=[CORPUS], warm=True, log=_log,
                                  on_skip=lambda s: _log(f"warning: skipped {s.path}: {s.reason}"))
            from rag.http import build_app  # imports gradio while the model loads: a faster cold start
            import gradio  # noqa: F401
            idx = opening.result()
        app = build_app(idx, settings)
    except RagError as e:
        print(f"rag: error: {e}", file=sys.stderr)
        return 2
    import uvicorn

    stats = idx.stats()
    print(f"rag: {stats.documents} documents; ready in {time.perf_counter() - t0:.1f} s at "
          f"http://{args.host}:{args.port}/ (API: /api/ask, /api/search, /docs)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _log(message: str) -> None:
    print(f"rag: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
