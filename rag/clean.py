"""Boilerplate removal: keep the article, drop what a news page wraps around it.

Rules work on lines and are written for news sites in general, not for particular files: page
chrome ("Exit mobile version", share buttons), promos ("[Click here for more ... coverage]"),
captions with photo credits, bylines and author bios, tag lines, copyright lines, and reader
comments (everything after the copyright line or a comments heading). Every dropped line is
recorded as a `Removal` with the rule's name, so cleaning can be checked.

It leaves out anything that needs the page's layout (that is the HTML reader's job in ingest).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .types import Removal

_SOCIAL = r"(?:twitter|facebook|linkedin|whatsapp|reddit|telegram|pinterest|instagram|youtube|tiktok|x|email|e-mail|print|copy link|flipboard)"

CHROME = re.compile(
    r"^(?:"
    r"exit mobile version|skip to (?:main )?content|advertisement|advertisements|ad|sponsored(?: content)?"
    r"|share(?: this)?(?: (?:article|story|post|page))?(?: on \w+)?|tweet|" + _SOCIAL + r"(?:\s*[|/·]\s*" + _SOCIAL + r")*"
    r"|(?:related|recommended|trending|popular|latest|more)(?: (?:topics|articles|stories|posts|news|content|coverage|videos))?"
    r"|read more|see also|more (?:from|on) .{1,40}|loading\.*|back to top|toggle navigation|menu|search"
    r"|(?:updated|published|posted|last updated|first published)\b\s*:?.{0,50}"
    r"|follow (?:us|him|her|them) on .{1,60}|sign up\b.{0,100}|subscribe\b.{0,100}"
    r"|(?:tags?|filed under|topics|categories|category)\s*:.{0,200}"
    r"|enter (?:your )?comments? here:?|leave a (?:reply|comment)|add a comment|show comments|view comments"
    r"|(?:\d+\s+)?comments?|(?:\d+\s+)?responses?|reader comments|join the (?:discussion|conversation)"
    r"|what do you think\??|have your say|you may also like|don'?t miss"
    r")\s*:?\s*$",
    re.IGNORECASE,
)

# A heading that opens a reader-comments section: it and everything after it go.
COMMENTS_HEADING = re.compile(
    r"^(?:\d+\s+)?(?:comments?|reader comments|responses|discussion|join the (?:discussion|conversation)"
    r"|leave a (?:reply|comment)|show comments|\d+\s+thoughts? on .{1,120})\s*:?$",
    re.IGNORECASE,
)

PROMO = re.compile(
    r"^(?:[\[(].{0,160}\b(?:click|read|watch|listen|sign up|subscribe|download|follow|more .{0,60}coverage)\b.{0,160}[\])]"
    r"|(?:read more|related|watch|listen|more|see also|recommended|click here)\s*:.{0,200}"
    r"|click here\b.{0,200})$",
    re.IGNORECASE,
)

COPYRIGHT = re.compile(
    r"^(?:\(c\)|©|copyright\b)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*)?(?P<owner>.{0,80}?)\s*"
    r"(?:\.?\s*all rights reserved\.?)?$",
    re.IGNORECASE,
)

_CREDIT_AGENCY = r"(?:AP|AFP|Reuters|Getty Images|EPA|EPA-EFE|Xinhua|TASS|Sputnik|Bloomberg|Shutterstock|Anadolu Agency|UPI|PA|Alamy)"
CAPTION = re.compile(
    r"(?:^(?:photo|image|picture|photograph|credit|file photo)\s*:.{0,300}$"
    r"|(?:\bvia|/|\bby)\s*" + _CREDIT_AGENCY + r"(?:\s*(?:photo|images?))?\s*\)?$"
    r"|\((?:photo|image|credit|picture)\b[^)]{0,120}\)$)",
    re.IGNORECASE,
)

_JOB = r"(?:reporter|correspondent|writer|editor|journalist|columnist|contributor|producer|author|analyst|photographer|anchor)"
JOB_TITLE = re.compile(r"^(?:[A-Z][\w'-]*\s+){0,4}" + _JOB + r"s?$", re.IGNORECASE)
# An author bio opens with the author's name: "Jane Doe is a breaking news reporter who ... Follow her on X".
BIO = re.compile(
    r"^(?:[A-Z][\w'’.-]+\s+){1,3}(?i:(?:is|was|has been)\s+(?:an?|the)\s+(?:[\w'-]+\s+){0,5}" + _JOB + r"\b.*"
    r"(?:\bfollow (?:him|her|them)\b|\bcan be reached\b|\bjoined\b|\byears? (?:of )?experience\b|\bcovers\b|@|https?://))"
)
BYLINE = re.compile(r"^(?:by\s+)?(?:[A-Z][\w'’.-]+)(?:\s+[A-Z][\w'’.-]+){1,3}(?:\s*(?:,|and)\s*.{0,60})?$")
BY_PREFIX = re.compile(r"^by\s+[A-Z].{0,80}$", re.IGNORECASE)
TAGS = re.compile(r"^[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3}(?:\s*,\s*[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3}){1,12}$")
URL_ONLY = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
NUMBERED_ITEM = re.compile(r"^\d{1,3}[.)]\s+\S")

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed: tuple[Removal, ...]
    source: str = ""  # the outlet named by a copyright line, when there is one


def normalize(raw: str) -> str:
    """Unicode NFC, no zero-width or control characters, plain spaces, '\\n' line ends."""
    text = unicodedata.normalize("NFC", raw).translate(_ZERO_WIDTH)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text
    )
    return text.replace("\t", " ").replace("\u00a0", " ").replace("\u2028", "\n").replace("\u2029", "\n")


def clean(raw: str, *, title: str = "") -> Cleaned:
    """Drop boilerplate lines from an article's text; paragraphs come back separated by blank lines.

    >>> c = clean("Body text here.\\n\\nExit mobile version")
    >>> c.text, [r.rule for r in c.removed]
    ('Body text here.', ['chrome'])
    """
    raw_lines = normalize(raw).split("\n")
    lines = [(ln.strip(), ln[: len(ln) - len(ln.lstrip())]) for ln in raw_lines]
    content = [i for i, (s, _) in enumerate(lines) if s]
    removed: list[Removal] = []
    drop: dict[int, str] = {}
    source = ""

    # Reader comments and other trailers: everything after a copyright line near the end, or
    # after a comments heading, is not the article.
    cut = None
    for pos, i in enumerate(content):
        s = lines[i][0]
        m = COPYRIGHT.match(s)
        if m and len(s) <= 120 and pos >= 1:
            source = _owner(m.group("owner"))
            drop[i] = "copyright"
            cut = i
            break
        if COMMENTS_HEADING.match(s) and pos >= len(content) // 3 and pos > 0:
            cut = i - 1
            break
    if cut is not None:
        trailer = [i for i in content if i > cut]
        if trailer:
            trailer_rule = "comments" if _looks_like_comments([lines[i] for i in trailer]) else "trailer"
            for i in trailer:
                drop[i] = trailer_rule

    # A bio names the author; the name lines that go with it are bylines.
    bio_names: set[str] = set()
    for pos, i in enumerate(content):
        if i in drop:
            continue
        s, indent = lines[i]
        rule = _line_rule(s, title=title, first=pos == 0)
        # A bio is a short paragraph after the article's first; a whole article on one line never is.
        if rule is None and len(s) <= 600 and pos >= max(1, len(content) // 2) and BIO.match(s):
            rule = "bio"
            bio_names.add(" ".join(s.split()[:2]))
        if rule:
            drop[i] = rule

    # Bylines: a bare name near the top or the bottom (author blocks), or one named in a bio.
    head, tail = set(content[:4]), set(content[-8:])
    for i in content:
        if i in drop:
            continue
        s = lines[i][0]
        if len(s) <= 60 and not s.endswith((".", "?", "!", "”", '"', ":")) and (
            BY_PREFIX.match(s) or (BYLINE.match(s) and (i in head or i in tail or s in bio_names))
        ) and not _same(s, title):
            drop[i] = "byline"

    # Tag line: the last line, a short list of names with no sentence punctuation.
    for i in reversed(content):
        if i in drop:
            continue
        s = lines[i][0]
        if TAGS.match(s) and len(s) <= 100:
            drop[i] = "tags"
        break

    kept: list[str] = []
    for i in content:
        if i in drop:
            removed.append(Removal(drop[i], lines[i][0]))
        else:
            kept.append(" ".join(lines[i][0].split()))
    return Cleaned("\n\n".join(kept), tuple(removed), source)


def _line_rule(s: str, *, title: str, first: bool) -> str | None:
    if title and _same(s, title):
        return "duplicate_title"
    if len(s) <= 120 and CHROME.match(s):
        return "chrome"
    if len(s) <= 400 and PROMO.match(s):
        return "promo"
    if URL_ONLY.match(s):
        return "link"
    if len(s) <= 400 and CAPTION.search(s) and not s.endswith((".", "”", '"')) or (
        len(s) <= 400 and re.match(r"^(?:photo|image|picture|photograph|credit|file photo)\s*:", s, re.I)
    ):
        return "caption"
    if len(s) <= 60 and JOB_TITLE.match(s):
        return "byline"
    return None


def _looks_like_comments(trailer: list[tuple[str, str]]) -> bool:
    numbered = sum(1 for s, _ in trailer if NUMBERED_ITEM.match(s))
    return numbered >= 1 or any(COMMENTS_HEADING.match(s) or CHROME.match(s) for s, _ in trailer)


def _owner(owner: str) -> str:
    owner = re.sub(r"(?i)\ball rights reserved\.?", "", owner).strip(" .,-–")
    return owner if 2 <= len(owner) <= 60 else ""


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
