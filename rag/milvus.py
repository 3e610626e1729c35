"""Milvus: the index in a Milvus server or cluster, or in a milvus-lite file (`RAG_STORE=milvus://...`).

`MilvusStore` reads what `rag.store.Store` reads and `MilvusWriter` writes what `rag.writer.Writer`
writes, with the same method signatures, so retrieval, answers and the build pipeline run unchanged.
What is stored where (`<p>` is the prefix, "rag" unless the URL names one; `<t>` a build's tag):

- `<p>_meta`: which tag is live, its manifest and generation, the indexed paths, the next chunk id.
- `<p>_<t>_chunks`: one row per chunk: our chunk id (primary key), doc_id, ord, start, end, hash,
  text, and the document's source and date (for filters); `vector` (FLOAT_VECTOR, inner product:
  the vectors are unit length); `lex`, the chunk's `terms.terms` joined by spaces, which Milvus's own
  BM25 function turns into the `sparse` field it searches (so both stores match on the same terms);
  `sent`, the chunk's packed sentence vectors (`sentvec.pack`, base64), as the SQLite store keeps them.
- `<p>_<t>_docs`: one row per document: metadata and content hash; `<p>_<t>_texts`: its text and
  cleaning record, as JSON in pieces (a VARCHAR holds 64 KiB), so citations point into the same text.

Milvus has no transactions. An update writes in place, so readers see it as it goes; each document
is written chunks first and its row (with the content hash) last, and deleted chunks first, row
last, so a crash leaves at most documents whose row is missing or has the old hash: the next run
indexes them again, and a run after a crash also drops chunks no document row claims. A rebuild
writes new collections under a new tag and switches `<p>_meta` to them at commit, as the embedded
store switches `CURRENT`; the next writer drops what an interrupted rebuild left. One writer at a
time: milvus-lite locks its file; on a server nothing enforces it.

Left out: BM25 scores are Milvus's (k1 1.2, b 0.75 as ours, but idf log(1 + (N - df + 0.5) / (df +
0.5)), and per segment in milvus-lite), not bit-identical to the embedded store's; see README
"Serving from Milvus" for what that costs.
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from . import sentvec
from .errors import IndexMismatchError, IndexNotFoundError, SettingsError, StoreError
from .manifest import FORMAT_VERSION, Manifest, check_same, same_model
from .store import Lookup, Store
from .terms import terms
from .types import Article, Chunk, ChunkRow, DateRange, Removal
from .writer import Writer

FORMS = "milvus:///abs/path/rag.db or milvus://./rag.db (milvus-lite), milvus://host:19530 (a server)"
TEXT_PIECE = 15_000  # characters of a document's JSON per row: at most 60 KB in UTF-8, under VARCHAR's 64 KiB
MAX_VARCHAR = 65_535
ID_BLOCK = 4096  # chunk ids reserved in `<p>_meta` at a time
BATCH = 1000  # rows a scan reads at a time
MAX_LIMIT = 16_384  # Milvus's largest limit (top k) for one search or query
BM25 = {"bm25_k1": 1.2, "bm25_b": 0.75}  # as rag/lexical.py's


@dataclass(frozen=True)
class Target:
    """Where a Milvus store lives, from a `milvus://` URL."""

    url: str  # as the user wrote it, for messages
    uri: str  # what MilvusClient takes: a .db path (milvus-lite) or http://host:port
    prefix: str = "rag"  # collection names start with it
    token: str = ""  # "user:password" for a server with authentication

    @property
    def lite(self) -> bool:
        return not self.uri.startswith("http")


_HOST = re.compile(r"(?:(?P<auth>[^@/]+:[^@/]*)@)?(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})"
                   r"(?:/(?P<prefix>[A-Za-z_][A-Za-z0-9_]{0,100}))?/?")


def parse_url(url: str) -> Target | None:
    """The Milvus target `url` names, None for "" (the embedded store); a SettingsError saying the forms
    when it names none.

    >>> parse_url("milvus://localhost:19530").uri, parse_url("milvus:///data/rag.db").uri
    ('http://localhost:19530', '/data/rag.db')
    """
    if not url:
        return None
    rest = url.removeprefix("milvus://")
    if rest != url:
        if rest.startswith(("/", "./", "../", "~")) and rest.endswith(".db") and len(rest) > 3:
            return Target(url, str(Path(rest).expanduser()))
        m = _HOST.fullmatch(rest)
        if m and 0 < int(m["port"]) < 65536:
            return Target(url, f"http://{m['host']}:{m['port']}", m["prefix"] or "rag", m["auth"] or "")
    shown = url if len(url) <= 60 else url[:57] + "..."
    raise SettingsError(f"RAG_STORE={shown!r} is not a store; write {FORMS}, or unset it for the embedded store")


def _client(target: Target) -> Any:
    """A MilvusClient on `target` (milvus-lite starts in this process for a .db path)."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise StoreError(f"RAG_STORE={target.url} needs pymilvus and milvus-lite: pip install 'rag[milvus]'") from None
    try:
        if target.lite:
            Path(target.uri).parent.mkdir(parents=True, exist_ok=True)
        # milvus-lite's server refuses keepalive pings between calls (GOAWAY "too many pings" after an idle
        # while, and the client's next call fails); a server allows them, and they find dead links there.
        quiet = {"grpc.keepalive_time_ms": 2**31 - 1, "grpc.keepalive_permit_without_calls": 0}
        return MilvusClient(uri=target.uri, token=target.token, **({"grpc_options": quiet} if target.lite else {}))
    except Exception as e:  # pymilvus raises its own and grpc's errors; all mean "not reachable"
        raise StoreError(f"cannot open Milvus at {target.url} ({_first_line(e)}); start the server or fix RAG_STORE") from None


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


