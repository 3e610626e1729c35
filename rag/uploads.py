"""Uploads: files a client sent, checked and copied into the index's `uploads/` folder before indexing.

A client names an uploaded file by its path on the server, so every path from a client is checked
against the folder the upload route wrote it to (`received_file`) before it is read: a path elsewhere,
a symlink that leads out, a URL or a folder is refused and nothing is copied. Names are made safe
(`upload_name`), an earlier upload is never overwritten, and a file whose document ids already come
from another file is refused. It leaves out the indexing itself (`Index.update`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .ingest import read_articles, too_large, unsupported
from .store import Store
from .types import Skipped, from_file, origin_file


def received_file(path: object, folder: str | Path) -> str | None:
    """Why `path` is not a file a client uploaded into `folder`, or None when it is.

    The real path (symlinks resolved) must lie inside the real `folder`, and be a regular file.

    >>> received_file("/etc/passwd", "/tmp/uploads")
    "/etc/passwd was not uploaded through this app; upload the file with the page's file box"
    """
    if not isinstance(path, str) or not path or "\x00" in path:
        return "not a file reference; upload the file with the page's file box"
    root = os.path.realpath(folder)
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root or real == root:
        return f"{path} was not uploaded through this app; upload the file with the page's file box"
    if not os.path.isfile(real):
        return f"{path} is not an uploaded file; upload the file with the page's file box"
    return None


def upload_name(name: str) -> str:
    r"""A file name safe to create inside the uploads folder: no folders, no leading dots, plain characters.

    >>> upload_name("../../etc/passwd.txt"), upload_name("C:\\x\\My news.md"), upload_name("..")
    ('passwd.txt', 'My_news.md', 'upload')
    """
    base = re.split(r"[/\\]", name)[-1]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip("._-")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:100] or "upload"
    return f"{stem}.{suffix[:10]}" if suffix else stem


def copy_upload(name: str, src: Path, uploads: Path, store: Store | None, *, max_file_bytes: int) -> Path | Skipped:
    """Copy one upload into `uploads` under a safe name; the copy's path, or why it was refused.

    The same type and size checks as indexing come first, so nothing refused is ever copied.
    """
    safe = upload_name(name)
    why = unsupported(Path(safe).suffix) or too_large(src.stat().st_size, max_file_bytes)
    if why is not None:
        return Skipped(name, why)
    data = src.read_bytes()
    stem, suffix = Path(safe).stem, Path(safe).suffix
    dest, n = uploads / safe, 1
    while dest.exists() and dest.read_bytes() != data:  # never overwrite an earlier upload
        n += 1
        dest = uploads / f"{stem}-{n}{suffix}"
    fresh = not dest.exists()
    if fresh:
        dest.write_bytes(data)
    clash = taken_ids(dest, store, max_file_bytes=max_file_bytes)
    if clash:
        if fresh:
            dest.unlink()
        return Skipped(name, clash)
    return dest


def taken_ids(path: Path, store: Store | None, *, max_file_bytes: int) -> str:
    """Why `path` may not be indexed: one of its document ids already comes from another file."""
    if store is None:
        return ""
    for item in read_articles([path], max_file_bytes=max_file_bytes):
        if isinstance(item, Skipped):
            continue
        doc = store.document(item.doc_id)
        if doc and not from_file(doc.origin, str(path)):
            return (f"document id {item.doc_id!r} is already in the index (from {Path(origin_file(doc.origin)).name}); "
                    "rename the file or the record id and upload it again")
    return ""
