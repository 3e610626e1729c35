"""Attacks on the running app through the page's own event API, as a stranger on the network would send them.

The server is the real one (`rag.http.build_app` under uvicorn); events are found from the page's
`/config`, the way the page itself finds them, and called through `/gradio_api/queue/join`.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import httpx
import pytest

from rag.http import build_app
from rag.ui import gradio_upload_folder

from conftest import GradioEvents, LiveServer, index_copy

SECRET = "The vault code is 4417 and the zebra password is quartz."


@pytest.fixture(scope="module")
def app(tmp_path_factory, seed_index, embedder):
    idx = index_copy(seed_index, tmp_path_factory.mktemp("attacks") / "index", embedder)
    srv = LiveServer(build_app(idx, idx.settings))
    events = GradioEvents(srv.url)
    events.index = idx
    yield events
    events.close()
    srv.close()


@pytest.fixture
def secret(tmp_path) -> Path:
    """A private server file outside every folder the app owns."""
    p = tmp_path / "private" / f"secret-{uuid.uuid4().hex[:8]}.txt"
    p.parent.mkdir()
    p.write_text(f"Top secret\n\n{SECRET}\n")
    p.chmod(0o600)
    return p


def _file(path: str, name: str = "notes.txt") -> dict:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def _state(events: GradioEvents) -> tuple[int, list[str]]:
    """What an attack must not change: the documents and the files in the index's uploads folder."""
    uploads = events.index.settings.index_dir / "uploads"
    return events.index.stats().documents, sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []


def _leaked(events: GradioEvents) -> bool:
    found = events.http.post("/api/search", json={"query": "vault code zebra password quartz", "k": 5}).json()
    return any("quartz" in p["text"] for p in found["passages"])


def test_the_upload_event_refuses_a_file_the_browser_did_not_send(app, secret):
    """The critical hole: the upload event took any server path and indexed the file it named."""
    upload = app.find("upload", "file")
    before = _state(app)
    folder = Path(gradio_upload_folder())
    link_dir = folder / f"rag-test-{uuid.uuid4().hex}"
    link_dir.mkdir(parents=True)
    (link_dir / "notes.txt").symlink_to(secret)  # inside Gradio's folder, leading out of it
    try:
        refs = [
            str(secret),                                            # exactly the reported request
            str(link_dir / "notes.txt"),                            # a symlink out of the upload folder
            f"{folder}/../../{secret.relative_to('/')}",            # dot-dot out of it
            str(folder),                                            # the folder itself
            "http://127.0.0.1:9/notes.txt",                         # a URL for the server to fetch
            str(Path(__file__).resolve()),                          # a readable file of ours
        ]
        for ref in refs:
            status, body, _ = app.call(upload, [[_file(ref)]])
            assert status == 400, (ref, status, body)
            assert "not uploaded through this app" in json.loads(body)["error"] or "not an uploaded file" in body
            status, body, _ = app.call(upload, [_file(ref)])  # a single file, not a list
            assert status == 400, (ref, body)
    finally:
        (link_dir / "notes.txt").unlink()
        link_dir.rmdir()
    assert _state(app) == before
    assert not _leaked(app)


def test_no_event_takes_a_server_file_in_any_input(app, secret):
    """Every event, every input (chat history included): a file reference to a server path is refused."""
    before = _state(app)
    for fn, dep in enumerate(app.config["dependencies"]):
        n = max(len(dep["inputs"]), 1)  # the guard reads the body before Gradio counts its fields
        for data in ([_file(str(secret))] * n,
                     [[{"role": "user", "content": [{"type": "file", "file": _file(str(secret))}]}]] * n,
                     [{"nested": [{"path": str(secret)}]}] * n):
            status, body, messages = app.call(fn, data)
            assert status == 400 and "file reference refused" in body, (fn, dep.get("api_name"), status, body)
    assert _state(app) == before
    assert not _leaked(app)
    # nothing was copied into Gradio's own cache either
    assert not list(Path(gradio_upload_folder()).glob(f"*/{secret.name}"))


