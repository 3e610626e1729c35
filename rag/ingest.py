"""Ingest: read articles from folders, files and JSON Lines into cleaned `Article`s.

Plain text and Markdown take the first non-empty line as the title; HTML takes the article element
(or the body without navigation, headers, footers, scripts and forms) and its title and metadata;
JSON Lines give one article per line. A file's document id is its stem, a record's is its `id`.
Files that cannot be read as text are reported as `Skipped`, never fatal; the rest is read lazily,
one article at a time, so a folder of any size streams through.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from .clean import Cleaned, clean, normalize
from .errors import SourceError
from .metadata import Head, Metadata, from_html, from_record, host_source, read_head, with_source
from .types import Article, Removal, Skipped, record_origin

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
# A first line longer than this is the article's lead sentence, not a headline: it stays in the text.
MAX_TITLE_WORDS = 30


def check_paths(paths: Iterable[Path]) -> list[Path]:
    """Fail early, before anything is changed, when a path to index does not exist."""
    checked = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise SourceError(f"{p}: no such file or folder; check the path to index")
        if not os.access(p, os.R_OK):
            raise SourceError(f"{p}: permission denied; make it readable or leave it out")
        checked.append(p)
    return checked


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under `paths`, recursively, in a stable order; hidden files and folders are skipped."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield p


def read_articles(paths: Iterable[Path], *, max_file_bytes: int = 20_000_000) -> Iterator[Article | Skipped]:
    """Every article under `paths`, or a `Skipped` saying why a file (or JSONL line) was not read."""
    for path in iter_files(paths):
        suffix = path.suffix.lower()
        if (why := unsupported(suffix)) is not None:
            yield Skipped(str(path), why)
            continue
        try:
            size = path.stat().st_size
        except OSError as e:
            yield Skipped(str(path), f"cannot read: {e.strerror or e}")
            continue
        if suffix in JSONL_SUFFIXES:
            yield from read_jsonl(path, max_record_bytes=max_file_bytes)
            continue
        if size == 0:
            yield Skipped(str(path), "empty file")
            continue
        if (why := too_large(size, max_file_bytes)) is not None:
            yield Skipped(str(path), why)
            continue
        try:
            data = path.read_bytes()
        except OSError as e:
            yield Skipped(str(path), f"cannot read: {e.strerror or e}")
            continue
        text = decode(data)
        if text is None:
            yield Skipped(str(path), "not a text file (binary or undecodable)")
            continue
        if suffix in HTML_SUFFIXES:
            article = parse_html(text, doc_id=path.stem, origin=str(path))
        else:
            article = parse_text(text, doc_id=path.stem, origin=str(path), markdown=suffix in {".md", ".markdown"})
        if not article.text.strip():
            yield Skipped(str(path), "no article text left after cleaning")
        else:
            yield article


def unsupported(suffix: str) -> str | None:
    """Why a file with this suffix is not read, or None when it is."""
    suffix = suffix.lower()
    return None if suffix in SUPPORTED else f"unsupported file type {suffix or '(none)'}; use .txt, .md, .html or .jsonl"


def too_large(size: int, limit: int) -> str | None:
    """Why a file of `size` bytes is not read under `limit`, or None when it is."""
    if size <= limit:
        return None
    return f"file is {size:,} bytes, over the {limit:,}-byte limit (RAG_MAX_FILE_BYTES); split it or raise the limit"


def decode(data: bytes) -> str | None:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with a BOM, else cp1252 / Latin-1.

    Returns None for binary data: NUL bytes, or mostly control characters once decoded.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:8192]:
        return None
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:20000]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if sample and bad / len(sample) > 0.01:
        return None
    return text


def parse_text(text: str, *, doc_id: str, origin: str = "", markdown: bool = False, source: str = "") -> Article:
    """A plain-text or Markdown article: the first non-empty line is the title (after any URL or date
    lines above it); date, byline and URL lines at the top are its metadata."""
    text = normalize(text)
    if markdown:
        text = _strip_markdown(text)
    above = read_head(text)  # metadata lines above the title, which read_head stops at
    text = above.body
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    title, body = "", text
    if first is not None:
        title = " ".join(lines[first].split())
        rest = "\n".join(lines[first + 1 :])
        if len(title.split()) <= MAX_TITLE_WORDS and rest.strip():
            body = rest
        else:  # a lead sentence, or the only line: keep it in the text, shorten it for display
            title = _shorten(title)
    head = read_head(body, title=title, host=host_source(above.meta.url)) if body is not text else Head(Metadata(), body, ())
    # the only line is both title and text: cleaning must not drop it as a repeat of the title
    cleaned = clean(head.body, title=title if body is not text else "")
    meta = Metadata(source=source).merged(above.meta).merged(head.meta)
    return _article(doc_id, title, cleaned, meta, origin=origin, removed=above.removed + head.removed)


def _article(doc_id: str, title: str, cleaned: Cleaned, meta: Metadata, *, origin: str,
             removed: tuple[Removal, ...]) -> Article:
    """The article, with its outlet filled in from the title's tag, copyright line, URL or dateline."""
    meta, headline = with_source(meta, title=title, body=cleaned.text, copyright_owner=cleaned.source)
    if headline != title:
        removed += (Removal("outlet", title[len(headline):].strip(" |-–—")),)
    return Article(
        doc_id=doc_id,
        title=headline,
        text=cleaned.text,
        source=meta.source,
        url=meta.url,
        date=meta.date,
        origin=origin,
        removed=removed + cleaned.removed,
        author=meta.author,
    )


