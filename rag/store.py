"""Store: the index folder on disk.

- `CURRENT` names the live SQLite file. SQLite holds the manifest, the documents (cleaned text and
  metadata), the chunks (offsets and text) and each chunk's sentence vectors (int8, from the chunk's
  own forward pass) for extractive answers.
- `<db>.g<generation>.lex` holds the lexical (BM25) index of one generation (`lexical.Lexicon`).
- `<db>.g<generation>.faiss` holds the dense vectors (chunk id = FAISS id) of one generation. Below
  `EXACT_LIMIT` chunks it is a flat index (exact search, float32); above, an IVF index with float16
  vectors (recall@10 against exact >= 0.98 on the benchmark, half the memory: 1M chunks in ~0.8 GiB),
  retrained when the index has grown 4x since it was trained. Both keep incremental adds and deletes.

Writes are atomic. An update writes the next generation's lexical and FAISS files first, then commits
SQLite (which records the generation), then deletes the old generation's files; a rebuild writes a new SQLite file
and switches `CURRENT` last. A crash at any moment leaves a complete previous (or next) state, and
stale files are swept by the next writer. One writer at a time: a lock file; readers never lock.
A `Store` reads inside one SQLite read transaction, so its rows stay those of the generation its
FAISS file holds while writers commit newer ones; `changed()` says when to open a new `Store`.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .errors import IndexBusyError, IndexMismatchError, IndexNotFoundError, IndexOutdatedError
from .lexical import Lexicon, Update, build
from .terms import terms

FORMAT_VERSION = 2  # 2: the lexical index moved from FTS5 to a file per generation
EXACT_LIMIT = 10_000  # chunks; exact search stays under ~10 ms up to here on 2 cores, IVF above
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = ".lock"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, url TEXT NOT NULL,
    date TEXT NOT NULL, origin TEXT NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL,
    removed TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_origin ON documents(origin);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, ord INTEGER NOT NULL, start INTEGER NOT NULL,
    end INTEGER NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS roots(path TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS sentence_vectors(chunk_id INTEGER PRIMARY KEY, starts BLOB NOT NULL,
    scales BLOB NOT NULL, vecs BLOB NOT NULL);
"""


@dataclass(frozen=True)
class ChunkRow:
    id: int
    doc_id: str
    ord: int
    start: int
    end: int
    text: str
    title: str
    source: str
    url: str
    date: str


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30)
    if not readonly:
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the commit is on disk before the old generation's FAISS file is deleted (power loss safe).
        conn.execute("PRAGMA synchronous=FULL")
    return conn