def _lit(s: str) -> str:
    """A Milvus expression's string literal."""
    return json.dumps(s, ensure_ascii=False)


def _in(field: str, values: Iterable[str | int]) -> str:
    return f"{field} in [{', '.join(_lit(v) if isinstance(v, str) else str(int(v)) for v in values)}]"


def lex_text(words: Iterable[str]) -> str:
    """Our terms as Milvus's standard analyzer reads them back one for one ("3.5" would be split at the dot)."""
    return " ".join(w.replace(".", "_") for w in words)


def _pack_sent(packed: tuple[bytes, bytes, bytes] | None) -> str:
    return "" if packed is None else " ".join(base64.b64encode(b).decode() for b in packed)


def _unpack_sent(s: str) -> tuple[bytes, bytes, bytes] | None:
    if not s:
        return None
    a, b, c = (base64.b64decode(x) for x in s.split(" ")) if s.count(" ") == 2 else (b"", b"", b"")
    return a, b, c


class _Allowed(np.ndarray):
    """Chunk ids from `allowed_ids`, with the filter that found them, so searches filter by it
    rather than by a list of ids."""

    expr: str = ""


class _Names:
    def __init__(self, prefix: str, tag: str) -> None:
        self.meta = f"{prefix}_meta"
        self.chunks, self.docs, self.texts = (f"{prefix}_{tag}_{n}" for n in ("chunks", "docs", "texts"))

    def all(self) -> tuple[str, str, str]:
        return self.chunks, self.docs, self.texts


