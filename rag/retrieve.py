"""Hybrid retrieval: dense (Chroma) + BM25 fused by reciprocal rank, with date/source filters.

Only chunks listed in the catalogue count (an interrupted ingest can leave extra vectors in Chroma), and a
hit whose sentences already fill a better-ranked slot is dropped, so one sentence never takes two slots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from llama_index.core import VectorStoreIndex
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
from llama_index.core.vector_stores.utils import build_metadata_filter_fn
from llama_index.retrievers.bm25 import BM25Retriever

from rag.embed import build_embedder
from rag.store import IndexStore

RRF_K = 60  # the constant from Cormack et al. (2009); ranks matter, raw scores of the two retrievers do not
CANDIDATES_PER_RETRIEVER = 4  # each retriever returns this many times top_k before fusion and filtering
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to articles published in [date_from, date_to] (ISO dates; undated articles are
    excluded by either bound) and/or by these sources."""

    date_from: str | None = None
    date_to: str | None = None
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """A malformed date is the user's to fix (from the CLI, the UI or the API), so say which and how."""
        for value in (self.date_from, self.date_to):
            if value and not ISO_DATE.fullmatch(value):
                raise ValueError(f"“{value}” is not a date: write it as YYYY-MM-DD")

    def to_metadata_filters(self) -> MetadataFilters | None:
        filters: list[MetadataFilter] = []
        if self.date_from:
            filters.append(MetadataFilter(key="date_int", value=_date_int(self.date_from), operator=FilterOperator.GTE))
        if self.date_to:  # undated articles (date_int 0) cannot be shown to fall in the range
            filters.append(MetadataFilter(key="date_int", value=0, operator=FilterOperator.GT))
            filters.append(MetadataFilter(key="date_int", value=_date_int(self.date_to), operator=FilterOperator.LTE))
        if self.sources:
            filters.append(MetadataFilter(key="source", value=list(self.sources), operator=FilterOperator.IN))
        return MetadataFilters(filters=filters) if filters else None


@dataclass
class Passage:
    """A retrieved chunk with its fused score, its rank in each retriever (None = not found there) and sentences."""

    chunk_id: str
    article_id: str
    text: str
    metadata: dict
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    sentence_ids: list[str] = field(default_factory=list)


RetrievalMode = Literal["hybrid", "dense", "bm25"]


class HybridRetriever:
    """Dense + BM25 retrieval over one index (or either alone, for baselines); open once, query many times."""

    def __init__(self, store: IndexStore, mode: RetrievalMode = "hybrid") -> None:
        self.store = store
        self.mode = mode
        self.embedder = build_embedder(store.settings)
        self._generation = -1
        self._open()

    def _open(self) -> None:
        """(Re)load BM25 and the set of trusted chunk ids when the catalogue changed since the last query."""
        generation = self.store.generation
        if generation == self._generation:
            return
        if self.store.bm25_is_current():
            self._bm25 = BM25Retriever.from_persist_dir(str(self.store.settings.bm25_path))
        else:  # an ingest was interrupted before its BM25 swap: index the catalogue in memory, write nothing
            nodes = self.store.chunk_nodes()
            self._bm25 = BM25Retriever.from_defaults(nodes=nodes, language="en") if nodes else None
        self._trusted = self.store.chunk_ids()
        self._sentence_keys = {
            row["id"]: " ".join(row["text"].lower().split())
            for row in self.store.db.execute("SELECT id, text FROM sentences")
        }
        self.store.forget_collection()  # a rebuild may have switched the active collection
        self._dense_index = VectorStoreIndex.from_vector_store(self.store.vector_store(), embed_model=self.embedder)
        self._generation = generation

    def retrieve(self, query: str, top_k: int = 10, filters: Filters | None = None) -> list[Passage]:
        self._open()
        metadata_filters = filters.to_metadata_filters() if filters else None
        wanted = top_k * CANDIDATES_PER_RETRIEVER
        dense, lexical = [], []
        if self.mode != "bm25":
            dense = self._dense_index.as_retriever(similarity_top_k=wanted, filters=metadata_filters).retrieve(query)
        if self.mode != "dense":
            lexical = self._bm25_hits(query, wanted, metadata_filters)
        fused: dict[str, Passage] = {}
        for source, hits in (("dense", dense), ("bm25", lexical)):
            for rank, hit in enumerate(item for item in hits if item.node.node_id in self._trusted):
                passage = fused.get(hit.node.node_id) or _passage(hit)
                passage.score += 1 / (RRF_K + rank + 1)
                setattr(passage, f"{source}_rank", rank + 1)
                fused[passage.chunk_id] = passage
        return self._collapse(sorted(fused.values(), key=lambda p: p.score, reverse=True), top_k)

    def _bm25_hits(self, query: str, wanted: int, filters: MetadataFilters | None) -> list[NodeWithScore]:
        if self._bm25 is None:
            return []
        self._bm25.similarity_top_k = min(wanted * (4 if filters else 1), len(self._trusted) or 1)
        hits = self._bm25.retrieve(QueryBundle(query))
        if filters is None:
            return hits
        by_id = {hit.node.node_id: hit.node.metadata for hit in hits}
        keep = build_metadata_filter_fn(lambda node_id: by_id[node_id], filters)
        return [hit for hit in hits if keep(hit.node.node_id)]

    def _collapse(self, ranked: list[Passage], top_k: int) -> list[Passage]:
        """Drop a passage when most of its sentences already appear in better-ranked passages."""
        seen: set[str] = set()
        kept: list[Passage] = []
        for passage in ranked:
            keys = {self._sentence_keys.get(sid, sid) for sid in passage.sentence_ids}
            if keys and 2 * len(keys & seen) > len(keys):
                continue
            seen |= keys
            kept.append(passage)
            if len(kept) == top_k:
                break
        return kept


def _passage(hit: NodeWithScore) -> Passage:
    metadata = dict(hit.node.metadata)
    return Passage(
        chunk_id=hit.node.node_id,
        article_id=metadata["article_id"],
        text=hit.node.get_content(),
        metadata=metadata,
        score=0.0,
        sentence_ids=[sid for sid in metadata.get("sentence_ids", "").split(",") if sid],
    )


def _date_int(iso: str) -> int:
    return int(iso.replace("-", "")[:8].ljust(8, "0"))
