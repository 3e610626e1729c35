"""Migrations: what an index written by an older version needs, apart from the code that reads today's.

Like simonw/llm's migrations, each step names the format it upgrades from. Format 1 kept its lexical
index in SQLite's FTS5: one `rag index` upgrades it in place, building the lexical file from the
stored chunk texts (nothing is embedded again) and dropping the FTS5 tables.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import IndexMismatchError, IndexOutdatedError
from .manifest import FORMAT_VERSION, Manifest

UPGRADABLE = {1}  # formats one update upgrades in place
FTS5_TABLES = ("lexical_vocab", "lexical")  # format 1's lexical index


def upgradable(built: Manifest, manifest: Manifest) -> bool:
    """True when `built` is an older format that an update with `manifest` upgrades in place."""
    return built.get("format_version") in UPGRADABLE and {**built, "format_version": FORMAT_VERSION} == manifest


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