class _Base:
    """What the store and the writer share: the client, the live tag, reads of rows."""

    target: Target
    client: Any

    def _meta(self, keys: Sequence[str]) -> dict[str, str]:
        meta = f"{self.target.prefix}_meta"
        if not getattr(self, "_meta_loaded", False):
            if not self.client.has_collection(meta):
                return {}
            self.client.load_collection(meta)
            self._meta_loaded = True
        return {r["key"]: r["value"] for r in self.client.get(meta, ids=list(keys), output_fields=["value"])}

    def _get(self, collection: str, ids: Sequence[Any], fields: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        ids = list(ids)
        for i in range(0, len(ids), BATCH):
            out.extend(self.client.get(collection, ids=ids[i:i + BATCH], output_fields=fields))
        return out

    def _scan(self, collection: str, expr: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every row matching `expr` ("": all)."""
        if self.target.lite:  # one query, no row cap; its iterator would ask for a timestamp it doesn't serve
            everything = "id >= 0" if collection.endswith("_chunks") else 'key != ""'
            yield from self.client.query(collection, filter=expr or everything, output_fields=fields)
            return
        it = self.client.query_iterator(collection, batch_size=BATCH, filter=expr, output_fields=fields)
        try:
            while rows := it.next():
                yield from rows
        finally:
            it.close()

    def _count(self, collection: str, expr: str = "") -> int:
        return int(self.client.query(collection, filter=expr, output_fields=["count(*)"])[0]["count(*)"])


def _schemas(dim: int, *, lite: bool) -> dict[str, tuple[Any, Any]]:
    """(schema, index params) of each data collection, by suffix."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    def new(pk: DataType) -> Any:
        s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        if pk == DataType.VARCHAR:
            s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=8192)
        else:
            s.add_field("id", DataType.INT64, is_primary=True)
        return s

    def dummy(s: Any) -> Any:  # Milvus wants a vector field in every collection
        s.add_field("v", DataType.FLOAT_VECTOR, dim=2)
        ip = MilvusClient.prepare_index_params()
        ip.add_index(field_name="v", index_type="FLAT", metric_type="L2")
        return ip

    chunks = new(DataType.INT64)
    for name, kw in [("doc_id", {"max_length": 8192}), ("hash", {"max_length": 128}), ("text", {"max_length": MAX_VARCHAR}),
                     ("source", {"max_length": 8192}), ("date", {"max_length": 64}), ("sent", {"max_length": MAX_VARCHAR})]:
        chunks.add_field(name, DataType.VARCHAR, **kw)
    for name in ("ord", "start", "end"):
        chunks.add_field(name, DataType.INT64)
    chunks.add_field("lex", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True, enable_match=True,
                     analyzer_params={"tokenizer": "standard"})
    chunks.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    chunks.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    chunks.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["lex"],
                                 output_field_names=["sparse"]))
    cip = MilvusClient.prepare_index_params()
    # Exact search in milvus-lite, as FAISS's flat index below its exact limit; HNSW on a server, for scale
    cip.add_index(field_name="vector", index_type="FLAT" if lite else "HNSW", metric_type="IP",
                  params={} if lite else {"M": 16, "efConstruction": 200})
    cip.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=dict(BM25))
    for name in ("doc_id", "source", "date"):
        cip.add_index(field_name=name, index_type="INVERTED")

    docs = new(DataType.VARCHAR)  # key: the doc id
    for name in ("title", "source", "url", "date", "origin", "hash", "author"):
        docs.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR if name in ("title", "url", "origin", "author") else 8192)
    docs.add_field("pieces", DataType.INT64)
    dip = dummy(docs)
    for name in ("origin", "source", "date"):
        dip.add_index(field_name=name, index_type="INVERTED")

    texts = new(DataType.VARCHAR)  # key: "<piece>/<doc id>"
    texts.add_field("doc_id", DataType.VARCHAR, max_length=8192)
    texts.add_field("body", DataType.VARCHAR, max_length=MAX_VARCHAR)
    tip = dummy(texts)
    tip.add_index(field_name="doc_id", index_type="INVERTED")
    return {"chunks": (chunks, cip), "docs": (docs, dip), "texts": (texts, tip)}


def _meta_schema() -> tuple[Any, Any]:
    from pymilvus import DataType, MilvusClient

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=8192)
    s.add_field("value", DataType.VARCHAR, max_length=MAX_VARCHAR)
    s.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    ip = MilvusClient.prepare_index_params()
    ip.add_index(field_name="v", index_type="FLAT", metric_type="L2")
    return s, ip


# -- reading --------------------------------------------------------------------------------------

