"""Metadata at ingest: date, outlet, author and URL from records, pages and text heads, never guessed."""

import datetime as dt
import json

from hypothesis import given, strategies as st

from rag.chunk import chunk_article
from rag.ingest import parse_html, parse_text, read_articles
from rag.metadata import (author_names, dateline_agency, from_record, host_source, looks_like_outlet, parse_date,
                          parse_day, title_outlet)
from rag.types import Article

from conftest import CORPUS


def _read(path):
    return [a for a in read_articles([path]) if isinstance(a, Article)]


def test_parse_date_reads_the_forms_news_sites_print():
    cases = {
        "Jan. 2, 2020": "2020-01-02",
        "January 2, 2020": "2020-01-02",
        "2 January 2020": "2020-01-02",
        "Sept. 30, 2019": "2019-09-30",
        "2020-01-02": "2020-01-02",
        "2016/12/30": "2016-12-30",
        "07.02.2017": "2017-02-07",
        "Friday, 3 January 2020": "2020-01-03",
        "Tue February 7, 2017": "2017-02-07",
        "Published: 3 Jan 2020 14:05 GMT": "2020-01-03T14:05:00+00:00",
        "Updated: January 3, 2020 at 5:20 p.m. EST": "2020-01-03T17:20:00-05:00",
        "12:34 GMT, 3 January 2014": "2014-01-03T12:34:00+00:00",
        "3 Jan 2020 14:05 ET": "2020-01-03",  # ET is EST or EDT: the day only
        "March 17, 2017, 2:13 p.m.": "2017-03-17T14:13:00",
        "2020-01-03T17:20:00Z": "2020-01-03T17:20:00+00:00",
        "2020-01-03T17:20:00.000+0300": "2020-01-03T17:20:00+03:00",
        "2017-02-07 10:08:42 -0500": "2017-02-07T10:08:42-05:00",
    }
    assert {s: parse_date(s) for s in cases} == cases


def test_parse_date_gives_empty_for_what_is_not_one_day():
    for s in ("Feb. 30, 2020", "2020-02-30", "31 April 2019", "2019-13-01", "January 2020", "02/07/2017",
              "7th of the month", "early on Jan. 2, 2020", "Updated:", "yesterday", "25:00 GMT, 3 Jan 2020", ""):
        assert parse_date(s) == "", s


def test_parse_day_for_since_and_until_values():
    assert parse_day("2020-01-03") == parse_day("3 Jan 2020") == parse_day("Jan. 3, 2020") == dt.date(2020, 1, 3)
    assert parse_day("Feb 29, 2021") is None and parse_day("next week") is None


@given(st.text(max_size=60))
def test_parse_date_gives_iso_or_nothing_for_any_text(s):
    iso = parse_date(s)
    assert iso == "" or dt.datetime.fromisoformat(iso) or dt.date.fromisoformat(iso)


def test_jsonl_reads_the_other_names_of_fields_and_an_unparseable_date_is_empty(tmp_path):
    p = tmp_path / "Reuters feed.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in [
        {"id": "1", "title": "Samsung chief arrested", "text": "Samsung Group chief Jay Y. Lee was arrested on Friday.",
         "published": "Feb. 17, 2017", "outlet": "Reuters", "authors": ["Jane Doe", {"name": "John Roe"}],
         "link": "https://www.reuters.com/article/x"},
        {"id": "2", "title": "Watches seized", "text": "Investigators have seized a collection of watches.",
         "date": "7th of the month", "url": "http://tass.com/society/929605"},
        {"id": "3", "title": "No metadata", "text": "A story with nothing else.", "source": "", "byline": "By JANE DOE"},
    ]) + "\n")
    a, b, c = _read(p)
    assert (a.date, a.source, a.author, a.url) == ("2017-02-17", "Reuters", "Jane Doe, John Roe", "https://www.reuters.com/article/x")
    assert (b.date, b.source, b.url) == ("", "tass.com", "http://tass.com/society/929605")  # still indexed; host as source
    assert (c.source, c.author) == ("", "Jane Doe")  # the file's name is no outlet
    assert from_record({"date": 20200103, "url": "not a link"}) == from_record({})


