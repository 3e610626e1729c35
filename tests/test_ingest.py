"""Reading folders, text, Markdown, HTML and JSON Lines; skipping what is not an article."""

import json

from rag.ingest import decode, parse_html, read_articles
from rag.types import Article, Skipped


def _read(path):
    out = list(read_articles([path]))
    return [a for a in out if isinstance(a, Article)], [s for s in out if isinstance(s, Skipped)]


def test_folder_is_read_recursively_with_stems_as_ids(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("Title One\n\nBody of one. It has words.")
    (tmp_path / "a" / "b" / "two.md").write_text("# Title Two\n\nBody of **two** with a [link](http://x).")
    arts, skipped = _read(tmp_path)
    assert [(a.doc_id, a.title) for a in arts] == [("one", "Title One"), ("two", "Title Two")]
    assert arts[1].text == "Body of two with a link."
    assert skipped == []


def test_bad_files_are_skipped_with_a_reason_and_the_rest_is_read(tmp_path):
    (tmp_path / "good.txt").write_text("Good\n\nA fine article.")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    arts, skipped = _read(tmp_path)
    assert [a.doc_id for a in arts] == ["good"]
    reasons = {s.path.split("/")[-1]: s.reason for s in skipped}
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "unsupported file type .png" in reasons["image.png"]


def test_cp1252_text_is_decoded_not_skipped(tmp_path):
    (tmp_path / "old.txt").write_bytes("Café news\n\nThe café’s owner said “hello”.".encode("cp1252"))
    arts, skipped = _read(tmp_path)
    assert arts[0].title == "Café news"
    assert "“hello”" in arts[0].text and not skipped


def test_decode_rejects_binary_and_accepts_utf16():
    assert decode(b"abc\x00def") is None
    assert decode("Grüße".encode("utf-16")) == "Grüße"
    assert decode(b"\xef\xbb\xbfBOM text") == "BOM text"


def test_jsonl_bad_lines_are_reported_by_number(tmp_path):
    p = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "title": "A", "text": "Alpha story text.", "url": "http://a", "date": "2020-01-03", "source": "Wire"}),
        "{not json",
        json.dumps({"id": "a2", "title": "B"}),
        json.dumps(["list"]),
        "",
        json.dumps({"id": 7, "title": "C", "text": "Gamma story text."}),
        json.dumps({"id": "a1", "title": "dup", "text": "Again."}),
    ]
    p.write_text("\n".join(lines) + "\n")
    arts, skipped = _read(p)
    assert [(a.doc_id, a.source, a.url, a.date) for a in arts] == [("a1", "Wire", "http://a", "2020-01-03"), ("7", "", "", "")]
    assert arts[1].origin.endswith("feed.jsonl#6")  # no outlet given: the file's name is the origin, never the source
    assert [s.path.rsplit(":", 1)[1] for s in skipped] == ["2", "3", "4", "7"]
    assert "not valid JSON" in skipped[0].reason and '"text"' in skipped[1].reason
    assert arts[0].origin.endswith("feed.jsonl#1")


def test_jsonl_syntax_errors_name_what_is_wrong_and_the_column_in_words(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_text('{"id": "a", "text": "tab\there"}\n'      # json's message ends in "at": said once
                 '{"id": "b", "title": "cut off\n'         # the line's end is a raw control character too
                 '{not json\n'
                 '{"id": "c" "text": "x"}\n'
                 '{"id": "d", "title": "cut off')          # no line end: the file ends inside a string
    _, skipped = _read(p)
    assert [(s.path.rsplit(":", 1)[1], s.reason) for s in skipped] == [
        ("1", "not valid JSON (Invalid control character at column 25)"),
        ("2", "not valid JSON (Invalid control character at column 30)"),
        ("3", "not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
        ("4", "not valid JSON (Expecting ',' delimiter at column 12)"),
        ("5", "not valid JSON (Unterminated string starting at column 22)"),
    ]


def test_html_keeps_the_article_and_drops_the_page_chrome():
    html = """<html><head><title>Site | Headline</title>
    <meta property="og:title" content="The Real Headline"><meta property="og:site_name" content="Daily Planet">
    <meta property="article:published_time" content="2020-01-03T10:00:00Z"><link rel="canonical" href="https://dp.example/x">
    <script>var tracking = 1;</script><style>p{}</style></head>
    <body><nav>Home | World | Sport</nav><header>Subscribe now</header>
    <article><h1>The Real Headline</h1><p>First paragraph of the story.</p>
    <div class="share-buttons">Share on Twitter</div>
    <p>Second &amp; last paragraph.</p><figure><img src="x.jpg"><figcaption>A caption (AP)</figcaption></figure></article>
    <section id="comments"><p>Reader: great!</p></section><footer>© Daily Planet</footer></body></html>"""
    a = parse_html(html, doc_id="x", origin="x.html")
    assert a.title == "The Real Headline"
    assert a.text == "First paragraph of the story.\n\nSecond & last paragraph."
    assert (a.source, a.url, a.date) == ("Daily Planet", "https://dp.example/x", "2020-01-03T10:00:00+00:00")


def test_broken_html_still_yields_text():
    a = parse_html("<html><body><p>Unclosed <b>bold <p>Next para</div></span>", doc_id="b")
    assert "Unclosed bold" in a.text and "Next para" in a.text


def test_jsonl_record_over_the_limit_is_skipped_without_reading_it_whole(tmp_path):
    p = tmp_path / "feed.jsonl"
    long = json.dumps({"id": "big", "text": "word " * 2000})
    good = json.dumps({"id": "ok", "title": "Fine", "text": "A short story."})
    p.write_text(f"{long}\n{good}\n{long}")  # the last line has no line end
    out = list(read_articles([p], max_file_bytes=1000))
    assert [a.doc_id for a in out if isinstance(a, Article)] == ["ok"]
    assert [(s.path.rsplit(":", 1)[1], s.reason) for s in out if isinstance(s, Skipped)] == [
        ("1", "record is over the 1,000-byte limit (RAG_MAX_FILE_BYTES)"),
        ("3", "record is over the 1,000-byte limit (RAG_MAX_FILE_BYTES)"),
    ]


def test_a_one_line_text_file_is_both_title_and_text(tmp_path):
    """A file whose only text is one line used to be dropped ("no article text left after cleaning")."""
    (tmp_path / "brief.txt").write_text("Tromso harbour reopens after two years of repairs\n")
    (tmp_path / "latin.txt").write_bytes("Le café de Gérard rouvre à Lyon".encode("latin-1"))
    (tmp_path / "long.txt").write_text(" ".join(["word"] * 40) + ".")
    arts, skipped = _read(tmp_path)
    assert skipped == []
    by_id = {a.doc_id: a for a in arts}
    assert (by_id["brief"].title, by_id["brief"].text) == ("Tromso harbour reopens after two years of repairs",) * 2
    assert by_id["latin"].text == by_id["latin"].title == "Le café de Gérard rouvre à Lyon"
    assert by_id["long"].text == " ".join(["word"] * 40) + "." and by_id["long"].title.endswith("…")


def test_a_one_line_article_is_searchable(tmp_path, new_index):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "brief.txt").write_text("Tromso harbour reopens after two years of repairs")
    idx = new_index()
    assert idx.update([tmp_path / "in"]).added == 1
    assert idx.search("Tromso harbour", k=1)[0].text == "Tromso harbour reopens after two years of repairs"
