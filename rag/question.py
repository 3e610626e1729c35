"""Question: what a question or query is before retrieval sees it: cleaned text, or an `InputError`
saying what is wrong with it (not text, not UTF-8, empty, too long, no words)."""

from __future__ import annotations

import re
import unicodedata

from .errors import InputError

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # terminal colour and cursor codes pasted with a question


def clean_query(text: object, *, max_chars: int, what: str = "question") -> str:
    """The query as it will be searched, or an InputError saying what is wrong with it."""
    if not isinstance(text, str):
        raise InputError(f"the {what} must be text")
    # Lone surrogates are what undecodable bytes become (argv, stdin, "\\udcff" in JSON).
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise InputError(f"the {what} is not valid UTF-8 text; send it as UTF-8")
    text = _ANSI.sub(" ", text)
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    text = " ".join(text.split())
    if not text:
        raise InputError(f"the {what} is empty; type a {what}")
    if len(text) > max_chars:
        raise InputError(
            f"the {what} is {len(text):,} characters; the limit is {max_chars:,} (RAG_MAX_QUESTION_CHARS): shorten it"
        )
    if not re.search(r"\w", text):
        raise InputError(f"the {what} has no words in it; type a {what}")
    return text