def test_html_reads_json_ld_in_a_graph_and_skips_an_organisation_as_author():
    page = """<html><head><title>Jovenel Moise sworn in as Haiti's new president | News | Al Jazeera</title>
    <script type="application/ld+json">{"@context": "http://schema.org", "@graph": [
      {"@type": "WebSite", "name": "Not this"},
      {"@type": "ReportageNewsArticle", "datePublished": "2017-02-07T16:11:55+00:00",
       "mainEntityOfPage": {"@id": "https://www.aljazeera.com/news/2017/02/x.html"},
       "publisher": {"@type": "Organization", "name": "Al Jazeera"},
       "author": [{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "John Roe"}]}]}</script>
    <script type="application/ld+json">[{"@type": "NewsArticle", "author": {"@type": "NewsMediaOrganization", "name": "BBC News"}}]</script>
    </head><body><article><h1>Jovenel Moise sworn in</h1><p>Jovenel Moise has been sworn in as Haiti's new president.</p></article></body></html>"""
    a = parse_html(page, doc_id="aj", origin="aj.html")
    assert (a.date, a.source, a.author, a.url) == (
        "2017-02-07T16:11:55+00:00", "Al Jazeera", "Jane Doe, John Roe", "https://www.aljazeera.com/news/2017/02/x.html")
    assert "@graph" not in a.text and a.text == "Jovenel Moise has been sworn in as Haiti's new president."


def test_html_meta_tags_a_profile_url_is_no_author_and_a_time_outside_the_article_is_no_date():
    page = """<html><head><title>Melania Trump Says White House Could Mean Millions for Brand - ABC News</title>
    <meta property="article:author" content="https://www.facebook.com/ABCNews/"><link rel="canonical" href="http://abcnews.go.com/Politics/x">
    </head><body><aside class="related"><a href="/y">Older story</a> <time datetime="2017-01-30">30 Jan</time></aside>
    <article><p>First lady Melania Trump has said little about what she intends to do.</p></article></body></html>"""
    a = parse_html(page, doc_id="abc", origin="abc.html")
    assert (a.date, a.source, a.author, a.url) == ("", "ABC News", "", "http://abcnews.go.com/Politics/x")
    a = parse_html(page.replace("<article><p>", '<article><time datetime="2017-02-07T15:50:00-05:00">Feb 7</time><p>'),
                   doc_id="abc", origin="abc.html")
    assert a.date == "2017-02-07T15:50:00-05:00"
    bare = parse_html(page.replace(" - ABC News", ""), doc_id="abc", origin="ABC News.html")
    assert bare.source == "abcnews.go.com"  # only the host is known; never the file's name


def test_text_head_lines_become_metadata_and_leave_the_text_with_exact_offsets(tmp_path):
    p = tmp_path / "bbc.txt"
    p.write_text("RAF Typhoon jets escort Pakistan plane to Stansted - BBC News\n\n"
                 "7 February 2017\n\nBy Jane Doe and John Roe\n\nhttp://www.bbc.co.uk/news/uk-38899472\n\n"
                 "RAF fighter jets have been scrambled to divert a Pakistan International Airlines plane to Stansted Airport.\n\n"
                 "Stansted said the plane landed safely on 7 February 2017 at 15:45 GMT.\n")
    (a,) = _read(p)
    assert (a.title, a.date, a.source, a.author, a.url) == (
        "RAF Typhoon jets escort Pakistan plane to Stansted", "2017-02-07", "BBC News", "Jane Doe, John Roe",
        "http://www.bbc.co.uk/news/uk-38899472")
    assert a.text.startswith("RAF fighter jets") and "7 February 2017 at 15:45 GMT" in a.text  # a sentence's date stays
    assert [(r.rule, r.text) for r in a.removed] == [
        ("dateline", "7 February 2017"), ("byline", "By Jane Doe and John Roe"),
        ("link", "http://www.bbc.co.uk/news/uk-38899472"), ("outlet", "BBC News")]
    chunks = chunk_article(a, chunk_tokens=12, chunk_overlap=4, count_tokens=lambda s: len(s.split()))
    assert len(chunks) > 1 and all(a.text[c.start:c.end] == c.text for c in chunks)


