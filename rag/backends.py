"""Backends: the code that runs an embedding model, behind `rag.embed.Embedder`.

- `MeanPooled`: a local sentence-transformers folder that is just a transformer with mean pooling
  (the default model is), run with transformers and tokenizers alone.
- `SentenceTransformers`: any other model, run by sentence-transformers.
- `OnnxPassages`: passages of a `MeanPooled` model, in batches, through its float32 ONNX graph with
  ONNX Runtime's transformer fusions.
- `OnnxQuery`: questions of a `MeanPooled` model through an ONNX graph on ONNX Runtime, exported once
  into a cache folder by a separate process (`python -m rag.backends export ...`), so the exporter's
  warnings, log handlers and thread settings stay in that process and never touch this one.

Each `run(texts, batch_size, tokens=, progress=)` gives (n, dim) unit vectors and, with tokens=True,
each text's ((tokens, dim) token vectors, (tokens, 2) character offsets).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal, cast, overload

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

EXPORT_TIMEOUT = 600  # seconds; the export takes 3-10 s on 2 cores
# One text's token vectors from `run(..., tokens=True)`: ((tokens, dim) float32, (tokens, 2) character offsets)
TokenVectors = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


def plain_mean_pooling(path: Path) -> bool:
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


class MeanPooled:
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
        self._model: PreTrainedModel | None = None
        self._lock = threading.Lock()
        # Passages through ONNX Runtime (float32) instead of torch when set (rag.embed.Embedder does).
        self.passages: OnnxPassages | None = None

    @property
    def model(self) -> PreTrainedModel:
        """The torch model, loaded on first use: a search whose questions run on ONNX never needs it
        (importing torch and transformers is most of a cold start)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = load_transformer(self.path)
        return self._model

    def count_tokens(self, text: str) -> int:
        return len(self.counter.encode(text).ids)

    @overload
    def run(self, texts: list[str], batch_size: int, *, tokens: Literal[True], progress: bool
            ) -> tuple[npt.NDArray[np.float32], list[TokenVectors]]: ...
    @overload
    def run(self, texts: list[str], batch_size: int, *, tokens: Literal[False], progress: bool
            ) -> tuple[npt.NDArray[np.float32], list[None]]: ...
    def run(self, texts: list[str], batch_size: int, *, tokens: bool, progress: bool
            ) -> tuple[npt.NDArray[np.float32], Sequence[TokenVectors | None]]:
        encs = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encs[i].ids))  # like lengths batch together
        vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        toks: list[TokenVectors | None] = [None] * len(texts)
        forward = self.passages.forward if self.passages is not None else self._torch_forward
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="embedding", unit="text", file=sys.stderr, leave=False)
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            width = len(encs[idx[0]].ids)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[r, :n] = encs[i].ids
                mask[r, :n] = 1
            vecs[idx], hidden = forward(ids, mask)
            if tokens:
                for r, i in enumerate(idx):
                    n = len(encs[i].ids)
                    toks[i] = (hidden[r, :n], np.array(encs[i].offsets, dtype=np.int64).reshape(-1, 2))
            if bar is not None:
                bar.update(len(idx))
        if bar is not None:
            bar.close()
        return vecs, toks

    def _torch_forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]
                       ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """One padded batch through torch: (batch, dim) unit vectors (the masked mean) and the token vectors."""
        import torch

        with torch.inference_mode():
            t_ids, t_mask = torch.from_numpy(ids), torch.from_numpy(mask)
            hidden = self.model(input_ids=t_ids, attention_mask=t_mask, token_type_ids=torch.zeros_like(t_ids)).last_hidden_state
            m = t_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)
            return pooled.float().numpy(), hidden.float().numpy()


def quiet_transformers() -> ModuleType:
    """transformers, imported with its warnings and progress bars off."""
    import transformers

    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return transformers


def load_transformer(path: Path, attention: str | None = None) -> PreTrainedModel:
    """The torch model in `path`, in eval mode (with the attention implementation `attention` when given)."""
    transformers = quiet_transformers()
    kw = {"attn_implementation": attention} if attention else {}
    model: PreTrainedModel = transformers.AutoModel.from_pretrained(str(path), **kw).eval()
    return model


