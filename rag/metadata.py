"""Metadata: who published an article, when, by whom, where.

Reads an article's publication date, outlet, author and URL from what the input holds: a JSON Lines
record's fields, an HTML page's meta tags, JSON-LD and `<time>`, and the head of a plain-text or
Markdown article (a date line, a byline, a URL line, labelled lines such as "Source: BBC News", and
the outlet named in the title's tag, "Headline | Reuters"). Lines read as metadata are boilerplate
to the reader: they leave the text and are recorded as `Removal`s, like cleaning's.

It never guesses: a field it cannot find stays "". A date inside a sentence or a photo caption is
not a publication date, a headline's attribution ("... – Kremlin") is not an outlet, and a file's
name is never a source. When only a URL is known, its host ("bbc.co.uk") is the source. Dates are
parsed with the standard library only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

from .clean import BY_PREFIX, BYLINE, CAPTION, CHROME, JOB_TITLE, PROMO, URL_ONLY
from .types import Removal


@dataclass(frozen=True)
class Metadata:
    date: str = ""  # ISO 8601, "" when unknown
    source: str = ""  # the outlet's name, or the URL's host when only that is known
    author: str = ""  # names joined with ", "
    url: str = ""

    def merged(self, other: Metadata) -> Metadata:
        """These fields, with the empty ones filled from `other`."""
        return Metadata(self.date or other.date, self.source or other.source, self.author or other.author,
                        self.url or other.url)


@dataclass(frozen=True)
class Head:
    """What the head of an article's text said about it, and the text without those lines."""

    meta: Metadata
    body: str
    removed: tuple[Removal, ...]


# ----------------------------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)"
# Zones with one fixed offset; ambiguous ones ("ET", "IST") keep the date only.
_ZONES = {"z": 0, "utc": 0, "gmt": 0, "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420,
          "mdt": -360, "pst": -480, "pdt": -420, "bst": 60, "cet": 60, "cest": 120, "eet": 120, "eest": 180,
          "msk": 180, "jst": 540, "aest": 600, "aedt": 660}
_TIME = (r"(?P<hh>\d{1,2})[:.](?P<mm>\d{2})(?::(?P<ss>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?"
         r"(?:\s*\(?(?P<zone>[a-z]{1,5}|(?:utc|gmt)?\s*[+-]\d{1,2}(?::?\d{2})?)\)?)?")
_DMY = _DAY + r"\s+" + _MON + r",?\s+" + _YEAR
_MDY = _MON + r"\s+" + _DAY + r",?\s+" + _YEAR
_YMD = r"(?P<year>\d{4})[-/](?P<mon>\d{1,2})[-/](?P<day>\d{1,2})"
# Dots between numbers are day first wherever they are used ("07.02.2017", DW, most of Europe); slashes
# are not: 02/07/2017 is February in the US and July elsewhere, so it is read only where one reading
# can't be a month (13/02/2017, 02/13/2017) or both give the same day (05/05/2017).
_DOTTED = r"(?P<day>\d{1,2})\.(?P<mon>\d{1,2})\.(?P<year>\d{4})"
_SLASHED_DMY = r"(?P<day>1[3-9]|2\d|3[01])/(?P<mon>0?[1-9]|1[0-2])/(?P<year>\d{4})"
_SLASHED_MDY = r"(?P<mon>0?[1-9]|1[0-2])/(?P<day>1[3-9]|2\d|3[01])/(?P<year>\d{4})"
_SLASHED_SAME = r"(?P<day>0?[1-9]|1[0-2])/(?P<mon>(?P=day))/(?P<year>\d{4})"
_SEP = r"\s*(?:,|\bat\b|/|\||-|–|—|·)?\s*"
_DATE_FORMS = [
    re.compile(r"^" + _WEEKDAY + r"?" + form + r"(?:" + _SEP + _TIME + r")?$", re.IGNORECASE)
    for form in (_DMY, _MDY, _YMD, _DOTTED, _SLASHED_DMY, _SLASHED_MDY, _SLASHED_SAME)
] + [  # the time first: "14:05 GMT, 3 January 2020"
    re.compile(r"^" + _TIME + _SEP + _WEEKDAY + r"?" + form + r"$", re.IGNORECASE) for form in (_DMY, _MDY)
]
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)
# "Published:", "Updated on", "Posted", "Last updated" before a date
DATE_LABEL = re.compile(
    r"^(?P<label>(?:first |originally |last )?(?:published|posted|updated|modified|dated?)(?: on| at)?"
    r"|date(?: published)?|publication date|pub(?:lished)? date)\s*:?\s*", re.IGNORECASE)


