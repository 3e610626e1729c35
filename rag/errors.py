"""The library's own errors. Each message says what to do next; only the faces (CLI, HTTP, app) turn
them into exit codes, status codes or chat messages."""

from __future__ import annotations


class RagError(Exception):
    """Base class: a problem the user can fix; the message says how."""

    status = 400  # the HTTP status a face should answer with


class SettingsError(RagError):
    """A setting (flag or RAG_* variable) has a value that cannot work."""


class InputError(RagError):
    """A question, query or request that cannot be answered as given (empty, too long, ...)."""


class SourceError(RagError):
    """A path to index that does not exist or cannot be read."""


class IndexNotFoundError(RagError):
    """No index in the folder yet."""

    status = 404


class IndexMismatchError(RagError):
    """The index was built with settings that differ from the current ones."""

    status = 409


class IndexOutdatedError(IndexMismatchError):
    """The index was written by an older version; one update upgrades it in place."""


class IndexBusyError(RagError):
    """Another process is writing to the same index."""

    status = 409


class StoreError(RagError):
    """The store named by RAG_STORE (a Milvus server, a milvus-lite file) cannot be opened or used."""

    status = 503


class ModelError(RagError):
    """The embedding model could not be loaded."""

    status = 500


class ClusterError(RagError):
    """The Ray cluster a build runs on cannot be reached, or went away before the build finished."""

    status = 503


class LLMError(RagError):
    """The language model server failed; callers fall back to an extractive answer."""

    status = 502
