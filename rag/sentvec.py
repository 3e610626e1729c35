"""Sentence vectors, packed: each chunk's sentence vectors (from the chunk's own forward pass) as int8
with one scale per vector, for extractive answers. A quarter of float32's size; cosines within about
0.005 of the originals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def pack(starts: Sequence[int], vecs: np.ndarray) -> tuple[bytes, bytes, bytes]:
    """Sentence starts and (m, dim) unit vectors as int8 with one scale per vector: a quarter of
    float32's size, cosines within about 0.005 of the originals."""
    vecs = np.asarray(vecs, dtype=np.float32).reshape(len(starts), -1)
    scales = np.maximum(np.abs(vecs).max(axis=1), 1e-12) / 127 if len(vecs) else np.zeros(0, np.float32)
    q = np.round(vecs / scales[:, None]).astype(np.int8) if len(vecs) else np.zeros((0, 0), np.int8)
    return (np.asarray(starts, dtype=np.int32).tobytes(), scales.astype(np.float32).tobytes(), q.tobytes())


def unpack(starts: bytes, scales: bytes, vecs: bytes, dim: int) -> tuple[list[int], npt.NDArray[np.float32]]:
    """(starts, (m, dim) float32 unit vectors) from `pack`."""
    st = np.frombuffer(starts, dtype=np.int32)
    sc = np.frombuffer(scales, dtype=np.float32)
    v = np.frombuffer(vecs, dtype=np.int8).reshape(len(st), dim).astype(np.float32) * sc[:, None]
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return [int(x) for x in st], v
