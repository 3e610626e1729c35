"""Writer: one update of the index folder, all or nothing (rag/layout.py says what its files are).

An update writes the next generation's lexical and FAISS files first, then commits SQLite (which
records the generation), then deletes the old generation's files; a rebuild writes a new SQLite file
and switches `CURRENT` last. A crash at any moment leaves a complete previous (or next) state, and
stale files are swept by the next writer. One writer at a time: a lock file.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from . import dense
from .dense import EXACT_LIMIT
from .errors import IndexBusyError, IndexMismatchError
from .layout import (CURRENT, LOCK, MANIFEST, SCHEMA, connect, faiss_path, fsync_replace, id_list, lex_path,
                     like_escape, live_db, write_text_atomic)
from .lexical import Lexicon, Update, build
from .manifest import Manifest, check_same
from .migrations import add_columns, drop_old_tables, reads_articles, rebuilds_lexicon, upgradable
from .store import Lookup
from .terms import terms
from .types import Article, Chunk

if TYPE_CHECKING:
    import faiss

    from .settings import Settings


class Writer:
    """One update of the index, all or nothing. Use `Writer.open(...)` as a context manager."""

    def __init__(self, root: Path, manifest: Manifest, *, rebuild: bool, exact_limit: int = EXACT_LIMIT) -> None:
        import faiss

        self.root = root
        self.exact_limit = exact_limit
        self.manifest = manifest
        old_db = live_db(root)
        self.rebuild = rebuild or old_db is None
        self.old_db = old_db
        self._sweep()
        # None once the update is over (committed or aborted)
        self.conn: sqlite3.Connection | None
        self.dense: faiss.Index
        # True when this update upgrades an index of an older format, which needs every article read again
        self.reads_articles = False
        if rebuild or old_db is None:  # self.rebuild, spelled out: old_db is a Path below
            self.db = root / f"store-{secrets.token_hex(4)}.sqlite"
            self.conn = connect(self.db, readonly=False)
            self.conn.executescript(SCHEMA)
            self.generation = 0
            self.dense = dense.empty(int(manifest["dim"]))
            lexicon: Lexicon | None = Lexicon.empty()
        else:
            self.db = old_db
            self.conn = connect(self.db, readonly=False)
            meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
            built = json.loads(meta["manifest"])
            upgrade = upgradable(built, manifest)
            self.reads_articles = upgrade and reads_articles(built)
            if not upgrade:
                try:
                    check_same(built, manifest, root)
                except IndexMismatchError:
                    self.conn.close()
                    raise
            self.generation = int(meta["generation"])
            self.dense = faiss.read_index(str(faiss_path(self.db, self.generation)))
            lexicon = None if upgrade and rebuilds_lexicon(built) else _load_or_none(lex_path(self.db, self.generation))
            self.conn.executescript(SCHEMA)  # tables added since the index was built (all IF NOT EXISTS)
        self.conn.execute("BEGIN IMMEDIATE")
        add_columns(self.conn)
        # The paths indexed before, which an update naming none reads again; a rebuild's database is
        # new and empty, so they come from the live one.
        self.roots: set[str] = _roots(old_db) if self.rebuild and old_db is not None else {
            r for (r,) in self.conn.execute("SELECT path FROM roots")}
        # None: a format-1 index, or its file is lost; the commit builds the file from the chunks' texts
        self._lexical = Update(lexicon) if lexicon is not None else None

    @classmethod
    @contextmanager
    def open(cls, root: Path, manifest: Manifest, *, rebuild: bool = False,
             exact_limit: int = EXACT_LIMIT) -> Iterator[Writer]:
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

    @property
    def _conn(self) -> sqlite3.Connection:
        """The update's connection, open until `commit` or `_abort`."""
        assert self.conn is not None, "this update is over (committed or aborted)"
        return self.conn

    # -- what the index holds ------------------------------------------------------------------
    def lookup(self) -> Lookup:
        """What the index held before this update, on its own connection (usable from another thread)."""
        return Lookup(None if self.rebuild else self.db)

    def reconstruct(self, ids: Sequence[int]) -> npt.NDArray[np.float32]:
        """(len(ids), dim) float32, the stored vectors of these chunks."""
        return self.dense.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def sentence_blobs(self, ids: Sequence[int]) -> dict[int, tuple[bytes, bytes, bytes]]:
        """Stored sentence vectors of these chunks, packed, for chunks whose vectors are reused."""
        q = f"SELECT chunk_id, starts, scales, vecs FROM sentence_vectors WHERE chunk_id IN {id_list(ids)}"
        return {r[0]: tuple(r[1:]) for r in self._conn.execute(q)} if len(ids) else {}

    def docs_from(self, roots: Iterable[Path]) -> Iterator[str]:
        """Documents read from under these paths (a folder, a file, or a JSONL file's records)."""
        for root in roots:
            r = str(root)
            for (doc_id,) in self._conn.execute(
                "SELECT doc_id FROM documents WHERE origin = ? OR origin LIKE ? ESCAPE '\\' OR origin LIKE ? ESCAPE '\\'",
                (r, like_escape(r) + "#%", like_escape(r.rstrip("/")) + "/%"),
            ):
                yield doc_id

    def count_chunks(self) -> int:
        return int(self.dense.ntotal)

    def count_documents(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM documents").fetchone()[0])

    # -- changes -------------------------------------------------------------------------------
    def delete(self, doc_id: str) -> None:
        ids = [r[0] for r in self._conn.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
        if ids:
            # faiss takes an array of ids here too; its stubs say an IDSelector only
            self.dense.remove_ids(np.array(ids, dtype=np.int64))  # type: ignore[arg-type]
            self._conn.execute(f"DELETE FROM sentence_vectors WHERE chunk_id IN {id_list(ids)}")
            if self._lexical is not None:
                self._lexical.delete(ids)
        self._conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self._conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    def put(self, article: Article, doc_hash: str, chunks: Sequence[Chunk], chunk_hashes: Sequence[str], vectors: np.ndarray,
            sentences: Sequence[tuple[bytes, bytes, bytes] | None] = ()) -> None:
        """Replace the document `article.doc_id` with these chunks and (n, dim) float32 vectors, and
        each chunk's packed sentence vectors (`sentvec.pack`) when given."""
        self.delete(article.doc_id)
        self._conn.execute(
            "INSERT INTO documents(doc_id, title, source, url, date, origin, hash, text, removed, author) "
            "VALUES(?,?,?,?,?,?,?,?,?,?)",
            (article.doc_id, article.title, article.source, article.url, article.date, article.origin, doc_hash,
             article.text, json.dumps([[r.rule, r.text] for r in article.removed], ensure_ascii=False),
             article.author),
        )
        ids = []
        for ch, h in zip(chunks, chunk_hashes):
            cur = self._conn.execute(
                "INSERT INTO chunks(doc_id, ord, start, end, hash, text) VALUES(?,?,?,?,?,?)",
                (ch.doc_id, ch.ord, ch.start, ch.end, h, ch.text),
            )
            cid = cast(int, cur.lastrowid)  # an INSERT's row id
            ids.append(cid)
            if self._lexical is not None:
                self._lexical.add(cid, terms(ch.text))
        for cid, packed in zip(ids, sentences):
            if packed is not None:
                self._conn.execute("INSERT INTO sentence_vectors VALUES(?,?,?,?)", (cid, *packed))
        if ids:
            self.dense.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.array(ids, dtype=np.int64))

    def set_roots(self, roots: Iterable[Path]) -> None:
        """Record `roots` as indexed paths, read again by an update that names none."""
        for r in roots:
            self._conn.execute("INSERT OR IGNORE INTO roots(path) VALUES(?)", (str(r),))

    def commit(self) -> None:
        """Make the update live, atomically; see the module docstring for the order of writes."""
        import faiss

        gen = self.generation + 1
        self._write_lexicon(lex_path(self.db, gen))
        target = faiss_path(self.db, gen)
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        if dense.wrong_size(self.dense, self.exact_limit):
            self.dense = dense.dense_index_for(*dense.all_vectors(self.dense), exact_limit=self.exact_limit)
        faiss.write_index(self.dense, str(tmp))
        fsync_replace(tmp, target)
        self._conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('manifest', ?), ('generation', ?)",
            (json.dumps(self.manifest, sort_keys=True), str(gen)),
        )
        self._conn.execute("COMMIT")
        if self.rebuild:
            write_text_atomic(self.root / CURRENT, self.db.name)
        self.generation = gen
        write_text_atomic(
            self.root / MANIFEST,
            json.dumps({**self.manifest, "generation": gen, "database": self.db.name}, indent=2, sort_keys=True) + "\n",
        )
        self._conn.close()
        self.conn = None
        self._sweep()

    def _write_lexicon(self, target: Path) -> None:
        """The next generation's lexical index: the previous one with this update's changes."""
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        if self._lexical is None:  # from every chunk's text, this once
            rows = ((cid, terms(text)) for cid, text in self._conn.execute("SELECT id, text FROM chunks ORDER BY id"))
            lexicon = build(rows)
            drop_old_tables(self._conn)
        elif not self._lexical.changed and not self.rebuild:
            try:  # unchanged: the same file under the new name
                os.link(lex_path(self.db, self.generation), tmp)
            except OSError:  # a file system without hard links
                shutil.copyfile(lex_path(self.db, self.generation), tmp)
            fsync_replace(tmp, target)
            return
        else:
            lexicon = self._lexical.result()
        lexicon.save(tmp)
        fsync_replace(tmp, target)

    def _abort(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self.conn.close()
            self.conn = None
            if self.rebuild and self.db != live_db(self.root):
                for p in self.root.glob(f"{self.db.stem}*"):
                    p.unlink(missing_ok=True)

    def _sweep(self) -> None:
        """Delete files no live state refers to: old generations, abandoned rebuilds, temp files."""
        live = live_db(self.root)
        keep = set()
        if live is not None:
            keep.add(live.name)
            keep.update({live.name + "-wal", live.name + "-shm"})
            try:
                conn = connect(live, readonly=True)
                gen = int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
                conn.close()
                keep.update({faiss_path(live, gen).name, lex_path(live, gen).name})
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


def open_writer(settings: Settings, manifest: Manifest, *, rebuild: bool = False) -> AbstractContextManager[Writer]:
    """An update of the store `settings` names: the index folder's, or Milvus's (`settings.store`)."""
    if settings.store:
        from .milvus import MilvusWriter, parse_url

        target = parse_url(settings.store)
        assert target is not None  # settings.store is a Milvus URL
        return MilvusWriter.open(target, manifest, rebuild=rebuild)
    return Writer.open(settings.index_dir, manifest, rebuild=rebuild)


def _load_or_none(path: Path) -> Lexicon | None:
    try:
        return Lexicon.load(path)
    except (FileNotFoundError, ValueError):
        return None


def _roots(db: Path) -> set[str]:
    conn = connect(db, readonly=True)
    try:
        return {r for (r,) in conn.execute("SELECT path FROM roots")}
    finally:
        conn.close()