def test_labelled_lines_and_a_published_date_before_an_updated_one(tmp_path):
    p = tmp_path / "export.md"
    p.write_text("# Hundreds Of Health Groups Plead With Trump\n\nUpdated: Feb 8, 2017\n\nPublished: Feb 7, 2017\n\n"
                 "Source: The Huffington Post\n\nURL: http://www.huffingtonpost.com/2017/02/07/x.html\n\n"
                 "Hundreds of state and national medical groups on Tuesday sent President Donald Trump evidence.\n")
    (a,) = _read(p)
    assert (a.date, a.source, a.url) == ("2017-02-07", "The Huffington Post", "http://www.huffingtonpost.com/2017/02/07/x.html")
    assert a.text == "Hundreds of state and national medical groups on Tuesday sent President Donald Trump evidence."


def test_a_headline_attribution_is_not_an_outlet():
    for title in ("Putin and Macron Talk by Phone About Concerns Over U.S. Killing of Top Iranian General Soleimani – Kremlin",
                  "Russian blogger Lapshin extradited to Baku - media", "Russia to continue strengthen its Armed Forces - Putin",
                  "US lawmakers present no evidence of Russia's interference in US election - Russian MP",
                  "Private water supplies regularly poorer quality than public ones - EPA report",
                  "Jeff Sessions did not disclose Russia contacts - report", "What we know - and don't know - about it"):
        assert title_outlet(title) == (title, ""), title
    # on rte.ie an acronym that is not the host's is the headline's source, not the page's outlet
    title = "People with disability much less likely to get a job - ESRI"
    assert title_outlet(title, host="rte.ie") == (title, "")
    assert title_outlet("Leicester City 2-0 Sevilla - BBC Sport") == ("Leicester City 2-0 Sevilla", "BBC Sport")
    assert title_outlet("Poland wants nuclear weapons | News | DW | 07.02.2017") == ("Poland wants nuclear weapons", "DW")
    assert title_outlet("Capacity cuts aim to take heat off coal - Europe - Chinadaily.com.cn")[1] == "Chinadaily.com.cn"
    assert not looks_like_outlet("for TV superstar") and looks_like_outlet("Al Jazeera", host="aljazeera.com")


def test_seed_articles_yield_only_what_they_say():
    got = {a.doc_id: (a.date, a.source, a.author, a.url) for a in read_articles([CORPUS]) if isinstance(a, Article)}
    assert got == {
        "000_17320e14ca20f683": ("", "The Moscow Times", "", ""),  # the copyright line; "– Kremlin" is no outlet
        "001_4b0d695ee80dd377": ("", "", "", ""),
        "002_61711d8cc35d3095": ("", "", "Jack Phillips", ""),  # the caption's "early on Jan. 2, 2020" is no date
        "003_7981376c6a996797": ("", "", "", ""),
        "004_2b647fba49938601": ("", "", "", ""),
    }
    (kremlin,) = _read(CORPUS / "000_17320e14ca20f683.txt")
    assert kremlin.title.endswith("– Kremlin")


def test_a_caption_or_a_first_sentence_date_is_not_the_publication_date(tmp_path):
    p = tmp_path / "caption.txt"
    p.write_text("Moscow Condemns Killing of Iranian General\n\n"
                 "A photo released by the Iraqi Prime Minister's Press Office shows a burning vehicle at the Baghdad "
                 "International Airport, in Baghdad, Iraq, early on Jan. 2, 2020. Iraqi Prime Minister's Press Office via AP\n\n"
                 "On Jan. 3, 2020, Russia condemned the U.S. strike that killed Qassem Soleimani.\n")
    (a,) = _read(p)
    assert (a.date, a.source, a.author) == ("", "", "")
    assert a.text == "On Jan. 3, 2020, Russia condemned the U.S. strike that killed Qassem Soleimani."


