"""When: the days a question names ("on Jan. 3", "last week of February 2017", "before 5 March"), as the
date range that filters its search, and the answer that says it searched only those days.

Only a month with a day, a week of a month or a month with a preposition ("in March") is taken: a bare
year or a number is too often part of the subject ("the 2019 election", "Resolution 2231"). A day without
a year takes the latest year the indexed articles were published in; an index without dates gets no
filter at all. A date relative to an event ("before the strike", "since the election") is found by
`named_event`; the index dates the event by the earliest article that reports it (rag/index.py).
"""

from __future__ import annotations

import calendar
import dataclasses
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple

from .answer import NOT_FOUND
from .terms import terms
from .types import Answer, DateRange

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_MON = r"(?P<{0}>january|february|march|april|may|june|july|august|september|october|november|december|" \
       r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_DAY = r"(?P<{0}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{0}>(?:19|20)\d\d)"


def _day(tag: str) -> str:
    """One day: "Jan. 3", "January 3rd, 2020", "3 January 2020", "2020-01-03" (named groups end in `tag`)."""
    m, d, y = (f"{g}{tag}" for g in ("m", "d", "y"))
    return (rf"(?:{_MON.format(m)}\s+{_DAY.format(d)}(?:,?\s+{_YEAR.format(y)})?"
            rf"|{_DAY.format(d + 'b')}\s+(?:of\s+)?{_MON.format(m + 'b')}(?:,?\s+{_YEAR.format(y + 'b')})?"
            rf"|(?P<iso{tag}>(?:19|20)\d\d-[01]\d-[0-3]\d))")


_ORDINAL = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "last": -1}
_PATTERNS = [
    ("between", re.compile(rf"\b(?:between|from)\s+{_day('1')}\s+(?:and|to|until|through)\s+{_day('2')}", re.I)),
    ("span", re.compile(rf"\b{_MON.format('m')}\s+(?P<d1>[0-3]?\d)\s*[-–]\s*(?P<d2>[0-3]?\d)(?:,?\s+{_YEAR.format('y')})?\b", re.I)),
    ("week", re.compile(rf"\b(?P<nth>first|1st|second|2nd|third|3rd|fourth|4th|last)\s+week\s+of\s+"
                        rf"{_MON.format('m')}(?:,?\s+{_YEAR.format('y')})?", re.I)),
    ("open", re.compile(rf"\b(?P<rel>before|after|since|until|till|up to)\s+(?:the\s+)?{_day('1')}", re.I)),
    ("day", re.compile(rf"\b{_day('1')}(?![\w-])", re.I)),
    ("month", re.compile(rf"\b(?:in|during|throughout|of|for)\s+(?:early\s+|late\s+|mid-?)?{_MON.format('m')}"
                         rf"(?:,?\s+{_YEAR.format('y')})?\b", re.I)),
]


class Named(NamedTuple):
    dates: DateRange  # the range the question names
    rest: str  # the question without the words that name it, for retrieval and answering


def named_dates(question: str, years: Sequence[int]) -> Named | None:
    """The date range `question` names and the question without it, or None; `years` are those the
    articles were published in (none: the articles have no dates, so nothing to filter by).

    >>> named_dates("What did Russia say on Jan. 3?", [2019, 2020])
    Named(dates=DateRange(since=datetime.date(2020, 1, 3), until=datetime.date(2020, 1, 3)), rest='What did Russia say?')
    >>> named_dates("What happened in the last week of February 2017?", [2020]).dates.label()
    '22-28 Feb 2017'
    >>> named_dates("Who was elected in 2019?", [2019]) is None, named_dates("on Jan. 3", []) is None
    (True, True)
    """
    if not years:
        return None
    default_year = max(years)
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(question):
            found = _range(kind, m, default_year)
            if found is not None:
                a, b = m.span()
                # with its preposition ("on", "in the"), so what is left reads as a question
                head = re.sub(r"(?i)\b(?:on|in|during|throughout|of|for|from)(?:\s+the)?\s*$", "", question[:a])
                return Named(found, _joined(head, question[b:], question))
    return None