def parse_date(text: str) -> str:
    """A date or date and time in any common news form, as ISO 8601; "" when it is not one.

    >>> parse_date("Jan. 2, 2020"), parse_date("2 January 2020"), parse_date("Friday, 3 January 2020")
    ('2020-01-02', '2020-01-02', '2020-01-03')
    >>> parse_date("Published: 3 Jan 2020 14:05 GMT"), parse_date("2020-01-03T17:20:00Z")
    ('2020-01-03T14:05:00+00:00', '2020-01-03T17:20:00+00:00')
    >>> parse_date("Sept. 30, 2019, 5:30 p.m. ET"), parse_date("2016/12/30 7:11")
    ('2019-09-30', '2016-12-30T07:11:00')
    >>> parse_date("07.02.2017"), parse_date("02/07/2017"), parse_date("13/02/2017"), parse_date("02/13/2017 10:05")
    ('2017-02-07', '', '2017-02-13', '2017-02-13T10:05:00')
    >>> parse_date("Feb. 30, 2020"), parse_date("early on Jan. 2, 2020"), parse_date("January 2020")
    ('', '', '')
    """
    s = " ".join(text.split()).strip(" .")
    s = DATE_LABEL.sub("", s, count=1) if DATE_LABEL.match(s) else s
    if not s or len(s) > 80:
        return ""
    if _ISO.match(s):
        iso = re.sub(r"(?i)z$", "+00:00", s.replace(" ", "T", 1))
        iso = re.sub(r"\.\d+", "", iso)
        iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)
        try:
            return dt.datetime.fromisoformat(iso).isoformat()
        except ValueError:
            return ""
    for form in _DATE_FORMS:
        m = form.match(s)
        if m:
            return _from_match(m)
    return ""


def parse_day(text: str) -> dt.date | None:
    """A plain day ("2020-01-03", "3 Jan 2020", "Jan. 3, 2020"), or None when `text` is not one.

    >>> parse_day("3 Jan 2020"), parse_day("Jan. 3, 2020"), parse_day("2020-02-30"), parse_day("soon")
    (datetime.date(2020, 1, 3), datetime.date(2020, 1, 3), None, None)
    """
    iso = parse_date(text)
    return dt.date.fromisoformat(iso[:10]) if iso else None


