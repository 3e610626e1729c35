"""Cited answers over a corpus of news articles. This is the public API."""

from .index import Index
from .errors import (IndexBusyError, IndexMismatchError, IndexNotFoundError, IndexOutdatedError, InputError, LLMError, ModelError,
                     RagError, SettingsError, SourceError, StoreError)
from .settings import Settings
from .timeline import Day, Event, Timeline
from .types import Answer, Article, Chunk, Citation, DateRange, IndexReport, Passage, Removal, Skipped

__all__ = [
    "Index", "Settings",
    "Answer", "Article", "Chunk", "Citation", "DateRange", "IndexReport", "Passage", "Removal", "Skipped",
    "Timeline", "Day", "Event",
    "RagError", "InputError", "SettingsError", "SourceError", "IndexNotFoundError", "IndexMismatchError",
    "IndexOutdatedError", "IndexBusyError", "ModelError", "LLMError", "StoreError",
]