def _joined(head: str, tail: str, question: str) -> str:
    """The question with the words between `head` and `tail` cut out, reading as a question; the
    whole `question` when nothing would be left."""
    rest = re.sub(r"\s+([?.!,])", r"\1", " ".join(f"{head.rstrip()} {tail.lstrip()}".split()))
    return rest if re.search(r"\w", rest) else question


def _range(kind: str, m: re.Match[str], year: int) -> DateRange | None:
    g = m.groupdict()
    try:
        if kind == "between":
            a, b = _date(g, "1", year), _date(g, "2", year)
            return DateRange(a, b) if a and b and a <= b else None
        if kind == "span":
            y, mon = int(g["y"] or year), _MONTHS[g["m"].lower()]
            return DateRange(date(y, mon, int(g["d1"])), date(y, mon, int(g["d2"])))
        if kind == "week":
            y, mon = int(g["y"] or year), _MONTHS[g["m"].lower()]
            last = calendar.monthrange(y, mon)[1]
            nth = _ORDINAL[g["nth"].lower()]
            first = last - 6 if nth < 0 else 1 + 7 * nth
            return DateRange(date(y, mon, first), date(y, mon, min(first + 6, last)))
        if kind == "open":
            d = _date(g, "1", year)
            if d is None:
                return None
            rel = g["rel"].lower()
            if rel == "before":
                return DateRange(None, d - timedelta(days=1))
            if rel == "after":
                return DateRange(d + timedelta(days=1), None)
            return DateRange(d, None) if rel == "since" else DateRange(None, d)
        if kind == "day":
            d = _date(g, "1", year)
            return DateRange(d, d) if d else None
        if kind == "month":
            name = g["m"].lower()
            if name == "may" and not g["y"]:  # "in May" may be the verb's neighbour; "in May 2020" is a month
                return None
            y, mon = int(g["y"] or year), _MONTHS[name]
            return DateRange(date(y, mon, 1), date(y, mon, calendar.monthrange(y, mon)[1]))
    except ValueError:  # Feb 30, day 0
        return None
    return None


def _date(g: dict[str, str | None], tag: str, year: int) -> date | None:
    """The day matched by `_day(tag)`'s groups."""
    if iso := g.get(f"iso{tag}"):
        return date.fromisoformat(iso)
    for suffix in ("", "b"):
        mon, day = g.get(f"m{tag}{suffix}"), g.get(f"d{tag}{suffix}")
        if mon and day:
            y = g.get(f"y{tag}{suffix}")
            return date(int(y) if y else year, _MONTHS[mon.lower()], int(day))
    return None


# Words that name an event a question may date itself by: "before the strike", "after the killing of X".
_EVENT_NOUNS = frozenset("""strike strikes attack attacks killing killings election elections vote referendum meeting
summit talks ruling verdict decision announcement speech protest protests riot riots crash explosion blast fire
earthquake quake storm hurricane flood war invasion ceasefire truce deal agreement accord resignation death funeral
arrest trial hearing raid bombing shooting assassination coup inauguration debate scandal visit launch release
outbreak lockdown ban sanctions leak match final game race tournament crisis collapse merger takeover reshuffle
ceremony wedding massacre uprising revolution shutdown veto impeachment indictment sentencing execution kidnapping
hijacking siege offensive airstrike airstrikes incursion downing sinking derailment budget arguments
appeal appeals lawsuit injunction order""".split())
_TIME_NOUNS = frozenset("year years month months week weeks day days weekend end start beginning deadline time "
                        "hours minutes season quarter century decade".split())
_EVENT = re.compile(r"\b(?P<rel>before|after|since|until|till|prior to|following|ahead of)\s+"
                    r"(?P<ev>(?:the|a|an|his|her|their|its|this|that|last|[A-Z][\w’'-]*(?:'s|’s))\s+[^?,.!;]{2,60}?)"
                    r"\s*(?=[?,.!;]|$|\s(?:and|or|when|where|while)\b)", re.I)