def _from_match(m: re.Match[str]) -> str:
    g = m.groupdict()
    mon = g["mon"].lower().rstrip(".")
    month = int(mon) if mon.isdigit() else _MONTHS[mon]
    try:
        day = dt.date(int(g["year"]), month, int(g["day"]))
    except ValueError:  # Feb 30, month 13
        return ""
    if g.get("hh") is None:
        return day.isoformat()
    hour, minute, second = int(g["hh"]), int(g["mm"]), int(g["ss"] or 0)
    ampm = (g["ampm"] or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return ""
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return ""
    when = dt.datetime.combine(day, dt.time(hour, minute, second))
    zone = (g["zone"] or "").lower().replace(" ", "")
    if not zone:
        return when.isoformat()
    offset = _offset(zone)
    if offset is None:  # a zone we cannot place ("ET"): the day is still right
        return day.isoformat()
    return when.replace(tzinfo=dt.timezone(dt.timedelta(minutes=offset))).isoformat()


def _offset(zone: str) -> int | None:
    if zone in _ZONES:
        return _ZONES[zone]
    m = re.fullmatch(r"(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?", zone)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    return -minutes if m.group(1) == "-" else minutes


# --------------------------------------------------------------------------------------------- outlets

# Words that name a news outlet ("Daily Mail", "The Moscow Times", "Associated Press", "Sky News").
OUTLET_WORDS = re.compile(
    r"\b(?:News|Times|Post|Journal|Herald|Guardian|Reuters|AP|AFP|Press|Tribune|Telegraph|Daily|Weekly|Gazette"
    r"|Observer|Chronicle|Express|Mail|Independent|Standard|Review|Magazine|Radio|TV|Television|Network|Agency"
    r"|Media|Online|Newswire|Wire|Broadcasting|Bulletin|Courier|Dispatch|Examiner|Inquirer|Ledger|Monitor"
    r"|Sentinel|Register|Insider|Bloomberg|Associated Press)\b"
    r"|\.(?:com|org|net|co\.uk|ru|de|ie|cn|in|au)\b"
)
# Acronyms that a headline ends with as its subject, not as its outlet ("... - NATO", "... – US").
_NOT_OUTLETS = {"US", "USA", "UK", "EU", "UN", "NATO", "FBI", "CIA", "WHO", "IMF", "GOP", "ISIS", "OPEC", "NHS",
                "IRGC", "MP", "MPS", "PM", "CEO", "GDP"}
TITLE_TAG = re.compile(r"^(?P<headline>.+)\s+(?P<sep>\||-|–|—)\s+(?P<tag>.+?)$")
# The section names a page title puts between headline and outlet: "Headline | World | The Guardian"
_SECTION = re.compile(r"\s+\|\s+[A-Z][\w&'’ -]{0,30}$")
# "MOSCOW (Reuters) -", "WASHINGTON, Jan. 3 (AP) —", "Marseille, France (CNN)"
# A place, perhaps a day, then the agency: "MOSCOW (Reuters) - ", "WASHINGTON, Jan. 3 (AP) — ",
# "Marseille, France (CNN)The", "MOSCOW, February 7. /TASS/. ". The dash, or no space before the text,
# is what tells it from a first sentence's abbreviation ("The Energy Market Operator (AEMO) said").
DATELINE_AGENCY = re.compile(
    r"^(?:[A-Z][\w.'’-]*(?:[ /-][A-Z][\w.'’-]*){0,3},?\s*){1,3}(?:(?i:" + _MON + r")\s+\d{1,2}\.?\s*)?"
    r"(?:\((?P<agency>[A-Z][\w.&' -]{1,30})\)(?:\s*[-–—]\s+|[A-Z“\"‘'])|/(?P<slashed>[A-Z][A-Z-]{1,15})/\.?\s)")


def looks_like_outlet(name: str, *, host: str = "") -> bool:
    """True when `name` reads as a news outlet's name, or is the name of the URL's host.

    >>> looks_like_outlet("BBC News"), looks_like_outlet("Reuters"), looks_like_outlet("TASS")
    (True, True, True)
    >>> looks_like_outlet("Kremlin"), looks_like_outlet("NATO"), looks_like_outlet("Al Jazeera", host="www.aljazeera.com")
    (False, False, True)
    """
    name = name.strip()
    words = name.split()
    if not name[:1].isupper() and not re.fullmatch(r"[\w.-]+\.[a-z]{2,}", name):  # "for TV", but "nytimes.com"
        return False
    if not 1 <= len(words) <= 6 or len(name) > 60 or name.endswith((".", "?", "!")) and not OUTLET_WORDS.search(name):
        return False
    if OUTLET_WORDS.search(name):
        return True
    if host and _names_host(name, host):
        return True
    # An acronym alone or with a desk's name ("TASS", "BBC Sport"), not with other words ("EPA report",
    # "Russian MP"); on a page whose host is known, an acronym that is not the host's is the headline's
    # source ("... - ESRI" on rte.ie).
    m = re.fullmatch(r"([A-Z]{2,5})(?: [A-Z][a-z]+){0,2}", name)
    return m is not None and m.group(1) not in _NOT_OUTLETS and not host


def _names_host(name: str, host: str) -> bool:
    """"Al Jazeera" names aljazeera.com; "Deutsche Welle" (by its initials) names dw.com."""
    letters = re.sub(r"[^a-z0-9]", "", name.lower())
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z0-9]+", name)).lower()
    labels = host.lower().split(".")
    acronym = name.split()[0].lower() if re.match(r"[A-Z]{2,5}\b", name) else ""  # "BBC Sport" on bbc.co.uk
    return any(len(label) >= 2 and label in (letters, initials, acronym) for label in labels)