class SentenceTransformers:
    """Any other model: sentence-transformers runs it."""

    def __init__(self, path: str, device: str) -> None:
        quiet_transformers()
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(path, device=device)
        # Typed `int | None`; a model without them fails here in int(), as it always has.
        self.dim = int(cast(int, self.model.get_embedding_dimension()))
        self.max_tokens = int(cast(int, self.model.max_seq_length))
        # The index's reader thread counts tokens while this thread encodes; a fast tokenizer used
        # from two threads at once fails ("Already borrowed"), so counting gets its own copy.
        self.counter = copy.deepcopy(self.model.tokenizer)

    def count_tokens(self, text: str) -> int:
        return len(self.counter(text, add_special_tokens=True, truncation=False)["input_ids"])

    @overload
    def run(self, texts: list[str], batch_size: int, *, tokens: Literal[True], progress: bool
            ) -> tuple[npt.NDArray[np.float32], list[TokenVectors]]: ...
    @overload
    def run(self, texts: list[str], batch_size: int, *, tokens: Literal[False], progress: bool
            ) -> tuple[npt.NDArray[np.float32], None]: ...
    def run(self, texts: list[str], batch_size: int, *, tokens: bool, progress: bool
            ) -> tuple[npt.NDArray[np.float32], list[TokenVectors] | None]:
        if not tokens:
            vecs = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=progress)
            return vecs, None
        # output_value=None: one dict of tensors per text (sentence-transformers' overloads can't say so)
        outs = cast("list[dict[str, torch.Tensor]]", self.model.encode(
            texts, batch_size=batch_size, output_value=None, normalize_embeddings=True, show_progress_bar=progress))
        offsets = self.model.tokenizer(texts, return_offsets_mapping=True, truncation=True,
                                       max_length=self.max_tokens)["offset_mapping"]
        vecs = np.stack([o["sentence_embedding"].float().numpy() for o in outs])
        toks = [(o["token_embeddings"][: len(off)].float().numpy(), np.array(off, dtype=np.int64).reshape(-1, 2))
                for o, off in zip(outs, offsets)]
        return vecs, toks


class OnnxPassages:
    """Batches of passages of a `MeanPooled` model through its float32 ONNX graph with ONNX Runtime's
    transformer fusions ("onnx-fused"), on `threads` threads that sleep when idle (a spinning pool takes
    the core the reader thread chunks on): the same vectors as torch (measured max difference under
    1e-6, `tests/test_query_encoder.py`), in less time (README, "Build speed")."""

    def __init__(self, graph: Path, threads: int) -> None:
        import onnxruntime as ort

        ort.disable_telemetry_events()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])

    def forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]
                ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """One padded batch: (batch, dim) unit vectors (the masked mean of token vectors) and the token vectors."""
        hidden: npt.NDArray[np.float32] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32), hidden

    @classmethod
    def open(cls, model: MeanPooled, cache_dir: Path, threads: int) -> OnnxPassages:
        """The session, exporting the fused float32 graph first if it is not cached."""
        graph = _graph_path(model.path, "onnx-fused", cache_dir)
        if not graph.exists():
            _export(model.path, "onnx-fused", graph)
        return cls(graph, threads)