def read_jsonl(path: Path, *, max_record_bytes: int = 20_000_000) -> Iterator[Article | Skipped]:
    """One article per line: `{"id", "title", "text", "url"?, "date"?, "source"?, "author"?}` (and the
    other names `metadata.from_record` reads); bad lines are reported by number and the rest is read."""
    seen: set[str] = set()
    try:
        fh = path.open("rb")
    except OSError as e:
        yield Skipped(str(path), f"cannot read: {e.strerror or e}")
        return
    with fh:
        lineno = 0
        while raw := fh.readline(max_record_bytes + 1):  # bounded: a line without end cannot fill memory
            lineno += 1
            where = f"{path}:{lineno}"
            if len(raw) > max_record_bytes:
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line, a piece at a time
                    raw = fh.readline(1 << 20)
                yield Skipped(where, f"record is over the {max_record_bytes:,}-byte limit (RAG_MAX_FILE_BYTES)")
                continue
            if not raw.strip():
                continue
            line = decode(raw)
            try:
                rec = json.loads(line) if line is not None else None
            except json.JSONDecodeError as e:
                # json's messages for some errors end in "at" ("Unterminated string starting at"): one "at"
                yield Skipped(where, f"not valid JSON ({e.msg.removesuffix(' at')} at column {e.colno})")
                continue
            except (ValueError, RecursionError) as e:  # a 5,000-digit number, arrays nested 100,000 deep
                yield Skipped(where, f"not valid JSON ({str(e).split(':')[0]})")
                continue
            if not isinstance(rec, dict):
                yield Skipped(where, 'not a JSON object; expected {"id", "title", "text", ...}')
                continue
            doc_id, text = rec.get("id"), rec.get("text")
            if doc_id is None or str(doc_id).strip() == "" or isinstance(doc_id, (dict, list)):
                yield Skipped(where, 'missing "id"')
                continue
            if not isinstance(text, str) or not text.strip():
                yield Skipped(where, 'missing or empty "text"')
                continue
            doc_id = _valid(str(doc_id)).strip()
            if doc_id in seen:
                yield Skipped(where, f"duplicate id {doc_id!r} in this file; the first one is kept")
                continue
            seen.add(doc_id)
            title = rec.get("title")
            title = " ".join(normalize(title).split()) if isinstance(title, str) else ""
            fields = from_record(rec)
            head = read_head(normalize(text), title=title, host=host_source(fields.url))
            cleaned = clean(head.body, title=title)
            if not cleaned.text.strip():
                yield Skipped(where, "no article text left after cleaning")
                continue
            yield _article(doc_id, title or _shorten(cleaned.text.split("\n")[0]), cleaned,
                           fields.merged(head.meta), origin=record_origin(str(path), lineno), removed=head.removed)


def parse_html(html: str, *, doc_id: str, origin: str = "") -> Article:
    """An HTML page: the article's text and title, not the page chrome around it."""
    parser = _ArticleParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but a broken page must not stop the run
        pass
    page_title = " ".join(normalize(parser.title).split())
    title = parser.meta.get("og:title") or parser.h1 or page_title
    title = " ".join(normalize(title).split())
    fields = from_html(parser.meta, parser.ld_json, time=parser.time, title=page_title, byline=parser.byline)
    head = read_head(parser.text(), title=title, host=host_source(fields.url))
    cleaned = clean(head.body, title=title)
    return _article(doc_id, title or _shorten(cleaned.text.split("\n")[0]), cleaned, fields.merged(head.meta),
                    origin=origin, removed=head.removed)