def title_outlet(title: str, *, host: str = "") -> tuple[str, str]:
    """The headline and the outlet named in its tag ("Headline | Reuters"); the outlet is "" when the
    tag is not one (a headline's attribution, "... – Kremlin").

    >>> title_outlet("Putin and Macron talk by phone - BBC News")
    ('Putin and Macron talk by phone', 'BBC News')
    >>> title_outlet("Putin and Macron Talk by Phone About Concerns – Kremlin")
    ('Putin and Macron Talk by Phone About Concerns – Kremlin', '')
    >>> title_outlet("Polls open in the Netherlands | News | Al Jazeera", host="aljazeera.com")
    ('Polls open in the Netherlands', 'Al Jazeera')
    >>> title_outlet("Poland wants nuclear weapons for Europe | News | DW | 07.02.2017")
    ('Poland wants nuclear weapons for Europe', 'DW')
    """
    title = " ".join(title.split())
    m = TITLE_TAG.match(title)
    if m and parse_date(m.group("tag")):  # "Headline | News | DW | 07.02.2017": the outlet is before the date
        headline, outlet = title_outlet(m.group("headline"), host=host)
        return (headline, outlet) if outlet else (title, "")
    if m and len(m.group("headline").split()) >= 2 and looks_like_outlet(m.group("tag"), host=host):
        headline = m.group("headline")
        if m.group("sep") == "|":  # a pipe is page furniture, not a headline's: sections go too
            while len(cut := _SECTION.sub("", headline)) < len(headline) and len(cut.split()) >= 2:
                headline = cut
        return headline, m.group("tag").strip()
    return title, ""


def host_source(url: str) -> str:
    """The host of `url` without "www.", the source to give when nothing names the outlet.

    >>> host_source("https://www.bbc.co.uk/news/world-50000000"), host_source("not a url")
    ('bbc.co.uk', '')
    """
    try:
        host = urlparse(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.") if "." in host else ""


def dateline_agency(text: str) -> str:
    """The agency a body's first sentence names in its dateline, "MOSCOW (Reuters) - ...".

    >>> dateline_agency("WASHINGTON, Jan. 3 (AP) — The president said"), dateline_agency("Paris (CNN)The court")
    ('AP', 'CNN')
    >>> dateline_agency("MOSCOW, February 7. /TASS/. Investigators have seized")
    'TASS'
    >>> dateline_agency("The minister (left) said")
    ''
    """
    m = DATELINE_AGENCY.match(text[:160])
    if not m:
        return ""
    agency = (m.group("agency") or m.group("slashed")).strip()
    return agency if looks_like_outlet(agency) else ""


# -------------------------------------------------------------------------------------------- authors

_PARTICLES = {"de", "da", "di", "del", "der", "van", "von", "al", "el", "bin", "ibn", "la", "le", "du", "dos", "y"}
# Words of an affiliation or a job title, which a byline puts beside the name ("Jane Doe, Search Supervisor")
_AFFILIATION = re.compile(
    r"\b(?:University|College|Institute|School|Center|Centre|Foundation|Staff|Desk|Team|Bureau|Editors?|Correspondents?"
    r"|Reporters?|Contributors?|Writers?|Columnists?|Journalists?|Producers?|Analysts?|Photographers?|Supervisor|Manager"
    r"|Director|President|Chair(?:man|woman)?|Founder|Professor|Chief|Head|Officer|Fellow|Partner|Lecturer|Student"
    r"|Researcher|Scientist|Economist|Strategist|Consultant|Specialist|Advis[eo]r|Senior|Deputy|Associate)\b",
    re.IGNORECASE)


def _person(part: str) -> str:
    """`part` when it reads as a person's name ("Jane Doe", "Ivan Oransky"), else ""."""
    part = part.strip(" .,;:|-–—")
    if part.isupper():
        part = part.title()
    words = part.split()
    if not 2 <= len(words) <= 5 or _AFFILIATION.search(part) or OUTLET_WORDS.search(part):
        return ""
    for w in words:
        if w.lower() in _PARTICLES:
            continue
        if not (w[0].isupper() and re.fullmatch(r"[^\W\d_][\w'’.-]*", w)) or any(ch.isdigit() for ch in w):  # "Álvarez"
            return ""
    return part


def author_names(byline: str) -> str:
    """The people a byline names, joined with ", "; "" when it names none.

    >>> author_names("By Jane Doe and John Roe"), author_names("By JANE DOE, Reuters"), author_names("José Álvarez")
    ('Jane Doe, John Roe', 'Jane Doe', 'José Álvarez')
    >>> author_names("By Ivan Oransky, New York University and Adam Marcus, Johns Hopkins University")
    'Ivan Oransky, Adam Marcus'
    """
    s = re.sub(r"^(?:written |reported |words |story )?by\s+", "", byline.strip(), flags=re.IGNORECASE)
    s = re.split(r"\s+(?:\||·|/|—|–)\s+", s)[0]
    parts = re.split(r"\s*(?:,|;|&|\band\b)\s*", s)
    return ", ".join(dict.fromkeys(p for p in map(_person, parts) if p))


def _names(value: Any) -> list[str]:
    """Names from a JSON value: a string, a list of them, or objects with a "name"."""
    if isinstance(value, str):
        return [" ".join(value.split())] if value.strip() else []
    if isinstance(value, dict):
        if str(value.get("@type", "")).lower().endswith("organization"):  # a newsroom, not a person's byline
            return []
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value[:20] for n in _names(v)]
    return []