class MilvusStore(_Base, Store):
    """A read view of the index in Milvus: the same reads as `Store`; `changed()` says when a writer
    has committed since (its writes in between are visible as they land: see the module docstring)."""

    def __init__(self, target: Target) -> None:
        import threading

        self.target = target
        self.root = Path(target.uri)
        self._lock = threading.RLock()
        self.client = _client(target)
        self._open()

    def _open(self) -> None:
        meta = self._meta(["live"])
        tag = meta.get("live")
        meta = self._meta([f"{tag}:manifest", f"{tag}:generation", f"{tag}:terms"]) if tag else {}
        if not meta:
            raise IndexNotFoundError(f"no index in {self.target.url}; build one with `rag index PATHS` "
                                     f"(with RAG_STORE={self.target.url})")
        self.manifest = json.loads(meta[f"{tag}:manifest"])
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatchError(f"index in {self.target.url} was written by another version; "
                                     "rebuild it with `rag index --rebuild PATHS`")
        self.tag, self.generation = str(tag), int(meta[f"{tag}:generation"])
        self.n_terms = int(meta.get(f"{tag}:terms", "0"))  # terms in all chunks, for BM25's average length
        self.names = _Names(self.target.prefix, self.tag)
        for c in self.names.all():
            self.client.load_collection(c)
        self.dim = int(self.manifest["dim"])
        self._years: tuple[int, ...] | None = None
        self._outlets: list[str] | None = None
        self._df: dict[str, int] = {}
        self._sources: list[tuple[str, int]] | None = None
        self._chunks: int | None = None

    def changed(self) -> bool:
        """True when a writer has committed since this view was opened (one read, before every query)."""
        now = self._meta(["live", f"{self.tag}:generation"])
        return now.get("live") != self.tag or now.get(f"{self.tag}:generation") != str(self.generation)

    def refresh(self) -> bool:
        with self._lock:
            if not self.changed():
                return False
            self._open()
            return True

    def check_model(self, model: str, dim: int | None = None) -> None:
        name = self.manifest.get("model", "")
        if not same_model(name, model) or (dim is not None and self.manifest.get("dim") != dim):
            raise IndexMismatchError(
                f"index in {self.target.url} was built with model {name!r}, settings say {model!r}: "
                f"set RAG_MODEL={name} or rebuild with `rag index --rebuild`"
            )

    def count_chunks(self) -> int:
        with self._lock:  # once per generation, as the embedded store's
            if self._chunks is None:
                self._chunks = self._count(self.names.chunks)
            return self._chunks

    def count_documents(self) -> int:
        return self._count(self.names.docs)

    def _filter(self, allowed: np.ndarray | None) -> str:
        if allowed is None:
            return ""
        expr = getattr(allowed, "expr", "")
        return expr or _in("id", allowed.tolist())

    def dense_search(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None = None
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Top `n` chunk ids by inner product with `qvec` (dim,), optionally only among `allowed`."""
        if allowed is not None and len(allowed) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        params = {"metric_type": "IP"} if self.target.lite else {"metric_type": "IP", "params": {"ef": max(64, n)}}
        hits = self.client.search(self.names.chunks, data=[np.asarray(qvec, np.float32).tolist()], anns_field="vector",
                                  limit=min(n, MAX_LIMIT), filter=self._filter(allowed), output_fields=["id"],
                                  search_params=params)[0]
        return (np.array([h["id"] for h in hits], dtype=np.int64),
                np.array([h["distance"] for h in hits], dtype=np.float32))

    def vectors(self, ids: Sequence[int]) -> npt.NDArray[np.float32]:
        """(len(ids), dim) float32, the stored vectors of these chunks (zeros for a chunk deleted since)."""
        got = {r["id"]: r["vector"] for r in self._get(self.names.chunks, [int(i) for i in ids], ["vector"])}
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for j, i in enumerate(ids):
            if int(i) in got:
                out[j] = got[int(i)]
        return out

    def _scores(self, qterms: Sequence[str], ids: Sequence[int]) -> dict[int, float]:
        """BM25 of these chunks as rag/lexical.py computes it (FTS5's idf, floored; k1 1.2, b 0.75), from
        the chunks' terms, Milvus's document frequencies and the index's term count; absent when 0."""
        df = self.doc_freqs(qterms)
        n = max(self.count_chunks(), 1)
        idf = {lex_text([t]): max(math.log((n - d + 0.5) / (d + 0.5)), 1e-6) for t, d in df.items() if d > 0}
        if not idf or not ids:
            return {}
        avgdl = max(self.n_terms / n, 1e-9)
        k1, b = BM25["bm25_k1"], BM25["bm25_b"]
        out = {}
        for r in self._get(self.names.chunks, [int(i) for i in ids], ["lex"]):
            words = r["lex"].split()
            tf = Counter(w for w in words if w in idf)
            if tf:
                norm = k1 * (1 - b + b * len(words) / avgdl)
                out[int(r["id"])] = sum(idf[w] * c * (k1 + 1) / (c + norm) for w, c in tf.items())
        return out

    def lexical_search(self, qterms: Sequence[str], n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top `n` (chunk id, BM25 score) for the query terms, optionally only among `allowed`: Milvus's BM25
        brings twice `n` candidates, scored then as the embedded store scores them (see `_scores`)."""
        text = lex_text(dict.fromkeys(qterms))
        if not text or n <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        hits = self.client.search(self.names.chunks, data=[text], anns_field="sparse", limit=min(2 * n, MAX_LIMIT),
                                  filter=self._filter(allowed), output_fields=["id"],
                                  search_params={"metric_type": "BM25", "params": dict(BM25)})[0]
        scores = self._scores(qterms, [int(h["id"]) for h in hits])
        return sorted(scores.items(), key=lambda x: (-x[1], x[0]))[:n]

    def lexical_scores(self, qterms: Sequence[str], ids: Iterable[int]) -> dict[int, float]:
        """BM25 scores of given chunks (absent: no query term in the chunk)."""
        return self._scores(qterms, [int(i) for i in ids])

    def doc_freqs(self, qterms: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each term (Milvus's text match, cached for this generation)."""
        with self._lock:
            uniq = list(dict.fromkeys(t for t in qterms if t))
            for t in uniq:
                if t not in self._df:
                    self._df[t] = self._count(self.names.chunks, f"text_match(lex, {_lit(lex_text([t]))})")
            return {t: self._df[t] for t in uniq}

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, dict[int, npt.NDArray[np.float32]]]:
        """Per chunk id: sentence start (offset in the chunk) -> (dim,) float32 vector, as indexed."""
        out = {}
        for r in self._get(self.names.chunks, [int(i) for i in ids], ["sent"]):
            packed = _unpack_sent(r["sent"])
            if packed is not None:
                out[int(r["id"])] = dict(zip(*sentvec.unpack(*packed, self.dim)))
        return out

    def chunk_rows(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        rows = self._get(self.names.chunks, [int(i) for i in ids], ["doc_id", "ord", "start", "end", "text"])
        docs = {d["key"]: d for d in self._get(self.names.docs, sorted({r["doc_id"] for r in rows}),
                                               ["title", "source", "url", "date", "author"])}
        return {int(r["id"]): ChunkRow(int(r["id"]), r["doc_id"], int(r["ord"]), int(r["start"]), int(r["end"]), r["text"],
                                       d["title"], d["source"], d["url"], d["date"], d["author"])
                for r in rows if (d := docs.get(r["doc_id"])) is not None}

    def allowed_ids(self, *, sources: Sequence[str] = (), doc_ids: Sequence[str] = (),
                    dates: DateRange | None = None) -> npt.NDArray[np.int64]:
        """Chunk ids of the documents matching the filters (any of the sources, any of the ids, published
        in the date range), carrying the filter for the searches that follow."""
        clauses = []
        lo, hi = dates.bounds() if dates else (None, None)
        if lo is not None:
            clauses.append(f"date >= {_lit(lo)}")
        if hi is not None:
            clauses.append(f'date < {_lit(hi)} and date != ""')
        if sources:
            clauses.append(_in("source", sources))
        if doc_ids:
            clauses.append(_in("doc_id", doc_ids))
        expr = " and ".join(f"({c})" for c in clauses) or "id >= 0"
        ids = np.array([r["id"] for r in self._scan(self.names.chunks, expr, ["id"])], dtype=np.int64)
        allowed = ids.view(_Allowed)
        allowed.expr = expr
        return allowed

    def _doc_column(self, field: str) -> list[str]:
        return [r[field] for r in self._scan(self.names.docs, "", [field])]

    def outlets(self) -> list[str]:
        """The outlets the articles name (not ""), read once per generation."""
        with self._lock:
            if self._outlets is None:
                self._outlets = [s for s, _ in self.sources() if s]
            return self._outlets

    def sources(self) -> list[tuple[str, int]]:
        """(source, number of documents), most documents first."""
        with self._lock:
            if self._sources is None:
                counts = Counter(self._doc_column("source"))
                self._sources = sorted(counts.items(), key=lambda sn: (-sn[1], sn[0]))
            return list(self._sources)

    def documents(self, limit: int = 1000) -> list[dict[str, str]]:
        ids = sorted(self._doc_column("key"))[:limit]
        fields = ("title", "source", "url", "date", "author")
        rows = {r["key"]: r for r in self._get(self.names.docs, ids, list(fields))}
        return [{"doc_id": i, **{f: rows[i][f] for f in fields}} for i in ids if i in rows]

    def date_years(self) -> tuple[int, ...]:
        """The years the dated articles were published in, oldest first, read once per generation."""
        with self._lock:
            if self._years is None:
                self._years = tuple(sorted({int(d[:4]) for d in self._doc_column("date") if d[:4].isdigit()}))
            return self._years

    def document(self, doc_id: str) -> Article | None:
        """The indexed article `doc_id`, as ingest made it, or None."""
        rows = self._get(self.names.docs, [doc_id], ["title", "source", "url", "date", "origin", "author", "pieces"])
        if not rows:
            return None
        d = rows[0]
        keys = [f"{i}/{doc_id}" for i in range(int(d["pieces"]))]
        pieces = {r["key"]: r["body"] for r in self._get(self.names.texts, keys, ["body"])}
        if len(pieces) < len(keys):  # a writer is replacing it right now
            return None
        body = json.loads("".join(pieces[k] for k in keys))
        return Article(doc_id, d["title"], body["text"], source=d["source"], url=d["url"], date=d["date"],
                       origin=d["origin"], author=d["author"],
                       removed=tuple(Removal(rule, dropped) for rule, dropped in body["removed"]))

    def close(self) -> None:
        with self._lock:
            self.client.close()


class MilvusLookup(_Base, Lookup):
    """Content hashes of the index in Milvus, on its own client (the build reads them from a thread)."""

    def __init__(self, target: Target, names: _Names | None) -> None:
        self.target, self.names = target, names  # names None: a rebuild, all new
        self.client = _client(target) if names is not None else None

    def doc_hash(self, doc_id: str) -> str | None:
        if self.names is None:
            return None
        rows = self.client.get(self.names.docs, ids=[doc_id], output_fields=["hash"])
        return str(rows[0]["hash"]) if rows else None

    def chunk_hashes(self, doc_id: str) -> dict[str, int]:
        if self.names is None:
            return {}
        return {r["hash"]: int(r["id"]) for r in self._scan(self.names.chunks, f"doc_id == {_lit(doc_id)}", ["hash"])}

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


# -- writing --------------------------------------------------------------------------------------

class MilvusWriter(_Base, Writer):
    """One update of the index in Milvus: in place, idempotent (see the module docstring). Use
    `MilvusWriter.open(...)` as a context manager."""

    def __init__(self, target: Target, manifest: Manifest, *, rebuild: bool) -> None:
        self.target, self.manifest = target, manifest
        self.client = _client(target)
        meta_name = f"{target.prefix}_meta"
        if not self.client.has_collection(meta_name):
            self.client.create_collection(meta_name, schema=_meta_schema()[0], index_params=_meta_schema()[1],
                                          consistency_level="Strong")
        self.client.load_collection(meta_name)
        live = self._meta(["live"]).get("live")
        built = self._meta([f"{live}:manifest", f"{live}:generation"]) if live else {}
        self.rebuild = rebuild or not built
        self.live = live if built else None
        self._sweep()
        if self.rebuild:
            self.tag = f"t{secrets.token_hex(4)}"
            self.generation = 0
            self.names = _Names(target.prefix, self.tag)
            for suffix, (schema, index) in _schemas(int(manifest["dim"]), lite=target.lite).items():
                self.client.create_collection(getattr(self.names, suffix), schema=schema, index_params=index,
                                              consistency_level="Strong")
            self.roots = self._roots(self.live) if self.live else set()
        else:
            assert live is not None
            self.tag, self.names = live, _Names(target.prefix, live)
            try:
                check_same(json.loads(built[f"{live}:manifest"]), manifest, Path(target.url))
            except IndexMismatchError as e:
                self.client.close()
                raise IndexMismatchError(str(e).replace(f"index in {Path(target.url)}", f"index in {target.url}")) from None
            self.generation = int(built[f"{live}:generation"])
            self.roots = self._roots(live)
        for c in self.names.all():
            self.client.load_collection(c)
        self._repair = not self.rebuild and bool(self._meta([f"{self.tag}:dirty"]))
        if self._repair:
            self._drop_orphans()  # the last update stopped before its commit
        self._put_meta({f"{self.tag}:dirty": "1"})
        counters = self._meta([f"{self.tag}:next_id", f"{self.tag}:terms"])
        self._next_id = int(counters.get(f"{self.tag}:next_id", "1"))
        self.n_terms = int(counters.get(f"{self.tag}:terms", "0"))
        if self._repair:
            self.n_terms = sum(len(r["lex"].split()) for r in self._scan(self.names.chunks, "", ["lex"]))
        self._reserved = self._next_id
        self._done = False
        # A rebuild's rows not yet sent, by collection, sent BATCH chunks at a time (a call per article
        # made a 100k-chunk rebuild take hours on milvus-lite); sent before anything reads or deletes, and
        # at commit.
        self._pending: dict[str, list[dict[str, Any]]] = {"chunks": [], "texts": [], "docs": []}
        self._fresh: set[str] = set()  # documents this rebuild wrote: none of the others has rows to delete

    @classmethod
    @contextmanager
    def open(cls, root: Path | Target, manifest: Manifest, *, rebuild: bool = False,
             exact_limit: int = 0) -> Iterator[MilvusWriter]:
        assert isinstance(root, Target), "MilvusWriter.open takes a Target (rag.milvus.parse_url)"
        writer = cls(root, manifest, rebuild=rebuild)
        try:
            yield writer
        finally:
            writer._abort()

    # -- what the index holds ------------------------------------------------------------------
    def _put_meta(self, values: dict[str, str]) -> None:
        self.client.upsert(f"{self.target.prefix}_meta", [{"key": k, "value": v, "v": [0.0, 0.0]} for k, v in values.items()])

    def _roots(self, tag: str) -> set[str]:
        return {r["value"] for r in self._scan(f"{self.target.prefix}_meta", f"key like {_lit(tag + ':root:%')}", ["value"])}

    def lookup(self) -> Lookup:
        return MilvusLookup(self.target, None if self.rebuild else self.names)

    def reconstruct(self, ids: Sequence[int]) -> npt.NDArray[np.float32]:
        self._send()
        got = {r["id"]: r["vector"] for r in self._get(self.names.chunks, [int(i) for i in ids], ["vector"])}
        return np.array([got[int(i)] for i in ids], dtype=np.float32).reshape(len(ids), int(self.manifest["dim"]))

    def sentence_blobs(self, ids: Sequence[int]) -> dict[int, tuple[bytes, bytes, bytes]]:
        self._send()
        out = {}
        for r in self._get(self.names.chunks, [int(i) for i in ids], ["sent"]):
            packed = _unpack_sent(r["sent"])
            if packed is not None:
                out[int(r["id"])] = packed
        return out

    def docs_from(self, roots: Iterable[Path]) -> Iterator[str]:
        """Documents read from under these paths (a folder, a file, or a JSONL file's records)."""
        self._send()
        wanted = [str(r) for r in roots]
        for row in self._scan(self.names.docs, "", ["origin"]):
            o = row["origin"]
            if any(o == r or o.startswith(r + "#") or o.startswith(r.rstrip("/") + "/") for r in wanted):
                yield row["key"]

    def count_chunks(self) -> int:
        self._send()
        return self._count(self.names.chunks)

    def count_documents(self) -> int:
        self._send()
        return self._count(self.names.docs)

    # -- changes -------------------------------------------------------------------------------
    def delete(self, doc_id: str) -> None:
        """Chunks and text first, the document's row last: a crash in between leaves a row the next
        update deletes again."""
        self._send()
        self._delete_content(doc_id)
        self.client.delete(self.names.docs, ids=[doc_id])

    def _delete_content(self, doc_id: str) -> None:
        old = self.client.query(self.names.chunks, filter=f"doc_id == {_lit(doc_id)}", output_fields=["lex"])
        self.n_terms -= sum(len(r["lex"].split()) for r in old)
        self.client.delete(self.names.chunks, filter=f"doc_id == {_lit(doc_id)}")
        self.client.delete(self.names.texts, filter=f"doc_id == {_lit(doc_id)}")

    def _ids(self, n: int) -> list[int]:
        """`n` new chunk ids, reserved in the meta collection before any row uses them."""
        if self._next_id + n > self._reserved:
            self._reserved = self._next_id + n + ID_BLOCK
            self._put_meta({f"{self.tag}:next_id": str(self._reserved)})
        ids = list(range(self._next_id, self._next_id + n))
        self._next_id += n
        return ids

    def put(self, article: Article, doc_hash: str, chunks: Sequence[Chunk], chunk_hashes: Sequence[str], vectors: np.ndarray,
            sentences: Sequence[tuple[bytes, bytes, bytes] | None] = ()) -> None:
        """Replace the document `article.doc_id` with these chunks and (n, dim) float32 vectors, and
        each chunk's packed sentence vectors when given; the document's row (its hash) is written last."""
        if not self.rebuild or article.doc_id in self._fresh:  # a new rebuild's collections hold no other rows
            self._send()
            self._delete_content(article.doc_id)
        if self.rebuild:
            self._fresh.add(article.doc_id)
        packed = list(sentences) + [None] * (len(chunks) - len(sentences))
        vecs = np.asarray(vectors, dtype=np.float32)
        rows = [{"id": cid, "doc_id": ch.doc_id, "ord": ch.ord, "start": ch.start, "end": ch.end, "hash": h, "text": ch.text,
                 "source": article.source, "date": article.date, "lex": lex_text(terms(ch.text)),
                 "sent": _pack_sent(p), "vector": v.tolist()}
                for cid, ch, h, p, v in zip(self._ids(len(chunks)), chunks, chunk_hashes, packed, vecs)]
        self._pending["chunks"].extend(rows)
        self.n_terms += sum(len(r["lex"].split()) for r in rows)
        body = json.dumps({"text": article.text, "removed": [[r.rule, r.text] for r in article.removed]},
                          ensure_ascii=False)
        pieces = [body[i:i + TEXT_PIECE] for i in range(0, len(body), TEXT_PIECE)] or [""]
        self._pending["texts"].extend({"key": f"{i}/{article.doc_id}", "doc_id": article.doc_id, "body": p,
                                       "v": [0.0, 0.0]} for i, p in enumerate(pieces))
        self._pending["docs"].append({
            "key": article.doc_id, "title": article.title, "source": article.source, "url": article.url,
            "date": article.date, "origin": article.origin, "hash": doc_hash, "author": article.author,
            "pieces": len(pieces), "v": [0.0, 0.0]})
        # In place (not a rebuild) these are the collections readers search, so each document is written
        # before the next; a rebuild's are read by no one before its commit.
        if not self.rebuild or len(self._pending["chunks"]) >= BATCH or len(self._pending["docs"]) >= BATCH:
            self._send()

    def _send(self) -> None:
        """Write the rows put so far: chunks and texts before the documents' rows that claim them (a crash
        in between leaves rows no document claims, which the next update drops)."""
        for suffix in ("chunks", "texts", "docs"):
            rows, name = self._pending[suffix], getattr(self.names, suffix)
            for i in range(0, len(rows), BATCH):
                self.client.upsert(name, rows[i:i + BATCH])
            rows.clear()

    def set_roots(self, roots: Iterable[Path]) -> None:
        self._put_meta({f"{self.tag}:root:{r}": str(r) for r in roots})

    def commit(self) -> None:
        """Record the update: the generation readers watch, and (a rebuild) the switch to its collections."""
        self._send()
        for c in self.names.all():
            self.client.flush(c)
        gen = self.generation + 1
        self._put_meta({f"{self.tag}:manifest": json.dumps(self.manifest, sort_keys=True),
                        f"{self.tag}:generation": str(gen), f"{self.tag}:next_id": str(self._next_id),
                        f"{self.tag}:terms": str(self.n_terms)})
        if self.rebuild:
            self._put_meta({"live": self.tag})
        self.client.delete(f"{self.target.prefix}_meta", ids=[f"{self.tag}:dirty"])
        self.client.flush(f"{self.target.prefix}_meta")
        self.generation = gen
        self.live = self.tag
        self._done = True
        self._sweep()

    def _abort(self) -> None:
        if not self._done and self.rebuild:  # an unfinished rebuild's collections: nobody reads them
            self._drop_tag(self.tag)
        self._done = True
        self.client.close()

    def _drop_orphans(self) -> None:
        """Drop chunks and texts no document row claims (an update stopped between a document's rows)."""
        docs = {r["key"] for r in self._scan(self.names.docs, "", ["key"])}
        for name in (self.names.chunks, self.names.texts):
            lost = {r["doc_id"] for r in self._scan(name, "", ["doc_id"])} - docs
            for doc_id in lost:
                self.client.delete(name, filter=f"doc_id == {_lit(doc_id)}")

    def _drop_tag(self, tag: str) -> None:
        for c in _Names(self.target.prefix, tag).all():
            if self.client.has_collection(c):
                self.client.drop_collection(c)
        meta = f"{self.target.prefix}_meta"
        keys = [r["key"] for r in self._scan(meta, f"key like {_lit(tag + ':%')}", ["key"])]
        if keys:
            self.client.delete(meta, ids=keys)

    def _sweep(self) -> None:
        """Drop the collections of tags that are not live: replaced builds, abandoned rebuilds (run
        before this writer makes its own, and after its commit)."""
        ours = re.compile(rf"{re.escape(self.target.prefix)}_(t[0-9a-f]{{8}})_(?:chunks|docs|texts)")
        tags = {m[1] for c in self.client.list_collections() if (m := ours.fullmatch(c))}
        for tag in sorted(tags - {self.live}):
            self._drop_tag(tag)


def open_store(url: str) -> MilvusStore:
    """The index in Milvus at `url` (a `milvus://` URL)."""
    target = parse_url(url)
    assert target is not None
    return MilvusStore(target)