def test_the_library_refuses_a_path_outside_the_received_folder(tmp_path, seed_index, embedder, secret):
    idx = index_copy(seed_index, tmp_path / "index", embedder)
    received = tmp_path / "received"
    received.mkdir()
    report = idx.add_files([("notes.txt", secret)], received_in=received)
    assert report.added == 0 and "not uploaded through this app" in report.skipped[0].reason
    assert not (tmp_path / "index" / "uploads").exists()
    (received / "ok.txt").write_text("Harbour news\n\nThe Tromso harbour reopened on 3 May after repairs.\n")
    assert idx.add_files([("ok.txt", received / "ok.txt")], received_in=received).added == 1


HUGE = "x" * 1_000_000


def _hostile_payloads(n: int) -> list:
    return [
        [12345] * n, [True] * n, [{"a": {"b": [1, 2]}}] * n, [[[[]]]] * n, [None] * n,
        [HUGE] * n,                                   # huge strings
        [],                                            # missing fields
        ["\x00\u202e<script>alert(1)</script>"] * n,
        [-1e308] * n,
    ]


def test_every_event_survives_hostile_payloads(app):
    """Wrong types, huge strings, missing fields and bad envelopes at every event the page registers:
    no server error, no traceback, nothing indexed."""
    before = _state(app)
    problems = []
    for fn, dep in enumerate(app.config["dependencies"]):
        for data in _hostile_payloads(len(dep["inputs"])):
            status, body, messages = app.call(fn, data)
            text = body + json.dumps(messages)
            if status >= 500 or status not in (200, 400, 413, 422) or "Traceback" in text or (
                    status == 200 and not messages):
                problems.append((fn, dep.get("api_name"), str(data)[:80], status, text[:300]))
    for body in ({"data": [], "fn_index": 10_000, "session_hash": "x"}, {"fn_index": "ask"}, {"data": "x"}, [], "s"):
        r = app.join(body)
        if r.status_code >= 500 or "Traceback" in r.text:
            problems.append(("envelope", body, r.status_code, r.text[:300]))
    r = app.http.post("/gradio_api/queue/join", content=b"{" * 100_000, headers={"content-type": "application/json"})
    if r.status_code >= 500 or "Traceback" in r.text:
        problems.append(("deep", r.status_code, r.text[:300]))
    r = app.http.post("/gradio_api/queue/join", content=b'{"data": "' + b"y" * (17 << 20) + b'"}',
                      headers={"content-type": "application/json"})
    if r.status_code != 413:
        problems.append(("too big", r.status_code, r.text[:300]))
    assert not problems, problems
    assert _state(app) == before
    assert httpx.get(app.url + "/api/health", timeout=30).json()["status"] == "ok"


def test_upload_status_stays_small_for_a_file_of_bad_lines(app, tmp_path):
    """100,000 invalid JSON Lines used to give a 12.5 MB status message."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n" * 100_000)
    upload = app.find("upload", "file")
    status, body, messages = app.call(upload, [app.upload(bad)])
    assert status == 200, body
    out = messages[-1]["output"]["data"][0]
    assert len(out) < 3000, len(out)
    assert "Added 0" in out and out.count("Skipped") == 10 and "99,990 more skipped" in out and "--json" in out


def test_a_real_upload_through_the_event_api_is_indexed(app, tmp_path):
    """What the page does (the upload route, then the event with the path it returned) still works."""
    article = tmp_path / "harbour news.txt"
    article.write_text("Harbour news\n\nThe Tromso harbour reopened on 3 May after two years of repairs.\n")
    upload = app.find("upload", "file")
    status, body, messages = app.call(upload, [app.upload(article)])
    assert status == 200 and messages[-1]["success"], (body, messages)
    assert "Added 1" in messages[-1]["output"]["data"][0]
    found = app.http.post("/api/search", json={"query": "Tromso harbour reopened", "k": 1}).json()
    assert found["passages"][0]["doc_id"] == "harbour_news"
    assert os.path.exists(app.index.settings.index_dir / "uploads" / "harbour_news.txt")