# -------------------------------------------------------------------------------- JSON Lines records

_RECORD_FIELDS = {
    "date": ("date", "published", "publish_date", "published_at", "pubdate", "datetime", "date_published"),
    "source": ("source", "outlet", "publisher", "site_name"),
    "author": ("author", "authors", "byline"),
    "url": ("url", "link"),
}


def from_record(rec: Mapping[str, Any]) -> Metadata:
    """The metadata a JSON Lines record gives in its fields; an unparseable date is "".

    >>> from_record({"published": "Jan. 3, 2020", "outlet": "Reuters", "authors": ["Jane Doe", "John Roe"],
    ...              "link": "https://www.reuters.com/x"})
    Metadata(date='2020-01-03', source='Reuters', author='Jane Doe, John Roe', url='https://www.reuters.com/x')
    """
    def first(name: str) -> Any:
        for key in _RECORD_FIELDS[name]:
            v = rec.get(key)
            if v not in (None, "", []):
                return v
        return None

    date = first("date")
    source = first("source")
    if isinstance(source, dict):
        source = source.get("name")
    author = first("author")
    url = first("url")
    authors = author_names(author) if isinstance(author, str) and author.lower().startswith("by ") else ", ".join(_names(author))
    return Metadata(
        date=parse_date(date) if isinstance(date, str) else "",
        source=_text(source),
        author=_clean_value(authors),
        url=_text(url) if _text(url).lower().startswith(("http://", "https://", "www.")) else "",
    )


def _text(v: Any) -> str:
    return _clean_value(str(v)) if isinstance(v, (str, int, float)) and not isinstance(v, bool) else ""


def _clean_value(s: str) -> str:
    return " ".join(re.sub("[\ud800-\udfff]", "\ufffd", s).split())[:300]


# -------------------------------------------------------------------------------------------- HTML

_ARTICLE_TYPES = re.compile(r"^(?:\w*NewsArticle|Article|BlogPosting|Report)$")


def from_html(meta: Mapping[str, str], ld_json: Iterable[str], *, time: str = "", title: str = "",
              byline: str = "") -> Metadata:
    """The metadata an HTML page gives: JSON-LD first, then meta tags, then `<time datetime>` inside
    the article, the byline element's names, and the outlet named in the `<title>`'s tag."""
    ld = _from_ld_json(ld_json)
    url = ld.url or meta.get("og:url", "") or meta.get("canonical", "")
    date = ld.date or next((d for key in ("article:published_time", "og:published_time", "datepublished", "date",
                                          "pubdate", "publishdate", "publish-date", "dc.date", "dc.date.issued",
                                          "sailthru.date", "parsely-pub-date") if (d := parse_date(meta.get(key, "")))),
                           "") or parse_date(time)
    author = ld.author or _first_meta_author(meta) or author_names(" ".join(byline.split()))
    source = ld.source or _clean_value(meta.get("og:site_name", ""))
    if not source and title:
        source = title_outlet(title, host=host_source(url))[1]
    return Metadata(date=date, source=source, author=author, url=_clean_value(url))


