"""Hybrid retrieval: dense (Chroma) + BM25 fused by reciprocal rank, with date/source filters.

Only chunks listed in the catalogue count (an interrupted ingest can leave extra vectors in Chroma), and a
hit whose sentences already fill a better-ranked slot is dropped, so one sentence never takes two slots.

Filters are applied from an in-memory table of every chunk's date and source, not by Chroma's `where`: at 100k
chunks a `where` on a date range cost ~1 s a query (Chroma first collects every matching id from its metadata
store), while the vector search alone takes ~1 ms. A selective filter searches only its chunk ids; a broad one
searches more neighbours and keeps those that pass. Chroma returns ids and distances only: texts and metadata come
from the catalogue, the source of truth (fetching them from Chroma cost ~0.1 ms a hit).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from typing import Literal

import bm25s
import numpy as np
from chromadb.errors import ChromaError
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.retrievers.bm25 import BM25Retriever

from rag.embed import build_embedder
from rag.ingest.chunks import node_from_row
from rag.store import IndexStore

log = logging.getLogger(__name__)

RRF_K = 60  # the constant from Cormack et al. (2009); ranks matter, raw scores of the two retrievers do not
CANDIDATES_PER_RETRIEVER = 4  # each retriever returns this many times top_k before fusion
# A filter keeping at most this many chunks is searched over exactly those ids (measured at 100k chunks: 5,000 ids
# ~7 ms); a broader one searches OVERSAMPLE times the neighbours its share of the index needs, then filters.
ID_SEARCH_MAX = 5000
OVERSAMPLE = 2.0
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

    def mask(self, dates: np.ndarray, sources: np.ndarray, source_codes: dict[str, int]) -> np.ndarray:
        """Which chunks pass, given every chunk's date (YYYYMMDD as an int, 0 = undated) and source code."""
        keep = np.ones(len(dates), dtype=bool)
        if self.date_from:
            keep &= dates >= _date_int(self.date_from)
        if self.date_to:  # undated articles (0) cannot be shown to fall in the range
            keep &= (dates > 0) & (dates <= _date_int(self.date_to))
        if self.sources:
            wanted = [source_codes[name] for name in self.sources if name in source_codes]
            keep &= np.isin(sources, wanted)
        return keep


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
        """(Re)load BM25 and the chunk table when the catalogue changed since the last query, all from one snapshot
        of the catalogue (an ingest may commit meanwhile: this query then uses the state before it)."""
        if self.store.generation == self._generation:
            return
        with self.store.snapshot():
            self._load()

    def _load(self) -> None:
        generation = self.store.generation
        rows = self.store.chunk_filter_columns()  # in index order: row i of the table is BM25 document i
        self._ids = [row[0] for row in rows]
        self._position = {chunk_id: i for i, chunk_id in enumerate(self._ids)}
        self._source_codes: dict[str, int] = {}
        self._sources = np.array([self._source_codes.setdefault(row[2] or "", len(self._source_codes)) for row in rows])
        self._dates = np.array([_date_int(row[1]) if row[1] else 0 for row in rows], dtype=np.int64)
        self._bm25 = self._persisted_bm25(len(self._ids))
        if self._bm25 is None:  # no BM25 folder of this catalogue state: index the catalogue in memory, write nothing
            nodes = self.store.chunk_nodes()
            self._bm25 = BM25Retriever.from_defaults(nodes=nodes, language="en") if nodes else None
        self._sentence_keys = {
            row["id"]: " ".join(row["text"].lower().split())
            for row in self.store.db.execute("SELECT id, text FROM sentences")
        }
        self.store.forget_collection()  # a rebuild may have switched the active collection
        self._generation = generation

    def _persisted_bm25(self, documents: int) -> BM25Retriever | None:
        """The BM25 folder if it was built from the catalogue state being loaded: not when an ingest was interrupted
        before its BM25 swap, nor when one swapped in a newer folder while this one was read."""
        if not self.store.bm25_is_current():
            return None
        try:
            bm25 = BM25Retriever.from_persist_dir(str(self.store.settings.bm25_path))
        except (OSError, ValueError):  # renamed away mid-read
            return None
        return bm25 if self.store.bm25_is_current() and len(bm25.corpus) == documents else None

    def retrieve(self, query: str, top_k: int = 10, filters: Filters | None = None) -> list[Passage]:
        self._open()
        keep = filters.mask(self._dates, self._sources, self._source_codes) if filters else None
        wanted = top_k * CANDIDATES_PER_RETRIEVER
        dense, lexical = [], []
        if self.mode != "bm25":
            dense = self._dense_hits(query, wanted, keep)
        if self.mode != "dense":
            lexical = self._bm25_hits(query, wanted, keep)
        fused: dict[str, Passage] = {}
        for source, hits in (("dense", dense), ("bm25", lexical)):
            for rank, hit in enumerate(hits):
                passage = fused.get(hit.node.node_id) or _passage(hit)
                passage.score += 1 / (RRF_K + rank + 1)
                setattr(passage, f"{source}_rank", rank + 1)
                fused[passage.chunk_id] = passage
        return self._collapse(sorted(fused.values(), key=lambda p: p.score, reverse=True), top_k)

    def _dense_hits(self, query: str, wanted: int, keep: np.ndarray | None) -> list[NodeWithScore]:
        """The `wanted` nearest catalogue chunks that pass the filter, best first."""
        allowed = len(self._ids) if keep is None else int(keep.sum())
        if not allowed:
            return []
        vector = self.embedder.get_query_embedding(query)
        n_results = wanted if keep is None else math.ceil(wanted * len(self._ids) / allowed * OVERSAMPLE)
        found = None
        if keep is not None and allowed <= ID_SEARCH_MAX:
            ids = [self._ids[i] for i in np.flatnonzero(keep)]
            try:
                found = self.store.collection.query(
                    query_embeddings=[vector], n_results=min(wanted, allowed), ids=ids, include=["distances"]
                )
            except ChromaError:  # an id this Chroma client does not know yet (embedded store, another writer)
                log.debug("id-restricted search failed; searching wider instead", exc_info=True)
        if found is None:
            found = self.store.collection.query(
                query_embeddings=[vector], n_results=min(len(self._ids), n_results), include=["distances"]
            )
        similarity: dict[str, float] = {}
        for chunk_id, distance in zip(found["ids"][0], found["distances"][0], strict=True):
            position = self._position.get(chunk_id)  # None: a vector the catalogue does not list
            if position is not None and (keep is None or keep[position]) and len(similarity) < wanted:
                similarity[chunk_id] = 1.0 - float(distance)
        rows = {row["id"]: row for row in self.store.chunk_rows(list(similarity))}
        return [NodeWithScore(node=node_from_row(rows[cid]), score=score) for cid, score in similarity.items()]

    def _bm25_hits(self, query: str, wanted: int, keep: np.ndarray | None) -> list[NodeWithScore]:
        if self._bm25 is None:
            return []
        if keep is None:
            self._bm25.similarity_top_k = min(wanted, len(self._ids) or 1)
            return self._bm25.retrieve(QueryBundle(query))
        # Filtered: bm25s scores every document (tokenised as the wrapper does) and the best of those that pass are
        # picked here. Its own top-k over a weight-masked array took ~17 ms instead of ~1 ms at 100k chunks:
        # numpy's argpartition slows down on the many equal zeros a mask makes.
        tokens = bm25s.tokenize(
            query, stemmer=self._bm25.stemmer, token_pattern=self._bm25.token_pattern, return_ids=False,
            show_progress=False,
        )[0]  # fmt: skip
        if not tokens:
            return []
        scores = self._bm25.bm25.get_scores(tokens)
        passing = np.flatnonzero(keep & (scores > 0))
        best = passing[np.argsort(-scores[passing], kind="stable")[:wanted]]
        return [NodeWithScore(node=metadata_dict_to_node(self._bm25.corpus[i]), score=float(scores[i])) for i in best]

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
