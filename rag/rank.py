"""Second-stage ranking: from retrieved passages to the source sentences the model will see and cite.

Candidates are the sentences of each passage plus one neighbour on each side from the catalogue (an answer
sentence often opens the chunk after the one that names the place), de-duplicated by text, and ranked by
cosine similarity of sentence and question embeddings mixed with the rank of the passage they came from.
(The local LLM as a yes/no judge ranked no better on the dev set and costs ~1 s a sentence; see README.) The
passage weight keeps sentences of the best passages together: with 0.05 the gold-sentence MRR was the same within
noise, but sentences of other stories mixed into the prompt and the model conflated them in an end-to-end run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from rag.retrieve import Passage
from rag.store import IndexStore

NEIGHBOURS = 1  # sentences added on each side of a passage
PASSAGE_WEIGHT = 0.5  # weight of the passage's reciprocal rank next to the sentence's cosine similarity


@dataclass
class Candidate:
    """A source sentence with where it sits and how well it matches the question."""

    sentence_id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    orig_start: int
    orig_end: int
    passage_rank: int  # 1 = from the best passage
    previous: str = ""  # the sentence before it in the article: what "there" or "he" refers to
    following: str = ""  # the sentence after it (a place is often named just after the figure)
    similarity: float = 0.0
    score: float = 0.0
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)  # its embedding, once ranked


def candidates(store: IndexStore, passages: list[Passage]) -> list[Candidate]:
    """Sentences of the passages and their neighbours, in passage order, each text once."""
    found: list[Candidate] = []
    seen_texts: set[str] = set()
    by_article: dict[str, list] = {}
    for rank, passage in enumerate(passages, start=1):
        sentences = by_article.get(passage.article_id)
        if sentences is None:
            sentences = by_article[passage.article_id] = store.sentences(passage.article_id)
        position = {row["id"]: row["idx"] for row in sentences}
        indexes = [position[sid] for sid in passage.sentence_ids if sid in position]
        if not indexes:
            continue
        for index in range(max(0, min(indexes) - NEIGHBOURS), min(len(sentences), max(indexes) + NEIGHBOURS + 1)):
            key = " ".join(sentences[index]["text"].lower().split())
            if key in seen_texts:
                continue
            seen_texts.add(key)
            found.append(from_catalogue(sentences, index, rank))
    return found


def from_catalogue(sentences: list, index: int, passage_rank: int) -> Candidate:
    """The candidate for an article's sentence `index`, given the article's catalogue rows in order."""
    row = sentences[index]
    return Candidate(
        sentence_id=row["id"],
        article_id=row["article_id"],
        index=row["idx"],
        text=row["text"],
        start=row["start"],
        end=row["end"],
        orig_start=row["orig_start"],
        orig_end=row["orig_end"],
        passage_rank=passage_rank,
        previous=sentences[index - 1]["text"] if index else "",
        following=sentences[index + 1]["text"] if index + 1 < len(sentences) else "",
    )


def rank(embedder: BaseEmbedding, question: str, found: list[Candidate]) -> list[Candidate]:
    """Candidates best first: cosine(question, sentence) + PASSAGE_WEIGHT / passage rank."""
    if not found:
        return []
    for candidate, similarity in zip(found, similarities(embedder, question, found), strict=True):
        candidate.similarity = similarity
        candidate.score = similarity + PASSAGE_WEIGHT / candidate.passage_rank
    return sorted(found, key=lambda c: c.score, reverse=True)


def similarities(embedder: BaseEmbedding, query: str, found: list[Candidate]) -> list[float]:
    """cosine(query, sentence) for each candidate; each sentence is embedded once and its vector kept on the
    candidate (the answer gate reuses the vectors ranking made)."""
    vector = np.asarray(embedder.get_query_embedding(query))
    missing = [c for c in found if c.vector is None]
    if missing:
        embedded = embedder.get_text_embedding_batch([c.text for c in missing])
        for candidate, one in zip(missing, np.asarray(embedded), strict=True):
            candidate.vector = one
    vectors = np.stack([c.vector for c in found])
    return [float(x) for x in vectors @ vector / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(vector) + 1e-9)]
