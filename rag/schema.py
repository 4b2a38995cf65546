"""The records that flow through the ingest pipeline: load -> clean -> sentences -> chunks."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceRecord:
    """One article as read from disk, before any cleaning.

    `text` is the original text that offsets refer to: the decoded file for .txt/.md, the text field of a
    JSONL/CSV row, or the text trafilatura extracted from an .html page.
    """

    path: str
    locator: str
    text: str
    fmt: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    author: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SkippedRecord:
    """A file or record that could not be ingested, and why."""

    locator: str
    reason: str


@dataclass(frozen=True)
class Removal:
    """A span of the original text kept out of the index, with the rule that removed it."""

    start: int
    end: int
    text: str
    reason: str


@dataclass
class CleanedArticle:
    """An article with boilerplate and header lines removed and a map from cleaned back to original offsets."""

    id: str
    record: SourceRecord
    text: str
    title: str
    date: str | None
    source: str | None
    author: str | None
    url: str | None
    removed: list[Removal]
    # Pieces of the cleaned text that are verbatim copies of the original: (clean_start, orig_start, length).
    pieces: list[tuple[int, int, int]]
    duplicates: list[Duplicate] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)

    def to_original(self, clean_start: int, clean_end: int) -> tuple[int, int]:
        """Original-text span of a cleaned-text span (it also covers anything removed inside it)."""
        return self._orig_offset(clean_start), self._orig_offset(clean_end - 1) + 1

    def _orig_offset(self, clean_offset: int) -> int:
        starts = [piece[0] for piece in self.pieces]
        index = max(bisect.bisect_right(starts, clean_offset) - 1, 0)
        piece_start, orig_start, _ = self.pieces[index]
        return orig_start + (clean_offset - piece_start)


@dataclass(frozen=True)
class Duplicate:
    """Another copy of a canonical article (exact or near), kept as metadata for "also published by"."""

    locator: str
    path: str
    article_id: str
    title: str | None
    date: str | None
    source: str | None
    url: str | None
    similarity: float
    kind: str  # "exact" or "near"


@dataclass(frozen=True)
class Sentence:
    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    orig_start: int
    orig_end: int


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    index: int
    text: str
    sentence_ids: tuple[str, ...]
    start: int
    end: int
