"""Manifest: what an index is built with (format, model, chunking), written into it at every commit and
checked whenever it is opened or updated, so an index is never read or extended with other settings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import IndexMismatchError
from .terms import TERMS_VERSION

if TYPE_CHECKING:
    from .embed import Embedder
    from .settings import Settings

FORMAT_VERSION = 3  # 2: the lexical index moved from FTS5 to a file per generation; 3: documents have an author

Manifest = dict[str, Any]  # a JSON object: what `manifest` returns, and what an index records


def manifest(settings: Settings, embedder: Embedder) -> Manifest:
    """What an index is built with; opening it with anything else is refused."""
    return {
        "format_version": FORMAT_VERSION,
        "model": settings.model,
        "dim": embedder.dim,
        "max_tokens": embedder.max_tokens,
        "encoding": settings.encoding,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "terms_version": TERMS_VERSION,
        "embed_input": "title+chunk",
    }


def same_model(a: str, b: str) -> bool:
    """The same model, whether named with its hub prefix or without."""
    def norm(m: str) -> str:
        return m.removeprefix("sentence-transformers/")

    return norm(a) == norm(b)


def check_model(built: Manifest, root: Path, model: str, dim: int | None = None) -> None:
    """Refuse to read an index built with another embedding model than `model`."""
    name = built.get("model", "")
    if not same_model(name, model) or (dim is not None and built.get("dim") != dim):
        raise IndexMismatchError(
            f"index in {root} was built with model {name!r}, settings say {model!r}: "
            f"set RAG_MODEL={name} or rebuild with `rag index --rebuild`"
        )


def check_same(built: Manifest, wanted: Manifest, root: Path) -> None:
    """Refuse to update an index built with other settings than the update's `wanted` manifest."""
    if built == wanted:
        return
    diff = ", ".join(
        f"{k}: index has {built.get(k)!r}, settings say {wanted.get(k)!r}"
        for k in sorted(set(built) | set(wanted)) if built.get(k) != wanted.get(k)
    )
    raise IndexMismatchError(
        f"index in {root} was built with other settings ({diff}): rebuild it with "
        "`rag index --rebuild`, or change the settings back"
    )
