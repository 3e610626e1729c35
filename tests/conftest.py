"""Shared fixtures: the real model, loaded once; the bundled corpus indexed once per session.

Every test writes under its own temporary folder; RAG_* variables from the developer's shell are
cleared so that no test reads or touches a real index.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

from rag.process import configure_process  # noqa: E402

configure_process()
for _k in [k for k in os.environ if k.startswith("RAG_")]:
    del os.environ[_k]

import pytest  # noqa: E402

from rag import Index, Settings  # noqa: E402
from rag.embed import Embedder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory) -> Path:
    """Files derived from the model (the ONNX question graph) for this session, also for subprocesses."""
    d = tmp_path_factory.mktemp("model-cache")
    os.environ["RAG_CACHE_DIR"] = str(d)
    return d


@pytest.fixture(scope="session", autouse=True)
def gradio_folder(tmp_path_factory) -> Path:
    """Gradio's upload folder and cache for this session (else it writes under /tmp/gradio)."""
    d = tmp_path_factory.mktemp("gradio")
    os.environ["GRADIO_TEMP_DIR"] = str(d)
    return d


@pytest.fixture(scope="session")
def embedder(model_cache) -> Embedder:
    s = Settings.load()
    return Embedder.from_settings(s)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, embedder) -> Index:
    """The five seed articles, indexed once; tests must not modify it (copy it with `index_copy`)."""
    d = tmp_path_factory.mktemp("seed-index")
    settings = Settings.load(index_dir=d / "index")
    idx = Index(settings, embedder=embedder)
    idx.update([CORPUS])
    return idx


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of the bundled corpus that a test may edit."""
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture
def new_index(tmp_path, embedder):
    """A factory for an empty index in this test's folder."""

    def make(**overrides) -> Index:
        return Index(Settings.load(index_dir=tmp_path / "index", **overrides), embedder=embedder)

    return make


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn in a thread on a free port, stopped by `close()`."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    timeout_graceful_shutdown=2))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.05)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def index_copy(seed: Index, dst: Path, embedder) -> Index:
    shutil.copytree(seed.settings.index_dir, dst)
    return Index(Settings.load(index_dir=dst), embedder=embedder)


def as_older_index(index_dir: Path, sql: str = "", **manifest_changes) -> Path:
    """Make the index in `index_dir` look as an older version wrote it: run `sql` on its database and
    change its manifest's fields (format_version, terms_version). Returns the database's path."""
    import json
    import sqlite3

    from rag.store import Store

    store = Store(index_dir)
    db = store.db
    store.close()
    conn = sqlite3.connect(db)
    if sql:
        conn.execute(sql)
    manifest = json.loads(conn.execute("SELECT value FROM meta WHERE key='manifest'").fetchone()[0])
    conn.execute("UPDATE meta SET value=? WHERE key='manifest'", [json.dumps({**manifest, **manifest_changes})])
    conn.commit()
    conn.close()
    return db


class GradioEvents:
    """The page's own event API, called as any client can: `/config`, `/gradio_api/queue/join`, then the
    event's messages from `/gradio_api/queue/data`."""

    def __init__(self, url: str, **client_kw) -> None:
        import httpx

        self.url = url
        self.http = httpx.Client(base_url=url, timeout=120, **client_kw)
        self.config = self.http.get("/config").json()
        self.components = {c["id"]: c for c in self.config["components"]}

    def find(self, trigger: str, component_type: str) -> int:
        """The index of the event the page runs on `trigger` of its first `component_type` component."""
        for i, dep in enumerate(self.config["dependencies"]):
            for target, event in dep.get("targets", []):
                if event == trigger and self.components.get(target, {}).get("type") == component_type:
                    return i
        raise LookupError(f"no {trigger} event on a {component_type}")

    def input_types(self, fn_index: int) -> list[str]:
        return [self.components[c]["type"] for c in self.config["dependencies"][fn_index]["inputs"]]

    def join(self, body: dict):
        return self.http.post("/gradio_api/queue/join", json=body)

    def call(self, fn_index: int, data: list) -> tuple[int, str, list[dict]]:
        """(join status, join body, the event's messages up to its end) for one call."""
        import json
        import uuid

        session = uuid.uuid4().hex
        r = self.join({"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None,
                       "trigger_id": None})
        if r.status_code != 200:
            return r.status_code, r.text, []
        messages: list[dict] = []
        with self.http.stream("GET", f"/gradio_api/queue/data?session_hash={session}") as s:
            for line in s.iter_lines():
                if line.startswith("data:"):
                    messages.append(json.loads(line[5:]))
                    if messages[-1].get("msg") in ("process_completed", "close_stream", "unexpected_error"):
                        break
        return r.status_code, r.text, messages

    def upload(self, *paths: Path) -> list[dict]:
        """Files sent through Gradio's upload route, as the page does: the file data an event then takes."""
        files = [("files", (p.name, p.read_bytes())) for p in paths]
        r = self.http.post("/gradio_api/upload", files=files)
        r.raise_for_status()
        return [{"path": path, "orig_name": p.name, "size": p.stat().st_size, "meta": {"_type": "gradio.FileData"}}
                for path, p in zip(r.json(), paths)]

    def close(self) -> None:
        self.http.close()