class Event(NamedTuple):
    relation: str  # "before" or "after": which side of the event the question asks about
    event: str  # the words that name it ("the strike")
    rest: str  # the question without them


def named_event(question: str) -> Event | None:
    """The event `question` dates itself by ("What did Iran say before the strike?"), None when it names
    none: the phrase after before/after/since/until must hold a word for an event (strike, election,
    talks, ruling ...) in its first words and none for a time ("before the end of the year").

    >>> named_event("What did Iran say before the strike?")
    Event(relation='before', event='the strike', rest='What did Iran say?')
    >>> named_event("Who spoke after the killing of Soleimani?").event
    'the killing of Soleimani'
    >>> named_event("He appeared before the court.") is None, named_event("What happened before the end of the year?") is None
    (True, True)
    """
    for m in _EVENT.finditer(question):
        words = [w.lower().strip("’'") for w in re.findall(r"[\w’'-]+", m.group("ev"))]
        if not set(words[:4]) & _EVENT_NOUNS or set(words) & _TIME_NOUNS:
            continue
        rel = m.group("rel").lower()
        relation = "before" if rel in ("before", "until", "till", "prior to", "ahead of") else "after"
        return Event(relation, m.group("ev").strip(), _joined(question[:m.start()], question[m.end():], question))
    return None


def event_range(event: Event, day: date) -> DateRange:
    """The days before the event first reported on `day` (not that day), or from that day on."""
    return DateRange(None, day - timedelta(days=1)) if event.relation == "before" else DateRange(day, None)


# "feb" and "sept" -> the term of the month's name
_MONTH_TERMS = {terms(m[:n])[0]: terms(m)[0] for m in _MONTHS for n in (3, 4) if terms(m[:n]) and terms(m)}


def _date_terms(text: str) -> set[str]:
    """The terms of `text` with month abbreviations as the month ("Feb." -> February), ordinal endings dropped."""
    out = set()
    for t in terms(text):
        if t in ("st", "nd", "rd", "th"):
            continue
        out.add(_MONTH_TERMS.get(t, t))
    return out


def mentions(text: str, words: str, share: float = 1.0) -> bool:
    """True when `text` holds at least `share` of the terms of `words` (a date as a question wrote it:
    "on Feb. 3", "in June 2013"; or the event it named): the days a question names may be those of
    the event it asks about rather than of the articles that report it, which then say so.

    >>> mentions("In June 2013 a suicide bomber killed 17 people.", "in June 2013")
    True
    >>> mentions("Trump spoke on Monday.", "on March 19")
    False
    >>> mentions("Reserves fell in November, the fifth month in a row.", "in November 2016")
    True
    """
    want = _date_terms(words)
    if any(not re.fullmatch(r"(?:19|20)\d\d", t) for t in want):  # "in November 2016": "in November" will do
        want = {t for t in want if not re.fullmatch(r"(?:19|20)\d\d", t)}
    have = _date_terms(text)
    return bool(want) and len(want & have) >= share * len(want)


def scoped(answer: Answer, dates: DateRange | None, outlets: Sequence[str] = (), why: str = "") -> Answer:
    """`answer` saying that it comes only from the articles of `dates` and `outlets`, which the question
    named ("Articles from 3 Jan 2020: ...", "Articles from bbc.co.uk: ...")."""
    parts = [", ".join(outlets)] if outlets else []
    if dates:
        parts.append(dates.label() + (f" ({why})" if why else ""))
    span = ", ".join(parts)
    span = f"from {span}" if outlets or (dates and dates.since and dates.until) else span  # "since 3 Jan 2020"
    what = "the outlets and dates" if outlets and dates else "the outlets" if outlets else "the dates"
    if answer.answer == NOT_FOUND:
        notice = f"Searched only articles {span}, {what} the question names. {answer.notice}".strip()
        return dataclasses.replace(answer, notice=notice, dates=dates or answer.dates)
    return dataclasses.replace(answer, answer=f"Articles {span}: {answer.answer}", dates=dates or answer.dates)