def test_a_file_name_is_never_the_source(tmp_path):
    (tmp_path / "BBC News.txt").write_text("A headline\n\nA body sentence without an outlet.")
    (tmp_path / "Reuters.html").write_text("<html><body><p>A body sentence without an outlet.</p></body></html>")
    (tmp_path / "The Times.md").write_text("A body sentence without an outlet, and the only line.")
    arts = _read(tmp_path)
    assert len(arts) == 3 and {a.source for a in arts} == {""}
    assert {a.origin.rsplit("/", 1)[1] for a in arts} == {"BBC News.txt", "Reuters.html", "The Times.md"}


def test_dateline_agency_bylines_and_hosts():
    assert dateline_agency("KUALA LUMPUR, Feb 24 (Reuters) - One of two women suspected") == "Reuters"
    assert dateline_agency("Marseille, France (CNN)The French prosecutor") == "CNN"
    assert dateline_agency("MOSCOW, February 7. /TASS/. Investigators have seized") == "TASS"
    assert dateline_agency("The Australian Energy Market Operator (AEMO) said Thursday") == ""
    assert dateline_agency("Wilders' Party for Freedom (PVV) fell flat") == ""
    assert author_names("By Melissa Mackey, Search Supervisor, gyro Cincinnati") == "Melissa Mackey"
    assert author_names("By Robert Faturechi") == "Robert Faturechi" and author_names("By the numbers") == ""
    assert host_source("http://www.rte.ie/news/2017/0207/x/") == "rte.ie" and host_source("file:///tmp/a.txt") == ""


def test_a_bare_name_is_a_byline_only_beside_other_metadata():
    a = parse_text("Soleimani killing\n\nJack Phillips\nUpdated:\n\nRussia has condemned the strike.", doc_id="a")
    assert a.author == "Jack Phillips" and a.text == "Russia has condemned the strike."
    b = parse_text("Soleimani killing\n\nRussia Condemns Strike\n\nRussia has condemned the strike.", doc_id="b")
    assert b.author == ""


def test_html_itemprop_date_and_a_newsroom_as_meta_author():
    page = """<html><head><title>Suspect in Louvre attack breaks his silence | News | DW | 07.02.2017</title>
    <meta itemprop="datePublished" content="2017-02-07"><meta name="author" content="Deutsche Welle News">
    </head><body><article><p>The suspect has started talking to investigators.</p></article></body></html>"""
    a = parse_html(page, doc_id="dw", origin="dw.html")
    assert (a.title, a.date, a.source, a.author) == ("Suspect in Louvre attack breaks his silence", "2017-02-07", "DW", "")
    b = parse_html(page.replace("Deutsche Welle News", "José Álvarez"), doc_id="dw", origin="dw.html")
    assert b.author == "José Álvarez"


def test_html_byline_element_in_the_article_header():
    page = """<html><head><title>Voice Search Turns Up the Volume | The Huffington Post</title></head><body>
    <div class="author-bio">Jane Roe writes about cats.</div><div class="byline">By John Roe</div>
    <article><aside class="related"><span class="author">Jim Other</span></aside><header><h1>Voice Search Turns Up the Volume</h1>
    <div class="byline">By <a rel="author" href="/author/melissa-mackey">Melissa Mackey</a>, Search Supervisor</div></header>
    <p>Voice search is about to move from a whisper to a shout, quickly.</p></article></body></html>"""
    a = parse_html(page, doc_id="h", origin="h.html")
    assert (a.source, a.author) == ("The Huffington Post", "Melissa Mackey")
    assert a.text == "Voice search is about to move from a whisper to a shout, quickly."
