"""One settings object for the whole pipeline: defaults, then `RAG_*` environment variables, then flags.

Build it once at the edge (CLI, app, HTTP server, a test) and pass it down; no module reads the
environment on its own.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, Literal, NoReturn

from .errors import InputError, SettingsError
from .types import DateRange

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Files derived from the model (its ONNX graph for questions), rebuilt when missing.
DEFAULT_CACHE_DIR = Path("~/.cache/rag")
QUERY_ENCODERS = ("onnx-int8", "onnx", "torch")
PASSAGE_ENCODERS = ("onnx", "torch")
SPAN_BACKENDS = ("rules", "spacy")
MAX_K = 100  # passages a search or question may ask for (k), at every face


@dataclass(frozen=True)
class Settings:
    """Every knob of the pipeline; `Settings.load()` applies the environment and overrides."""

    index_dir: Path = Path("index")
    # Where the index lives: "" for the embedded store in index_dir (FAISS + BM25 + SQLite), or Milvus:
    # milvus:///abs/path/rag.db or milvus://./rag.db (milvus-lite), milvus://host:19530 (a server); rag/milvus.py.
    store: str = ""
    # Embedding: a sentence-transformers name or a local path. The default is shipped in a package.
    model: str = DEFAULT_MODEL
    # "auto": the GPU when the machine has one, else the CPU; or "cpu", "cuda", "cuda:1", ...
    device: str = "auto"
    # Texts per forward pass on the CPU (a GPU takes GPU_BATCH_FACTOR times more): small batches of
    # like length measured fastest on the CPU (README "Build speed").
    batch_size: int = 8
    # Questions: "onnx-int8" (ONNX Runtime, int8 weights), "onnx" (ONNX Runtime, float32) or "torch".
    # Passages: "onnx" (ONNX Runtime, float32, fused graph: the same vectors as torch, faster) or "torch".
    # See rag/embed.py and README "Query encoder" and "Build speed".
    query_encoder: str = "onnx-int8"
    passage_encoder: str = "onnx"
    cache_dir: Path = DEFAULT_CACHE_DIR
    # Chunking: token budget (tiktoken) and overlap; the embedder's own limit is enforced on top.
    encoding: str = "cl100k_base"
    chunk_tokens: int = 160
    chunk_overlap: int = 40
    # Retrieval: how many passages, how many candidates each retriever brings, how they are fused.
    k: int = 5
    candidates: int = 50
    dense_weight: float = 0.5
    dedupe_threshold: float = 0.95
    # Optional second stage (rag/rerank.py): a cross-encoder name or path, off when empty.
    reranker: str = ""
    rerank_depth: int = 20
    # Answering: below this evidence score the corpus is taken not to hold the answer. Set where the
    # measured answerable and unanswerable evidence scores cross (README, "Quality"): fewest errors of
    # both kinds on HotpotQA questions asked of their own paragraphs and of a news index.
    ground_threshold: float = 0.41
    max_answer_sentences: int = 3
    answer_mode: Literal["auto", "extractive"] = "auto"
    # What finds the names, dates and numbers a factoid's answer is picked by (rag/spans.py): "rules"
    # (regexes, no model) or "spacy" (spaCy's small English NER, an optional install; rag/ner.py).
    spans: Literal["rules", "spacy"] = "rules"
    # LLM (any OpenAI-compatible server); no base URL means extractive answers only.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0
    llm_context_tokens: int = 3000
    # Indexing on a Ray cluster (rag/distributed.py): "" builds here; "local" starts a cluster on this
    # machine, "auto" joins the one `ray start` set up here, else a cluster address (host:port, ray://...).
    ray_address: str = ""
    # Embedding actors on the cluster; 0: one per GPU when it has GPUs, else one per CPU.
    ray_actors: int = 0
    # Limits on input, so that one bad file or request cannot exhaust the machine.
    max_file_bytes: int = 20_000_000
    max_question_chars: int = 2000
    # HTTP API and app: "user:password" turns on basic auth for every route; empty leaves them open.
    auth: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `RAG_<FIELD>` variables from `env` (default: os.environ), then `overrides`.

        >>> Settings.load(env={"RAG_K": "8"}).k
        8
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, raw, cls.__dataclass_fields__[f.name].default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("index_dir", "cache_dir"):
            if name in values:
                values[name] = Path(values[name])
        settings = cls(**values)
        settings.validate()
        return settings

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (None values are ignored)."""
        changed = dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})
        changed.validate()
        return changed

    def validate(self) -> None:
        if self.store:
            from .milvus import parse_url  # here, not at the top: it needs this module's neighbours

            parse_url(self.store)
        if not 1 <= self.rerank_depth <= 100:
            raise SettingsError(f"rerank_depth is {self.rerank_depth}; rerank 1 to 100 passages (RAG_RERANK_DEPTH)")
        check_query_encoder(self.query_encoder)
        check_passage_encoder(self.passage_encoder)
        if not 1 <= self.batch_size <= 4096:
            raise SettingsError(f"batch_size is {self.batch_size}; use 1 to 4096 texts a batch (RAG_BATCH_SIZE, default 8)")
        if self.chunk_tokens < 16:
            raise SettingsError(f"chunk_tokens is {self.chunk_tokens}; use 16 or more (RAG_CHUNK_TOKENS)")
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise SettingsError(
                f"chunk_overlap is {self.chunk_overlap}; use 0 up to chunk_tokens-1 ({self.chunk_tokens - 1})"
            )
        if not 1 <= self.k <= MAX_K:
            raise SettingsError(f"k is {self.k}; use a number of passages from 1 to {MAX_K} (RAG_K)")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise SettingsError(f"dense_weight is {self.dense_weight}; use a number from 0 to 1")
        if self.answer_mode not in ("auto", "extractive"):
            raise SettingsError(f"answer_mode is {self.answer_mode!r}; use 'auto' or 'extractive'")
        check_spans(self.spans)
        if self.auth and (":" not in self.auth or self.auth.startswith(":")):
            raise SettingsError("auth must look like user:password (RAG_AUTH); unset it to serve without auth")
        if self.llm_context_tokens < 256:
            raise SettingsError(f"llm_context_tokens is {self.llm_context_tokens}; use 256 or more (RAG_LLM_CONTEXT_TOKENS)")
        if self.ray_actors < 0:
            raise SettingsError(f"ray_actors is {self.ray_actors}; use 0 (one per CPU or GPU) or more (RAG_RAY_ACTORS)")
        if self.llm_timeout <= 0:
            raise SettingsError(f"llm_timeout is {self.llm_timeout}; use a positive number of seconds")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url) and self.answer_mode == "auto"