class OnnxQuery:
    """One question at a time through an ONNX graph of a `MeanPooled` model, on one thread.

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

    def encode(self, ids: list[int]) -> npt.NDArray[np.float32]:
        """(dim,) float32, L2-normalised: the mean of the token vectors of `ids`."""
        x = np.array([ids], dtype=np.int64)
        hidden: npt.NDArray[np.float32] = self.session.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0]
        v: npt.NDArray[np.float32] = hidden.mean(axis=0)  # no padding in a batch of one: the plain mean is the masked mean
        return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)

    @classmethod
    def open(cls, model: MeanPooled, variant: str, cache_dir: Path) -> OnnxQuery:
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
    """Export the graph in a process of its own (see the module docstring); raise when it fails."""
    done = subprocess.run([sys.executable, "-m", "rag.backends", "export", str(model_dir), variant, str(graph)],
                          capture_output=True, text=True, timeout=EXPORT_TIMEOUT,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0 or not graph.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the ONNX export failed ({last})")


def export(model_dir: Path, variant: str, graph: Path) -> None:
    """Write the graph of the model in `model_dir` (input_ids, attention_mask -> token vectors) to `graph`:
    float32 for "onnx", int8 for "onnx-int8", float32 with ONNX Runtime's fusions for "onnx-fused"."""
    import warnings

    import torch

    # A copy of its own: the exporter leaves a model in training mode (dropout on), and another
    # thread may be encoding passages with the shared one right now. The fused graph is exported from
    # the eager attention, whose pattern ONNX Runtime's fusions recognise (not from SDPA's).
    own = load_transformer(model_dir, attention="eager" if variant == "onnx-fused" else None)

    graph.parent.mkdir(parents=True, exist_ok=True)
    tmp = graph.with_name(f"{graph.stem}.tmp{os.getpid()}-{threading.get_ident()}")
    fp32 = tmp.with_suffix(".fp32")

    class Hidden(torch.nn.Module):
        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.m(input_ids=input_ids, attention_mask=attention_mask,
                                          token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            return hidden

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

            import onnx
            from onnxruntime.quantization.quant_utils import add_pre_process_metadata

            # Its advice to pre-process first is moot: pre-processing fails on this graph.
            model = onnx.load(str(fp32))
            add_pre_process_metadata(model)
            onnx.save(model, str(fp32))
            # Per-channel weights of the matrix products only; embeddings stay float. Per-tensor
            # int8 of everything brought question vectors down to cosine 0.92 with float32.
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"])
        elif variant == "onnx-fused":
            _fuse(own, fp32, tmp)
        else:
            os.replace(fp32, tmp)
        os.replace(tmp, graph)
    finally:
        for p in (tmp, fp32):
            p.unlink(missing_ok=True)




def _fuse(model: PreTrainedModel, fp32: Path, out: Path) -> None:
    """Write to `out` the graph in `fp32` with ONNX Runtime's transformer fusions (one Attention op per
    layer, LayerNorm with the residual, GELU with its bias), or the graph as it was when the fusions
    don't apply to this architecture or change its output: checked on a padded batch against torch,
    to 1e-4 (measured on the default model: 2e-7)."""
    import warnings

    import torch

    import onnxruntime as ort

    cfg = model.config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from onnxruntime.transformers import optimizer

            fused = optimizer.optimize_model(str(fp32), model_type="bert", num_heads=int(cfg.num_attention_heads),
                                             hidden_size=int(cfg.hidden_size), opt_level=0)
            fused.save_model_to_file(str(out))
        except Exception:  # an architecture the fusions don't know: the plain graph is still right
            os.replace(fp32, out)
            return
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 2000, size=(3, 40), dtype=np.int64)
    mask = np.ones_like(ids)
    mask[1, 25:] = 0
    mask[2, 7:] = 0
    model.eval()  # type: ignore[no-untyped-call]  # the exporter may leave it in training mode
    with torch.inference_mode():
        want = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                     token_type_ids=torch.zeros_like(torch.from_numpy(ids))).last_hidden_state.numpy()
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    try:
        got = ort.InferenceSession(str(out), opts, providers=["CPUExecutionProvider"]).run(
            None, {"input_ids": ids, "attention_mask": mask})[0]
    except Exception:  # a fused op this ONNX Runtime can't run: the plain graph
        os.replace(fp32, out)
        return
    real = mask.astype(bool)
    if got.shape != want.shape or not np.allclose(got[real], want[real], atol=1e-4):
        os.replace(fp32, out)


if __name__ == "__main__":  # python -m rag.backends export MODEL_DIR VARIANT GRAPH
    if len(sys.argv) != 5 or sys.argv[1] != "export":
        sys.exit("usage: python -m rag.backends export MODEL_DIR VARIANT GRAPH")
    export(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
