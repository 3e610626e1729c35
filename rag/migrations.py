"""Migrations: what an index written by an older version needs, apart from the code that reads today's.

Like simonw/llm's migrations, each step names the format it upgrades from. Format 1 kept its lexical
index in SQLite's FTS5: one `rag index` upgrades it in place, building the lexical file from the
stored chunk texts (nothing is embedded again) and dropping the FTS5 tables. Format 2 had no author
column: the update adds it, and reads every article again for its metadata (vectors of unchanged chunk
texts are reused, as in any update).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import IndexMismatchError, IndexOutdatedError
from .manifest import FORMAT_VERSION, Manifest

UPGRADABLE = {1, 2}  # formats one update upgrades in place
FTS5_TABLES = ("lexical_vocab", "lexical")  # format 1's lexical index


def upgradable(built: Manifest, manifest: Manifest) -> bool:
    """True when `built` is an older format that an update with `manifest` upgrades in place."""
    return built.get("format_version") in UPGRADABLE and {**built, "format_version": FORMAT_VERSION} == manifest


def rebuilds_lexicon(built: Manifest) -> bool:
    """True when the index's lexical file must be built again from the chunk texts (format 1's was FTS5)."""
    return built.get("format_version") == 1


def add_columns(conn: sqlite3.Connection) -> None:
    """Columns added since format 2, for an index written before them (inside the update's transaction)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
    if "author" not in have:
        conn.execute("ALTER TABLE documents ADD COLUMN author TEXT NOT NULL DEFAULT ''")


def drop_old_tables(conn: sqlite3.Connection) -> None:
    """The tables of format 1 that the upgrade replaced."""
    for table in FTS5_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def refuse_format(root: Path, found: object) -> None:
    """Raise the error for an index of format `found`, which this version does not read."""
    if found in UPGRADABLE:
        raise IndexOutdatedError(f"index in {root} was written by an older version of rag: run "
                                 f"`rag index --index-dir {root}` once to upgrade it (nothing is embedded again)")
    raise IndexMismatchError(
        f"index in {root} has format {found}, this version reads {FORMAT_VERSION}: rebuild it with `rag index --rebuild`")