def check_k(k: int) -> int:
    """`k` when it is a number of passages one may ask for, else an InputError saying the range."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InputError(f"k is {k!r}; ask for 1 to {MAX_K} passages")
    return k


def check_day(value: object, name: str) -> date | None:
    """A day given as `since` or `until` (ISO "2020-01-03"; a datetime's day counts), None when not given;
    anything else is an InputError that says the form.

    >>> check_day("2020-01-03", "since"), check_day(None, "until"), check_day("2020-01-03T10:00:00Z", "since")
    (datetime.date(2020, 1, 3), None, datetime.date(2020, 1, 3))
    """
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?", text):
            try:
                return date.fromisoformat(text[:10])
            except ValueError:  # 2020-02-30
                pass
    _bad_day(value, name)


def _bad_day(value: object, name: str) -> NoReturn:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise InputError(f"{name} is {shown}; give a day as YYYY-MM-DD, e.g. 2020-01-03")


def check_range(since: object, until: object) -> DateRange:
    """The date range of a search or question from its `since` and `until` values (see `check_day`)."""
    lo, hi = check_day(since, "since"), check_day(until, "until")
    if lo and hi and lo > hi:
        raise InputError(f"since ({lo}) is after until ({hi}); give since <= until")
    return DateRange(lo, hi)


def check_passage_encoder(name: str) -> None:
    """Refuse a passage encoder this version doesn't have."""
    if name not in PASSAGE_ENCODERS:
        raise SettingsError(f"passage_encoder is {name!r}; use one of {', '.join(PASSAGE_ENCODERS)} (RAG_PASSAGE_ENCODER)")


def check_spans(name: str) -> None:
    """Refuse a span backend this version doesn't have, or spaCy when it isn't installed."""
    if name not in SPAN_BACKENDS:
        raise SettingsError(f"spans is {name!r}; use one of {', '.join(SPAN_BACKENDS)} (RAG_SPANS)")
    if name == "spacy":
        from .ner import INSTALL, available  # here: rag/ner.py imports spaCy only when it parses

        if not available():
            raise SettingsError(f"RAG_SPANS=spacy needs spaCy and its English pipeline: {INSTALL}; "
                                "or unset RAG_SPANS for the rules")


def check_query_encoder(name: str) -> None:
    """Refuse a query encoder this version doesn't have."""
    if name not in QUERY_ENCODERS:
        raise SettingsError(f"query_encoder is {name!r}; use one of {', '.join(QUERY_ENCODERS)} (RAG_QUERY_ENCODER)")


def _coerce(name: str, raw: str, default: object) -> bool | int | float | str:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise SettingsError(f"RAG_{name.upper()}={raw!r} is not a number; fix or unset it") from None
    return raw
