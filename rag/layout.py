"""Layout: the index folder's files, and how they are written atomically.

- `CURRENT` names the live SQLite file; `manifest.json` mirrors its manifest for people; `.lock` is
  the one writer's lock.
- The SQLite file holds the manifest, the documents, the chunks and their sentence vectors (`SCHEMA`).
- `<db>.g<generation>.lex` and `<db>.g<generation>.faiss` hold the lexical and dense index of one
  generation; the generation a database records is the one whose files are live.

Every file is written under a temporary name, fsynced and renamed into place (`fsync_replace`), so a
crash leaves the old file or the new one, never a part of either. It leaves out what the files hold
(rag/store.py reads them, rag/writer.py writes them).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = ".lock"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, url TEXT NOT NULL,
    date TEXT NOT NULL, origin TEXT NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL,
    removed TEXT NOT NULL, author TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS documents_origin ON documents(origin);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE INDEX IF NOT EXISTS documents_date ON documents(date);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, ord INTEGER NOT NULL, start INTEGER NOT NULL,
    end INTEGER NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS roots(path TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS sentence_vectors(chunk_id INTEGER PRIMARY KEY, starts BLOB NOT NULL,
    scales BLOB NOT NULL, vecs BLOB NOT NULL);
"""



def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30)
    if not readonly:
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the commit is on disk before the old generation's FAISS file is deleted (power loss safe).
        conn.execute("PRAGMA synchronous=FULL")
    return conn


def live_db(root: Path) -> Path | None:
    """The SQLite file `CURRENT` names, or None when there is no index (yet)."""
    try:
        name = (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    path = root / name
    return path if name and path.exists() else None


def faiss_path(db: Path, generation: int) -> Path:
    return db.with_name(f"{db.stem}.g{generation}.faiss")


def lex_path(db: Path, generation: int) -> Path:
    return db.with_name(f"{db.stem}.g{generation}.lex")


def fsync_replace(tmp: Path, target: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    dfd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    fsync_replace(tmp, path)




def id_list(ids: Iterable[int]) -> str:
    """An SQL list of integer ids, "(1,2,3)"; int() keeps anything else out of the statement."""
    return "(" + ",".join(str(int(i)) for i in ids) + ")"


def like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
