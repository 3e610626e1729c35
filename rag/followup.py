"""Follow-ups: turn "what did he say next?" into a question that stands on its own, before retrieval.

With an LLM configured, one short call rewrites the question from the last few turns of the chat; a
reply that is not a usable question keeps the question as asked, and a server fault is passed back so
the caller answers extractively at once instead of waiting on the same server a second time.

Without an LLM the rewrite is deterministic and cheap: when the question leans on the chat (a pronoun
such as "he", "they", "it", "that", or a word like "next"), the names and numbers of the latest user
turn that has any are appended in brackets, so retrieval finds the same people and places again:
"What did he say next? (Putin, Soleimani)". Anything subtler is left to the LLM rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import LLMError, RagError
from .llm import reply
from .question import clean_query
from .settings import Settings

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

TURNS = 3  # how many earlier exchanges the rewrite sees
TURN_CHARS = 600  # each side of an exchange is cut to this many characters

REWRITE = """You rewrite a follow-up question from a conversation about news articles so that it can be understood without the conversation.
Replace pronouns and vague references with the people, places and things they refer to.
Reply with the rewritten question only, on one line. Do not answer it. If it already stands on its own, repeat it unchanged."""

_LEANS = re.compile(r"\b(he|she|him|her|his|hers|they|them|their|it|its|that|this|those|these|there|then|next|"
                    r"else|more|again|also|same|former|latter)\b", re.IGNORECASE)
# A rewrite must still be a question: it ends with "?" or opens as one does.
_A_QUESTION = re.compile(r"\?\s*$|^(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|did|does|do|has|have|"
                         r"had|can|could|will|would|should|summari[sz]e|describe|list|name|tell)\b", re.IGNORECASE)
_MARKS = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def standalone_question(question: str, history: Sequence[Any], settings: Settings) -> tuple[str, LLMError | None]:
    """`question` rewritten to stand alone given `history`, and the LLM fault that stopped a rewrite, if any.

    >>> standalone_question("What did he say next?", [("What did Putin tell Macron?", "...")], Settings())
    ('What did he say next? (Putin, Macron)', None)
    """
    turns = _turns(history)
    if not turns:
        return question, None
    if settings.llm_enabled:
        try:
            return _llm_rewrite(question, turns, settings), None
        except LLMError as e:
            return question, e
    return _names_rewrite(question, turns), None


def _turns(history: Sequence[Any]) -> list[tuple[str, str]]:
    """(user, assistant) pairs from pairs or from {"role", "content"} messages (OpenAI's and Gradio's chat
    shape); anything else in `history` is ignored."""
    pairs: list[tuple[str, str]] = []
    for item in history:
        if isinstance(item, dict):
            content = item.get("content")
            if isinstance(content, list):  # typed parts, as Gradio 6 may hand them over: their text
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
            content = content if isinstance(content, str) else ""
            if item.get("role") == "user":
                pairs.append((content, ""))
            elif item.get("role") == "assistant" and pairs and not pairs[-1][1]:
                pairs[-1] = (pairs[-1][0], content)
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            pairs.append(tuple(x if isinstance(x, str) else "" for x in item))  # type: ignore[arg-type]
    return [p for p in pairs if p[0].strip()][-TURNS:]


def _llm_rewrite(question: str, turns: list[tuple[str, str]], settings: Settings) -> str:
    chat = "\n".join(f"User: {u[:TURN_CHARS]}\nAssistant: {_MARKS.sub('', a)[:TURN_CHARS]}" for u, a in turns)
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": REWRITE},
        {"role": "user", "content": f"Conversation:\n{chat}\n\nFollow-up question: {question}\n\nStandalone question:"}]
    text = "".join(reply(messages, settings, stream=False, max_tokens=96))
    line = next((x for x in text.splitlines() if x.strip()), "")
    line = re.sub(r"^\s*(standalone question|question)\s*:\s*", "", line, flags=re.IGNORECASE).strip(" \"'“”")
    if not _A_QUESTION.search(line):  # a statement ("Putin and Macron agreed on ..."): not a rewrite
        return question
    try:
        return clean_query(line, max_chars=settings.max_question_chars)
    except RagError:  # an empty or overlong rewrite: the question as asked is the better bet
        return question


def _names_rewrite(question: str, turns: list[tuple[str, str]]) -> str:
    if not _LEANS.search(question):
        return question
    have = question.lower()
    for user, _ in reversed(turns):
        names = [n for n in dict.fromkeys(_names(user)) if n.lower() not in have]
        if names:
            return f"{question} ({', '.join(names)})"
    return question


def _names(text: str) -> list[str]:
    """Capitalised words past the first, and numbers: the people, places and figures a question names."""
    words = [w.strip(",;:!?’'\"()-") for w in text.split()]
    words = [w[:-1] if w.endswith(".") and "." not in w[:-1] else w for w in words]  # "U.S." keeps its dots
    return [w for i, w in enumerate(words) if len(w) > 1 and ((w[0].isupper() and i > 0) or any(c.isdigit() for c in w))]