class _ArticleParser(HTMLParser):
    """Collects text by block, preferring <article> (else <main>, else <body>), skipping chrome."""

    SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button", "svg",
            "iframe", "template", "select", "figure", "figcaption"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "main",
             "blockquote", "tr", "pre", "ul", "ol", "table", "dd", "dt"}
    VOID = {"br", "img", "meta", "link", "input", "hr", "source", "wbr", "area", "base", "col", "embed"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = self.h1 = self.time = ""
        self.ld_json: list[str] = []  # the text of each <script type="application/ld+json">
        self.byline = ""  # the text of the first element marked as the byline (class "byline", rel="author")
        self._in_ld = False
        self._byline_depth = 0  # depth of the byline element in the stack while inside it
        self._byline_seen = False
        self._skip = 0
        self._stack: list[str] = []
        self._parts: dict[str, list[str]] = {"article": [], "main": [], "body": []}
        self._in = {"article": 0, "main": 0, "body": 0}
        self._in_title = self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content") and key not in self.meta:
                self.meta[key] = a["content"].strip()
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower():
            self.meta.setdefault("canonical", a.get("href", ""))
            return
        # a <time> in the article (or marked as the publication date), not one beside a related link
        if tag == "time" and a.get("datetime") and not self.time and (
                self._in["article"] or "pubdate" in a or a.get("itemprop", "").lower() == "datepublished"):
            self.time = a["datetime"]
        if tag == "script" and a.get("type", "").strip().lower() == "application/ld+json":
            self._in_ld = True
            self.ld_json.append("")
        if tag in self.VOID:
            if tag == "br":
                self._newline()
            return
        # the article's own byline: inside the article (its header too), not in a related list or a sidebar
        in_article = (self._in["article"] or self._in["main"]) and all(t == "!header" for t in self._stack if t[0] == "!")
        self._stack.append(tag)
        if not self._byline_seen and in_article and _byline_element(a):
            self._byline_seen, self._byline_depth = True, len(self._stack)
        if tag in self.SKIP or _hidden_chrome(a):
            self._skip += 1
            self._stack[-1] = "!" + tag
        if tag in self._in:
            self._in[tag] += 1
        if tag == "title":
            self._in_title = True
        if tag == "h1":
            self._in_h1 = True
        if tag in self.BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        # Pop to the matching open tag; a stray end tag closes nothing.
        for j in range(len(self._stack) - 1, -1, -1):
            if self._stack[j].lstrip("!") == tag:
                for t in self._stack[j:]:
                    if t.startswith("!"):
                        self._skip -= 1
                    name = t.lstrip("!")
                    if name in self._in:
                        self._in[name] -= 1
                del self._stack[j:]
                break
        if self._byline_depth > len(self._stack):
            self._byline_depth = 0
        if tag == "title":
            self._in_title = False
        if tag == "script":
            self._in_ld = False
        if tag == "h1":
            self._in_h1 = False
        if tag in self.BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            if len(self.ld_json[-1]) < 1_000_000:
                self.ld_json[-1] += data
            return
        if self._in_title:
            self.title += data
            return
        if self._byline_depth and len(self.byline) < 300:  # also inside a skipped <header>
            self.byline += data
        if self._skip:
            return
        if self._in_h1 and not self.h1:
            self.h1 = data.strip()
        for name in self._parts:
            if self._in[name] or (name == "body" and not any(self._in.values())):
                self._parts[name].append(data)

    def _newline(self) -> None:
        for parts in self._parts.values():
            parts.append("\n")

    def text(self) -> str:
        for name in ("article", "main", "body"):
            t = "".join(self._parts[name])
            if t.strip():
                return re.sub(r"[ \t]+", " ", t)
        return ""


def _byline_element(attrs: dict[str, str]) -> bool:
    """An element marked as the byline: rel="author", itemprop="author", a class or id "byline" or
    "author" (not an author's bio, photo or follow button)."""
    if "author" in attrs.get("rel", "").lower().split() or attrs.get("itemprop", "").lower() == "author":
        return True
    names = f"{attrs.get('class', '')} {attrs.get('id', '')}".lower()
    return bool(re.search(r"(?<![a-z])(?:byline|author|authors|contributors?)(?![a-z])", names)) and not re.search(
        r"bio|avatar|image|img|photo|picture|social|follow|about|more|info|desc", names)


def _hidden_chrome(attrs: dict[str, str]) -> bool:
    """Class or id names that mark sharing widgets, comments, related links and the like."""
    names = f"{attrs.get('class', '')} {attrs.get('id', '')}".lower()
    if attrs.get("aria-hidden") == "true" or "hidden" in attrs:
        return True
    return bool(re.search(r"\b(?:comments?|share|social|related|newsletter|promo|advert|ad-|cookie|subscribe|byline-bio|author-bio|breadcrumb|sidebar|menu|nav)\b", names))


def _strip_markdown(text: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links keep their words
    text = re.sub(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?)", "", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return text


def _shorten(s: str, words: int = 14) -> str:
    parts = s.split()
    return s if len(parts) <= words else " ".join(parts[:words]) + " …"


def _valid(s: str) -> str:
    """`s` with lone surrogates (JSON's "\\ud800" escapes) replaced by U+FFFD: they cannot be stored as UTF-8."""
    return re.sub("[\ud800-\udfff]", "\ufffd", s)
