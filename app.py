"""Placeholder face until the chat app lands: builds the index from the bundled corpus, answers a sample question."""
import sys
from pathlib import Path

from rag import Index, RagError, Settings

if __name__ == "__main__":
    try:
        idx = Index.open(Settings.load(), build_from=[Path(__file__).parent / "corpus"])
        print(idx.ask("Who initiated the phone call between Putin and Macron?").answer)
    except RagError as e:
        sys.exit(f"rag: error: {e}")
