"""The app and the HTTP API against a real server on a free loopback port: REST, gradio_client, auth,
uploads, and a real Chromium typing a question."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

import httpx
import pytest

from rag import Answer, Citation
from rag.answer import NOT_FOUND
from rag.http import build_app
from rag.ui import render_sources

from conftest import LiveServer, index_copy

QUESTION = "Who initiated the phone call between Putin and Macron?"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_index, embedder):
    idx = index_copy(seed_index, tmp_path_factory.mktemp("app") / "index", embedder)
    srv = LiveServer(build_app(idx, idx.settings))
    srv.index = idx
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory, seed_index, embedder):
    idx = index_copy(seed_index, tmp_path_factory.mktemp("app-auth") / "index", embedder)
    srv = LiveServer(build_app(idx, idx.settings.replace(auth="ann:s3cret pass")))
    yield srv
    srv.close()


def _highlight_ok(c: dict) -> bool:
    return c["passage"][c["start"] - c["passage_start"]:c["end"] - c["passage_start"]] == c["text"]


def test_http_ask_returns_the_cli_json(server):
    r = httpx.post(f"{server.url}/api/ask", json={"question": QUESTION, "k": 5}, timeout=60)
    assert r.status_code == 200
    out = r.json()
    assert out == server.index.ask(QUESTION, 5).to_dict()  # the same object `rag ask --json` prints
    assert out["grounded"] and "initiated" in out["answer"] and "[1]" in out["answer"]
    assert all(_highlight_ok(c) for c in out["citations"])


def test_http_search_and_not_found(server):
    r = httpx.post(f"{server.url}/api/search", json={"query": "Quds Force members", "k": 2}, timeout=60)
    out = r.json()
    assert r.status_code == 200 and out["query"] == "Quds Force members" and len(out["passages"]) == 2
    assert list(out["passages"][0])[:9] == ["rank", "score", "doc_id", "title", "source", "chunk_id", "start", "end", "text"]
    r = httpx.post(f"{server.url}/api/ask", json={"question": "Who won the 1998 football world cup in France?"}, timeout=60)
    assert r.status_code == 200 and r.json()["grounded"] is False and r.json()["answer"] == NOT_FOUND


@pytest.mark.parametrize("path,body,status,words", [
    ("/api/ask", {"question": "   "}, 400, "empty"),
    ("/api/ask", {"question": "x" * 5000}, 400, "the limit is 2,000"),
    ("/api/ask", {"question": QUESTION, "k": 0}, 422, "k:"),
    ("/api/ask", {"k": 3}, 422, "question:"),
    ("/api/search", {"query": "Quds", "k": "many"}, 422, "k:"),
    ("/api/search", {"query": "Quds", "colour": "red"}, 422, "colour"),
    ("/api/search", "not json", 422, ""),
])
def test_http_bad_input_gets_a_json_message(server, path, body, status, words):
    kw = {"json": body} if isinstance(body, dict) else {"content": body, "headers": {"content-type": "application/json"}}
    r = httpx.post(server.url + path, timeout=60, **kw)
    assert r.status_code == status
    assert words in r.json()["error"] and "Traceback" not in r.text


def test_health_and_openapi(server):
    h = httpx.get(f"{server.url}/api/health", timeout=30).json()
    assert h["status"] == "ok" and h["documents"] >= 5 and h["query_encoder"] == "onnx-int8"
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    assert {"/api/ask", "/api/search", "/api/health"} <= set(spec["paths"])


def test_gradio_client_ask_and_search(server):
    from gradio_client import Client

    client = Client(server.url + "/", verbose=False, download_files=False)
    assert {"/ask", "/search"} <= set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert client.predict(QUESTION, api_name="/ask") == server.index.ask(QUESTION).to_dict()
    found = client.predict("Quds Force members", 3, api_name="/search")
    assert found["query"] == "Quds Force members" and [p["rank"] for p in found["passages"]] == [1, 2, 3]
    with pytest.raises(Exception, match="empty"):
        client.predict("", api_name="/ask")


def test_basic_auth_guards_api_and_app(auth_server):
    url = auth_server.url
    assert httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30).status_code == 401
    r = httpx.get(f"{url}/", timeout=30)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic") and "RAG_AUTH" in r.json()["error"]
    assert httpx.get(f"{url}/api/health", auth=("ann", "wrong"), timeout=30).status_code == 401
    assert httpx.get(f"{url}/api/health", auth=("ann", "s3cret pass"), timeout=30).status_code == 200
    assert httpx.get(f"{url}/", auth=("ann", "s3cret pass"), timeout=30).status_code == 200
    from gradio_client import Client

    token = base64.b64encode(b"ann:s3cret pass").decode()
    client = Client(url + "/", verbose=False, download_files=False, headers={"Authorization": f"Basic {token}"})
    assert client.predict(QUESTION, api_name="/ask")["grounded"]


def test_uploads_are_sanitized_kept_and_never_clobber(tmp_path, seed_index, embedder):
    idx = index_copy(seed_index, tmp_path / "index", embedder)
    before = idx.stats().documents
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Glacier melt\n\nThe Pasterze glacier lost 40 metres of length in 2019.\n")
    (src / "b.txt").write_text("Glacier melt\n\nThe Pasterze glacier lost 60 metres of length in 2020.\n")
    (src / "corpus.txt").write_text("Clash\n\nA file named like a corpus article must not replace it.\n")
    (src / "x.pdf").write_bytes(b"%PDF-1.4")
    r = idx.add_files([("../../evil/glacier.txt", src / "a.txt"), ("glacier.txt", src / "b.txt"),
                       ("000_17320e14ca20f683.txt", src / "corpus.txt"), ("notes.pdf", src / "x.pdf")])
    uploads = tmp_path / "index" / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["glacier-2.txt", "glacier.txt"]
    assert not (tmp_path / "evil").exists()
    assert r.added == 2 and r.documents_total == before + 2
    assert [Path(s.path).name for s in r.skipped] == ["000_17320e14ca20f683.txt", "notes.pdf"]
    assert "already in the index" in r.skipped[0].reason and "unsupported" in r.skipped[1].reason
    assert idx.store.document("000_17320e14ca20f683").title.startswith("Putin and Macron")  # not replaced
    assert idx.search("Pasterze glacier 2020", k=1)[0].doc_id == "glacier-2"  # searchable at once
    again = idx.add_files([("glacier.txt", src / "a.txt")])  # the same bytes again: nothing changes
    assert again.unchanged == 1 and again.added == 0 and idx.stats().documents == before + 2


def test_sources_panel_escapes_article_text():
    passage = "Intro. <script>alert(1)</script> was in the page. After."
    sentence = "<script>alert(1)</script> was in the page."
    start = passage.index(sentence)
    c = Citation(1, "d1", "T <b>", "S & co", 0, 100 + start, 100 + start + len(sentence), sentence, passage,
                 passage_start=100, passage_end=100 + len(passage), date="2020-01-03")
    out = render_sources(Answer("q", "a [1]", "extractive", True, citations=(c,)))
    assert "<script>" not in out and "<b>" not in out
    assert '<mark class="rag-hl">&lt;script&gt;alert(1)&lt;/script&gt; was in the page.</mark>' in out
    assert "S &amp; co · 3 Jan 2020" in out
    assert "don't answer" in render_sources(Answer("q", NOT_FOUND, "extractive", False))


def _browser(playwright, tmp_path):
    """Debian's Chromium, headless, in a fresh profile under the test's folder."""
    return playwright.chromium.launch_persistent_context(tempfile.mkdtemp(dir=tmp_path), executable_path=CHROMIUM,
                                                         args=CHROMIUM_ARGS, headless=True,
                                                         viewport={"width": 1400, "height": 900})


def _chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing on CI; `make browser` installs it")
        pytest.skip(f"{CHROMIUM} not installed (`make browser` installs it)")


@pytest.mark.browser
def test_browser_asks_sees_highlight_and_uploads(server, tmp_path):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    article = tmp_path / "lake.txt"
    article.write_text("Lake Orta festival\n\nThe Lake Orta lantern festival drew 12,000 visitors in 2019. "
                       "A sign said <script>alert('x')</script> in red letters.\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with sync_playwright() as p:
        ctx = _browser(p, tmp_path)
        try:
            page = ctx.new_page()
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(server.url + "/", timeout=60_000)
            expect(page.get_by_text("How many members is the Quds Force")).to_be_visible(timeout=30_000)  # examples
            page.get_by_role("textbox").first.fill(QUESTION)
            page.keyboard.press("Enter")
            mark = page.locator("mark.rag-hl").first
            expect(mark).to_be_visible(timeout=60_000)
            expect(page.locator("#rag-chat")).to_contain_text("[1]")
            expect(page.locator("#rag-chat")).to_contain_text("Macron")
            assert "initiated" in mark.inner_text()
            page.screenshot(path=str(tmp_path / "answer.png"))

            page.get_by_text("Add articles").click()
            page.locator("#rag-upload input[type=file]").set_input_files([str(article), str(bad)])
            status = page.locator("#rag-upload-status")
            expect(status).to_contain_text("Added 1", timeout=60_000)
            expect(status).to_contain_text("bad.jsonl")
            page.get_by_role("textbox").first.fill("How many visitors did the Lake Orta lantern festival draw?")
            page.keyboard.press("Enter")
            expect(page.locator("#rag-chat")).to_contain_text("12,000", timeout=60_000)
            expect(page.locator("mark.rag-hl", has_text="12,000")).to_be_visible()
            expect(page.locator(".rag-passage").first).to_contain_text("<script>alert('x')</script>")  # as text
            page.screenshot(path=str(tmp_path / "upload.png"))
            page.get_by_role("textbox").first.fill("Who won the 1998 football world cup?")
            page.keyboard.press("Enter")
            expect(page.locator(".rag-none")).to_contain_text("don't answer", timeout=60_000)  # said plainly
            expect(page.locator("#rag-chat")).to_contain_text(NOT_FOUND)
            assert not dialogs, "article text must never run as script"
        finally:
            ctx.close()
    assert (tmp_path / "answer.png").stat().st_size > 10_000


class _Listener:
    """A loopback HTTP server that records every request: where a leaked URL would be fetched from."""

    def __init__(self) -> None:
        import http.server
        import threading

        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                self.send_response(200)
                self.send_header("content-type", "image/png")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.mark.browser
def test_browser_shows_article_markup_as_text(server, tmp_path):
    """Markdown and HTML inside an article are data: shown as the characters they are, never rendered,
    in the chat, the sources panel, the source filter and the upload status; no URL of theirs is fetched."""
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    listen = _Listener()
    pixel = f"![pixel]({listen.url}/pixel.png?leak=1)"
    link = f"[the official site]({listen.url}/phish)"
    tag = f'<img src="{listen.url}/tag.png">'
    sentence = f"The Varnhem council bulletin printed {pixel} beside {link} and **bold claims** with {tag} inside."
    (tmp_path / "varnhem.txt").write_text(f"Varnhem bulletin\n\n{sentence}\n\nThe council meets again in June.\n")
    (tmp_path / "outlet.html").write_text(
        f'<html><head><meta property="og:site_name" content="**Loud** [Times]({listen.url}/s) '
        f'<img src=&quot;{listen.url}/site.png&quot;>"><title>Harbour</title></head><body><article>'
        "<p>The Tromso harbour reopened in May after two years of repairs, the port authority said.</p>"
        "</article></body></html>")
    rec_id = f"**Loud** ![id]({listen.url}/id.png)"
    (tmp_path / "dupes.jsonl").write_text("\n".join(json.dumps({"id": rec_id, "title": "Ferry", "text": t}) for t in (
        "The Hurtigruten ferry sailed from Bergen at noon.", "A second record with the same id.")) + "\n")
    try:
        with sync_playwright() as p:
            ctx = _browser(p, tmp_path)
            try:
                page = ctx.new_page()
                page.goto(server.url + "/", timeout=60_000)
                page.get_by_text("Add articles").click()
                page.locator("#rag-upload input[type=file]").set_input_files(
                    [str(tmp_path / n) for n in ("varnhem.txt", "outlet.html", "dupes.jsonl")])
                status = page.locator("#rag-upload-status")
                expect(status).to_contain_text("Added 3", timeout=60_000)
                expect(status).to_contain_text(f"duplicate id '{rec_id}'")  # the asterisks shown, not bold
                assert status.locator("img, strong, em").count() == 0

                page.get_by_role("textbox").first.fill("What did the Varnhem council bulletin print?")
                page.keyboard.press("Enter")
                chat = page.locator("#rag-chat")
                expect(page.locator("mark.rag-hl").first).to_be_visible(timeout=60_000)
                expect(chat).to_contain_text(pixel)
                expect(chat).to_contain_text(link)
                expect(chat).to_contain_text("**bold claims**")
                expect(chat).to_contain_text(tag)
                expect(chat).to_contain_text("[1]")
                for where in (chat, page.locator("#rag-sources")):
                    assert where.locator("img").count() == 0
                    assert where.locator(f'a[href^="{listen.url}"]').count() == 0
                    assert where.locator("strong, em, b, i").count() == 0
                expect(page.locator(".rag-passage").first).to_contain_text(sentence)

                page.get_by_text("Settings").click()
                page.get_by_label("Only these outlets").click()
                outlet = f'**Loud** [Times]({listen.url}/s) <img src="{listen.url}/site.png">'
                expect(page.get_by_role("option", name=outlet)).to_be_visible(timeout=10_000)
                assert page.locator("[role=listbox] img, [role=option] img").count() == 0
                page.screenshot(path=str(tmp_path / "markup.png"))
            finally:
                ctx.close()
        assert listen.hits == [], listen.hits
    finally:
        listen.close()


def test_http_ask_takes_the_chat_history_for_follow_ups(server):
    """A follow-up over HTTP behaves as in the chat: the same history shape, the same answer."""
    first = httpx.post(f"{server.url}/api/ask", json={"question": QUESTION}, timeout=60).json()
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["answer"]}]
    follow = "What did he say about Iran?"
    r = httpx.post(f"{server.url}/api/ask", json={"question": follow, "history": history}, timeout=60)
    assert r.status_code == 200
    assert r.json() == server.index.ask(follow, history=history).to_dict()
    assert r.json() != server.index.ask(follow).to_dict() or r.json()["question"] != follow
    bad = httpx.post(f"{server.url}/api/ask", json={"question": follow, "history": [{"role": "system", "content": "x"}]},
                     timeout=60)
    assert bad.status_code == 422 and bad.json()["error"].startswith("history.0.role")


def test_the_short_answer_comes_first_and_is_marked_in_its_sentence():
    from rag.types import ShortAnswer
    from rag.ui import format_answer

    passage = "Intro. The tour ends in Klaksvik on 19 March. After."
    sentence = "The tour ends in Klaksvik on 19 March."
    start = 100 + passage.index(sentence)
    c = Citation(1, "d1", "Tour", "zephyr.txt", 0, start, start + len(sentence), sentence, passage,
                 passage_start=100, passage_end=100 + len(passage))
    at = start + sentence.index("19 March")
    a = Answer("When does the tour end?", f"{sentence} [1]", "extractive", True, citations=(c,),
               short_answer=ShortAnswer("19 March", 1, at, at + len("19 March")))
    assert format_answer(a).startswith("**19 March** \\[1\\]\n\n")
    assert '<mark class="rag-hl">The tour ends in Klaksvik on <strong class="rag-short">19 March</strong>.</mark>' in \
        render_sources(a)
