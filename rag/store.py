"""Store: a read view of the index folder (rag/layout.py says what its files are).

A `Store` reads inside one SQLite read transaction, so its rows stay those of the generation its FAISS
and lexical files hold while writers (rag/writer.py) commit newer ones; `changed()` says when to open a
new `Store`. Readers never lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from . import dense, sentvec
from .errors import IndexNotFoundError
from .layout import connect, faiss_path, id_list, lex_path, live_db
from .lexical import Lexicon
from .manifest import FORMAT_VERSION, check_model
from .migrations import refuse_format
from .terms import TERMS_VERSION
from .types import Article, ChunkRow, DateRange, Removal


class Store:
    """A read view of one generation of the index; `refresh()` follows newer generations."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.RLock()
        self._open()

    def _open(self) -> None:
        import faiss

        for _attempt in range(5):
            db = live_db(self.root)
            if db is None:
                raise IndexNotFoundError(
                    f"no index in {self.root}; build one with `rag index PATHS --index-dir {self.root}`"
                )
            conn = connect(db, readonly=True)
            try:
                # The read transaction pins this generation's rows (WAL keeps them for us) until closed.
                conn.execute("BEGIN")
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                generation = int(meta["generation"])
                manifest = json.loads(meta["manifest"])
                if manifest.get("format_version") != FORMAT_VERSION or manifest.get("terms_version") != TERMS_VERSION:
                    conn.close()
                    refuse_format(self.root, manifest)
                index = faiss.read_index(str(faiss_path(db, generation)))
                lexicon = Lexicon.load(lex_path(db, generation))
            except (FileNotFoundError, RuntimeError, KeyError, ValueError, sqlite3.DatabaseError):
                conn.close()
                continue  # a writer moved on between our reads; look again
            self.db, self.conn, self.generation, self.dense = db, conn, generation, index
            self.lexicon, self.manifest = lexicon, manifest
            self._years: tuple[int, ...] | None = None
            self._outlets: list[str] | None = None
            return
        raise IndexNotFoundError(f"index in {self.root} is incomplete or changing; run `rag index` to repair it")

    def changed(self) -> bool:
        """True when a writer has committed a generation other than the one this view reads."""
        db = live_db(self.root)
        if db != self.db:
            return True
        # Our own connection sees only our snapshot: ask a fresh one what is committed now.
        conn = connect(db, readonly=True)
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
        check_model(self.manifest, self.root, model, dim)

    # -- reads -------------------------------------------------------------------------------
    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self.conn.execute(sql, args).fetchall()

    def count_chunks(self) -> int:
        return int(self.dense.ntotal)

    def count_documents(self) -> int:
        return int(self._rows("SELECT count(*) FROM documents")[0][0])

    def dense_search(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None = None
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Top `n` chunk ids by inner product with `qvec` (dim,), optionally only among `allowed`."""
        return dense.search(self.dense, qvec, n, allowed)

    def vectors(self, ids: Sequence[int]) -> npt.NDArray[np.float32]:
        """(len(ids), dim) float32, the stored vectors of these chunks."""
        return dense.vectors(self.dense, ids)

    def lexical_search(self, qterms: Sequence[str], n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top `n` (chunk id, BM25 score) for the query terms, optionally only among `allowed`."""
        return self.lexicon.search(qterms, n, allowed)

    def lexical_scores(self, qterms: Sequence[str], ids: Iterable[int]) -> dict[int, float]:
        """BM25 scores of given chunks (absent: no query term in the chunk)."""
        return self.lexicon.scores(qterms, ids)

    def doc_freqs(self, qterms: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each term."""
        return self.lexicon.doc_freqs(qterms)

    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, dict[int, npt.NDArray[np.float32]]]:
        """Per chunk id: sentence start (offset in the chunk) -> (dim,) float32 vector, as indexed."""
        if len(ids) == 0:
            return {}
        try:
            rows = self._rows(f"SELECT chunk_id, starts, scales, vecs FROM sentence_vectors WHERE chunk_id IN "
                              f"{id_list(ids)}")
        except sqlite3.OperationalError:  # an index written before sentence vectors were stored
            return {}
        return {cid: dict(zip(*sentvec.unpack(st, sc, v, self.dense.d))) for cid, st, sc, v in rows}

    def chunk_rows(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        if len(ids) == 0:
            return {}
        rows = self._rows(
            "SELECT c.id, c.doc_id, c.ord, c.start, c.end, c.text, d.title, d.source, d.url, d.date, d.author "
            f"FROM chunks c JOIN documents d USING(doc_id) WHERE c.id IN {id_list(ids)}"
        )
        return {r[0]: ChunkRow(*r) for r in rows}

    def allowed_ids(self, *, sources: Sequence[str] = (), doc_ids: Sequence[str] = (),
                    dates: DateRange | None = None) -> npt.NDArray[np.int64]:
        """Chunk ids of the documents matching the filters (any of the sources, any of the ids, published
        in the date range); the date index finds them, so a narrow range reads only its own rows."""
        clauses: list[str] = []
        args: list[str] = []
        lo, hi = dates.bounds() if dates else (None, None)
        if lo is not None:
            clauses.append("d.date >= ?")
            args.append(lo)
        if hi is not None:
            clauses.append("d.date < ? AND d.date != ''")
            args.append(hi)
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

    def outlets(self) -> list[str]:
        """The outlets the articles name (not ""), read once per generation: for questions that name one."""
        with self._lock:
            if self._outlets is None:
                self._outlets = [r[0] for r in self.conn.execute("SELECT DISTINCT source FROM documents WHERE source != ''")]
            return self._outlets

    def sources(self) -> list[tuple[str, int]]:
        """(source, number of documents), most documents first."""
        return [(s, int(n)) for s, n in self._rows(
            "SELECT source, count(*) FROM documents GROUP BY source ORDER BY count(*) DESC, source")]

    def documents(self, limit: int = 1000) -> list[dict[str, str]]:
        rows = self._rows("SELECT doc_id, title, source, url, date, author FROM documents ORDER BY doc_id LIMIT ?",
                          [limit])
        return [dict(zip(("doc_id", "title", "source", "url", "date", "author"), r)) for r in rows]

    def date_years(self) -> tuple[int, ...]:
        """The years the dated articles were published in, oldest first; () when none has a date.
        Read once per generation (a walk of the date index), for questions that name a day but no year."""
        with self._lock:
            if self._years is None:
                years = set()
                lo = "0"  # past the undated articles' ""
                while row := self.conn.execute(
                        "SELECT substr(date, 1, 4) FROM documents WHERE date >= ? ORDER BY date LIMIT 1", [lo]
                ).fetchone():  # one index seek per year, not a scan of every document
                    if row[0].isdigit():
                        years.add(int(row[0]))
                    lo = f"{int(row[0]) + 1:04d}" if row[0].isdigit() else row[0] + "\uffff"
                self._years = tuple(sorted(years))
            return self._years

    def document(self, doc_id: str) -> Article | None:
        """The indexed article `doc_id`, as ingest made it, or None."""
        rows = self._rows(
            "SELECT doc_id, title, source, url, date, origin, text, removed, author FROM documents WHERE doc_id=?",
            [doc_id]
        )
        if not rows:
            return None
        doc_id, title, source, url, date, origin, text, removed, author = rows[0]
        return Article(doc_id, title, text, source=source, url=url, date=date, origin=origin, author=author,
                       removed=tuple(Removal(rule, dropped) for rule, dropped in json.loads(removed)))

    def close(self) -> None:
        with self._lock:
            self.conn.close()


class Lookup:
    """Content hashes of the committed index, for deciding what an update must embed."""

    def __init__(self, db: Path | None) -> None:
        self.conn = connect(db, readonly=True) if db is not None else None  # None: a rebuild, all new

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
