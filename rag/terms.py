"""Lexical terms: the words BM25 matches on, shared by the index and the answer's scoring.

Lower-cased words and numbers ("20,000" becomes "20000"), English stop words dropped, each word
stemmed (Snowball English, via PyStemmer), so "killing" and "killed" meet. The same function runs
at index time and at query time, which is what makes the lexical index consistent; changing it
needs a new index format version.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

TERMS_VERSION = 1

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves s t don said says also according else along besides much many
    whose whether within without upon via yet ever every either neither still even""".split()
)

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    stem: str = _stemmer.stemWord(word)
    return stem


def _fold(word: str) -> str:
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def terms(text: str) -> list[str]:
    """Index terms of `text`, in order.

    >>> terms("The U.S. killed 20,000 members; Putin's killing")
    ['u', 'kill', '20000', 'member', 'putin', 'kill']
    """
    out = []
    for m in _TOKEN.finditer(text.lower()):
        w = m.group(0)
        if w[0].isdigit():
            out.append(w.replace(",", ""))
            continue
        w = re.sub(r"['’]s$", "", w).replace("’", "'")
        if w in STOPWORDS or len(w) == 1 and w not in {"u"}:
            continue
        out.append(_stem(_fold(w)).replace("'", ""))
    return [t for t in out if t]
