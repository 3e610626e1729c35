"""Lexical terms: the words BM25 matches on, shared by the index and the answer's scoring.

Lower-cased words and numbers ("20,000" becomes "20000"), English stop words dropped, each word
stemmed (Snowball English, via PyStemmer), so "killing" and "killed" meet; dotted abbreviations and
initials lose their dots, so "U.S." meets "US" and "J. K." meets "J.K."; and British spellings are
read as American ones ("organise", "defence", "colour", "centre" meet "organize", "defense", "color",
"center"), as news from both sides of the Atlantic sits in one index and readers ask in either. The
same function runs at index time and at query time, which is what makes the lexical index
consistent; changing it needs a new TERMS_VERSION, and an index cut by an older one has its lexical
file rebuilt from its chunk texts (rag/migrations.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

TERMS_VERSION = 2  # 2: dotted abbreviations are one word ("U.S." was "u"); British spellings folded; "say" a stop word

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves s t don say said says also according else along besides much many
    whose whether within without upon via yet ever every either neither still even""".split()
)

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
# "u.s.", "u.k", "e.g.", and initials however spaced: "j.k." and "j. k." are both "jk" (one letter alone is dropped)
_DOTTED = re.compile(r"\b[^\W\d_](?:\.[^\W\d_])+\b\.?|\b[^\W\d_]\.(?:\s[^\W\d_]\.)+")
_stemmer = Stemmer.Stemmer("english")
# British spellings and their American forms, on whole lower-case words. "-ise" needs three letters
# before it, so "rise", "raise", "wise" stay; a word with no "-ize" form ("promise") folds to nothing
# that exists, which matches as before. "-our" and "-re" are listed word by word: "four", "hour",
# "tour", "metre" beside "meter" would otherwise meet other words.
_BRITISH = [
    (re.compile(r"^([^\W\d_]{3,}?)is(e|ed|es|ely|ing|ingly|ation|ations|ational|er|ers)$"), r"\1iz\2"),
    (re.compile(r"^(ana|para|cata)lys(e|ed|es|ing)$"), r"\1lyz\2"),
    (re.compile(r"^(colo|favo|labo|hono|behavio|neighbo|rumo|harbo|armo|vigo|endeavo|savo|flavo|savio|humo|odo|"
                r"parlo|valo|splendo|tumo|clamo|ranco|cando|fervo|ardo|demeano)ur(.*)$"), r"\1r\2"),
    (re.compile(r"^(defen|offen|preten)ce(s?)$"), r"\1se\2"),
    (re.compile(r"^licenc(e|es|ed|ing)$"), r"licens\1"),
    (re.compile(r"^(cent|theat|lit|fib|calib|somb|spect|lust|sab|meag)re(s|d)?$"), r"\1er\2"),
    (re.compile(r"^programme(s|d)?$"), r"program\1"),
    (re.compile(r"^(ju|ackno[wl]le|abri)dgement(s?)$"), r"\1dgment\2"),
]


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    for pattern, american in _BRITISH:
        word = pattern.sub(american, word)
    stem: str = _stemmer.stemWord(word)
    return stem


def _fold(word: str) -> str:
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def terms(text: str) -> list[str]:
    """Index terms of `text`, in order.

    >>> terms("The U.S. killed 20,000 members; Putin's killing")
    ['us', 'kill', '20000', 'member', 'putin', 'kill']
    """
    out = []
    text = text.lower()
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group(0).replace(".", "").replace(" ", ""), text)
    for m in _TOKEN.finditer(text):
        w = m.group(0)
        if w[0].isdigit():
            out.append(w.replace(",", ""))
            continue
        w = re.sub(r"['’]s$", "", w).replace("’", "'")
        if w in STOPWORDS or len(w) == 1:
            continue
        out.append(_stem(_fold(w)).replace("'", ""))
    return [t for t in out if t]
