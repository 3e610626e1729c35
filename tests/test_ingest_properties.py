"""Property tests: ingest and cleaning take any text or bytes without raising, and only ever keep or
drop whole input lines; hostile JSON Lines are reported line by line."""

import html
import json

from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

from rag.clean import clean, normalize
from rag.ingest import parse_html, parse_text, read_articles
from rag.types import Article, Skipped

ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=800)
# Lines that look like a news page: sentences, chrome, bylines, copyright lines, blank lines.
PAGE_LINE = st.one_of(
    ANY_TEXT.map(lambda s: s.replace("\n", " ")),
    st.sampled_from(["", "Advertisement", "Share on Twitter", "By Jane Smith", "© 2020 Daily Planet",
                     "Comments", "1. Great article!", "Photo: AP", "Tags: Iran, Iraq", "Read more: x",
                     "The minister said talks would resume.", "Exit mobile version", "   ", "\t"]),
)
PAGES = st.lists(PAGE_LINE, max_size=30).map("\n".join) | ANY_TEXT


def _subsequence(part: list[str], whole: list[str]) -> bool:
    it = iter(whole)
    return all(any(p == w for w in it) for p in part)


def _lines(raw: str) -> list[str]:
    return [ln.strip() for ln in normalize(raw).split("\n") if ln.strip()]


@hsettings(max_examples=300, deadline=None)
@given(PAGES)
@example("Body.\r\nMore\u2028text\x00here\u200b.\n\n\n© 2020 Planet\n1. a comment")
def test_clean_keeps_or_drops_whole_lines_in_order(raw):
    c = clean(raw)
    lines = _lines(raw)
    kept = c.text.split("\n\n") if c.text else []
    # every paragraph of the output is one input line with its spaces collapsed, in input order
    assert _subsequence(kept, [" ".join(ln.split()) for ln in lines])
    assert _subsequence([r.text for r in c.removed], lines)
    assert len(kept) + len(c.removed) == len(lines)
    assert all(p and p == " ".join(p.split()) for p in kept)


@hsettings(max_examples=200, deadline=None)
@given(PAGES, st.booleans())
def test_parse_text_takes_a_title_line_and_cleans_the_rest(raw, markdown):
    a = parse_text(raw, doc_id="d", origin="d.txt", markdown=markdown)
    assert a.text == a.text.strip() and "\n\n\n" not in a.text
    assert a.title == " ".join(a.title.split())
    if not markdown:
        lines = [" ".join(ln.split()) for ln in _lines(raw)]
        assert not a.title or a.title in lines or a.title.endswith(" …")
        assert _subsequence(a.text.split("\n\n") if a.text else [], lines)


WORDS = st.sampled_from(["the", "talks", "minister", "said", "oil", "prices", "rose", "on", "monday", "after",
                         "strike", "in", "city", "troops", "left", "&", "<b>", "café", "“quoted”"])
SENTENCE = st.lists(WORDS, min_size=4, max_size=14).map(lambda ws: ("Then " + " ".join(ws) + ".").replace(" .", "."))
JUNK = st.sampled_from(["<script>var x = '<p>not text</p>';</script>", "<nav>Home | World</nav>",
                        "<div class='share-buttons'>Share on Twitter</div>", "<style>p { color: red }</style>",
                        "<!-- a comment -->", "<br>", "<img src=x>", "</span>", "<div>", "</div>"])


@hsettings(max_examples=150, deadline=None)
@given(st.lists(SENTENCE, min_size=1, max_size=8), st.lists(JUNK, max_size=8), st.randoms(use_true_random=False))
def test_html_article_paragraphs_come_back_and_page_chrome_does_not(paragraphs, junk, rnd):
    parts = [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    for j in junk:  # chrome anywhere between the paragraphs
        parts.insert(rnd.randint(0, len(parts)), j)
    page = f"<html><head><title>Site</title></head><body><article>{''.join(parts)}</article></body></html>"
    a = parse_html(page, doc_id="x", origin="x.html")
    assert a.text.split("\n\n") == paragraphs
    assert "not text" not in a.text and "Share" not in a.text and "Home" not in a.text


@hsettings(max_examples=300, deadline=None)
@given(ANY_TEXT | st.binary(max_size=600).map(lambda b: b.decode("latin-1")))
@example("<html><body><p>Unclosed <b>bold <p>Next</div></span><![CDATA[x]]><!doctype")
@example("<" * 1000 + "&#xd800;&#0;&#x110000;&bogus;")
def test_parse_html_never_raises_on_any_text(text):
    a = parse_html(text, doc_id="x", origin="x.html")
    assert a.text == a.text.strip() and "\n\n\n" not in a.text
    assert not any("\ud800" <= ch <= "\udfff" for ch in a.text + a.title + a.url + a.date)


JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
                          lambda v: st.lists(v, max_size=3) | st.dictionaries(ANY_TEXT, v, max_size=3), max_leaves=6)
RECORD = st.fixed_dictionaries(
    {}, optional={"id": JSON_VALUE | ANY_TEXT, "title": JSON_VALUE, "text": ANY_TEXT | JSON_VALUE,
                  "url": JSON_VALUE, "date": JSON_VALUE, "source": JSON_VALUE})
JSONL_LINE = st.one_of(
    RECORD.map(json.dumps).map(str.encode),
    JSON_VALUE.map(json.dumps).map(str.encode),
    st.binary(max_size=200),
    st.sampled_from([b'{"id": "s\\ud800", "text": "Lone \\udcff surrogates.", "url": "\\udfff"}',
                     b"[" * 5000, b'{"id": ' + b"1" * 5000 + b', "text": "huge number"}',
                     b'{"id": "a", "text": "t"', "{\"id\": \"é\", \"text\": \"café\"}".encode("cp1252")]),
).map(lambda b: b.replace(b"\n", b" "))


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(JSONL_LINE, max_size=12))
def test_jsonl_gives_one_article_or_one_numbered_skip_per_line(tmp_path, lines):
    p = tmp_path / "feed.jsonl"
    p.write_bytes(b"\n".join(lines))
    out = list(read_articles([p], max_file_bytes=4000))
    numbers = []
    for item in out:
        if isinstance(item, Skipped):
            numbers.append(int(item.path.rsplit(":", 1)[1]))
            assert item.reason
        else:
            numbers.append(int(item.origin.rsplit("#", 1)[1]))
            fields = (item.doc_id, item.title, item.text, item.source, item.url, item.date)
            # everything read can be stored: no lone surrogates, no empty text
            assert all(f.encode("utf-8") is not None for f in fields) and item.text.strip()
    assert numbers == [i for i, raw in enumerate(lines, 1) if raw.strip()]
    ids = [a.doc_id for a in out if isinstance(a, Article)]
    assert len(ids) == len(set(ids))
