"""Sentence-aligned chunks: windows of whole sentences, as llama-index TextNodes carrying their sentence ids."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from rag.schema import Chunk, CleanedArticle, Sentence

# Only the title joins the text in what is embedded; the rest is for filters and citations.
EMBED_METADATA = {"title"}


def chunk_sentences(sentences: list[Sentence], max_words: int, overlap: int) -> list[Chunk]:
    """Greedy windows of consecutive sentences up to max_words; `overlap` sentences repeat between windows."""
    chunks: list[Chunk] = []
    start = 0
    while start < len(sentences):
        end = start
        words = 0
        while end < len(sentences) and (end == start or words + len(sentences[end].text.split()) <= max_words):
            words += len(sentences[end].text.split())
            end += 1
        window = sentences[start:end]
        chunks.append(_chunk(window, len(chunks)))
        if end >= len(sentences):
            break
        start = max(end - overlap, start + 1)
    return chunks


def _chunk(window: list[Sentence], index: int) -> Chunk:
    article_id = window[0].article_id
    ids = tuple(sentence.id for sentence in window)
    digest = hashlib.sha1("|".join(ids).encode()).hexdigest()[:12]
    return Chunk(
        id=f"{article_id}-c{digest}",
        article_id=article_id,
        index=index,
        text=" ".join(" ".join(sentence.text.split()) for sentence in window),
        sentence_ids=ids,
        start=window[0].start,
        end=window[-1].end,
    )


def to_node(chunk: Chunk, article: CleanedArticle) -> TextNode:
    """The llama-index node stored in Chroma and BM25 for a freshly built chunk."""
    return _node(
        chunk.id,
        chunk.text,
        article.id,
        article.title,
        article.date,
        article.source,
        article.url,
        article.record.path,
        chunk.index,
        ",".join(chunk.sentence_ids),
        chunk.start,
        chunk.end,
    )


def node_from_row(row: Mapping[str, Any]) -> TextNode:
    """The same node rebuilt from a catalogue row (chunks joined with articles)."""
    return _node(
        row["id"],
        row["text"],
        row["article_id"],
        row["title"],
        row["date"],
        row["source"],
        row["url"],
        row["path"],
        row["idx"],
        row["sentence_ids"],
        row["start"],
        row["end"],
    )


def _node(
    chunk_id: str,
    text: str,
    article_id: str,
    title: str,
    date: str | None,
    source: str | None,
    url: str | None,
    path: str,
    chunk_index: int,
    sentence_ids: str,
    start: int,
    end: int,
) -> TextNode:
    """Metadata values are scalars, as Chroma requires. Filters are applied from the catalogue (retrieve.py), not
    through Chroma's `where`."""
    metadata = {
        "article_id": article_id,
        "title": title,
        "date": date or "",
        "source": source or "",
        "url": url or "",
        "path": path,
        "chunk_index": chunk_index,
        "sentence_ids": sentence_ids,
        "start": start,
        "end": end,
    }
    node = TextNode(
        id_=chunk_id,
        text=text,
        metadata=metadata,
        excluded_embed_metadata_keys=[key for key in metadata if key not in EMBED_METADATA],
        excluded_llm_metadata_keys=[key for key in metadata if key not in {"title", "date", "source"}],
    )
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=article_id)
    return node