def _live_db(root: Path) -> Path | None:
    try:
        name = (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    path = root / name
    return path if name and path.exists() else None


def _faiss_path(db: Path, generation: int) -> Path:
    return db.with_name(f"{db.stem}.g{generation}.faiss")


def _lex_path(db: Path, generation: int) -> Path:
    return db.with_name(f"{db.stem}.g{generation}.lex")


def _fsync_replace(tmp: Path, target: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    dfd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    _fsync_replace(tmp, path)


def same_model(a: str, b: str) -> bool:
    norm = lambda m: m.removeprefix("sentence-transformers/")  # noqa: E731
    return norm(a) == norm(b)


class Store:
    """A read view of one generation of the index; `refresh()` follows newer generations."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.RLock()
        self._open()

    def _open(self) -> None:
        import faiss

        for _attempt in range(5):
            db = _live_db(self.root)
            if db is None:
                raise IndexNotFoundError(
                    f"no index in {self.root}; build one with `rag index PATHS --index-dir {self.root}`"
                )
            conn = _connect(db, readonly=True)
            try:
                # The read transaction pins this generation's rows (WAL keeps them for us) until closed.
                conn.execute("BEGIN")
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                generation = int(meta["generation"])
                manifest = json.loads(meta["manifest"])
                if manifest.get("format_version") != FORMAT_VERSION:
                    conn.close()
                    _refuse_format(self.root, manifest.get("format_version"))
                index = faiss.read_index(str(_faiss_path(db, generation)))
                lexicon = Lexicon.load(_lex_path(db, generation))
            except (FileNotFoundError, RuntimeError, KeyError, ValueError, sqlite3.DatabaseError):
                conn.close()
                continue  # a writer moved on between our reads; look again
            self.db, self.conn, self.generation, self.dense = db, conn, generation, index
            self.lexicon, self.manifest = lexicon, manifest
            return
        raise IndexNotFoundError(f"index in {self.root} is incomplete or changing; run `rag index` to repair it")

    def changed(self) -> bool:
        """True when a writer has committed a generation other than the one this view reads."""
        db = _live_db(self.root)
        if db != self.db:
            return True
        # Our own connection sees only our snapshot: ask a fresh one what is committed now.
        conn = _connect(db, readonly=True)
        try:
            return int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0]) != self.generation
        except (sqlite3.DatabaseError, TypeError):
            return True
        finally:
            conn.close()

    def refresh(self) -> bool:
        """Re-open in place when a writer has committed a newer generation; True if it did.

        Threads that share this object may see the switch mid-query; they should open a new `Store`
        on `changed()` instead (as `Index` does).
        """
        with self._lock:
            if not self.changed():
                return False
            old = self.conn
            self._open()
            old.close()
            return True

    def check_model(self, model: str, dim: int | None = None) -> None:
        built = self.manifest.get("model", "")
        if not same_model(built, model) or (dim is not None and self.manifest.get("dim") != dim):
            raise IndexMismatchError(
                f"index in {self.root} was built with model {built!r}, settings say {model!r}: "
                f"set RAG_MODEL={built} or rebuild with `rag index --rebuild`"
            )

    # -- reads -------------------------------------------------------------------------------
    def _rows(self, sql: str, args: Sequence = ()) -> list[tuple]:
        with self._lock:
            return self.conn.execute(sql, args).fetchall()

    def count_chunks(self) -> int:
        return int(self.dense.ntotal)

    def count_documents(self) -> int:
        return int(self._rows("SELECT count(*) FROM documents")[0][0])

    def dense_search(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top `n` chunk ids by inner product with `qvec` (dim,), optionally only among `allowed`."""
        import faiss

        if self.dense.ntotal == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        n = min(n, self.dense.ntotal)
        q = qvec.reshape(1, -1).astype(np.float32)
        params = None
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            if isinstance(self.dense, faiss.IndexIVF):
                if len(allowed) <= EXACT_LIMIT:  # few enough to score exactly; IVF probes might miss them
                    scores = self.vectors(allowed) @ q[0]
                    top = np.argsort(-scores, kind="stable")[:n]
                    return allowed[top], scores[top]
                params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(allowed), nprobe=self.dense.nprobe)
            else:
                params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, ids = self.dense.search(q, n, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """(len(ids), dim) float32, the stored vectors of these chunks."""
        if len(ids) == 0:
            return np.zeros((0, self.dense.d), dtype=np.float32)
        return self.dense.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def lexical_search(self, qterms: Sequence[str], n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top `n` (chunk id, BM25 score) for the query terms, optionally only among `allowed`."""
        return self.lexicon.search(qterms, n, allowed)

    def lexical_scores(self, qterms: Sequence[str], ids: Iterable[int]) -> dict[int, float]:
        """BM25 scores of given chunks (absent: no query term in the chunk)."""
        return self.lexicon.scores(qterms, ids)

    def doc_freqs(self, qterms: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each term."""
        return self.lexicon.doc_freqs(qterms)

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, dict[int, np.ndarray]]:
        """Per chunk id: sentence start (offset in the chunk) -> (dim,) float32 vector, as indexed."""
        if len(ids) == 0:
            return {}
        try:
            rows = self._rows(f"SELECT chunk_id, starts, scales, vecs FROM sentence_vectors WHERE chunk_id IN "
                              f"{_id_list(ids)}")
        except sqlite3.OperationalError:  # an index written before sentence vectors were stored
            return {}
        return {cid: dict(zip(*unpack_sentences(st, sc, v, self.dense.d))) for cid, st, sc, v in rows}

    def chunk_rows(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        if len(ids) == 0:
            return {}
        rows = self._rows(
            "SELECT c.id, c.doc_id, c.ord, c.start, c.end, c.text, d.title, d.source, d.url, d.date "
            f"FROM chunks c JOIN documents d USING(doc_id) WHERE c.id IN {_id_list(ids)}"
        )
        return {r[0]: ChunkRow(*r) for r in rows}

    def allowed_ids(self, *, sources: Sequence[str] = (), doc_ids: Sequence[str] = ()) -> np.ndarray:
        """Chunk ids of the documents matching the filters (any of the sources, any of the ids)."""
        clauses, args = [], []
        if sources:
            clauses.append(f"d.source IN ({','.join('?' * len(sources))})")
            args.extend(sources)
        if doc_ids:
            clauses.append(f"d.doc_id IN ({','.join('?' * len(doc_ids))})")
            args.extend(doc_ids)
        rows = self._rows(
            f"SELECT c.id FROM chunks c JOIN documents d USING(doc_id) WHERE {' AND '.join(clauses)}", args
        )
        return np.array([r[0] for r in rows], dtype=np.int64)

    def sources(self) -> list[tuple[str, int]]:
        """(source, number of documents), most documents first."""
        return [(s, int(n)) for s, n in self._rows(
            "SELECT source, count(*) FROM documents GROUP BY source ORDER BY count(*) DESC, source")]

    def documents(self, limit: int = 1000) -> list[dict]:
        rows = self._rows("SELECT doc_id, title, source, url, date FROM documents ORDER BY doc_id LIMIT ?", [limit])
        return [dict(zip(("doc_id", "title", "source", "url", "date"), r)) for r in rows]

    def document(self, doc_id: str) -> dict | None:
        rows = self._rows(
            "SELECT doc_id, title, source, url, date, origin, text, removed FROM documents WHERE doc_id=?", [doc_id]
        )
        if not rows:
            return None
        d = dict(zip(("doc_id", "title", "source", "url", "date", "origin", "text", "removed"), rows[0]))
        d["removed"] = json.loads(d["removed"])
        return d

    def close(self) -> None:
        with self._lock:
            self.conn.close()


class Lookup:
    """Content hashes of the committed index, for deciding what an update must embed."""

    def __init__(self, db: Path | None) -> None:
        self.conn = _connect(db, readonly=True) if db is not None else None  # None: a rebuild, all new

    def doc_hash(self, doc_id: str) -> str | None:
        if self.conn is None:
            return None
        row = self.conn.execute("SELECT hash FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def chunk_hashes(self, doc_id: str) -> dict[str, int]:
        """Embedding-input hash -> chunk id, for reusing vectors of unchanged chunks."""
        if self.conn is None:
            return {}
        return {h: i for i, h in self.conn.execute("SELECT id, hash FROM chunks WHERE doc_id=?", (doc_id,))}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _id_list(ids: Iterable[int]) -> str:
    """An SQL list of integer ids, "(1,2,3)"; int() keeps anything else out of the statement."""
    return "(" + ",".join(str(int(i)) for i in ids) + ")"


def _refuse_format(root: Path, found) -> None:
    if found == 1:
        raise IndexOutdatedError(f"index in {root} was written by an older version of rag: run "
                                 f"`rag index --index-dir {root}` once to upgrade it (nothing is embedded again)")
    raise IndexMismatchError(
        f"index in {root} has format {found}, this version reads {FORMAT_VERSION}: rebuild it with `rag index --rebuild`")


class Writer:
    """One update of the index, all or nothing. Use `Writer.open(...)` as a context manager."""

    def __init__(self, root: Path, manifest: dict, *, rebuild: bool, exact_limit: int = EXACT_LIMIT) -> None:
        import faiss

        self.root = root
        self.exact_limit = exact_limit
        self.manifest = manifest
        old_db = _live_db(root)
        self.rebuild = rebuild or old_db is None
        self.old_db = old_db
        self._sweep()
        if self.rebuild:
            self.db = root / f"store-{secrets.token_hex(4)}.sqlite"
            self.conn = _connect(self.db, readonly=False)
            self.conn.executescript(SCHEMA)
            self.generation = 0
            self.dense = faiss.IndexIDMap2(faiss.IndexFlatIP(int(manifest["dim"])))
            lexicon: Lexicon | None = Lexicon.empty()
        else:
            self.db = old_db
            self.conn = _connect(self.db, readonly=False)
            meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
            built = json.loads(meta["manifest"])
            # An index of format 1 kept its lexical index in FTS5: upgraded by this update, in place.
            upgrade = built.get("format_version") == 1 and {**built, "format_version": FORMAT_VERSION} == manifest
            if built != manifest and not upgrade:
                diff = ", ".join(
                    f"{k}: index has {built.get(k)!r}, settings say {manifest.get(k)!r}"
                    for k in sorted(set(built) | set(manifest)) if built.get(k) != manifest.get(k)
                )
                self.conn.close()
                raise IndexMismatchError(
                    f"index in {root} was built with other settings ({diff}): rebuild it with "
                    "`rag index --rebuild`, or change the settings back"
                )
            self.generation = int(meta["generation"])
            self.dense = faiss.read_index(str(_faiss_path(self.db, self.generation)))
            lexicon = None if upgrade else _load_or_none(_lex_path(self.db, self.generation))
            self.conn.executescript(SCHEMA)  # tables added since the index was built (all IF NOT EXISTS)
        self.conn.execute("BEGIN IMMEDIATE")
        self.roots: set[str] = {r for (r,) in self.conn.execute("SELECT path FROM roots")}
        # None: a format-1 index, or its file is lost; the commit builds the file from the chunks' texts
        self._lexical = Update(lexicon) if lexicon is not None else None

    @classmethod
    @contextmanager
    def open(cls, root: Path, manifest: dict, *, rebuild: bool = False,
             exact_limit: int = EXACT_LIMIT) -> Iterator["Writer"]:
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            raise IndexBusyError(
                f"another process is writing to the index in {root}; wait for it to finish, then run again"
            ) from None
        writer = None
        try:
            writer = cls(root, manifest, rebuild=rebuild, exact_limit=exact_limit)
            yield writer
        finally:
            if writer is not None:
                writer._abort()
            fcntl.flock(lock_fd, fcntl.LOCK_UN)
            os.close(lock_fd)

    # -- what the index holds ------------------------------------------------------------------
    def lookup(self) -> "Lookup":
        """What the index held before this update, on its own connection (usable from another thread)."""
        return Lookup(None if self.rebuild else self.db)

    def reconstruct(self, ids: Sequence[int]) -> np.ndarray:
        return self.dense.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def sentence_blobs(self, ids: Sequence[int]) -> dict[int, tuple[bytes, bytes, bytes]]:
        """Stored sentence vectors of these chunks, packed, for chunks whose vectors are reused."""
        q = f"SELECT chunk_id, starts, scales, vecs FROM sentence_vectors WHERE chunk_id IN {_id_list(ids)}"
        return {r[0]: tuple(r[1:]) for r in self.conn.execute(q)} if len(ids) else {}

    def docs_from(self, roots: Iterable[Path]) -> Iterator[str]:
        """Documents read from under these paths (a folder, a file, or a JSONL file's records)."""
        for root in roots:
            r = str(root)
            for (doc_id,) in self.conn.execute(
                "SELECT doc_id FROM documents WHERE origin = ? OR origin LIKE ? ESCAPE '\\' OR origin LIKE ? ESCAPE '\\'",
                (r, _like_escape(r) + "#%", _like_escape(r.rstrip("/")) + "/%"),
            ):
                yield doc_id

    def count_chunks(self) -> int:
        return int(self.dense.ntotal)

    def count_documents(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM documents").fetchone()[0])

    # -- changes -------------------------------------------------------------------------------
    def delete(self, doc_id: str) -> None:
        ids = [r[0] for r in self.conn.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
        if ids:
            self.dense.remove_ids(np.array(ids, dtype=np.int64))
            self.conn.execute(f"DELETE FROM sentence_vectors WHERE chunk_id IN {_id_list(ids)}")
            if self._lexical is not None:
                self._lexical.delete(ids)
        self.conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self.conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    def put(self, article, doc_hash: str, chunks: Sequence, chunk_hashes: Sequence[str], vectors: np.ndarray,
            sentences: Sequence[tuple[bytes, bytes, bytes] | None] = ()) -> None:
        """Replace the document `article.doc_id` with these chunks and (n, dim) float32 vectors, and
        each chunk's packed sentence vectors (`pack_sentences`) when given."""
        self.delete(article.doc_id)
        self.conn.execute(
            "INSERT INTO documents(doc_id, title, source, url, date, origin, hash, text, removed) VALUES(?,?,?,?,?,?,?,?,?)",
            (article.doc_id, article.title, article.source, article.url, article.date, article.origin, doc_hash,
             article.text, json.dumps([[r.rule, r.text] for r in article.removed], ensure_ascii=False)),
        )
        ids = []
        for ch, h in zip(chunks, chunk_hashes):
            cur = self.conn.execute(
                "INSERT INTO chunks(doc_id, ord, start, end, hash, text) VALUES(?,?,?,?,?,?)",
                (ch.doc_id, ch.ord, ch.start, ch.end, h, ch.text),
            )
            cid = cur.lastrowid
            ids.append(cid)
            if self._lexical is not None:
                self._lexical.add(cid, terms(ch.text))
        for cid, packed in zip(ids, sentences):
            if packed is not None:
                self.conn.execute("INSERT INTO sentence_vectors VALUES(?,?,?,?)", (cid, *packed))
        if ids:
            self.dense.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.array(ids, dtype=np.int64))

    def set_roots(self, roots: Iterable[Path]) -> None:
        for r in roots:
            self.conn.execute("INSERT OR IGNORE INTO roots(path) VALUES(?)", (str(r),))

    def commit(self) -> None:
        """Make the update live, atomically; see the module docstring for the order of writes."""
        import faiss

        gen = self.generation + 1
        self._write_lexicon(_lex_path(self.db, gen))
        target = _faiss_path(self.db, gen)
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        if _wrong_size(self.dense, self.exact_limit):
            self.dense = dense_index_for(*_all_vectors(self.dense), exact_limit=self.exact_limit)
        faiss.write_index(self.dense, str(tmp))
        _fsync_replace(tmp, target)
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('manifest', ?), ('generation', ?)",
            (json.dumps(self.manifest, sort_keys=True), str(gen)),
        )
        self.conn.execute("COMMIT")
        if self.rebuild:
            _write_text_atomic(self.root / CURRENT, self.db.name)
        self.generation = gen
        _write_text_atomic(
            self.root / MANIFEST,
            json.dumps({**self.manifest, "generation": gen, "database": self.db.name}, indent=2, sort_keys=True) + "\n",
        )
        self.conn.close()
        self.conn = None
        self._sweep()

    def _write_lexicon(self, target: Path) -> None:
        """The next generation's lexical index: the previous one with this update's changes."""
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        if self._lexical is None:  # from every chunk's text, this once
            rows = ((cid, terms(text)) for cid, text in self.conn.execute("SELECT id, text FROM chunks ORDER BY id"))
            lexicon = build(rows)
            self.conn.execute("DROP TABLE IF EXISTS lexical_vocab")
            self.conn.execute("DROP TABLE IF EXISTS lexical")
        elif not self._lexical.changed and not self.rebuild:
            try:  # unchanged: the same file under the new name
                os.link(_lex_path(self.db, self.generation), tmp)
            except OSError:  # a file system without hard links
                shutil.copyfile(_lex_path(self.db, self.generation), tmp)
            _fsync_replace(tmp, target)
            return
        else:
            lexicon = self._lexical.result()
        lexicon.save(tmp)
        _fsync_replace(tmp, target)

    def _abort(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self.conn.close()
            self.conn = None
            if self.rebuild and self.db != _live_db(self.root):
                for p in self.root.glob(f"{self.db.stem}*"):
                    p.unlink(missing_ok=True)

    def _sweep(self) -> None:
        """Delete files no live state refers to: old generations, abandoned rebuilds, temp files."""
        live = _live_db(self.root)
        keep = set()
        if live is not None:
            keep.add(live.name)
            keep.update({live.name + "-wal", live.name + "-shm"})
            try:
                conn = _connect(live, readonly=True)
                gen = int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
                conn.close()
                keep.update({_faiss_path(live, gen).name, _lex_path(live, gen).name})
            except (sqlite3.DatabaseError, TypeError):
                return
        current = getattr(self, "db", None)
        for p in self.root.iterdir():
            name = p.name
            if name in keep or name in (CURRENT, MANIFEST, LOCK) or not p.is_file():
                continue
            if current is not None and self.conn is not None and name.startswith(current.stem):
                continue  # the database this writer is building
            if name.startswith("store-") or (name.startswith(".") and ".tmp" in name):
                p.unlink(missing_ok=True)


def _load_or_none(path: Path) -> Lexicon | None:
    try:
        return Lexicon.load(path)
    except (FileNotFoundError, ValueError):
        return None


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- the dense index, chosen by size -------------------------------------------------------------
def dense_index_for(vectors: np.ndarray, ids: np.ndarray, *, exact_limit: int = EXACT_LIMIT):
    """A FAISS index of (n, dim) float32 `vectors` under int64 `ids`: flat (exact) below `exact_limit`,
    else IVF over float16 vectors with about sqrt(n) lists."""
    import faiss

    n, dim = vectors.shape
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if n < exact_limit:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        nlist = max(16, int(np.sqrt(n)))
        index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        # 64 points per list trains k-means well enough; more only costs build time
        sample = np.random.default_rng(0).choice(n, size=min(n, 64 * nlist), replace=False)
        index.train(vectors[np.sort(sample)])
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
        # measured (benchmarks/perf.py): recall@10 >= 0.98 from 1/16 of the lists, a few ms at 1M
        index.nprobe = max(16, nlist // 16)
    index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
    return index


def _wrong_size(index, exact_limit: int) -> bool:
    """The index type no longer suits its size: flat past the limit, IVF far below it or 4x past
    the size it was trained for (its lists would grow long and slow)."""
    import faiss

    n = index.ntotal
    if isinstance(index, faiss.IndexIVF):
        return n < exact_limit // 2 or n > 4 * index.nlist**2
    return n >= exact_limit


def _all_vectors(index) -> tuple[np.ndarray, np.ndarray]:
    """(vectors (n, dim) float32, ids (n,) int64) held by a flat or IVF index."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        inv = index.invlists
        ids = np.concatenate([np.zeros(0, dtype=np.int64)] + [
            faiss.rev_swig_ptr(inv.get_ids(i), inv.list_size(i)).copy()
            for i in range(index.nlist) if inv.list_size(i)
        ])
    else:
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    if len(ids) == 0:
        return np.zeros((0, index.d), dtype=np.float32), ids
    return index.reconstruct_batch(ids), ids


# -- sentence vectors, packed ---------------------------------------------------------------------
def pack_sentences(starts: Sequence[int], vecs: np.ndarray) -> tuple[bytes, bytes, bytes]:
    """Sentence starts and (m, dim) unit vectors as int8 with one scale per vector: a quarter of
    float32's size, cosines within about 0.005 of the originals."""
    vecs = np.asarray(vecs, dtype=np.float32).reshape(len(starts), -1)
    scales = np.maximum(np.abs(vecs).max(axis=1), 1e-12) / 127 if len(vecs) else np.zeros(0, np.float32)
    q = np.round(vecs / scales[:, None]).astype(np.int8) if len(vecs) else np.zeros((0, 0), np.int8)
    return (np.asarray(starts, dtype=np.int32).tobytes(), scales.astype(np.float32).tobytes(), q.tobytes())


def unpack_sentences(starts: bytes, scales: bytes, vecs: bytes, dim: int) -> tuple[list[int], np.ndarray]:
    """(starts, (m, dim) float32 unit vectors) from `pack_sentences`."""
    st = np.frombuffer(starts, dtype=np.int32)
    sc = np.frombuffer(scales, dtype=np.float32)
    v = np.frombuffer(vecs, dtype=np.int8).reshape(len(st), dim).astype(np.float32) * sc[:, None]
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return [int(x) for x in st], v
