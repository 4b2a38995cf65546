"""newsrag: question answering over scraped news articles with sentence-level citations."""

from typing import Any


def __getattr__(name: str) -> Any:
    """`from rag import Assistant` without importing the heavy answering stack for every `rag.*` import."""
    if name == "Assistant":
        from rag.assistant import Assistant

        return Assistant
    raise AttributeError(name)
