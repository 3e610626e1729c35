"""Migrations: what an index written by an older version needs, apart from the code that reads today's.

Like simonw/llm's migrations, each step names the format it upgrades from. Format 1 kept its lexical
index in SQLite's FTS5: one `rag index` upgrades it in place, building the lexical file from the
stored chunk texts (nothing is embedded again) and dropping the FTS5 tables. Format 2 had no author
column: the update adds it, and reads every article again for its metadata (vectors of unchanged chunk
texts are reused, as in any update). An index whose lexical terms were cut by an older `terms` (its
manifest's terms_version) has its lexical file built again from the chunk texts the same way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import IndexMismatchError, IndexOutdatedError
from .manifest import FORMAT_VERSION, Manifest
from .terms import TERMS_VERSION

UPGRADABLE = {1, 2}  # formats one update upgrades in place
FTS5_TABLES = ("lexical_vocab", "lexical")  # format 1's lexical index


def outdated(built: Manifest) -> bool:
    """True when an index with manifest `built` was written by an older version that an update upgrades."""
    return built.get("format_version") in UPGRADABLE or (
        built.get("format_version") == FORMAT_VERSION and built.get("terms_version", 0) < TERMS_VERSION)


def upgradable(built: Manifest, manifest: Manifest) -> bool:
    """True when `built` is an older index that an update with `manifest` upgrades in place."""
    return outdated(built) and {**built, "format_version": FORMAT_VERSION, "terms_version": TERMS_VERSION} == manifest


def reads_articles(built: Manifest) -> bool:
    """True when upgrading `built` needs every article read again (format 2 had no author column); an
    index only its terms date has its lexical file rebuilt from the stored chunk texts instead."""
    return built.get("format_version") in UPGRADABLE


def rebuilds_lexicon(built: Manifest) -> bool:
    """True when the index's lexical file must be built again from the chunk texts (format 1's was FTS5;
    an older terms_version cut other terms)."""
    return built.get("format_version") == 1 or built.get("terms_version", 0) != TERMS_VERSION


def add_columns(conn: sqlite3.Connection) -> None:
    """Columns added since format 2, for an index written before them (inside the update's transaction)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
    if "author" not in have:
        conn.execute("ALTER TABLE documents ADD COLUMN author TEXT NOT NULL DEFAULT ''")


def drop_old_tables(conn: sqlite3.Connection) -> None:
    """The tables of format 1 that the upgrade replaced."""
    for table in FTS5_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def refuse_format(root: Path, built: Manifest) -> None:
    """Raise the error for an index with manifest `built`, which this version does not read."""
    found = built.get("format_version")
    if outdated(built):
        raise IndexOutdatedError(f"index in {root} was written by an older version of rag: run "
                                 f"`rag index --index-dir {root}` once to upgrade it (nothing is embedded again)")
    if found == FORMAT_VERSION:  # written by a newer version's terms
        found = f"{found} with terms version {built.get('terms_version')}"
    raise IndexMismatchError(f"index in {root} has format {found}, this version reads {FORMAT_VERSION} with terms "
                             f"version {TERMS_VERSION}: rebuild it with `rag index --rebuild`")