def _first_meta_author(meta: Mapping[str, str]) -> str:
    for key in ("author", "article:author", "byl", "parsely-author", "dc.creator", "sailthru.author"):
        if name := _meta_author(meta.get(key, "")):
            return name
    return ""


def _meta_author(value: str) -> str:
    """A meta tag's people: names, not a profile URL nor the newsroom ("BBC News")."""
    value = " ".join(value.split())
    if not value or re.match(r"(?i)^(?:https?://|www\.)", value) or "/" in value:
        return ""
    return author_names(value)


def _from_ld_json(scripts: Iterable[str]) -> Metadata:
    found = Metadata()
    for script in scripts:
        try:
            data = json.loads(script)
        except (ValueError, RecursionError):
            continue
        for obj in _ld_objects(data):
            found = found.merged(_ld_article(obj))
    return found


def _ld_objects(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Article objects in a JSON-LD document: at its top, in a list, or inside "@graph"."""
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data[:50]:
            yield from _ld_objects(item, depth + 1)
    elif isinstance(data, dict):
        types = data.get("@type", [])
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and _ARTICLE_TYPES.match(t) for t in types):
            yield data
        if "@graph" in data:
            yield from _ld_objects(data["@graph"], depth + 1)


def _ld_article(obj: dict[str, Any]) -> Metadata:
    publisher = obj.get("publisher")
    publisher_names = _names(publisher if not isinstance(publisher, dict) else {"name": publisher.get("name")})
    page = obj.get("mainEntityOfPage")
    url = obj.get("url") or (page.get("@id") if isinstance(page, dict) else page)
    date = obj.get("datePublished") or obj.get("dateCreated")
    return Metadata(
        date=parse_date(date) if isinstance(date, str) else "",
        source=_clean_value(publisher_names[0]) if publisher_names else "",
        author=_clean_value(", ".join(dict.fromkeys(_names(obj.get("author"))))),
        url=_clean_value(url) if isinstance(url, str) and url.startswith(("http://", "https://")) else "",
    )


# ------------------------------------------------------------------------------- plain-text heads

# How many non-empty lines at the top can hold metadata before the body proper begins.
HEAD_LINES = 8
LABELLED = re.compile(r"^(?P<label>source|outlet|publisher|site|author|authors|byline|written by|url|link|"
                      r"original url|source url)\s*:\s*(?P<value>.+)$", re.IGNORECASE)


def read_head(text: str, *, title: str = "", host: str = "") -> Head:
    """The metadata lines at the top of an article's text (date line, byline, URL line, labelled lines),
    and the text without them. It stops at the body proper: a date or name inside a sentence or a
    caption is not read.

    >>> h = read_head("By Jane Doe\\nJan. 2, 2020\\n\\nThe story starts here, on Jan. 1, 2020.")
    >>> h.meta, h.body
    (Metadata(date='2020-01-02', source='', author='Jane Doe', url=''), '\\nThe story starts here, on Jan. 1, 2020.')
    >>> [r.rule for r in h.removed]
    ['byline', 'dateline']
    """
    lines = text.split("\n")
    content = [i for i, ln in enumerate(lines) if ln.strip()][:HEAD_LINES]
    found = updated = Metadata()
    drop: dict[int, str] = {}
    names: list[int] = []  # bare name lines: a byline only beside other metadata
    meta_lines: set[int] = set()  # metadata or label-only lines ("Updated:"), which a bare name may sit beside
    for pos, i in enumerate(content):
        s = " ".join(lines[i].split())
        rule, meta = _head_line(s, title=title, host=host)
        if rule == "body":
            break
        if rule in ("skip", "other"):  # the cleaner's boilerplate, or a short line: the head goes on past it
            if DATE_LABEL.match(s):
                meta_lines.add(pos)
            continue
        if rule == "name":
            names.append(pos)
            continue
        meta_lines.add(pos)
        drop[i] = rule
        label = DATE_LABEL.match(s)
        if meta.date and label and re.search(r"(?i)updated|modified", label.group("label")):
            updated = updated.merged(Metadata(date=meta.date))  # a publication date, when there is one, wins
            meta = replace(meta, date="")
        found = found.merged(meta)
    for pos in names:
        s = " ".join(lines[content[pos]].split())
        beside = {pos - 1, pos + 1} & meta_lines or (
            pos + 1 < len(content) and JOB_TITLE.match(" ".join(lines[content[pos + 1]].split())))
        if beside and not found.author and (name := author_names(s)):
            found = replace(found, author=name)
            drop[content[pos]] = "byline"
    removed = tuple(Removal(rule, " ".join(lines[i].split())) for i, rule in sorted(drop.items()))
    body = "\n".join(ln for i, ln in enumerate(lines) if i not in drop)
    return Head(found.merged(updated), body, removed)


def _head_line(s: str, *, title: str, host: str) -> tuple[str, Metadata]:
    """What one line near the top is, and what it says: "dateline", "byline", "link" or "outlet" for
    a metadata line (the name of the rule that removes it); "name" for a bare name; "skip" for the
    cleaner's boilerplate; "other" for a short line that is neither; "body" where the body begins."""
    none = Metadata()
    if title and s.casefold() == title.casefold():
        return "skip", none
    if URL_ONLY.match(s):
        return ("link", Metadata(url=s)) if s.lower().startswith("http") else ("skip", none)
    m = LABELLED.match(s)
    if m:
        label, value = m.group("label").lower(), m.group("value").strip()
        if label in ("url", "link", "original url", "source url"):
            ok = URL_ONLY.match(value) and value.lower().startswith("http")
            return ("link", Metadata(url=value)) if ok else ("skip", none)
        if label in ("author", "authors", "byline", "written by"):
            return ("byline", Metadata(author=names)) if (names := author_names(value)) else ("skip", none)
        return ("outlet", Metadata(source=value)) if len(value) <= 60 else ("body", none)
    # a line of parts: "Jan. 2, 2020 | Updated 2 hours ago", "By Jane Doe · Reuters · 3 Jan 2020"
    parts = [p for p in re.split(r"\s+(?:\||·|/)\s+", s) if p] if len(s) <= 160 else [s]
    found, rule = none, ""
    for part in parts:
        if date := parse_date(part):
            found, rule = found.merged(Metadata(date=date)), rule or "dateline"
        elif BY_PREFIX.match(part) and not part.endswith((".", "?", "!", ":")) and (people := author_names(part)):
            found, rule = found.merged(Metadata(author=people)), rule or "byline"
        elif len(parts) > 1 and looks_like_outlet(part, host=host):
            found, rule = found.merged(Metadata(source=part.strip())), rule or "outlet"
        elif not (len(parts) > 1 and CHROME.match(part)):
            break
    else:
        if rule:
            return rule, found
    if len(s) <= 120 and BY_PREFIX.match(s) and not s.endswith((".", "?", "!", ":")):
        return ("byline", Metadata(author=people)) if (people := author_names(s)) else ("skip", none)
    if len(s) <= 60 and BYLINE.match(s) and not s.endswith((".", "?", "!", "”", '"', ":")) and author_names(s):
        return "name", none
    if len(s) <= 120 and CHROME.match(s) or len(s) <= 400 and (PROMO.match(s) or CAPTION.search(s)):
        return "skip", none
    if len(s) <= 80 and len(s.split()) <= 12 and not s.endswith((".", "?", "!", "”", '"')):
        return "other", none
    return "body", none


def with_source(meta: Metadata, *, title: str, body: str, copyright_owner: str = "") -> tuple[Metadata, str]:
    """`meta` with its outlet filled in, in order of trust: what the input names, the title's tag, the
    copyright line's owner, the URL's host, then the dateline's agency. Returns it and the title
    without its outlet tag."""
    # a lead sentence shortened to a title ("... for TV …") has no tag
    headline, tagged = title_outlet(title, host=host_source(meta.url)) if not title.endswith("…") else (title, "")
    if meta.source:
        # the tag repeats the named outlet: take it off the headline
        return meta, headline if tagged and tagged.casefold() == meta.source.casefold() else title
    # a "title" that opens with a dateline is the article's lead sentence
    source = tagged or copyright_owner or host_source(meta.url) or dateline_agency(body.lstrip()) or dateline_agency(title)
    return replace(meta, source=source), headline if tagged else title
