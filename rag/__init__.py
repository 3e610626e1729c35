"""Cited answers over a corpus of news articles. This is the public API."""

from .index import Index
from .errors import (IndexBusyError, IndexMismatchError, IndexNotFoundError, IndexOutdatedError, InputError, LLMError, ModelError,
                     RagError, SettingsError, SourceError)
from .settings import Settings
from .types import Answer, Article, Chunk, Citation, IndexReport, Passage, Removal, Skipped

__all__ = [
    "Index", "Settings",
    "Answer", "Article", "Chunk", "Citation", "IndexReport", "Passage", "Removal", "Skipped",
    "RagError", "InputError", "SettingsError", "SourceError", "IndexNotFoundError", "IndexMismatchError",
    "IndexOutdatedError", "IndexBusyError", "ModelError", "LLMError",
]
